package dev.preflight.reports.html;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.Names;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The page's opening picture: every node against every check as a status grid, nodes with the
 * same outcome on every check folded into one row (a healthy fleet of 1,000 is one row, the odd
 * node out its own), worst rows first; then the findings that decide the verdict, each with the
 * nodes it was found on. Every cell carries its status as a word as well as a colour.
 */
final class FleetOverview {
    /** Rows drawn; a fleet split into more groups than this lists the rest as a count. */
    static final int MAX_ROWS = 60;
    /** Findings listed before the rest are left to the checks table. */
    static final int MAX_FINDINGS = 25;
    private static final int LABEL_WIDTH = 250;
    private static final int CELL_WIDTH = 42;
    private static final int ROW_HEIGHT = 22;
    private static final int HEADER_HEIGHT = 130;
    private static final String AGENT_COLUMN = "agent";

    private FleetOverview() {}

    /** A cell: the worst status of a node's results for one check, or none when the check did not run there. */
    private record Cell(String label, String fill, String text, int severity) {
        static final Cell NONE = new Cell("—", "#eeeeee", "#666", 0);

        static Cell of(CheckResult.Status status, boolean counted) {
            String suffix = counted ? "" : "*";
            switch (status) {
                case FAIL:
                    return new Cell("FAIL" + suffix, counted ? "#b3261e" : "#d99", "#fff", counted ? 5 : 2);
                case ERROR:
                    return new Cell("ERR" + suffix, counted ? "#6a1b9a" : "#b9a", "#fff", counted ? 4 : 2);
                case WARN:
                    return new Cell("WARN" + suffix, counted ? "#b07800" : "#dcb", "#fff", counted ? 3 : 1);
                case SKIP:
                    return new Cell("SKIP" + suffix, "#9e9e9e", "#fff", 1);
                case PASS:
                    return new Cell("PASS" + suffix, counted ? "#2a8a3e" : "#9c9", "#fff", 0);
                default:
                    return NONE;
            }
        }
    }

    private record Group(List<Cell> cells, List<String> nodes, int severity) {}

    /** The nodes x checks grid, under its heading. */
    static void appendGrid(StringBuilder out, PreflightReport report) {
        out.append("<h2 id=\"overview\">Fleet overview</h2>\n");
        if (report.getNodesCount() == 0) {
            out.append("<figure class=\"chart\" data-chart=\"fleet\" data-empty=\"true\"><p class=\"no-data\">"
                    + "No node answered or was expected in this run.</p></figure>\n");
        } else {
            grid(out, report);
        }
    }

    private static void grid(StringBuilder out, PreflightReport report) {
        Set<String> ids = new LinkedHashSet<>();
        for (NodeReport node : report.getNodesList()) {
            for (CheckResult check : node.getChecksList()) {
                ids.add(check.getId());
            }
        }
        List<String> columns = new ArrayList<>();
        columns.add(AGENT_COLUMN);
        columns.addAll(ids);
        Map<String, Group> groups = new LinkedHashMap<>();
        for (NodeReport node : report.getNodesList()) {
            List<Cell> cells = cells(node, ids);
            String key = cells.stream().map(Cell::label).reduce("", (a, b) -> a + "\u0000" + b);
            int severity = cells.stream().mapToInt(Cell::severity).max().orElse(0);
            groups.computeIfAbsent(key, k -> new Group(cells, new ArrayList<>(), severity)).nodes().add(Names.node(node));
        }
        List<Group> rows = new ArrayList<>(groups.values());
        rows.sort(Comparator.comparingInt(Group::severity).reversed()
                .thenComparing(Comparator.comparingInt((Group g) -> g.nodes().size()).reversed()));
        List<Group> drawn = rows.subList(0, Math.min(MAX_ROWS, rows.size()));
        int width = Math.max(340, LABEL_WIDTH + columns.size() * CELL_WIDTH + 10);
        int height = Math.max(160, HEADER_HEIGHT + drawn.size() * ROW_HEIGHT + 10);
        Svg svg = new Svg("fleet", width, height, "status of every check on every node, " + report.getNodesCount()
                + " nodes in " + rows.size() + " groups of identical results");
        for (int c = 0; c < columns.size(); c++) {
            double x = LABEL_WIDTH + c * CELL_WIDTH + CELL_WIDTH / 2.0;
            svg.text(x, HEADER_HEIGHT - 6, columns.get(c), "start",
                    "class=\"legend\" transform=\"rotate(-55 " + Svg.n(x) + " " + (HEADER_HEIGHT - 6) + ")\"");
        }
        for (int r = 0; r < drawn.size(); r++) {
            Group group = drawn.get(r);
            double y = HEADER_HEIGHT + r * ROW_HEIGHT;
            svg.text(LABEL_WIDTH - 8, y + 15, label(group.nodes()), "end", "class=\"legend\"");
            for (int c = 0; c < columns.size(); c++) {
                Cell cell = group.cells().get(c);
                double x = LABEL_WIDTH + c * CELL_WIDTH;
                svg.rect(x + 1, y + 1, CELL_WIDTH - 2, ROW_HEIGHT - 2, cell.fill(), "",
                        columns.get(c) + " on " + count(group.nodes().size()) + ": " + cell.label());
                svg.text(x + CELL_WIDTH / 2.0, y + 15, cell.label(), "middle",
                        "fill=\"" + cell.text() + "\" font-size=\"10\" font-weight=\"600\"");
            }
        }
        out.append("<figure class=\"chart\" data-chart=\"fleet\" data-groups=\"").append(rows.size())
                .append("\"><figcaption>").append(count(report.getNodesCount())).append(" × ").append(ids.size())
                .append(ids.size() == 1 ? " check" : " checks").append(": nodes with the same result on every check share a row ("
                        + "worst first); * marks results reported but not counted</figcaption>\n")
                .append("<div class=\"grid-scroll\">").append(svg.close()).append("</div>\n");
        if (rows.size() > drawn.size()) {
            int hidden = rows.subList(drawn.size(), rows.size()).stream().mapToInt(g -> g.nodes().size()).sum();
            out.append("<p class=\"meta\">and ").append(rows.size() - drawn.size()).append(" more groups (")
                    .append(count(hidden)).append("), in the checks table below</p>\n");
        }
        out.append("</figure>\n");
    }

    /** The agent's column first: a node that did not answer ranks above any failed check. */
    private static List<Cell> cells(NodeReport node, Set<String> ids) {
        List<Cell> cells = new ArrayList<>();
        switch (node.getReachability()) {
            case REACHABLE:
                cells.add(new Cell("up", "#2a8a3e", "#fff", 0));
                break;
            case LOST:
                cells.add(new Cell("LOST", "#b3261e", "#fff", 6));
                break;
            default:
                cells.add(new Cell("DOWN", "#b3261e", "#fff", 6));
                break;
        }
        Map<String, Cell> worst = new LinkedHashMap<>();
        for (CheckResult check : node.getChecksList()) {
            Cell cell = Cell.of(check.getStatus(), check.getNotCounted().isEmpty());
            worst.merge(check.getId(), cell, (a, b) -> b.severity() > a.severity() ? b : a);
        }
        for (String id : ids) {
            cells.add(worst.getOrDefault(id, Cell.NONE));
        }
        return cells;
    }

    /** "gpu-0042", or "998 nodes: gpu-0000, gpu-0001, …". */
    private static String label(List<String> nodes) {
        if (nodes.size() == 1) {
            return nodes.get(0);
        }
        String first = nodes.get(0) + ", " + nodes.get(1);
        return nodes.size() + " nodes: " + first + (nodes.size() > 2 ? ", …" : "");
    }

    private static String count(int nodes) {
        return nodes + (nodes == 1 ? " node" : " nodes");
    }

    /**
     * The counted results that decide the verdict, worst first: failures, errors and unreachable
     * nodes, then warnings; one line per finding with the nodes it was found on.
     */
    static void appendFindings(StringBuilder out, PreflightReport report) {
        Map<String, List<String>> where = new LinkedHashMap<>();
        Map<String, Integer> severity = new LinkedHashMap<>();
        Map<String, String> line = new LinkedHashMap<>();
        for (CheckResult check : report.getClusterChecksList()) {
            finding(where, severity, line, "cluster", check);
        }
        for (NodeReport node : report.getNodesList()) {
            if (node.getReachability() != NodeReport.Reachability.REACHABLE) {
                String key = "node.reachable " + node.getReachability();
                where.computeIfAbsent(key, k -> new ArrayList<>()).add(Names.node(node));
                severity.put(key, 6);
                line.put(key, "<span class=\"s-FAIL\">" + node.getReachability().name() + "</span> "
                        + "<code>node.reachable</code>: the agent did not answer or stopped answering");
            }
            for (CheckResult check : node.getChecksList()) {
                finding(where, severity, line, Names.node(node), check);
            }
        }
        out.append("<h2 id=\"findings\">What decides the verdict</h2>\n");
        if (where.isEmpty()) {
            out.append("<p class=\"meta\">No counted result failed, errored or warned.</p>\n");
            return;
        }
        List<String> keys = new ArrayList<>(where.keySet());
        keys.sort(Comparator.comparingInt((String k) -> severity.get(k)).reversed()
                .thenComparing(Comparator.comparingInt((String k) -> where.get(k).size()).reversed()));
        out.append("<ul class=\"findings\">\n");
        for (String key : keys.subList(0, Math.min(MAX_FINDINGS, keys.size()))) {
            List<String> nodes = where.get(key);
            out.append("<li>").append(line.get(key)).append(" <span class=\"meta\">on ").append(count(nodes.size()))
                    .append(": ").append(Html.escape(String.join(", ", nodes.subList(0, Math.min(5, nodes.size())))))
                    .append(nodes.size() > 5 ? ", …" : "").append("</span></li>\n");
        }
        out.append("</ul>\n");
        if (keys.size() > MAX_FINDINGS) {
            out.append("<p class=\"meta\">and ").append(keys.size() - MAX_FINDINGS)
                    .append(" more findings in the checks table below</p>\n");
        }
    }

    private static void finding(Map<String, List<String>> where, Map<String, Integer> severity, Map<String, String> line,
            String node, CheckResult check) {
        if (!check.getNotCounted().isEmpty()) {
            return;
        }
        int rank = check.getStatus() == CheckResult.Status.FAIL ? 5 : check.getStatus() == CheckResult.Status.ERROR ? 4
                : check.getStatus() == CheckResult.Status.WARN ? 3 : 0;
        if (rank == 0) {
            return;
        }
        String key = check.getStatus() + "\u0000" + Names.check(check) + "\u0000" + check.getSummary();
        where.computeIfAbsent(key, k -> new ArrayList<>()).add(node);
        severity.put(key, rank);
        line.putIfAbsent(key, "<span class=\"s-" + check.getStatus().name() + "\">" + check.getStatus().name()
                + "</span> <code>" + Html.escape(Names.check(check)) + "</code>: " + Html.escape(check.getSummary())
                + (check.getRemediation().isEmpty() ? "" : " <em>fix: " + Html.escape(check.getRemediation()) + "</em>"));
    }
}
