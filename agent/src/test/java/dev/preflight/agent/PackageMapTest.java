package dev.preflight.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The agent's packages keep the directions of the map in the root package's package-info: every
 * reference from one agent package to another (import, static import, qualified name) must be
 * allowed there, the map must have no cycle, and every package says on its own "May import" line
 * what the map allows it.
 */
class PackageMapTest {
    private static final Path SOURCES = Path.of("src", "main", "java", "dev", "preflight", "agent");
    private static final String ROOT = "(root)";

    private static final Pattern PACKAGE = Pattern.compile("(?m)^package (dev\\.preflight\\.agent[\\w.]*);");
    /** A type of an agent package named anywhere in a file: {@code dev.preflight.agent.check.Check}, or a wildcard. */
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.preflight\\.agent((?:\\.[a-z]\\w*)*)\\.(?:[A-Z]|\\*)");
    private static final Pattern MAP_LINE = Pattern.compile("^ \\* ([\\w.()]+):\\s+(.+)$");
    private static final Pattern CODE = Pattern.compile("\\{@code ([\\w.()]+)}");

    @Test
    void everyReferenceBetweenAgentPackagesIsAllowedByTheMap() throws IOException {
        Map<String, Set<String>> map = map();
        List<String> refused = new ArrayList<>();
        for (Path file : sources()) {
            String text = Files.readString(file);
            String from = packageOf(text, file);
            for (String to : references(text)) {
                if (to.equals(from)) {
                    continue;
                }
                if (!map.getOrDefault(from, Set.of()).contains(to)) {
                    refused.add(SOURCES.relativize(file) + ": " + from + " may not import " + to);
                }
            }
        }
        assertEquals(List.of(), refused, "imports the package map (dev/preflight/agent/package-info.java) does not allow");
    }

    @Test
    void theMapHasNoCycle() throws IOException {
        Map<String, Set<String>> map = map();
        for (Map.Entry<String, Set<String>> entry : map.entrySet()) {
            for (String to : entry.getValue()) {
                assertTrue(map.containsKey(to), entry.getKey() + " may import " + to + ", which is not on the map");
            }
        }
        // Peel off packages that import nothing left, and those nothing left imports: a map without a cycle
        // empties completely, and what stays of one with a cycle is the cycle
        Map<String, Set<String>> left = new TreeMap<>();
        map.forEach((from, targets) -> left.put(from, new TreeSet<>(targets)));
        boolean removed = true;
        while (removed) {
            removed = false;
            for (String name : List.copyOf(left.keySet())) {
                boolean importsNothingLeft = left.get(name).isEmpty();
                boolean importedByNothingLeft = left.values().stream().noneMatch(targets -> targets.contains(name));
                if (importsNothingLeft || importedByNothingLeft) {
                    left.remove(name);
                    left.values().forEach(targets -> targets.remove(name));
                    removed = true;
                }
            }
        }
        assertEquals(Map.of(), left, "packages of the map that import each other");
    }

    @Test
    void everyPackageIsOnTheMapAndSaysWhatItMayImport() throws IOException {
        Map<String, Set<String>> map = map();
        Set<String> packages = new TreeSet<>();
        for (Path file : sources()) {
            packages.add(packageOf(Files.readString(file), file));
        }
        assertEquals(new TreeSet<>(map.keySet()), packages, "the map names exactly the agent's packages");
        for (String name : packages) {
            Path info = directory(name).resolve("package-info.java");
            assertTrue(Files.isRegularFile(info), name + " has no package-info.java saying what it is and may import");
            assertEquals(map.get(name), mayImport(Files.readString(info), info), info + ": its 'May import' line and the map differ");
        }
    }

    /** The map from the root package-info: "name: a, b" lines in its {@code <pre>} block, "(none)" for none. */
    private static Map<String, Set<String>> map() throws IOException {
        String text = Files.readString(SOURCES.resolve("package-info.java"));
        int start = text.indexOf(" * <pre>");
        int end = text.indexOf(" * </pre>");
        assertTrue(start >= 0 && end > start, "the root package-info holds the map in a <pre> block");
        Map<String, Set<String>> map = new LinkedHashMap<>();
        for (String line : text.substring(start, end).split("\n")) {
            Matcher entry = MAP_LINE.matcher(line);
            if (!entry.matches()) {
                continue;
            }
            String targets = entry.group(2).strip();
            Set<String> allowed = targets.equals("(none)") ? Set.of()
                    : Arrays.stream(targets.split(",")).map(String::strip).collect(Collectors.toCollection(TreeSet::new));
            assertTrue(map.put(entry.group(1), allowed) == null, "the map names " + entry.group(1) + " twice");
        }
        assertTrue(map.size() > 1, "no map lines found in the root package-info");
        return map;
    }

    /** What a package-info's "May import:" sentence lists ({@code name} each, or "no other agent package"). */
    private static Set<String> mayImport(String text, Path info) {
        int at = text.indexOf("May import:");
        assertTrue(at >= 0, info + " says nothing of what it may import ('May import: ...')");
        String sentence = text.substring(at, text.indexOf("*/", at));
        if (sentence.contains("no other agent package")) {
            return Set.of();
        }
        Set<String> names = new TreeSet<>();
        Matcher code = CODE.matcher(sentence);
        while (code.find()) {
            names.add(code.group(1));
        }
        assertTrue(!names.isEmpty(), info + ": 'May import:' lists no {@code package}");
        return names;
    }

    private static List<Path> sources() throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES)) {
            return files.filter(path -> path.toString().endsWith(".java")).sorted().toList();
        }
    }

    private static String packageOf(String text, Path file) {
        Matcher declared = PACKAGE.matcher(text);
        assertTrue(declared.find(), file + " declares no agent package");
        return name(declared.group(1).substring("dev.preflight.agent".length()));
    }

    private static Set<String> references(String text) {
        Set<String> packages = new TreeSet<>();
        Matcher reference = REFERENCE.matcher(PACKAGE.matcher(text).replaceFirst(""));
        while (reference.find()) {
            packages.add(name(reference.group(1)));
        }
        return packages;
    }

    /** ".check.fabric" becomes "check.fabric", "" the root. */
    private static String name(String suffix) {
        return suffix.isEmpty() ? ROOT : suffix.substring(1);
    }

    private static Path directory(String name) {
        return name.equals(ROOT) ? SOURCES : SOURCES.resolve(name.replace('.', '/'));
    }
}
