package dev.preflight.coordinator.discovery;

import dev.preflight.proto.text.TerminalText;
import dev.preflight.agent.hostfs.BoundedFile;
import dev.preflight.agent.net.HostPort;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A list of nodes, one per line, as MPI and DeepSpeed hostfiles are written: {@code HOST[:PORT]},
 * optionally followed by {@code key=value} words ({@code slots=8}) that are ignored here, with
 * {@code #} comments and blank lines.
 */
public final class Hostfile {
    private Hostfile() {}

    /**
     * @throws IllegalArgumentException naming the file, the line and what was expected
     */
    public static List<DiscoveredAgent> read(Path file, int defaultPort) throws IOException {
        return parse(BoundedFile.readText(file, BoundedFile.USER), file.toString(), defaultPort);
    }

    static List<DiscoveredAgent> parse(String content, String name, int defaultPort) {
        List<DiscoveredAgent> agents = new ArrayList<>();
        String[] lines = content.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            String[] words = line.strip().split("\\s+");
            if (words[0].isEmpty()) {
                continue;
            }
            String where = name + ":" + (i + 1);
            for (int w = 1; w < words.length; w++) {
                if (!words[w].matches("[A-Za-z_]+=\\S+")) {
                    throw new IllegalArgumentException(where + ": '" + TerminalText.excerpt(words[w]) + "' after the host is not key=value"
                            + " (e.g. slots=8)");
                }
            }
            HostPort address;
            try {
                boolean hasPort = words[0].startsWith("[") ? words[0].contains("]:")
                        : words[0].indexOf(':') >= 0 && words[0].indexOf(':') == words[0].lastIndexOf(':');
                address = hasPort ? HostPort.parse(words[0], false)
                        : HostPort.parse((words[0].indexOf(':') >= 0 && !words[0].startsWith("[")
                                ? "[" + words[0] + "]" : words[0]) + ":" + defaultPort, false);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + TerminalText.escape(e.getMessage()));
            }
            if (agents.size() >= SlurmNodelist.MAX_NODES) {
                throw new IllegalArgumentException(where + ": more than " + SlurmNodelist.MAX_NODES + " hosts");
            }
            agents.add(new DiscoveredAgent(address, "hostfile " + where));
        }
        if (agents.isEmpty()) {
            throw new IllegalArgumentException(name + ": no host in it");
        }
        return agents;
    }
}
