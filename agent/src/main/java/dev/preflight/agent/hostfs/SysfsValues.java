package dev.preflight.agent.hostfs;

import dev.preflight.proto.units.Numbers;

/**
 * The shapes single-value sysfs attributes come in: one line, a decimal or 0x-prefixed hexadecimal
 * number, or "N: NAME" (the InfiniBand port states). Pure functions of the file's content.
 */
public final class SysfsValues {
    /** A numbered state as the kernel prints it for InfiniBand ports: "4: ACTIVE", "5: LinkUp". */
    public record NumberedState(int code, String name) {
        @Override
        public String toString() {
            return code + ": " + name;
        }
    }

    private SysfsValues() {}

    /** The value without the kernel's trailing newline (and without surrounding blanks). */
    public static String value(String content) {
        return content.strip();
    }

    public static long decimal(String source, String content) throws MalformedInputException {
        return decimal(source, content, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    /** A decimal integer in [min, max]: the kernel ABI's range for the attribute, so nothing wraps when narrowed. */
    public static long decimal(String source, String content, long min, long max) throws MalformedInputException {
        try {
            return Numbers.count(value(content), "value", min, max);
        } catch (Numbers.NumberException e) {
            throw new MalformedInputException(source, content, "a decimal integer from " + min + " to " + max);
        }
    }

    /** "0x10de", "0x030200", "0x4b": sysfs prints IDs, classes and LIDs this way. */
    public static long hex(String source, String content) throws MalformedInputException {
        String value = value(content);
        if (!value.startsWith("0x") || value.length() < 3) {
            throw new MalformedInputException(source, content, "a 0x-prefixed hexadecimal number");
        }
        try {
            return Long.parseUnsignedLong(value.substring(2), 16);
        } catch (NumberFormatException e) {
            throw new MalformedInputException(source, content, "a 0x-prefixed hexadecimal number");
        }
    }

    /** ports/N/state and phys_state (drivers/infiniband/core/sysfs.c: "%d: %s"). */
    public static NumberedState numberedState(String source, String content) throws MalformedInputException {
        String value = value(content);
        int colon = value.indexOf(':');
        if (colon <= 0) {
            throw new MalformedInputException(source, content, "a numbered state such as '4: ACTIVE'");
        }
        try {
            int code = Integer.parseInt(value.substring(0, colon).strip());
            String name = value.substring(colon + 1).strip();
            if (name.isEmpty()) {
                throw new NumberFormatException();
            }
            return new NumberedState(code, name);
        } catch (NumberFormatException e) {
            throw new MalformedInputException(source, content, "a numbered state such as '4: ACTIVE'");
        }
    }
}
