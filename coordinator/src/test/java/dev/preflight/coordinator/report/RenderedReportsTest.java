package dev.preflight.coordinator.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.Goldens;
import dev.preflight.coordinator.SampleReports;
import dev.preflight.coordinator.score.Policy;
import dev.preflight.coordinator.score.Scorer;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.JsonReport;
import dev.preflight.reports.JunitReport;
import dev.preflight.reports.MarkdownReport;
import dev.preflight.reports.html.HtmlReport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The sample cluster scored and rendered in every format, against golden files. */
class RenderedReportsTest {
    static PreflightReport scoredSample() {
        return new Scorer(Policy.defaults()).score(SampleReports.cluster());
    }

    @Test
    void json() throws Exception {
        Goldens.assertMatches("sample-report.json", JsonReport.render(scoredSample()));
    }

    @Test
    void markdown() throws Exception {
        String md = MarkdownReport.render(scoredSample());
        Goldens.assertMatches("sample-report.md", md);
        assertTrue(md.startsWith("## preflight: ❌ NOT_VIABLE"), md);
    }

    @Test
    void junit() throws Exception {
        Goldens.assertMatches("sample-junit.xml", JunitReport.render(scoredSample()));
    }

    @Test
    void htmlIsSelfContained() throws Exception {
        String html = HtmlReport.render(scoredSample());
        Goldens.assertMatches("sample-report.html", html);
        for (String fetch : new String[] {"http://", "https://", "src=", "href=", "url(", "<script", "<link", "@import"}) {
            assertFalse(html.contains(fetch), "the page must fetch nothing: found " + fetch);
        }
        for (String chart : new String[] {"fleet", "busbw", "pairwise", "rails", "latency"}) {
            assertTrue(html.contains("<svg class=\"chart-svg\" data-chart=\"" + chart + "\""), chart);
        }
        assertFalse(html.contains("data-empty"), "the sample holds data for every chart");
    }

    @Test
    void everyChartHasAClearNoDataState() {
        String html = HtmlReport.render(new Scorer(Policy.defaults()).score(PreflightReport.newBuilder()
                .addNodes(SampleReports.node("solo", false)).build()));
        Matcher empty = Pattern.compile("<figure class=\"chart\" data-chart=\"(\\w+)\" data-empty=\"true\"><p class=\"no-data\">")
                .matcher(html);
        int count = 0;
        while (empty.find()) {
            count++;
        }
        assertEquals(4, count, html);
        // the fleet picture is the one drawing: a node with its checks is always there to show
        assertEquals(1, html.split("<svg", -1).length - 1, "no empty axes drawn");
        assertTrue(html.contains("<svg class=\"chart-svg\" data-chart=\"fleet\""), html);
    }

    @Test
    void theOverviewFoldsIdenticalNodesIntoOneRowAndListsWhatDecidesTheVerdict() {
        PreflightReport.Builder fleet = PreflightReport.newBuilder();
        for (int i = 0; i < 999; i++) {
            fleet.addNodes(SampleReports.node(String.format(java.util.Locale.ROOT, "gpu-%04d", i), false));
        }
        NodeReport odd = SampleReports.node("gpu-0999", false);
        fleet.addNodes(odd.toBuilder().setChecks(1, SampleReports.shm(512L << 20, 500L << 20)));
        fleet.addNodes(NodeReport.newBuilder().setNodeName("gpu-1000").setAddress("gpu-1000:7744")
                .setReachability(NodeReport.Reachability.UNREACHABLE).setError("connection refused"));
        String html = HtmlReport.render(new Scorer(Policy.defaults()).score(fleet.build()));
        // the picture comes first, then the verdict and its findings, then the charts
        int grid = html.indexOf("data-chart=\"fleet\"");
        int verdict = html.indexOf("id=\"verdict\"");
        int findings = html.indexOf("id=\"findings\"");
        assertTrue(grid > 0 && grid < verdict && verdict < findings && findings < html.indexOf("data-chart=\"busbw\""), html);
        // 999 identical nodes are one row; the FAIL and the unreachable node have rows of their own, worst first
        assertTrue(html.contains("data-groups=\"3\""), html);
        String svg = html.substring(grid, html.indexOf("</svg>", grid));
        assertTrue(svg.indexOf(">gpu-1000</text>") < svg.indexOf(">gpu-0999</text>")
                && svg.indexOf(">gpu-0999</text>") < svg.indexOf(">999 nodes: gpu-0000, gpu-0001, …</text>"), svg);
        // each cell says its status in words as well as in colour
        assertTrue(svg.contains(">FAIL</text>") && svg.contains(">DOWN</text>") && svg.contains(">PASS</text>"), svg);
        assertTrue(svg.contains("<title>host.shm on 999 nodes: PASS</title>"), svg);
        String decided = html.substring(findings, html.indexOf("</ul>", findings));
        assertTrue(decided.contains("<code>host.shm</code>: /dev/shm is a 512 MiB tmpfs"), decided);
        assertTrue(decided.contains("on 1 node: gpu-0999"), decided);
        assertTrue(decided.contains("UNREACHABLE</span> <code>node.reachable</code>"), decided);
    }
}
