package dev.preflight.agent.hostfs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * /proc/cmdline: space-separated words, "name" or "name=value", double quotes grouping a value
 * with spaces (the kernel's next_arg()). A later word overrides an earlier one of the same name.
 */
public final class KernelCmdline {
    private final Map<String, String> parameters;

    private KernelCmdline(Map<String, String> parameters) {
        this.parameters = parameters;
    }

    public static KernelCmdline parse(String content) {
        Map<String, String> parameters = new LinkedHashMap<>();
        for (String word : words(content.strip())) {
            int equals = word.indexOf('=');
            if (equals < 0) {
                parameters.put(word, "");
            } else {
                parameters.put(word.substring(0, equals), unquote(word.substring(equals + 1)));
            }
        }
        return new KernelCmdline(parameters);
    }

    /** The value of name=value; "" for a bare flag; empty when absent. */
    public Optional<String> get(String name) {
        return Optional.ofNullable(parameters.get(name));
    }

    private static List<String> words(String content) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        for (char c : content.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
                word.append(c);
            } else if (Character.isWhitespace(c) && !quoted) {
                if (word.length() > 0) {
                    words.add(word.toString());
                    word.setLength(0);
                }
            } else {
                word.append(c);
            }
        }
        if (word.length() > 0) {
            words.add(word.toString());
        }
        return words;
    }

    private static String unquote(String value) {
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
                ? value.substring(1, value.length() - 1) : value;
    }
}
