package dev.preflight.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Measurement;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunPhase;
import dev.preflight.proto.v1.Scope;
import dev.preflight.proto.v1.Verdict;
import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.SchemaFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class JunitReportTest {
    static PreflightReport report() {
        CheckResult shm = CheckResult.newBuilder().setId("host.shm").setStatus(Status.FAIL).setScope(Scope.PROCESS)
                .setSummary("/dev/shm is only 64 MiB: NCCL's SHM transport fails below 1 GiB")
                .setObserved("64 MiB (60 MiB free), tmpfs").setExpected("tmpfs, at least 16 GiB")
                .setRemediation("give the workload a larger /dev/shm (docker --shm-size=64g)")
                .setThreshold("shm_size_bytes: FAIL below 1GiB, WARN below 16GiB")
                .addMeasurements(Measurement.newBuilder().setName("shm_size_bytes").setValue(64 << 20).setUnit("bytes"))
                .setDurationMicros(1500).build();
        CheckResult memlock = CheckResult.newBuilder().setId("host.memlock").setStatus(Status.WARN).setScope(Scope.PROCESS)
                .setSummary("max locked memory is limited to 8 MiB <& \"quoted\" \u0007 bell>").setDurationMicros(300).build();
        CheckResult link = CheckResult.newBuilder().setId("interconnect.link").setSubject("mlx5_0/1 rail 0")
                .setStatus(Status.PASS).setScope(Scope.HOST).setScored(true).setSummary("recommended")
                .setThreshold("per link: production viable from 25.0 GB/s")
                .addMeasurements(Measurement.newBuilder().setName("measured").setSubject("port rate a mlx5_0/1")
                        .setValue(50e9).setUnit("B/s")).build();
        CheckResult skipped = CheckResult.newBuilder().setId("gpu.ecc").setStatus(Status.SKIP).setScope(Scope.HOST)
                .setSummary("no NVIDIA GPU on this node").build();
        CheckResult errored = CheckResult.newBuilder().setId("fabric.ib_ports").setStatus(Status.ERROR).setScope(Scope.HOST)
                .setSummary("/sys/class/infiniband/mlx5_0/ports/1/rate: 'fast' is not a rate").build();
        CheckResult notCounted = shm.toBuilder().setNotCounted("describes the agent's pod").build();
        return PreflightReport.newBuilder()
                .setToolVersion("0.1.0")
                .setVerdict(Verdict.NOT_VIABLE)
                .addReasons("node a: host.shm FAIL: /dev/shm is only 64 MiB")
                .setStartedAt(com.google.protobuf.Timestamp.newBuilder().setSeconds(1_795_000_000L))
                .addPhases(RunPhase.newBuilder().setName("rails").setOutcome(RunPhase.Outcome.FAILED).setError("rank 3 hung"))
                .addNodes(NodeReport.newBuilder().setAddress("a:7744").setNodeName("a").setHostname("a.cluster")
                        .setReachability(NodeReport.Reachability.REACHABLE)
                        .addChecks(shm).addChecks(memlock).addChecks(link).addChecks(skipped).addChecks(errored))
                .addNodes(NodeReport.newBuilder().setAddress("b:7744").setNodeName("b")
                        .setReachability(NodeReport.Reachability.REACHABLE).addChecks(notCounted))
                .addNodes(NodeReport.newBuilder().setAddress("c:7744").setReachability(NodeReport.Reachability.UNREACHABLE)
                        .setError("connection refused"))
                .build();
    }

    @Test
    void isValidAgainstTheJenkinsJunitSchema() throws Exception {
        String xml = JunitReport.render(report());
        SchemaFactory factory = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
        var schema = factory.newSchema(new StreamSource(getClass().getResource("/junit/junit-10.xsd").toString()));
        schema.newValidator().validate(new StreamSource(new StringReader(xml)));
    }

    @Test
    void mapsStatusesToWhatCiSystemsCount() throws Exception {
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(JunitReport.render(report()).getBytes(StandardCharsets.UTF_8)));
        Element root = doc.getDocumentElement();
        assertEquals("testsuites", root.getTagName());
        NodeList suites = root.getElementsByTagName("testsuite");
        assertEquals(4, suites.getLength(), "cluster + one per node");
        Element cluster = (Element) suites.item(0);
        assertEquals("cluster", cluster.getAttribute("name"));
        assertEquals("1", cluster.getAttribute("errors"), "the failed phase");
        Element a = (Element) suites.item(1);
        assertEquals("a", a.getAttribute("name"));
        assertEquals("5", a.getAttribute("tests"));
        assertEquals("1", a.getAttribute("failures"));
        assertEquals("1", a.getAttribute("errors"));
        assertEquals("1", a.getAttribute("skipped"));
        assertEquals("a.cluster", a.getAttribute("hostname"));

        Map<String, Element> cases = new HashMap<>();
        NodeList testcases = a.getElementsByTagName("testcase");
        for (int i = 0; i < testcases.getLength(); i++) {
            Element testcase = (Element) testcases.item(i);
            cases.put(testcase.getAttribute("name"), testcase);
        }
        Element shm = cases.get("host.shm");
        Element failure = (Element) shm.getElementsByTagName("failure").item(0);
        assertTrue(failure.getAttribute("message").startsWith("/dev/shm is only 64 MiB"));
        assertTrue(failure.getTextContent().contains("fix: give the workload a larger /dev/shm"));
        assertEquals("0.002", shm.getAttribute("time"));
        assertEquals(0, cases.get("host.memlock").getElementsByTagName("failure").getLength(), "WARN passes");
        assertTrue(cases.get("host.memlock").getTextContent().contains("WARN: max locked memory is limited to 8 MiB"));
        assertEquals(1, cases.get("gpu.ecc").getElementsByTagName("skipped").getLength());
        assertEquals(1, cases.get("fabric.ib_ports").getElementsByTagName("error").getLength());
        assertTrue(cases.containsKey("interconnect.link[mlx5_0/1 rail 0]"));

        Map<String, String> properties = new HashMap<>();
        NodeList props = a.getElementsByTagName("property");
        for (int i = 0; i < props.getLength(); i++) {
            Element p = (Element) props.item(i);
            properties.put(p.getAttribute("name"), p.getAttribute("value"));
        }
        assertEquals("warn", properties.get("host.memlock.severity"));
        assertEquals("shm_size_bytes=64 MiB", properties.get("host.shm.measured"));
        assertEquals("shm_size_bytes: FAIL below 1GiB, WARN below 16GiB", properties.get("host.shm.threshold"));
        assertEquals("port rate a mlx5_0/1=50.0 GB/s", properties.get("interconnect.link[mlx5_0/1 rail 0].measured"));

        Element b = (Element) suites.item(2);
        assertEquals("0", b.getAttribute("failures"), "a result that does not count is skipped, not failed");
        assertEquals("1", b.getAttribute("skipped"));
        Element skippedShm = (Element) b.getElementsByTagName("skipped").item(0);
        assertTrue(skippedShm.getAttribute("message").startsWith("not counted (describes the agent's pod); FAIL:"));

        Element c = (Element) suites.item(3);
        assertEquals("c:7744", c.getAttribute("name"));
        assertEquals("1", c.getAttribute("errors"));
        assertEquals("3", root.getAttribute("errors"), "the failed phase, the errored check, the unreachable node");
        assertEquals("1", root.getAttribute("failures"));
    }

    @Test
    void controlCharactersCannotVoidTheFile() throws Exception {
        String xml = JunitReport.render(report());
        assertTrue(!xml.contains("\u0007"));
        assertTrue(xml.contains("&lt;&amp; &quot;quoted&quot; \ufffd bell&gt;") || xml.contains("&lt;&amp; \"quoted\" \ufffd bell&gt;"), xml);
    }
}
