package dev.preflight.agent.hostfs;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * The node as the checks of one run see it: each part (the PCI tree, the RDMA devices and rails,
 * the network interfaces, a port's GID table, a process's limits, capabilities and mounts) is read
 * and parsed once, on first use, and shared by every check that judges it.
 *
 * <p>Each part keeps the record of its reads (source and raw value, as {@link HostReader} records
 * them) and what the reading ended in: a value, or the unreadable or malformed file that stopped
 * it. A check asking for a part gets that record replayed into its own evidence and the same
 * value or failure, so its finding shows what it was built from exactly as if it had read the
 * files itself, and a broken part costs only the checks that need it. Where a part itself can
 * get along without a file (a port that cannot be read, an interface without an ifindex), the
 * part says so in its value and findings degrade instead of failing.
 *
 * <p>Thread-safe: a check past its deadline may still be reading on its thread while the next
 * asks for the same part; the second waits for the first reading rather than repeating it. A
 * reading cut short by an interrupt is not kept, so the next check reads afresh.
 */
public final class HostModel {
    /** The GPUs and RDMA devices on the PCIe tree and the rails between them. */
    public record Fabric(PciTopology topology, List<RdmaDevice> devices, RailMap rails) {
        public Fabric {
            Objects.requireNonNull(topology, "topology");
            devices = List.copyOf(devices);
            Objects.requireNonNull(rails, "rails");
        }
    }

    @FunctionalInterface
    private interface Reading<T> {
        T read(HostReader reader) throws IOException, MalformedInputException;
    }

    private final HostFs fs;
    private final ConcurrentMap<String, FutureTask<Recorded>> parts = new ConcurrentHashMap<>();

    public HostModel(HostFs fs) {
        this.fs = Objects.requireNonNull(fs, "fs");
    }

    public HostFs fs() {
        return fs;
    }

    /** The bus's GPUs and NVSwitches with their place in the PCIe tree. */
    public PciTopology pci(HostReader into) throws IOException, MalformedInputException {
        return part("pci", into, PciTopology::read);
    }

    /** The PCI tree, the RDMA devices with their ports and PCI functions, and the rail map. */
    public Fabric fabric(HostReader into) throws IOException, MalformedInputException {
        return part("fabric", into, reader -> {
            PciTopology topology = pci(reader);
            List<RdmaDevice> devices = RdmaDevices.read(reader, Optional.of(topology));
            List<PciTopology.Function> nics = new ArrayList<>();
            for (RdmaDevice device : devices) {
                device.function().ifPresent(nics::add);
            }
            return new Fabric(topology.with(nics), devices, RailMap.of(topology.gpus(), devices));
        });
    }

    /** The interfaces of {@code process}'s network namespace ("1": the host's; "self") in ifindex order. */
    public List<NetInterface> interfaces(HostReader into, String process) throws IOException, MalformedInputException {
        return part("net " + process, into, reader -> NetInterfaces.read(reader, process));
    }

    /** A RoCE port's GID table. */
    public List<RoceGids.Gid> gids(HostReader into, RdmaPort port) throws IOException, MalformedInputException {
        return part("gids " + port.id(), into, reader -> List.copyOf(RoceGids.read(reader, port)));
    }

    /** &lt;procfs&gt;/PROCESS/limits; an absent or unreadable file fails. */
    public ProcLimits limits(HostReader into, String process) throws IOException, MalformedInputException {
        return part("limits " + process, into, reader -> {
            Path path = reader.fs().proc(process + "/limits");
            return ProcLimits.parse(path.toString(), reader.read(path));
        });
    }

    /** The effective capabilities of &lt;procfs&gt;/PROCESS/status; empty when the file is absent. */
    public Optional<Capabilities> capabilities(HostReader into, String process) throws IOException, MalformedInputException {
        return part("capabilities " + process, into, reader -> {
            Path path = reader.fs().proc(process + "/status");
            Optional<String> status = reader.readIfPresent(path);
            return status.isPresent() ? Optional.of(Capabilities.effective(path.toString(), status.get())) : Optional.empty();
        });
    }

    /** &lt;procfs&gt;/PROCESS/mountinfo; empty when the file is absent. */
    public Optional<MountInfo> mounts(HostReader into, String process) throws IOException, MalformedInputException {
        return part("mounts " + process, into, reader -> {
            Path path = reader.fs().proc(process + "/mountinfo");
            Optional<String> text = reader.readIfPresent(path);
            return text.isPresent() ? Optional.of(MountInfo.parse(path.toString(), text.get())) : Optional.empty();
        });
    }

    /** The failure a check gets for a required file that a part found absent. */
    public static NoSuchFileException absent(Path path) {
        return new NoSuchFileException(path.toString());
    }

    @SuppressWarnings("unchecked")
    private <T> T part(String key, HostReader into, Reading<T> reading) throws IOException, MalformedInputException {
        FutureTask<Recorded> task = new FutureTask<>(() -> record(reading));
        FutureTask<Recorded> existing = parts.putIfAbsent(key, task);
        if (existing == null) {
            task.run();
        } else {
            task = existing;
        }
        Recorded recorded;
        try {
            recorded = task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + key);
        } catch (ExecutionException e) {
            // record() catches what a reading throws; only an Error gets here.
            throw new IllegalStateException("reading " + key + " failed", e.getCause());
        }
        if (recorded.interrupted()) {
            parts.remove(key, task);
        }
        return (T) recorded.replay(into);
    }

    private Recorded record(Reading<?> reading) {
        Recording recording = new Recording(fs);
        try {
            Object value = reading.read(recording);
            return new Recorded(recording.log(), value, null, Thread.currentThread().isInterrupted());
        } catch (IOException | MalformedInputException | RuntimeException e) {
            boolean interrupted = e instanceof InterruptedIOException || e instanceof ClosedByInterruptException
                    || Thread.currentThread().isInterrupted();
            return new Recorded(recording.log(), null, e, interrupted);
        }
    }

    /** A part's reads, as (source, value) pairs in order, and what they ended in. */
    private record Recorded(List<String[]> log, Object value, Exception failure, boolean interrupted) {
        Object replay(HostReader into) throws IOException, MalformedInputException {
            for (String[] entry : log) {
                into.evidence(entry[0], entry[1]);
            }
            if (failure instanceof IOException io) {
                throw io;
            }
            if (failure instanceof MalformedInputException malformed) {
                throw malformed;
            }
            if (failure instanceof RuntimeException runtime) {
                throw runtime;
            }
            return value;
        }
    }

    /** The reader a part is read through: it keeps the evidence for replay. */
    private static final class Recording implements HostReader {
        private final HostFs fs;
        private final List<String[]> log = new ArrayList<>();

        Recording(HostFs fs) {
            this.fs = fs;
        }

        @Override
        public HostFs fs() {
            return fs;
        }

        @Override
        public synchronized void evidence(String source, String value) {
            log.add(new String[] {source, value});
        }

        synchronized List<String[]> log() {
            return List.copyOf(log);
        }
    }
}
