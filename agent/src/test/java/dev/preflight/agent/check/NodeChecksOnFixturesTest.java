package dev.preflight.agent.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every host, fabric and storage check on whole fixture nodes: the statuses an operator would see
 * there. The gpu.* checks ask the driver, which a fixture tree cannot hold: GpuChecksTest drives
 * them through FakeNvml.
 */
class NodeChecksOnFixturesTest {
    @Test
    void theEightGpuNdrNodePassesOrSkipsWhatItLacks() {
        Map<String, Status> statuses = run("hgx-8gpu-cx7-ndr");
        Map<String, Status> expected = new LinkedHashMap<>();
        expected.put("host.memlock", Status.PASS);
        expected.put("host.shm", Status.PASS);
        expected.put("host.nofile", Status.PASS);
        expected.put("host.ipc", Status.PASS);
        expected.put("host.identity", Status.PASS);
        expected.put("host.iommu", Status.PASS);
        expected.put("host.pcie_acs", Status.PASS);
        expected.put("host.pcie_link", Status.PASS);
        expected.put("host.topology", Status.PASS);
        expected.put("fabric.ib_ports", Status.PASS);
        expected.put("fabric.rdma_devices", Status.PASS);
        expected.put("fabric.roce_gid", Status.SKIP);
        expected.put("fabric.roce_qos", Status.SKIP);
        expected.put("fabric.gpudirect", Status.PASS);
        expected.put("fabric.socket_ifname", Status.PASS);
        expected.put("fabric.nccl_env", Status.PASS);
        expected.put("fabric.fabric_manager", Status.SKIP);
        expected.put("storage.models", Status.SKIP);
        assertEquals(expected, statuses);
    }

    @Test
    void theRoceBondNodeJudgesItsGidAndQos() {
        Map<String, Status> statuses = run("roce-bond");
        assertEquals(Status.PASS, statuses.get("fabric.roce_gid"));
        assertEquals(Status.WARN, statuses.get("fabric.roce_qos"), "MTU 1500 on the bond");
        assertEquals(Status.PASS, statuses.get("fabric.rdma_devices"), "the fixture's device holds its uverbs node");
        assertEquals(Status.SKIP, statuses.get("host.topology"), "no GPU in this tree");
    }

    static Map<String, Status> run(String scenario) {
        HostFs fs = Fixtures.hostFs(scenario);
        Map<String, Status> statuses = new LinkedHashMap<>();
        for (Check check : Checks.standard().all()) {
            if (check.id().startsWith("gpu.")) {
                continue;
            }
            CheckResult result = Fixtures.run(check, fs);
            statuses.put(check.id(), result.getStatus());
        }
        return statuses;
    }
}
