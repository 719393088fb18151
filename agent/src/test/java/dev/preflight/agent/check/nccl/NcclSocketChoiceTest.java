package dev.preflight.agent.check.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.hostfs.NetInterface;
import dev.preflight.agent.hostfs.ProcNet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** NCCL's socket interface choice (ncclFindInterfaces), rule by rule. */
class NcclSocketChoiceTest {
    private static int index = 1;

    static NetInterface iface(String name, boolean running, String... addresses) {
        List<ProcNet.Address> list = new ArrayList<>();
        for (String address : addresses) {
            boolean ipv6 = address.contains(":");
            list.add(new ProcNet.Address(name, address, ipv6, ipv6 ? 64 : 24, address.startsWith("fe80") || address.startsWith("169.254"),
                    address.equals("::1") || address.startsWith("127.")));
        }
        return new NetInterface(name, index++, running ? "up" : "down", running, 1500, OptionalLong.empty(), true, list);
    }

    static String choose(String ifname, String family, NetInterface... interfaces) {
        NcclSocketChoice.Result result = NcclSocketChoice.choose(Optional.ofNullable(ifname), Optional.ofNullable(family), List.of(interfaces));
        return result.bootstrap().map(NcclSocketChoice.Pick::toString).orElse("none") + " by " + result.rule();
    }

    @Test
    void unsetPrefersIbThenAnythingButDockerLoVirbrThenDockerThenLoThenVirbr() {
        NetInterface lo = iface("lo", true, "127.0.0.1", "::1");
        NetInterface docker = iface("docker0", true, "172.17.0.1");
        NetInterface virbr = iface("virbr0", true, "192.168.122.1");
        NetInterface eth = iface("eth0", true, "10.0.0.5");
        NetInterface ib = iface("ib0", true, "10.1.0.5");
        assertEquals("ib0 10.1.0.5 by ib", choose(null, null, lo, docker, eth, ib));
        assertEquals("eth0 10.0.0.5 by ^docker,lo,virbr", choose(null, null, lo, docker, virbr, eth));
        assertEquals("docker0 172.17.0.1 by docker", choose(null, null, lo, virbr, docker));
        assertEquals("lo 127.0.0.1 by lo", choose(null, null, virbr, lo));
        assertEquals("virbr0 192.168.122.1 by virbr", choose(null, null, virbr));
    }

    @Test
    void interfacesThatAreNotRunningOrHaveNoAddressNeverCount() {
        NetInterface down = iface("ib0", false, "10.1.0.5");
        NetInterface bare = iface("ib1", true);
        NetInterface eth = iface("eth0", true, "10.0.0.5");
        assertEquals("eth0 10.0.0.5 by ^docker,lo,virbr", choose(null, null, down, bare, eth));
    }

    @Test
    void ipv4ComesBeforeIpv6AndIpv6LoopbackNeverCounts() {
        NetInterface v6only = iface("eth0", true, "2001:db8::5");
        NetInterface both = iface("eth1", true, "fe80::1", "10.0.0.6");
        assertEquals("eth1 10.0.0.6 by ^docker,lo,virbr", choose(null, null, v6only, both));
        assertEquals("eth0 2001:db8::5 by ^docker,lo,virbr", choose(null, "AF_INET6", v6only, both));
        assertEquals("none by virbr", choose(null, "AF_INET6", iface("lo", true, "::1")));
    }

    @Test
    void theVariableReplacesTheDefaultOrderEntirely() {
        NetInterface ib = iface("ib0", true, "10.1.0.5");
        NetInterface eth0 = iface("eth0", true, "10.0.0.5");
        NetInterface eth1 = iface("eth10", true, "10.0.1.5");
        assertEquals("eth0 10.0.0.5 by eth", choose("eth", null, ib, eth0, eth1));
        assertEquals("eth10 10.0.1.5 by =eth10", choose("=eth10", null, ib, eth0, eth1));
        assertEquals("none by =eth1", choose("=eth1", null, ib, eth0, eth1));
        assertEquals("eth0 10.0.0.5 by ^ib", choose("^ib", null, ib, eth0, eth1));
    }

    @Test
    void aOneCharacterValueIsIgnored() {
        NcclSocketChoice.Result result = NcclSocketChoice.choose(Optional.of("e"), Optional.empty(),
                List.of(iface("ib0", true, "10.1.0.5"), iface("eth0", true, "10.0.0.5")));
        assertTrue(result.ifnameIgnored());
        assertFalse(result.fromEnvironment());
        assertEquals("ib0", result.bootstrap().orElseThrow().iface().name());
    }

    @Test
    void anInterfaceCountsOnceWithItsFirstAddress() {
        NcclSocketChoice.Result result = NcclSocketChoice.choose(Optional.of("eth"), Optional.empty(),
                List.of(iface("eth0", true, "10.0.0.5", "10.0.0.6", "fe80::5")));
        assertEquals(1, result.picks().size());
        assertEquals("10.0.0.5", result.picks().get(0).address().address());
    }
}
