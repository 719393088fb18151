package dev.preflight.agent.check.storage;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.CheckSettings;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.check.Tally;
import dev.preflight.agent.check.Threshold;
import dev.preflight.agent.hostfs.MountInfo;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.Scope;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The model store every node loads the weights from (--model-store, default /models): present and
 * readable, its filesystem (NFS, Lustre, GPFS, WekaFS, BeeGFS, FUSE, local), free space, and a
 * manifest fingerprint the coordinator compares across nodes. On demand (a preflight run, all
 * nodes at once — the load that matters) a bounded sequential read measures MB/s and projects the
 * time to load the whole store: a node that loads slower than the others' watchdog holds everyone
 * ("Watchdog caught collective operation timeout" on the nodes that finished).
 */
public final class ModelStoreCheck extends Check {
    public static final String ID = "storage.models";

    public static final Threshold MAX_LOAD_SECONDS = new Threshold("storage.models.max_load_seconds", 600, "s",
            "projected time to read the whole store above which peers' NCCL watchdog (600 s by default) may fire (WARN)");
    public static final List<Threshold> THRESHOLDS = List.of(MAX_LOAD_SECONDS);

    static final String REMEDIATION_MISSING = "mount the model store at the same path on every node (the deployment uses /models), "
            + "or point the agent at it with --model-store PATH";
    static final String REMEDIATION_SLOW = "load from faster storage (a parallel filesystem, local NVMe copies), "
            + "or raise the engine's and NCCL's timeouts above the projected load time";

    public ModelStoreCheck() {
        super(ID, Scope.HOST,
                "model store (--model-store, default /models): readable, filesystem type, free space, manifest fingerprint; "
                        + "on demand a bounded sequential read (MB/s, projected load time)",
                THRESHOLDS);
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        List<Path> stores = context.settings().modelStores();
        boolean explicit = !stores.isEmpty();
        if (!explicit) {
            Path fallback = CheckSettings.DEFAULT_MODEL_STORE;
            if (!Files.isDirectory(context.fs().root(fallback.toString()))) {
                context.evidence(context.fs().root(fallback.toString()).toString(), "(absent)");
                return Finding.skip("no model store: " + fallback + " is absent and --model-store was not given");
            }
            stores = List.of(fallback);
        }
        MountInfo mountInfo = context.host().mounts(context, "self").orElse(null);
        Tally outcome = new Tally();
        List<String> observed = new ArrayList<>();
        Finding finding;
        List<Measure> measurements = new ArrayList<>();
        List<StoreFact> facts = new ArrayList<>();
        for (Path store : stores) {
            Path local = context.fs().root(store.toString());
            if (!Files.isDirectory(local)) {
                context.evidence(local.toString(), "(absent)");
                outcome.fail(store + " does not exist: a worker without the weights downloads them or fails", REMEDIATION_MISSING);
                observed.add(store + ": absent");
                continue;
            }
            if (!Files.isReadable(local)) {
                outcome.fail(store + " is not readable by the agent", REMEDIATION_MISSING);
                observed.add(store + ": unreadable");
                continue;
            }
            String fsType = mountInfo == null ? "?" : mountInfo.containing(store.toString())
                    .map(mount -> kind(mount.fsType()) + " (" + mount.fsType() + " " + mount.source() + ")").orElse("?");
            FileStore fileStore = Files.getFileStore(local);
            long free = fileStore.getUsableSpace();
            context.evidence("statvfs(" + local + ")", "total=" + fileStore.getTotalSpace() + " free=" + free);
            ModelManifest manifest = ModelManifest.of(local);
            context.evidence("manifest(" + local + ")", manifest.entries().size() + " files, " + manifest.totalBytes()
                    + " bytes, fingerprint " + manifest.fingerprint());
            StringBuilder line = new StringBuilder(store.toString()).append(": ").append(fsType).append(", ")
                    .append(manifest.entries().size()).append(" files, ").append(ByteSizes.format(manifest.totalBytes()))
                    .append(" (").append(manifest.weights().size()).append(" weight files), ")
                    .append(ByteSizes.format(free)).append(" free, fingerprint ").append(manifest.fingerprint(), 0, 16);
            facts.add(new StoreFact("model_store_fingerprint", manifest.fingerprint(), store.toString()));
            facts.add(new StoreFact("model_store_fs", fsType, store.toString()));
            measurements.add(new Measure("model_store_bytes", manifest.totalBytes(), "bytes", store.toString()));
            measurements.add(new Measure("model_store_free_bytes", free, "bytes", store.toString()));
            if (manifest.truncated()) {
                outcome.warn(store + " holds more than " + ModelManifest.MAX_FILES + " files: the manifest stops there",
                        "point --model-store at the model's own directory");
            }
            if (manifest.entries().isEmpty()) {
                outcome.warn(store + " holds no files: workers would download the model at start", REMEDIATION_MISSING);
            }
            if (context.settings().storageRead() && context.settings().storageReadBytes() > 0 && !manifest.entries().isEmpty()) {
                List<Path> files = new ArrayList<>();
                List<ModelManifest.Entry> source = manifest.weights().isEmpty() ? manifest.entries() : manifest.weights();
                source.forEach(entry -> files.add(local.resolve(entry.path())));
                SequentialRead.Result read = SequentialRead.read(files, context.settings().storageReadBytes());
                double rate = read.bytesPerSecond();
                double projected = rate == 0 ? Double.POSITIVE_INFINITY : manifest.totalBytes() / rate;
                context.evidence("read(" + local + ")", read.bytes() + " bytes from " + read.files() + " files in "
                        + read.nanos() + " ns, " + (read.direct() ? "O_DIRECT" : "through the page cache"));
                line.append("; read ").append(ByteSizes.format(read.bytes())).append(" at ")
                        .append(String.format(Locale.ROOT, "%.0f MB/s", rate / 1e6))
                        .append(read.direct() ? " (page cache bypassed)" : " (through the page cache)")
                        .append(", whole store in ").append(String.format(Locale.ROOT, projected < 10 ? "%.1f s" : "%.0f s", projected));
                measurements.add(new Measure("storage_read_bytes_per_second", rate, "B/s", store.toString()));
                measurements.add(new Measure("storage_projected_load_seconds", projected, "s", store.toString()));
                double max = MAX_LOAD_SECONDS.value(context);
                if (projected > max) {
                    outcome.warn(String.format(Locale.ROOT, "%s reads at %.0f MB/s: loading its %s takes about %.0f s, over %.0f s",
                            store, rate / 1e6, ByteSizes.format(manifest.totalBytes()), projected, max), REMEDIATION_SLOW);
                }
            } else {
                line.append("; sequential read not run (on demand only: preflight run)");
            }
            observed.add(line.toString());
        }
        finding = outcome.finding(String.join("; ", observed));
        for (Measure measure : measurements) {
            finding.measurement(measure.name(), measure.value(), measure.unit(), measure.subject());
        }
        for (StoreFact fact : facts) {
            finding.fact(fact.name(), fact.value(), fact.subject());
        }
        return finding.observed(String.join("; ", observed))
                .expected("the store readable on every node, the same fingerprint everywhere"
                        + ", loading within " + (long) MAX_LOAD_SECONDS.value(context) + " s");
    }

    private record Measure(String name, double value, String unit, String subject) {}

    private record StoreFact(String name, String value, String subject) {}

    /** The storage family of a filesystem type, as the report groups them. */
    static String kind(String fsType) {
        if (fsType.equals("nfs") || fsType.equals("nfs4")) {
            return "NFS";
        }
        if (fsType.startsWith("fuse.") || fsType.equals("fuse")) {
            return "FUSE";
        }
        switch (fsType) {
            case "lustre":
                return "Lustre";
            case "gpfs":
                return "GPFS";
            case "wekafs":
                return "WekaFS";
            case "beegfs":
                return "BeeGFS";
            case "ceph":
                return "CephFS";
            default:
                return "local";
        }
    }
}
