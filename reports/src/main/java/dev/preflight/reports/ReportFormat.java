package dev.preflight.reports;

import dev.preflight.proto.v1.PreflightReport;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The files a report is written as; --format takes a comma-separated list of their names. */
public enum ReportFormat {
    JSON("json", JsonReport.FILE_NAME, JsonReport::render),
    JUNIT("junit", "preflight-junit.xml", JunitReport::render),
    MD("md", "preflight-report.md", MarkdownReport::render),
    HTML("html", "preflight-report.html", dev.preflight.reports.html.HtmlReport::render);

    private final String key;
    private final String fileName;
    private final Function<PreflightReport, String> renderer;

    ReportFormat(String key, String fileName, Function<PreflightReport, String> renderer) {
        this.key = key;
        this.fileName = fileName;
        this.renderer = renderer;
    }

    public String key() {
        return key;
    }

    public String fileName() {
        return fileName;
    }

    public String render(PreflightReport report) {
        return renderer.apply(report);
    }

    /**
     * "json,junit,md,html" in any order and case.
     *
     * @throws IllegalArgumentException naming the unknown entry and the known ones
     */
    public static Set<ReportFormat> parseList(String list) {
        Set<ReportFormat> formats = EnumSet.noneOf(ReportFormat.class);
        List<String> unknown = new ArrayList<>();
        for (String item : list.split(",", -1)) {
            String name = item.strip().toLowerCase(Locale.ROOT);
            ReportFormat match = Arrays.stream(values()).filter(f -> f.key.equals(name)).findFirst().orElse(null);
            if (match == null) {
                unknown.add("'" + item.strip() + "'");
            } else {
                formats.add(match);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", unknown) + " is not a report format (known: "
                    + Arrays.stream(values()).map(ReportFormat::key).collect(Collectors.joining(", ")) + ")");
        }
        return formats;
    }
}
