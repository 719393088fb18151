package dev.preflight.agent.net;

import java.net.InetSocketAddress;
import java.util.Objects;

/** A HOST:PORT as people type it: {@code node1:7744}, {@code 10.0.0.5:7744}, {@code [fd00::5]:7744}. */
public record HostPort(String host, int port) {
    public HostPort {
        Objects.requireNonNull(host);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 0-65535");
        }
    }

    /**
     * Parses HOST:PORT; IPv6 literals in brackets.
     *
     * @param allowPortZero true for a listen address, where 0 asks for a free port
     * @throws IllegalArgumentException naming the value and the form expected
     */
    public static HostPort parse(String value, boolean allowPortZero) {
        String text = value == null ? "" : value.strip();
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw invalid(value);
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0 || text.indexOf(':') != colon) {
                throw invalid(value);
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        if (host.isEmpty() || host.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/' || c == ',')) {
            throw invalid(value);
        }
        int number;
        try {
            number = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw invalid(value);
        }
        if (number < (allowPortZero ? 0 : 1) || number > 65535) {
            throw new IllegalArgumentException("'" + value + "': port must be " + (allowPortZero ? "0" : "1") + "-65535");
        }
        return new HostPort(host, number);
    }

    private static IllegalArgumentException invalid(String value) {
        return new IllegalArgumentException("'" + value + "' is not HOST:PORT (e.g. node1:7744, 10.0.0.5:7744 or [fd00::5]:7744)");
    }

    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
