package dev.preflight.agent.check.nccl;

import dev.preflight.agent.hostfs.PathType;
import java.util.Optional;

/**
 * NCCL_NET_GDR_LEVEL as NCCL reads it (ncclGetLevel in graph/paths.cc): a path-type name compared
 * case-sensitively (LOC ... SYS), else, when the value starts with a digit, a legacy level read by
 * strtol(…, 0) — 0 LOC, 1 PIX, 2 PXB, 3 PHB, 4 and above SYS. Anything else is ignored and NCCL
 * chooses by itself, silently.
 */
public record NcclGdrLevel(String raw, Optional<PathType> level, Form form) {
    public enum Form {
        /** A path-type name. */
        NAME,
        /** A legacy integer. */
        LEGACY_INTEGER,
        /** Not recognised: NCCL ignores the variable. */
        IGNORED
    }

    private static final PathType[] LEGACY = {PathType.LOC, PathType.PIX, PathType.PXB, PathType.PHB, PathType.SYS, PathType.SYS};

    public static NcclGdrLevel parse(String raw) {
        for (PathType type : PathType.values()) {
            if (type.name().equals(raw)) {
                return new NcclGdrLevel(raw, Optional.of(type), Form.NAME);
            }
        }
        if (!raw.isEmpty() && raw.charAt(0) >= '0' && raw.charAt(0) <= '9') {
            long legacy = strtol(raw);
            int index = (int) Math.min(legacy, LEGACY.length - 1);
            return new NcclGdrLevel(raw, Optional.of(LEGACY[index]), Form.LEGACY_INTEGER);
        }
        return new NcclGdrLevel(raw, Optional.empty(), Form.IGNORED);
    }

    /** strtol(str, NULL, 0) on a string that starts with a digit: 0x hex, leading-0 octal, else decimal. */
    static long strtol(String text) {
        int radix = 10;
        int i = 0;
        if (text.startsWith("0x") || text.startsWith("0X")) {
            radix = 16;
            i = 2;
        } else if (text.startsWith("0") && text.length() > 1) {
            radix = 8;
            i = 1;
        }
        long value = 0;
        int start = i;
        while (i < text.length() && Character.digit(text.charAt(i), radix) >= 0 && value < Integer.MAX_VALUE) {
            value = value * radix + Character.digit(text.charAt(i), radix);
            i++;
        }
        // "0x" with no hex digits parses as the 0 before the x.
        return i == start && radix == 16 ? 0 : value;
    }

    /** What NCCL makes of the value, for a human. */
    public String describe() {
        switch (form) {
            case NAME:
                return raw + " (" + level.orElseThrow().meaning() + ")";
            case LEGACY_INTEGER:
                return raw + " (legacy level, read as " + level.orElseThrow() + ": " + level.orElseThrow().meaning() + ")";
            default:
                return raw + " (not a level NCCL recognises; it is ignored and NCCL picks the level itself)";
        }
    }
}
