package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One reading of the 8-GPU capture per run, shared by the checks, each seeing what it was read from. */
class HostModelTest {
    private static final String NODE = "hgx-8gpu-cx7-ndr";
    private static final String RATE = "sys/class/infiniband/mlx5_0/ports/1/rate";

    @Test
    void aPartIsReadOnceAndEveryReaderGetsTheSameEvidence(@TempDir Path root) throws Exception {
        HostFs fs = HostFs.under(Fixtures.copy(NODE, root));
        HostModel model = new HostModel(fs);
        EvidenceLog first = new EvidenceLog(fs);
        HostModel.Fabric fabric = model.fabric(first);
        // A change after the first reading is not seen within the run: the part was read once.
        Files.writeString(root.resolve(RATE), "100 Gb/sec (4X EDR)\n");
        EvidenceLog second = new EvidenceLog(fs);
        assertSame(fabric, model.fabric(second));
        assertEquals(first.lines, second.lines);
        assertTrue(first.lines.contains(root.resolve(RATE) + " = 400 Gb/sec (4X NDR)\n"), first.lines.toString());
        // The PCI scan the fabric was built on is the same part, its reads replayed without reading again.
        EvidenceLog pci = new EvidenceLog(fs);
        model.pci(pci);
        assertEquals(first.lines.subList(0, pci.lines.size()), pci.lines);
        // The next run reads afresh.
        assertEquals(100, new HostModel(fs).fabric(new EvidenceLog(fs)).devices().get(0).ports().get(0).rate()
                .gigabitsPerSecond(), 1e-9);
    }

    @Test
    void theFabricOfTheCaptureHasItsRails() throws Exception {
        HostFs fs = Fixtures.hostFs(NODE);
        HostModel.Fabric fabric = new HostModel(fs).fabric(HostReader.unrecorded(fs));
        assertEquals(8, fabric.topology().gpus().size());
        assertEquals(List.of("mlx5_0", "mlx5_1", "mlx5_4", "mlx5_5", "mlx5_6", "mlx5_7", "mlx5_8", "mlx5_9"),
                fabric.rails().rails().stream().map(rail -> rail.nic().name()).toList());
        assertTrue(fabric.rails().rails().stream().allMatch(rail -> rail.path() == PathType.PXB));
        assertEquals("0000:1b:00.0", fabric.rails().rails().get(0).gpu().bdf());
        // The NICs' functions, read by address during the walk, are known to the fabric's topology.
        String nic = fabric.devices().get(0).bdf().orElseThrow();
        EvidenceLog lookup = new EvidenceLog(fs);
        assertEquals(nic, fabric.topology().function(lookup, nic).orElseThrow().bdf());
        assertEquals(List.of(), lookup.lines);
    }

    @Test
    void aMalformedPartFailsEveryReaderWithItsEvidence(@TempDir Path root) throws Exception {
        Files.createDirectories(root.resolve("proc/self"));
        Files.writeString(root.resolve("proc/self/limits"), "Limit Soft Units\nMax locked memory lots 65536 bytes\n");
        HostFs fs = HostFs.under(root);
        HostModel model = new HostModel(fs);
        EvidenceLog first = new EvidenceLog(fs);
        MalformedInputException once = assertThrows(MalformedInputException.class, () -> model.limits(first, "self"));
        EvidenceLog second = new EvidenceLog(fs);
        MalformedInputException again = assertThrows(MalformedInputException.class, () -> model.limits(second, "self"));
        assertEquals(once.getMessage(), again.getMessage());
        assertEquals(first.lines, second.lines);
        assertTrue(first.lines.get(0).contains("lots"), first.lines.toString());
    }

    @Test
    void anAbsentOptionalFileIsEmptyAndRecorded(@TempDir Path root) throws Exception {
        HostFs fs = HostFs.under(root);
        EvidenceLog log = new EvidenceLog(fs);
        assertTrue(new HostModel(fs).capabilities(log, "self").isEmpty());
        assertEquals(List.of(root.resolve("proc/self/status") + " = (unreadable: no such file)"), log.lines);
    }

    @Test
    void aReadingCutShortByAnInterruptIsNotKept() throws Exception {
        HostFs fs = Fixtures.hostFs(NODE);
        HostModel model = new HostModel(fs);
        Thread.currentThread().interrupt();
        try {
            assertThrows(Exception.class, () -> model.limits(new EvidenceLog(fs), "self"));
        } finally {
            Thread.interrupted();
        }
        ProcLimits limits = model.limits(new EvidenceLog(fs), "self");
        assertFalse(limits.get(ProcLimits.MAX_LOCKED_MEMORY).isEmpty());
    }
}
