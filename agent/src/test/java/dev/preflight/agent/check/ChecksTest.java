package dev.preflight.agent.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.Scope;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The catalog as the checks register it: what 'preflight checks list' and every report show, in order. */
class ChecksTest {
    /** The report lists results in this order; a change here changes every report. */
    private static final List<String> REPORT_ORDER = List.of(
            "host.memlock", "host.shm", "host.nofile", "host.ipc", "host.identity", "host.iommu", "host.pcie_acs",
            "host.pcie_link", "host.topology",
            "gpu.present", "gpu.count", "gpu.ecc", "gpu.row_remap", "gpu.nvlink", "gpu.p2p", "gpu.pcie", "gpu.mode",
            "gpu.fabric", "gpu.busy", "gpu.xid", "gpu.thermal",
            "fabric.ib_ports", "fabric.rdma_devices", "fabric.roce_gid", "fabric.roce_qos", "fabric.gpudirect",
            "fabric.socket_ifname", "fabric.nccl_env", "fabric.fabric_manager",
            "storage.models");

    @Test
    void everyCheckLoadsInTheReportOrder() {
        List<String> ids = Checks.standard().all().stream().map(Check::id).toList();
        assertEquals(REPORT_ORDER, ids);
    }

    @Test
    void everyCheckHasAScopeAndADescriptionAndLivesInItsArea() {
        Set<String> ids = new HashSet<>();
        for (Check check : Checks.standard().all()) {
            assertTrue(ids.add(check.id()), "two checks with id " + check.id());
            assertTrue(check.scope() == Scope.HOST || check.scope() == Scope.PROCESS, check.id() + ": " + check.scope());
            assertFalse(check.description().isBlank(), check.id());
            assertFalse(check.description().contains("\n"), check.id() + " describes itself in one line");
            String area = check.id().substring(0, check.id().indexOf('.'));
            String pkg = check.getClass().getPackageName();
            assertTrue(pkg.endsWith(".check." + area),
                    check.id() + " is declared in " + pkg);
        }
    }

    @Test
    void thresholdsAreTheChecksOwnInCatalogOrder() {
        List<String> names = Checks.thresholds().stream().map(Threshold::name).toList();
        assertEquals(List.of(
                "host.nofile.fail_below", "host.nofile.warn_below",
                "fabric.ib_ports.fail_below_gbytes_per_s", "fabric.ib_ports.warn_below_gbytes_per_s",
                "fabric.roce_qos.min_mtu",
                "storage.models.max_load_seconds"), names);
        for (Check check : Checks.standard().all()) {
            for (Threshold threshold : check.thresholds()) {
                assertTrue(threshold.name().startsWith(check.id() + "."), threshold.name() + " belongs to " + check.id());
            }
        }
    }

    @Test
    void selectKeepsCatalogOrderAndNamesAnUnknownId() {
        Checks checks = Checks.standard();
        assertEquals(List.of("host.shm", "storage.models"),
                checks.select(List.of("storage.models", "host.shm")).stream().map(Check::id).toList());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> checks.select(List.of("host.shmm")));
        assertTrue(unknown.getMessage().startsWith("unknown check id 'host.shmm'; known: host.memlock, host.shm,"),
                unknown.getMessage());
    }

    @Test
    void aDeclarationWithoutIdShapeScopeOrDescriptionIsRefused() {
        assertEquals("check id must be <area>.<subject> in lower case, got 'Host.Shm'",
                assertThrows(IllegalArgumentException.class, () -> declare("Host.Shm", Scope.HOST, "x")).getMessage());
        assertEquals("check host.x needs a scope (HOST or PROCESS), got SCOPE_UNSPECIFIED",
                assertThrows(IllegalArgumentException.class,
                        () -> declare("host.x", Scope.SCOPE_UNSPECIFIED, "x")).getMessage());
        assertEquals("check host.x needs a one-line description",
                assertThrows(IllegalArgumentException.class, () -> declare("host.x", Scope.HOST, " ")).getMessage());
    }

    private static Check declare(String id, Scope scope, String description) {
        return new Check(id, scope, description) {
            @Override
            public Finding run(CheckContext context) {
                return Finding.pass("declared");
            }
        };
    }
}
