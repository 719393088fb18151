package dev.preflight.agent.gpu;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PCI addresses in one spelling. NVML and nvidia-smi write an 8-digit domain in upper case
 * ("00000000:19:00.0"), sysfs a 4-digit one in lower case ("0000:19:00.0"); GPUs are matched
 * across sources by address, so every source's is brought to the sysfs form.
 */
public final class PciBusIds {
    private static final Pattern BUS_ID = Pattern.compile("([0-9A-Fa-f]{4,8}):([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2})\\.([0-7])");

    private PciBusIds() {}

    /** The sysfs spelling, or empty when the text is not a PCI address. */
    public static Optional<String> parse(String text) {
        Matcher matcher = BUS_ID.matcher(text.strip());
        if (!matcher.matches()) {
            return Optional.empty();
        }
        long domain = Long.parseLong(matcher.group(1), 16);
        if (domain > 0xffff) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "%04x:%s:%s.%s", domain,
                matcher.group(2).toLowerCase(Locale.ROOT), matcher.group(3).toLowerCase(Locale.ROOT), matcher.group(4)));
    }

    /** As {@link #parse}, keeping text that is not an address as it was (lower case). */
    public static String normalize(String text) {
        return parse(text).orElse(text.strip().toLowerCase(Locale.ROOT));
    }
}
