package dev.preflight.coordinator.hostnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.HostLink;
import dev.preflight.proto.v1.HostNetworkResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Scoring of measured links; the measuring itself runs against real agents in TwoAgentsIT and the test bed. */
class HostNetPhaseTest {
    private final HostNetPhase phase = new HostNetPhase(HostNetPhase.Settings.DEFAULT);
    private final List<HostNetPhase.Node> nodes = List.of(
            new HostNetPhase.Node("n1", null), new HostNetPhase.Node("n2", null),
            new HostNetPhase.Node("n3", null), new HostNetPhase.Node("n4", null));

    private static HostLink link(String from, String to, double gbPerSecond) {
        return HostLink.newBuilder().setFromNode(from).setToNode(to).setThroughputBytesPerSecond(gbPerSecond * 1e9)
                .setRttP50Micros(50).setRttP99Micros(90).build();
    }

    /** Four nodes, all pairs, n3's link shaped to a tenth. */
    private static HostNetworkResult oneSlowNode(boolean scored) {
        List<HostLink> links = new ArrayList<>();
        String[] names = {"n1", "n2", "n3", "n4"};
        for (int i = 0; i < 4; i++) {
            for (int j = i + 1; j < 4; j++) {
                boolean slow = names[i].equals("n3") || names[j].equals("n3");
                links.add(link(names[j], names[i], slow ? 0.11 : 1.2));
            }
        }
        return HostNetworkResult.newBuilder().setScored(scored).addAllLinks(links).build();
    }

    @Test
    void theSlowNodeIsNamedAndWarnsWhenNcclRunsOverSockets() {
        CheckResult check = phase.bandwidthCheck(nodes, oneSlowNode(true));
        assertEquals(Status.WARN, check.getStatus());
        assertTrue(check.getSummary().startsWith("slow host network on n3 at "), check.getSummary());
        assertEquals(6 * 2, check.getMeasurementsCount());
    }

    @Test
    void otherwiseItIsReportedNotScored() {
        CheckResult check = phase.bandwidthCheck(nodes, oneSlowNode(false));
        assertEquals(Status.PASS, check.getStatus());
        assertTrue(check.getSummary().contains("n3") && check.getSummary().contains("reported, not scored"), check.getSummary());
    }

    @Test
    void aPairThatCannotConnectFailsWhenScored() {
        HostNetworkResult result = oneSlowNode(true).toBuilder()
                .addLinks(HostLink.newBuilder().setFromNode("n4").setToNode("n1").setError("198.18.0.1:41234: Connection refused"))
                .build();
        CheckResult check = phase.bandwidthCheck(nodes, result);
        assertEquals(Status.FAIL, check.getStatus());
        assertTrue(check.getSummary().contains("n4 → n1: 198.18.0.1:41234: Connection refused"), check.getSummary());
    }

    @Test
    void anUnreachableRendezvousPortFailsNamingTheNode() {
        HostNetworkResult result = HostNetworkResult.newBuilder()
                .addLinks(link("n2", "n1", 1).toBuilder().setRendezvousChecked(true).setRendezvousReachable(true))
                .addLinks(link("n3", "n1", 1).toBuilder().setRendezvousChecked(true)
                        .setRendezvousError("198.18.0.1:29500: connect timed out"))
                .build();
        CheckResult check = phase.rendezvousCheck(nodes, result);
        assertEquals(Status.FAIL, check.getStatus());
        assertEquals("rendezvous port n1:29500 unreachable from n3 (198.18.0.1:29500: connect timed out)", check.getSummary());
    }
}
