package dev.preflight.agent.hostfs;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * /proc/&lt;pid&gt;/limits, as the kernel prints it (fs/proc/base.c proc_pid_limits): a header, then
 * one line per limit with the name left-justified in 25 columns, then soft, hard and unit.
 */
public final class ProcLimits {
    /** A limit value; {@link #UNLIMITED} for "unlimited". */
    public record Limit(long soft, long hard, String unit) {
        public static final long UNLIMITED = -1;

        public boolean softUnlimited() {
            return soft == UNLIMITED;
        }

        public boolean hardUnlimited() {
            return hard == UNLIMITED;
        }
    }

    public static final String MAX_LOCKED_MEMORY = "Max locked memory";
    public static final String MAX_OPEN_FILES = "Max open files";

    private static final int NAME_WIDTH = 25;

    private final Map<String, Limit> limits;

    private ProcLimits(Map<String, Limit> limits) {
        this.limits = limits;
    }

    public Optional<Limit> get(String name) {
        return Optional.ofNullable(limits.get(name));
    }

    public static ProcLimits parse(String source, String content) throws MalformedInputException {
        String[] lines = content.split("\n");
        if (lines.length < 2 || !lines[0].startsWith("Limit") || !lines[0].contains("Soft Limit")) {
            throw new MalformedInputException(source, content, "the /proc limits table (a 'Limit  Soft Limit  Hard Limit  Units' header)");
        }
        Map<String, Limit> limits = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank()) {
                continue;
            }
            if (line.length() <= NAME_WIDTH) {
                throw new MalformedInputException(source, line, "a limit line '<name> <soft> <hard> [unit]'");
            }
            String name = line.substring(0, NAME_WIDTH).strip();
            String[] fields = line.substring(NAME_WIDTH).strip().split("\\s+");
            if (name.isEmpty() || fields.length < 2) {
                throw new MalformedInputException(source, line, "a limit line '<name> <soft> <hard> [unit]'");
            }
            limits.put(name, new Limit(value(source, line, fields[0]), value(source, line, fields[1]),
                    fields.length > 2 ? fields[2] : ""));
        }
        return new ProcLimits(limits);
    }

    private static long value(String source, String line, String field) throws MalformedInputException {
        if (field.equals("unlimited")) {
            return Limit.UNLIMITED;
        }
        try {
            long value = Long.parseLong(field);
            if (value < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new MalformedInputException(source, line, "a limit of 'unlimited' or a non-negative integer");
        }
    }
}
