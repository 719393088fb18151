package dev.preflight.coordinator.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.Goldens;
import dev.preflight.coordinator.SampleReports;
import dev.preflight.coordinator.score.Policy;
import dev.preflight.coordinator.score.Scorer;
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
        for (String chart : new String[] {"busbw", "pairwise", "rails", "latency"}) {
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
        assertFalse(html.contains("<svg"), "no empty axes drawn");
    }
}
