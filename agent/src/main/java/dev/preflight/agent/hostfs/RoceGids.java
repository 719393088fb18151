package dev.preflight.agent.hostfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A RoCE port's GID table (ports/N/gids/I, gid_attrs/types/I, gid_attrs/ndevs/I) and the index NCCL
 * picks from it when NCCL_IB_GID_INDEX is unset (ncclIbGetGidIndex, NCCL 2.21+): starting from
 * index 0, a candidate of the wanted address family (NCCL_IB_ADDR_FAMILY, AF_INET by default)
 * replaces one of another family, and among the wanted family a candidate of the wanted RoCE version
 * (NCCL_IB_ROCE_VERSION_NUM, 2) replaces one of another version. With no IPv4 GID the pick stays at
 * index 0, a link-local RoCE v1 entry that does not route.
 */
public final class RoceGids {
    /** One populated (or empty, all-zero) entry. Type is "RoCE v2", "IB/RoCE v1", or "" when unreadable. */
    public record Gid(int index, byte[] raw, String text, String type, String ndev) {
        public boolean zero() {
            for (byte b : raw) {
                if (b != 0) {
                    return false;
                }
            }
            return true;
        }

        /** ::ffff:a.b.c.d, the form a RoCE GID built from an IPv4 address takes. */
        public boolean ipv4Mapped() {
            for (int i = 0; i < 10; i++) {
                if (raw[i] != 0) {
                    return false;
                }
            }
            return (raw[10] & 0xff) == 0xff && (raw[11] & 0xff) == 0xff;
        }

        public Optional<String> ipv4() {
            if (!ipv4Mapped()) {
                return Optional.empty();
            }
            return Optional.of((raw[12] & 0xff) + "." + (raw[13] & 0xff) + "." + (raw[14] & 0xff) + "." + (raw[15] & 0xff));
        }

        public int roceVersion() {
            return type.equals("RoCE v2") ? 2 : type.contains("v1") ? 1 : 0;
        }

        public boolean linkLocal() {
            return (raw[0] & 0xff) == 0xfe && (raw[1] & 0xc0) == 0x80;
        }

        public String describe() {
            return index + ": " + ipv4().map(ip -> "::ffff:" + ip).orElse(text) + " " + (type.isEmpty() ? "?" : type)
                    + (ndev.isEmpty() ? "" : " " + ndev);
        }
    }

    private RoceGids() {}

    public static List<Gid> read(HostReader context, RdmaPort port) throws IOException, MalformedInputException {
        Path dir = RdmaDevices.root(context.fs()).resolve(port.device()).resolve("ports").resolve(String.valueOf(port.number()));
        Path gids = dir.resolve("gids");
        List<Integer> indexes = new ArrayList<>();
        if (Files.isDirectory(gids)) {
            try (Stream<Path> entries = Files.list(gids)) {
                for (Path entry : (Iterable<Path>) entries::iterator) {
                    try {
                        indexes.add(Integer.parseInt(entry.getFileName().toString()));
                    } catch (NumberFormatException e) {
                        throw new MalformedInputException(gids.toString(), entry.getFileName().toString(), "numbered GID entries");
                    }
                }
            }
        }
        indexes.sort(null);
        List<Gid> table = new ArrayList<>();
        int empty = 0;
        for (int index : indexes) {
            Path gidPath = gids.resolve(String.valueOf(index));
            // Unpopulated entries read as all zeroes; mlx5 has 255 of them per port, so they are
            // counted in one evidence line rather than recorded one by one.
            String text = SysfsValues.value(HostFs.readText(gidPath));
            byte[] raw = parse(gidPath.toString(), text);
            String type = "";
            String ndev = "";
            if (isZero(raw)) {
                empty++;
            } else {
                context.evidence(gidPath.toString(), text);
                type = optional(context, dir.resolve("gid_attrs/types/" + index));
                ndev = optional(context, dir.resolve("gid_attrs/ndevs/" + index));
            }
            table.add(new Gid(index, raw, text, type, ndev));
        }
        context.evidence(gids.toString(), indexes.size() + " entries, " + empty + " empty");
        return table;
    }

    /** The kernel refuses (EINVAL) to read the type of an entry it considers invalid. */
    private static String optional(HostReader context, Path path) {
        try {
            return context.readIfPresent(path).map(SysfsValues::value).orElse("");
        } catch (IOException e) {
            return "";
        }
    }

    static byte[] parse(String source, String text) throws MalformedInputException {
        String[] groups = text.split(":");
        if (groups.length != 8) {
            throw new MalformedInputException(source, text, "a GID of eight 4-digit hex groups (fe80:0000:...)");
        }
        byte[] raw = new byte[16];
        try {
            for (int i = 0; i < 8; i++) {
                if (groups[i].length() != 4) {
                    throw new NumberFormatException();
                }
                int value = Integer.parseInt(groups[i], 16);
                raw[2 * i] = (byte) (value >> 8);
                raw[2 * i + 1] = (byte) value;
            }
        } catch (NumberFormatException e) {
            throw new MalformedInputException(source, text, "a GID of eight 4-digit hex groups (fe80:0000:...)");
        }
        return raw;
    }

    private static boolean isZero(byte[] raw) {
        for (byte b : raw) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The index NCCL selects by itself. {@code ipv4Family} is NCCL_IB_ADDR_FAMILY == AF_INET,
     * {@code range} an optional NCCL_IB_ADDR_RANGE ("10.0.0.0/8") for the IPv4 family.
     */
    public static int ncclAutoIndex(List<Gid> table, boolean ipv4Family, int roceVersion, Optional<String> range) {
        if (table.isEmpty()) {
            return 0;
        }
        Gid current = table.get(0);
        for (int i = 1; i < table.size(); i++) {
            Gid candidate = table.get(i);
            boolean candidateWanted = candidate.ipv4Mapped() == ipv4Family;
            boolean candidateInRange = inRange(candidate, range);
            if (candidate.ipv4Mapped() != current.ipv4Mapped() && candidateWanted && candidateInRange) {
                current = candidate;
            } else if (candidateWanted && !candidate.zero() && candidateInRange
                    && (current.roceVersion() != candidate.roceVersion() || current.zero())
                    && candidate.roceVersion() == roceVersion) {
                current = candidate;
            }
        }
        return current.index();
    }

    static boolean inRange(Gid gid, Optional<String> range) {
        if (range.isEmpty() || !gid.ipv4Mapped()) {
            return true;
        }
        String[] parts = range.get().split("/");
        try {
            long network = ProcNet.ipv4Value(parts[0]);
            int prefix = parts.length > 1 ? Integer.parseInt(parts[1]) : 32;
            long mask = prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
            return (ProcNet.ipv4Value(gid.ipv4().orElseThrow()) & mask) == (network & mask);
        } catch (NumberFormatException e) {
            return true;
        }
    }
}
