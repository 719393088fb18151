package dev.preflight.agent.check.fabric;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.check.Tally;
import dev.preflight.agent.check.HostViews;
import dev.preflight.agent.check.nccl.FabricView;
import dev.preflight.agent.hostfs.BoundedFile;
import dev.preflight.agent.hostfs.IoErrors;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.agent.hostfs.LdSoCache;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.agent.hostfs.RdmaDevice;
import dev.preflight.agent.hostfs.RdmaDevices;
import dev.preflight.proto.v1.Scope;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * NCCL opens each RDMA device through its /dev/infiniband/uverbsN node with libibverbs. A container
 * without the device nodes (or the rdma/* resource), or an image without libibverbs, makes NCCL
 * print "NET/IB : No device found" and fall back to TCP sockets, 10-100x slower, without failing.
 */
public final class RdmaDevicesCheck extends Check {
    public static final String ID = "fabric.rdma_devices";
    static final String LIBIBVERBS = "libibverbs.so.1";
    /** Where glibc's loader looks when the cache does not name a library. */
    static final List<String> DEFAULT_LIBRARY_DIRS = List.of("/lib64", "/usr/lib64", "/lib/x86_64-linux-gnu",
            "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib");

    static final String DEVICE_REMEDIATION = "pass the verbs devices into the container (docker --device /dev/infiniband; "
            + "Kubernetes: the rdma/* resource of the RDMA shared device plugin, or a /dev/infiniband hostPath with privileges)";
    static final String UVERBS_REMEDIATION = "load ib_uverbs (modprobe ib_uverbs) so the RDMA devices get verbs interfaces";
    static final String LIBRARY_REMEDIATION = "install rdma-core's libibverbs and the mlx5 provider in the image "
            + "(apt-get install libibverbs1 ibverbs-providers; dnf install libibverbs)";

    public RdmaDevicesCheck() {
        super(ID, Scope.PROCESS,
                "each RDMA device has its /dev/infiniband/uverbs node present and openable, and libibverbs resolves (else NCCL falls back to sockets)");
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        FabricView fabric = FabricView.read(context);
        if (fabric.devices().isEmpty()) {
            return Finding.skip("no RDMA device in " + RdmaDevices.root(context.fs()) + ": nothing to open "
                    + "(host.topology warns when GPUs have no NIC)");
        }
        Tally outcome = new Tally();
        List<String> observed = new ArrayList<>();
        for (RdmaDevice device : fabric.devices()) {
            boolean required = device.ports().stream().anyMatch(fabric::required);
            List<String> verbs = context.list(RdmaDevices.root(context.fs()).resolve(device.name() + "/device/infiniband_verbs"));
            if (verbs.isEmpty()) {
                observed.add(device.name() + ": no verbs interface");
                problem(outcome, required, device.name() + " has no verbs interface (device/infiniband_verbs is empty)", UVERBS_REMEDIATION);
                continue;
            }
            Path node = context.fs().dev("infiniband/" + verbs.get(0));
            Optional<String> failure = open(node);
            context.evidence("open(" + node + ", O_RDWR)", failure.orElse("ok"));
            String shown = "/dev/infiniband/" + verbs.get(0);
            observed.add(device.name() + ": " + shown + (failure.isEmpty() ? " opens" : " " + failure.get()));
            if (failure.isPresent()) {
                problem(outcome, required, device.name() + "'s " + shown + " " + failure.get(), DEVICE_REMEDIATION);
            }
        }
        Optional<String> library = libibverbs(context);
        observed.add(LIBIBVERBS + ": " + library.orElse("not found"));
        if (library.isEmpty()) {
            outcome.fail(LIBIBVERBS + " does not resolve (not in /etc/ld.so.cache nor the default library directories): "
                    + "NCCL cannot load verbs and uses TCP sockets", LIBRARY_REMEDIATION);
        }
        List<String> drivers = context.list(context.fs().root("/etc/libibverbs.d"));
        if (library.isPresent() && drivers.stream().noneMatch(name -> name.endsWith(".driver"))) {
            outcome.warn("/etc/libibverbs.d has no provider configuration: libibverbs finds no driver for the devices",
                    LIBRARY_REMEDIATION);
        }
        return outcome.finding(fabric.devices().size() + " RDMA device(s) open through /dev/infiniband; "
                        + LIBIBVERBS + " is " + library.orElse("?"))
                .observed(String.join("; ", observed))
                .expected("a uverbs node per device, openable read-write; " + LIBIBVERBS + " resolvable");
    }

    private static void problem(Tally outcome, boolean required, String problem, String remediation) {
        if (required) {
            outcome.fail(problem, remediation);
        } else {
            outcome.warn(problem, remediation);
        }
    }

    /** Empty when the node opens read-write, as ibv_open_device() does; else why not. */
    static Optional<String> open(Path node) {
        if (!Files.exists(node)) {
            return Optional.of("is missing");
        }
        try (FileChannel channel = FileChannel.open(node, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot be opened read-write: " + IoErrors.reason(e));
        }
    }

    /** The path the loader would open for libibverbs.so.1, as the root filesystem shows it. */
    static Optional<String> libibverbs(CheckContext context) throws IOException, MalformedInputException {
        Path cache = context.fs().root("/etc/ld.so.cache");
        if (Files.isRegularFile(cache)) {
            byte[] bytes = BoundedFile.readBytes(cache, BoundedFile.HOST);
            List<LdSoCache.Entry> entries = LdSoCache.parse(cache.toString(), bytes);
            for (LdSoCache.Entry entry : entries) {
                if (entry.name().equals(LIBIBVERBS) && Files.exists(context.fs().root(entry.path()))) {
                    context.evidence(cache.toString(), entries.size() + " entries; " + LIBIBVERBS + " => " + entry.path());
                    return Optional.of(entry.path());
                }
            }
            context.evidence(cache.toString(), entries.size() + " entries; no " + LIBIBVERBS);
        } else {
            context.evidence(cache.toString(), "(absent)");
        }
        for (String dir : DEFAULT_LIBRARY_DIRS) {
            String path = dir + "/" + LIBIBVERBS;
            if (Files.exists(context.fs().root(path))) {
                context.evidence(context.fs().root(path).toString(), "(exists)");
                return Optional.of(path);
            }
        }
        return Optional.empty();
    }
}
