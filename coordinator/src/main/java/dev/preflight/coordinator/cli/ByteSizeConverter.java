package dev.preflight.coordinator.cli;

import dev.preflight.proto.units.ByteSizes;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A size with its unit: 80GB (10^9 bytes each), 80GiB (2^30), 256MiB. */
public final class ByteSizeConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        try {
            long bytes = ByteSizes.parse(value);
            if (bytes <= 0) {
                throw new TypeConversionException("'" + value + "' must be larger than zero");
            }
            return bytes;
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
