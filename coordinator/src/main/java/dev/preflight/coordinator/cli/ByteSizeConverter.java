package dev.preflight.coordinator.cli;

import dev.preflight.proto.units.ByteSizes;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Byte counts: 1073741824, 512MiB, 1GiB (K, M, G, T are binary units too; a trailing B is optional). */
public final class ByteSizeConverter implements ITypeConverter<Long> {
    private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(|B|K|KB|KIB|M|MB|MIB|G|GB|GIB|T|TB|TIB)");

    @Override
    public Long convert(String value) {
        Matcher matcher = FORM.matcher(value.strip().toUpperCase(Locale.ROOT));
        if (!matcher.matches()) {
            throw new TypeConversionException("'" + value + "' is not a size (e.g. 1GiB, 512MiB, 1073741824)");
        }
        long multiplier;
        switch (matcher.group(2).isEmpty() ? ' ' : matcher.group(2).charAt(0)) {
            case 'K':
                multiplier = ByteSizes.KIB;
                break;
            case 'M':
                multiplier = ByteSizes.MIB;
                break;
            case 'G':
                multiplier = ByteSizes.GIB;
                break;
            case 'T':
                multiplier = ByteSizes.TIB;
                break;
            default:
                multiplier = 1;
                break;
        }
        try {
            return Math.multiplyExact(Long.parseLong(matcher.group(1)), multiplier);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new TypeConversionException("'" + value + "' is too large a size");
        }
    }
}
