package dev.preflight.agent.security;

import io.grpc.inprocess.InProcessSocketAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Locale;

/** Whether a peer or a target is this machine, where plaintext never crosses a network. */
public final class Loopback {
    private Loopback() {}

    /**
     * A connection's remote address: a loopback IP, or the in-process transport of the embedded
     * agent. Anything else is not loopback.
     */
    public static boolean isLoopbackPeer(SocketAddress remote) {
        if (remote instanceof InetSocketAddress) {
            InetAddress address = ((InetSocketAddress) remote).getAddress();
            return address != null && address.isLoopbackAddress();
        }
        return remote instanceof InProcessSocketAddress;
    }

    /**
     * A HOST[:PORT] authority names a loopback target: a loopback IP literal or "localhost". No DNS
     * lookup: a name that resolves elsewhere later must not be trusted now.
     */
    public static boolean isLoopbackAuthority(String authority) {
        if (authority == null) {
            return false;
        }
        String host = authority;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            host = close < 0 ? host : host.substring(1, close);
        } else if (host.indexOf(':') == host.lastIndexOf(':') && host.indexOf(':') >= 0) {
            host = host.substring(0, host.indexOf(':'));
        }
        return isLoopbackHost(host);
    }

    /** A host as given on a command line: a loopback literal (127.0.0.0/8, ::1) or "localhost". */
    public static boolean isLoopbackHost(String host) {
        String lower = host.toLowerCase(Locale.ROOT);
        if (lower.equals("localhost") || lower.endsWith(".localhost")) {
            return true;
        }
        if (!isIpLiteral(lower)) {
            return false;
        }
        try {
            return InetAddress.getByName(lower).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static boolean isIpLiteral(String host) {
        if (host.indexOf(':') >= 0) {
            return host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
        }
        return host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }
}
