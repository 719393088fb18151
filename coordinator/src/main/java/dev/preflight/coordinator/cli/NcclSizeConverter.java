package dev.preflight.coordinator.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Message sizes as nccl-tests takes them (-b/-e): 8, 64K, 128M, 8G, 1T, powers of 1024 (a trailing
 * B or iB is accepted), so a bench line reads like the nccl-tests line it is compared with.
 */
public final class NcclSizeConverter implements ITypeConverter<Long> {
    private static final Pattern FORM = Pattern.compile("(\\d{1,19})\\s*(?:([KMGT])(?:i?B)?|B)?", Pattern.CASE_INSENSITIVE);

    @Override
    public Long convert(String value) {
        Matcher matcher = FORM.matcher(value.strip());
        if (!matcher.matches()) {
            throw new TypeConversionException("'" + value + "' is not a size (e.g. 8, 64K, 128M, 8G)");
        }
        long number;
        try {
            number = Long.parseLong(matcher.group(1));
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is too large");
        }
        int shift = matcher.group(2) == null ? 0 : 10 * ("KMGT".indexOf(Character.toUpperCase(matcher.group(2).charAt(0))) + 1);
        if (number > (Long.MAX_VALUE >> shift)) {
            throw new TypeConversionException("'" + value + "' is too large");
        }
        return number << shift;
    }
}
