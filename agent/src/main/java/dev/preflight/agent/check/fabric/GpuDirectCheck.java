package dev.preflight.agent.check.fabric;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.check.nccl.FabricView;
import dev.preflight.agent.hostfs.SysfsValues;
import dev.preflight.proto.v1.Scope;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPUDirect RDMA lets the NIC read and write GPU memory. NCCL enables it when nvidia_peermem is
 * loaded — it probes exactly three paths (net_ib gdr.cc): /sys/kernel/mm/memory_peers/nv_mem/version,
 * .../nv_mem_nc/version and /sys/module/nvidia_peermem/version — or, from NCCL 2.13 with CUDA 11.7,
 * through DMA-BUF, which needs Linux 5.12+ and NVIDIA's open kernel module. Without either, NCCL
 * logs "GPU Direct RDMA Disabled" and network traffic bounces through host memory (180 to 10 GB/s).
 */
public final class GpuDirectCheck extends Check {
    public static final String ID = "fabric.gpudirect";

    static final List<String> PEERMEM_PATHS = List.of("kernel/mm/memory_peers/nv_mem/version",
            "kernel/mm/memory_peers/nv_mem_nc/version", "module/nvidia_peermem/version");
    private static final Pattern KERNEL = Pattern.compile("(\\d+)\\.(\\d+).*");

    static final String REMEDIATION = "load nvidia_peermem (modprobe nvidia_peermem; rebuild it after an OFED upgrade), "
            + "or use NVIDIA's open kernel module on Linux 5.12+ so NCCL can use DMA-BUF";

    public GpuDirectCheck() {
        super(ID, Scope.HOST,
                "GPUDirect RDMA is available: nvidia_peermem at one of the three paths NCCL probes, or DMA-BUF (Linux 5.12+, open kernel module)");
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        FabricView fabric = FabricView.read(context);
        if (fabric.gpus().isEmpty()) {
            return Finding.skip("no GPU on the PCI bus");
        }
        if (fabric.devices().isEmpty()) {
            return Finding.skip("no RDMA device: GPUDirect RDMA has no NIC to serve");
        }
        Optional<Path> peermem = peermem(context);
        if (peermem.isPresent()) {
            String version = SysfsValues.value(context.read(peermem.get()));
            String shown = "/sys/" + context.fs().sysfs().relativize(peermem.get());
            return Finding.pass("nvidia_peermem " + version + " is loaded (" + shown + ")")
                    .observed("peer memory client at " + shown + ", version " + version)
                    .expected("nvidia_peermem loaded, or DMA-BUF (Linux 5.12+, open kernel module)")
                    .fact("gpudirect", "nvidia_peermem", "");
        }
        String kernel = SysfsValues.value(context.read(context.fs().proc("sys/kernel/osrelease")));
        Optional<String> driver = context.readIfPresent(context.fs().proc("driver/nvidia/version"));
        boolean kernelOk = kernelAtLeast(kernel, 5, 12);
        boolean openModule = driver.map(text -> text.contains("Open Kernel Module")).orElse(false);
        String observed = "no nvidia_peermem at /sys/" + String.join(", /sys/", PEERMEM_PATHS) + "; kernel " + kernel + "; driver "
                + driver.map(text -> openModule ? "open kernel module" : "proprietary kernel module").orElse("not loaded");
        String expected = "nvidia_peermem loaded, or DMA-BUF (Linux 5.12+, open kernel module)";
        if (kernelOk && openModule) {
            return Finding.pass("DMA-BUF is available (Linux " + kernel + ", NVIDIA open kernel module): NCCL 2.13+ uses it "
                            + "without nvidia_peermem")
                    .observed(observed).expected(expected).fact("gpudirect", "dma-buf", "");
        }
        String why = driver.isEmpty() ? "the NVIDIA driver is not loaded"
                : !kernelOk ? "Linux " + kernel + " predates DMA-BUF for RDMA (5.12)" : "the proprietary kernel module does not export DMA-BUF";
        return Finding.fail("GPUDirect RDMA is unavailable: nvidia_peermem is not loaded and " + why
                        + "; NCCL moves network traffic through host memory")
                .observed(observed).expected(expected).remediation(REMEDIATION).fact("gpudirect", "none", "");
    }

    /** The first of NCCL's three nvidia_peermem paths that exists. */
    static Optional<Path> peermem(CheckContext context) throws IOException {
        for (String relative : PEERMEM_PATHS) {
            Path path = context.fs().sys(relative);
            if (context.readIfPresent(path).isPresent()) {
                return Optional.of(path);
            }
        }
        return Optional.empty();
    }

    /** How NCCL would do GPUDirect RDMA here: "nvidia_peermem", "dma-buf", or empty when it cannot. */
    static Optional<String> mechanism(CheckContext context) throws IOException {
        if (peermem(context).isPresent()) {
            return Optional.of("nvidia_peermem");
        }
        Optional<String> kernel = context.readIfPresent(context.fs().proc("sys/kernel/osrelease"));
        Optional<String> driver = context.readIfPresent(context.fs().proc("driver/nvidia/version"));
        boolean dmabuf = kernel.isPresent() && kernelAtLeast(SysfsValues.value(kernel.get()), 5, 12)
                && driver.map(text -> text.contains("Open Kernel Module")).orElse(false);
        return dmabuf ? Optional.of("dma-buf") : Optional.empty();
    }

    static boolean kernelAtLeast(String release, int major, int minor) {
        Matcher matcher = KERNEL.matcher(release);
        if (!matcher.matches()) {
            return false;
        }
        int kernelMajor = Integer.parseInt(matcher.group(1));
        int kernelMinor = Integer.parseInt(matcher.group(2));
        return kernelMajor > major || (kernelMajor == major && kernelMinor >= minor);
    }
}
