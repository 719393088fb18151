package dev.preflight.coordinator.cli;

import dev.preflight.proto.units.Numbers;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A size with its unit: 80GB (10^9 bytes each), 80GiB (2^30), 256MiB; larger than zero. */
public final class ByteSizeConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        long bytes = parse(value);
        if (bytes <= 0) {
            throw new TypeConversionException("'" + value + "' must be larger than zero");
        }
        return bytes;
    }

    /** As {@link ByteSizeConverter}, where a plain 0 means "off" (e.g. --storage-read-bytes 0). */
    public static final class ZeroAllowed implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return value.strip().equals("0") ? 0L : parse(value);
        }
    }

    /** An exbibyte: beyond any memory, disk or transfer this tool sizes; a larger value is a unit mistake. */
    static final long MAX_BYTES = 1L << 60;

    private static long parse(String value) {
        try {
            return Numbers.size(value, "size", 0, MAX_BYTES);
        } catch (Numbers.NumberException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
