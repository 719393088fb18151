package dev.preflight.agent.check.fabric;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.check.HostViews;
import dev.preflight.agent.check.Tally;
import dev.preflight.agent.check.nccl.NcclNameList;
import dev.preflight.agent.check.nccl.NcclSocketChoice;
import dev.preflight.agent.hostfs.NetInterface;
import dev.preflight.proto.v1.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * NCCL bootstraps (and, without RDMA, carries all traffic) over a socket interface: the first one
 * NCCL_SOCKET_IFNAME selects, or NCCL's own pick — which can land on a docker bridge, a veth, a CNI
 * bridge or a link-local address that peers cannot reach: "Call to connect returned Connection
 * refused", a hang at ncclCommInitRank. This check reproduces NCCL's choice from the interfaces
 * and addresses of the judged network namespace and judges it.
 */
public final class SocketIfnameCheck extends Check {
    public static final String ID = "fabric.socket_ifname";

    static final String REMEDIATION = "set NCCL_SOCKET_IFNAME to the cluster network's interface with '=' for an exact name "
            + "(e.g. NCCL_SOCKET_IFNAME==bond0), the same on every node";

    public SocketIfnameCheck() {
        super(ID, Scope.PROCESS,
                "NCCL_SOCKET_IFNAME (prefix list, ^ exclude, = exact) or NCCL's own choice selects a running interface with an address peers can reach");
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        Map<String, String> env = context.settings().ncclEnv();
        List<NetInterface> interfaces = context.host().interfaces(context, HostViews.process(context));
        Optional<String> ifname = Optional.ofNullable(env.get(NcclSocketChoice.SOCKET_IFNAME));
        NcclSocketChoice.Result result = NcclSocketChoice.choose(ifname, Optional.ofNullable(env.get(NcclSocketChoice.SOCKET_FAMILY)),
                interfaces);
        return evaluate(ifname, result, interfaces);
    }

    static Finding evaluate(Optional<String> ifname, NcclSocketChoice.Result result, List<NetInterface> interfaces) {
        String setting = ifname.map(value -> NcclSocketChoice.SOCKET_IFNAME + "=" + value).orElse(NcclSocketChoice.SOCKET_IFNAME + " unset");
        String rule = result.fromEnvironment() ? setting : "NCCL's default order, matched by '" + result.rule() + "'";
        List<String> listed = new ArrayList<>();
        for (NetInterface iface : interfaces) {
            listed.add(iface.describe());
        }
        String observed = setting + "; interfaces: " + String.join(", ", listed)
                + "; NCCL would use " + (result.picks().isEmpty() ? "nothing" : result.picks().toString());
        String expected = "a running interface with a routable address on the cluster network";
        Tally outcome = new Tally();
        if (result.ifnameIgnored()) {
            outcome.warn(setting + " is one character long, and NCCL ignores such a value: its own choice applies", REMEDIATION);
        }
        Optional<NcclSocketChoice.Pick> bootstrap = result.bootstrap();
        if (bootstrap.isEmpty()) {
            String why = result.fromEnvironment() ? whyNothing(ifname.get(), interfaces) : "no running interface has an address";
            outcome.fail((result.fromEnvironment() ? setting + " selects no usable interface: " : "") + why
                    + ": NCCL fails with 'no socket interface found'", REMEDIATION);
            return outcome.finding("").observed(observed).expected(expected);
        }
        NcclSocketChoice.Pick pick = bootstrap.get();
        Optional<String> suspicious = pick.iface().suspicious();
        if (pick.address().loopback() || pick.iface().name().equals("lo")) {
            outcome.fail("NCCL would bootstrap on " + pick + " (loopback, by " + rule + "): peers on other nodes cannot reach it",
                    REMEDIATION);
        } else if (suspicious.isPresent()) {
            outcome.warn("NCCL would bootstrap on " + pick + ", " + suspicious.get() + " (by " + rule + "): peers on other nodes "
                    + "usually cannot reach it", REMEDIATION);
        } else if (pick.address().linkLocal()) {
            outcome.warn("NCCL would bootstrap on " + pick + ", a link-local address (by " + rule + ") that does not route "
                    + "between subnets", REMEDIATION);
        }
        return outcome.finding("NCCL would bootstrap on " + pick + " (" + pick.iface().describe() + ", by " + rule + ")")
                .observed(observed).expected(expected)
                .fact("socket_ifname", pick.iface().name(), "")
                .measurement("socket_mtu", pick.iface().mtu(), "bytes", pick.iface().name());
    }

    /** Why a set NCCL_SOCKET_IFNAME finds nothing: no such interface, down, or without an address. */
    static String whyNothing(String value, List<NetInterface> interfaces) {
        NcclNameList list = NcclNameList.parse(value, NcclNameList.MAX_SOCKET_INTERFACES);
        List<String> named = new ArrayList<>();
        for (NetInterface iface : interfaces) {
            if (list.selects(iface.name(), -1)) {
                named.add(iface.name() + (!iface.running() ? " is " + iface.operstate() : iface.addresses().isEmpty() ? " has no address" : ""));
            }
        }
        return named.isEmpty() ? "no interface matches it" : String.join(", ", named);
    }
}
