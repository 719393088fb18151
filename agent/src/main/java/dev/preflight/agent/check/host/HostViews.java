package dev.preflight.agent.check.host;

import dev.preflight.agent.check.CheckContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where host-scoped facts come from. In a DaemonSet the host's /proc is mounted into the pod and
 * {@code --host-views} is given: the host's network namespace and defaults are PID 1's
 * (&lt;procfs&gt;/1/net, &lt;procfs&gt;/1/limits), not the agent's own pod's.
 */
public final class HostViews {
    private HostViews() {}

    /** A file of the judged network namespace: &lt;procfs&gt;/1/net/FILE with host views, else self/net/FILE. */
    public static Path procNet(CheckContext context, String file) {
        return context.fs().proc(process(context) + "/net/" + file);
    }

    /** "1" (the host's init) with host views, else "self". */
    public static String process(CheckContext context) {
        return context.settings().hostViews() ? "1" : "self";
    }

    /** The names in a directory, sorted, recorded as evidence; empty when the directory is absent. */
    public static List<String> list(CheckContext context, Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            context.evidence(directory.toString(), "(absent)");
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try (Stream<Path> entries = Files.list(directory)) {
            entries.forEach(entry -> names.add(entry.getFileName().toString()));
        }
        names.sort(null);
        context.evidence(directory.toString(), "ls: " + String.join(" ", names));
        return names;
    }

    /** A symbolic link's target, recorded as evidence; empty when the path is not a link. */
    public static Optional<String> link(CheckContext context, Path path) throws IOException {
        if (!Files.isSymbolicLink(path)) {
            return Optional.empty();
        }
        String target = Files.readSymbolicLink(path).toString();
        context.evidence(path.toString(), "-> " + target);
        return Optional.of(target);
    }
}
