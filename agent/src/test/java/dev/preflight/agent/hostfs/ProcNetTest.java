package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** procfs network files captured from a network namespace (fixture hgx-8gpu-cx7-ndr). */
class ProcNetTest {
    private static final Path NET = Fixtures.tree("hgx-8gpu-cx7-ndr").resolve("proc/self/net");

    @Test
    void addressesAreAttributedThroughTheConnectedRoutes() throws Exception {
        List<ProcNet.Route> routes = ProcNet.parseRoutes("route", Files.readString(NET.resolve("route")));
        Set<String> local = ProcNet.parseLocalAddresses("fib_trie", Files.readString(NET.resolve("fib_trie")));
        List<ProcNet.Address> ipv6 = ProcNet.parseInet6("if_inet6", Files.readString(NET.resolve("if_inet6")));
        List<ProcNet.Address> all = ProcNet.addresses(routes, local, ipv6);
        assertTrue(routes.get(0).isDefault());
        assertEquals("eno1", routes.get(0).iface());
        assertTrue(all.contains(new ProcNet.Address("ibp24s0", "192.168.1.11", false, 24, false, false)), all.toString());
        assertTrue(all.contains(new ProcNet.Address("eno1", "10.33.0.11", false, 24, false, false)), all.toString());
        assertTrue(all.contains(new ProcNet.Address("lo", "127.0.0.1", false, 8, false, true)), all.toString());
        assertTrue(all.contains(new ProcNet.Address("ibp24s0", "fe80::202c:8eff:fe4a:80ca", true, 64, true, false)), all.toString());
        assertTrue(all.contains(new ProcNet.Address("lo", "::1", true, 128, false, true)), all.toString());
        // docker0 is down: the kernel keeps its local address but drops its connected route.
        assertTrue(all.stream().noneMatch(address -> address.address().equals("172.17.0.1")), all.toString());
    }

    @Test
    void ipv6AddressesAreCompressed() {
        assertEquals("fe80::e49c:1ff:fe2c:3b", ProcNet.ipv6("fe80000000000000e49c01fffe2c003b"));
        assertEquals("::1", ProcNet.ipv6("00000000000000000000000000000001"));
        assertEquals("2001:db8::1:0:0:1", ProcNet.ipv6("20010db8000000000001000000000001"));
    }

    @Test
    void malformedFilesNameWhatIsWrong() {
        assertThrows(MalformedInputException.class, () -> ProcNet.parseRoutes("route", "Destination Gateway\n"));
        assertThrows(MalformedInputException.class, () -> ProcNet.parseRoutes("route", "Iface\tDestination\neth0 zz\n"));
        assertThrows(MalformedInputException.class, () -> ProcNet.parseInet6("if_inet6", "fe80 02 40 20 80 eth0\n"));
        assertThrows(MalformedInputException.class, () -> ProcNet.parseLocalAddresses("fib_trie", "10.0.0.1 LOCAL\n"));
    }
}
