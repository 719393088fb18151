package dev.preflight.agent.check.host;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.hostfs.HostModel;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.agent.hostfs.MountInfo.Mount;
import dev.preflight.agent.hostfs.MountInfo;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.Scope;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * NCCL's SHM transport and engines' shared-memory broadcast put their buffers in /dev/shm; Docker's
 * default 64 MiB ends in "posix_fallocate failed: No space left on device" or SIGBUS. The deployment
 * gives /dev/shm tens of GiB (64 GiB in Kubernetes).
 */
public final class ShmCheck extends Check {
    public static final String ID = "host.shm";

    /** Below this NCCL's SHM transport fails outright. */
    public static final long FAIL_BELOW_BYTES = ByteSizes.GIB;
    /** Below this large TP groups and engines' shared-memory queues run short. */
    public static final long WARN_BELOW_BYTES = 16 * ByteSizes.GIB;

    static final String SHM_MOUNT_POINT = "/dev/shm";
    static final String REMEDIATION = "give the workload a larger /dev/shm (docker --shm-size=64g or --ipc=host; "
            + "Kubernetes: an emptyDir with medium: Memory and sizeLimit: 64Gi mounted at /dev/shm)";

    public ShmCheck() {
        super(ID, Scope.PROCESS, "/dev/shm is a tmpfs of at least 16 GiB (FAIL below 1 GiB), as NCCL's SHM transport needs");
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        Path shm = context.fs().dev("shm");
        if (!Files.isDirectory(shm)) {
            context.evidence(shm.toString(), "(absent)");
            return Finding.fail(shm + " does not exist: NCCL's SHM transport cannot create its segments")
                    .observed("absent")
                    .expected("a tmpfs of at least " + ByteSizes.format(WARN_BELOW_BYTES))
                    .remediation(REMEDIATION);
        }
        Path mountInfoPath = context.fs().proc("self/mountinfo");
        MountInfo mountInfo = context.host().mounts(context, "self").orElseThrow(() -> HostModel.absent(mountInfoPath));
        Optional<Mount> mount = mountInfo.at(SHM_MOUNT_POINT);

        FileStore store = Files.getFileStore(shm);
        long total = store.getTotalSpace();
        long free = store.getUsableSpace();
        context.evidence("statvfs(" + shm + ")", "total=" + total + " free=" + free);
        // A sized tmpfs states its size in the mount options; that is the kernel's own figure and
        // stays right when the agent reads another tree (a DaemonSet's view, a fixture).
        Optional<String> declared = mount.filter(m -> m.fsType().equals("tmpfs")).flatMap(m -> m.superOption("size"));
        if (declared.isPresent()) {
            long size = parseTmpfsSize(mountInfoPath, declared.get());
            if (size != total) {
                total = size;
                free = Math.min(free, total);
            }
        }
        return evaluate(mount.map(Mount::fsType).orElse(null), total, free);
    }

    /** The verdict for /dev/shm's filesystem type (null: not a mount of its own) and sizes. */
    static Finding evaluate(String fsType, long totalBytes, long freeBytes) {
        String type = fsType == null ? "not a mount of its own (part of its parent filesystem)" : fsType;
        String observed = ByteSizes.format(totalBytes) + " (" + ByteSizes.format(freeBytes) + " free), " + type;
        String expected = "tmpfs, at least " + ByteSizes.format(WARN_BELOW_BYTES);
        Finding finding;
        if (totalBytes < FAIL_BELOW_BYTES) {
            finding = Finding.fail("/dev/shm is only " + ByteSizes.format(totalBytes)
                    + ": NCCL's SHM transport fails below " + ByteSizes.format(FAIL_BELOW_BYTES))
                    .remediation(REMEDIATION);
        } else if (totalBytes < WARN_BELOW_BYTES) {
            finding = Finding.warn("/dev/shm is " + ByteSizes.format(totalBytes) + ", below the "
                    + ByteSizes.format(WARN_BELOW_BYTES) + " multinode deployments use")
                    .remediation(REMEDIATION);
        } else if (freeBytes < FAIL_BELOW_BYTES) {
            finding = Finding.warn("/dev/shm is " + ByteSizes.format(totalBytes) + " but only "
                    + ByteSizes.format(freeBytes) + " is free: stale segments of an earlier run?")
                    .remediation("remove stale files from /dev/shm (nccl-*, psm_*, torch_*) or restart the container");
        } else if (!"tmpfs".equals(fsType)) {
            finding = Finding.warn("/dev/shm is " + type + ", not tmpfs: shared memory goes through disk")
                    .remediation(REMEDIATION);
        } else {
            finding = Finding.pass("/dev/shm is a " + ByteSizes.format(totalBytes) + " tmpfs");
        }
        return finding.observed(observed)
                .expected(expected)
                .measurement("shm_size_bytes", totalBytes, "bytes", "")
                .measurement("shm_free_bytes", freeBytes, "bytes", "");
    }

    /** tmpfs prints its size as "<n>k" (mm/shmem.c); accept the other suffixes mount(8) takes too. */
    static long parseTmpfsSize(Path source, String value) throws MalformedInputException {
        long multiplier = 1;
        String digits = value;
        char suffix = Character.toLowerCase(value.isEmpty() ? ' ' : value.charAt(value.length() - 1));
        if (suffix == 'k' || suffix == 'm' || suffix == 'g') {
            multiplier = suffix == 'k' ? ByteSizes.KIB : suffix == 'm' ? ByteSizes.MIB : ByteSizes.GIB;
            digits = value.substring(0, value.length() - 1);
        }
        try {
            return Math.multiplyExact(Long.parseLong(digits), multiplier);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new MalformedInputException(source, "size=" + value, "a tmpfs size such as size=65536k");
        }
    }
}
