package dev.preflight.agent.hostfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads the node's files under the movable roots and records each read as evidence (source and raw
 * value), so a finding built on a typed reader still shows what it was built from. A check's
 * context is one; {@link HostModel} records into its own and replays that record to each check.
 */
public interface HostReader {
    HostFs fs();

    /** Records what a source showed; the value is for humans. */
    void evidence(String source, String value);

    /** Reads a text file and records it; a missing or unreadable file is recorded, then thrown. */
    default String read(Path path) throws IOException {
        try {
            String content = HostFs.readText(path);
            evidence(path.toString(), content);
            return content;
        } catch (IOException e) {
            evidence(path.toString(), "(unreadable: " + IoErrors.reason(e) + ")");
            throw e;
        }
    }

    /** Reads a text file that may legitimately be absent; absence is recorded too. */
    default Optional<String> readIfPresent(Path path) throws IOException {
        try {
            return Optional.of(read(path));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** The names in a directory, sorted, recorded as evidence; empty when the directory is absent. */
    default List<String> list(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            evidence(directory.toString(), "(absent)");
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try (Stream<Path> entries = Files.list(directory)) {
            entries.forEach(entry -> names.add(entry.getFileName().toString()));
        }
        names.sort(null);
        evidence(directory.toString(), "ls: " + String.join(" ", names));
        return names;
    }

    /** A symbolic link's target, recorded as evidence; empty when the path is not a link. */
    default Optional<String> link(Path path) throws IOException {
        if (!Files.isSymbolicLink(path)) {
            return Optional.empty();
        }
        String target = Files.readSymbolicLink(path).toString();
        evidence(path.toString(), "-> " + target);
        return Optional.of(target);
    }

    /** Reads without recording: for live readings (counters under traffic) that no finding shows. */
    static HostReader unrecorded(HostFs fs) {
        return new HostReader() {
            @Override
            public HostFs fs() {
                return fs;
            }

            @Override
            public void evidence(String source, String value) {}
        };
    }
}
