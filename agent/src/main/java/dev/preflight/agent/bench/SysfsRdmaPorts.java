package dev.preflight.agent.bench;

import dev.preflight.agent.hostfs.HostFs;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Active ports from sysfs: class/infiniband/DEVICE/ports/N/state reads "4: ACTIVE", link_layer
 * "InfiniBand" or "Ethernet" (RoCE). Devices in name order, ports in number order.
 */
public final class SysfsRdmaPorts implements RdmaPorts {
    private final HostFs fs;

    public SysfsRdmaPorts(HostFs fs) {
        this.fs = fs;
    }

    @Override
    public List<String> active() throws IOException {
        List<String> active = new ArrayList<>();
        for (Path device : sorted(fs.sys("class/infiniband"))) {
            for (Path port : sorted(device.resolve("ports"))) {
                Path state = port.resolve("state");
                if (!Files.isRegularFile(state) || !HostFs.readText(state).strip().endsWith("ACTIVE")) {
                    continue;
                }
                Path layer = port.resolve("link_layer");
                String linkLayer = Files.isRegularFile(layer) ? HostFs.readText(layer).strip() : "unknown link layer";
                active.add(device.getFileName() + "/" + port.getFileName() + " (" + linkLayer + ")");
            }
        }
        return active;
    }

    private static List<Path> sorted(Path dir) throws IOException {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(entries::add);
        } catch (NoSuchFileException e) {
            return entries;
        }
        entries.sort((a, b) -> naturalCompare(a.getFileName().toString(), b.getFileName().toString()));
        return entries;
    }

    /** mlx5_2 before mlx5_10. */
    static int naturalCompare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char x = a.charAt(i);
            char y = b.charAt(j);
            if (Character.isDigit(x) && Character.isDigit(y)) {
                int ei = i;
                int ej = j;
                while (ei < a.length() && Character.isDigit(a.charAt(ei))) {
                    ei++;
                }
                while (ej < b.length() && Character.isDigit(b.charAt(ej))) {
                    ej++;
                }
                int cmp = Long.compare(Long.parseLong(a.substring(i, Math.min(ei, i + 18))),
                        Long.parseLong(b.substring(j, Math.min(ej, j + 18))));
                if (cmp != 0) {
                    return cmp;
                }
                i = ei;
                j = ej;
            } else {
                if (x != y) {
                    return Character.compare(x, y);
                }
                i++;
                j++;
            }
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
