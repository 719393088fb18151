package dev.preflight.agent.hostfs;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * /proc/&lt;pid&gt;/mountinfo (Documentation/filesystems/proc.rst, "3.5 /proc/&lt;pid&gt;/mountinfo"):
 * {@code id parent major:minor root mount-point options [optional...] - fstype source super-options}.
 */
public final class MountInfo {
    public record Mount(String mountPoint, String root, String fsType, String source, String superOptions) {
        /** A super option's value ("size" of "rw,size=65536k" is "65536k"), if present. */
        public Optional<String> superOption(String name) {
            for (String option : superOptions.split(",")) {
                if (option.startsWith(name + "=")) {
                    return Optional.of(option.substring(name.length() + 1));
                }
            }
            return Optional.empty();
        }
    }

    private final List<Mount> mounts;

    private MountInfo(List<Mount> mounts) {
        this.mounts = mounts;
    }

    public List<Mount> mounts() {
        return mounts;
    }

    /** The mount visible at exactly this mount point: the last one listed, as later mounts cover earlier. */
    public Optional<Mount> at(String mountPoint) {
        Mount found = null;
        for (Mount mount : mounts) {
            if (mount.mountPoint().equals(mountPoint)) {
                found = mount;
            }
        }
        return Optional.ofNullable(found);
    }

    /** The mount that holds a path: the longest mount point that is the path or one of its parents. */
    public Optional<Mount> containing(String path) {
        Mount best = null;
        for (Mount mount : mounts) {
            String point = mount.mountPoint();
            boolean covers = path.equals(point) || point.equals("/")
                    || path.startsWith(point.endsWith("/") ? point : point + "/");
            if (covers && (best == null || point.length() >= best.mountPoint().length())) {
                best = mount;
            }
        }
        return Optional.ofNullable(best);
    }

    public static MountInfo parse(String source, String content) throws MalformedInputException {
        List<Mount> mounts = new ArrayList<>();
        for (String line : content.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] fields = line.strip().split(" ");
            int separator = -1;
            for (int i = 6; i < fields.length; i++) {
                if (fields[i].equals("-")) {
                    separator = i;
                    break;
                }
            }
            if (fields.length < 10 || separator < 0 || fields.length < separator + 3) {
                throw new MalformedInputException(source, line,
                        "a mountinfo line 'id parent major:minor root mount-point options ... - fstype source super-options'");
            }
            String superOptions = fields.length > separator + 3 ? fields[separator + 3] : "";
            mounts.add(new Mount(unescape(fields[4]), unescape(fields[3]), fields[separator + 1],
                    unescape(fields[separator + 2]), superOptions));
        }
        return new MountInfo(mounts);
    }

    /** The kernel escapes space, tab, newline and backslash in paths as octal (\040). */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '7') {
                return false;
            }
        }
        return true;
    }
}
