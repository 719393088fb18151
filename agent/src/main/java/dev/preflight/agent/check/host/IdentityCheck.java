package dev.preflight.agent.check.host;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.agent.hostfs.SysfsValues;
import dev.preflight.proto.v1.Scope;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * NCCL tells hosts apart by hostname and boot id, and launchers reach peers by hostname: a node
 * called "localhost", or whose name resolves only to 127.0.1.1 (Debian's /etc/hosts default),
 * makes ranks connect to themselves or not at all ("Name or service not known", "gai error -2").
 * The name is looked up as glibc's "files" source does first (/etc/hosts), then through the resolver.
 */
public final class IdentityCheck extends Check {
    public static final String ID = "host.identity";

    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    static final String REMEDIATION = "give the node a unique hostname that resolves to its cluster-network address "
            + "(fix the 127.0.1.1 line in /etc/hosts or the DNS record; Kubernetes hostNetwork pods inherit the node's name)";

    public IdentityCheck() {
        super(ID, Scope.HOST,
                "hostname is not localhost and resolves to a non-loopback address; boot id is readable (NCCL's host identity)");
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        String hostname = SysfsValues.value(context.read(context.fs().proc("sys/kernel/hostname")));
        Path bootIdPath = context.fs().proc("sys/kernel/random/boot_id");
        String bootId = SysfsValues.value(context.read(bootIdPath));
        if (!UUID.matcher(bootId).matches()) {
            throw new MalformedInputException(bootIdPath, bootId, "a UUID such as 3f1c5b6e-…");
        }
        Finding finding;
        String lower = hostname.toLowerCase(Locale.ROOT);
        List<String> addresses = List.of();
        if (hostname.isEmpty() || lower.equals("localhost") || lower.startsWith("localhost.")) {
            finding = Finding.fail("hostname is '" + hostname + "': every such node looks like the same host to NCCL and launchers")
                    .remediation(REMEDIATION);
        } else {
            addresses = resolve(context, hostname);
            finding = judgeAddresses(hostname, addresses);
        }
        return finding.observed("hostname " + hostname + " -> " + (addresses.isEmpty() ? "(no address)" : String.join(", ", addresses))
                        + "; boot id " + bootId)
                .expected("a unique hostname resolving to a non-loopback address")
                .fact("hostname", hostname, "")
                .fact("boot_id", bootId, "");
    }

    /** The addresses from /etc/hosts, else from the resolver; empty when the name does not resolve. */
    static List<String> resolve(CheckContext context, String hostname) throws Exception {
        Optional<String> hosts = context.readIfPresent(context.fs().root("/etc/hosts"));
        if (hosts.isPresent()) {
            List<String> fromFile = hostsEntries(hosts.get(), hostname);
            if (!fromFile.isEmpty()) {
                return fromFile;
            }
        }
        try {
            List<String> addresses = new ArrayList<>();
            for (InetAddress address : context.settings().resolver().resolve(hostname)) {
                addresses.add(address.getHostAddress());
            }
            context.evidence("resolve(" + hostname + ")", String.join(" ", addresses));
            return addresses;
        } catch (UnknownHostException e) {
            context.evidence("resolve(" + hostname + ")", "(does not resolve)");
            return List.of();
        }
    }

    /** The addresses /etc/hosts gives a name (or alias); case-insensitive, as glibc compares names. */
    static List<String> hostsEntries(String hosts, String hostname) {
        List<String> addresses = new ArrayList<>();
        for (String line : hosts.split("\n")) {
            int hash = line.indexOf('#');
            String[] fields = (hash >= 0 ? line.substring(0, hash) : line).strip().split("\\s+");
            for (int i = 1; i < fields.length; i++) {
                if (fields[i].equalsIgnoreCase(hostname)) {
                    addresses.add(fields[0]);
                    break;
                }
            }
        }
        return addresses;
    }

    static Finding judgeAddresses(String hostname, List<String> addresses) {
        if (addresses.isEmpty()) {
            return Finding.fail("hostname " + hostname + " does not resolve: launchers and peers cannot reach this node by name")
                    .remediation(REMEDIATION);
        }
        List<String> routable = new ArrayList<>();
        for (String address : addresses) {
            if (!loopback(address)) {
                routable.add(address);
            }
        }
        if (routable.isEmpty()) {
            return Finding.fail("hostname " + hostname + " resolves only to " + String.join(", ", addresses)
                    + " (loopback): peers that look it up connect to themselves")
                    .remediation(REMEDIATION);
        }
        return Finding.pass("hostname " + hostname + " resolves to " + String.join(", ", routable));
    }

    static boolean loopback(String address) {
        return address.startsWith("127.") || address.equals("::1") || address.equals("0:0:0:0:0:0:0:1");
    }
}
