package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** PCI configuration space and glibc's loader cache, from fixture bytes. */
class BinaryFormatsTest {
    /** A PEX890xx switch port as the fixture holds it (chain and ACS words of the lspci -vvv capture). */
    static byte[] switchPort() throws Exception {
        return Files.readAllBytes(Fixtures.tree("hgx-8gpu-cx7-ndr")
                .resolve("sys/bus/pci/devices/0000:17:02.0/config"));
    }

    @Test
    void theSwitchPortsAcsIsFoundAlongTheExtendedCapabilityChain() throws Exception {
        byte[] config = switchPort();
        assertEquals(List.of(0x0003, 0x0019, 0x0002, 0x000b, 0x0026, 0x0027, 0x0025, 0x000d, 0x0029, 0x0001, 0x001d),
                PciConfigSpace.extendedCapabilities("config", config));
        PciConfigSpace.Acs acs = PciConfigSpace.acs("config", config).orElseThrow();
        assertEquals(0x170, acs.offset());
        assertEquals(0x5f, acs.capability());
        assertFalse(acs.redirectsPeerToPeer());
        assertEquals("SrcValid- TransBlk- ReqRedir- CmpltRedir- UpstreamFwd- EgressCtrl- DirectTrans-", acs.describeControl());
    }

    @Test
    void redirectBitsAreWhatCounts() throws Exception {
        byte[] config = switchPort();
        config[0x176] = 0x01;
        assertFalse(PciConfigSpace.acs("config", config).orElseThrow().redirectsPeerToPeer(), "source validation only");
        config[0x176] = 0x1d;
        PciConfigSpace.Acs acs = PciConfigSpace.acs("config", config).orElseThrow();
        assertTrue(acs.redirectsPeerToPeer());
        assertEquals("SrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-", acs.describeControl());
    }

    @Test
    void anUnprivilegedReadStopsAt64BytesAndShowsNoCapability() throws Exception {
        Path config = Fixtures.tree("pci-config-unprivileged").resolve("config");
        byte[] bytes = PciConfigSpace.read(config);
        assertEquals(PciConfigSpace.UNPRIVILEGED_BYTES, bytes.length);
        assertEquals(List.of(), PciConfigSpace.extendedCapabilities("config", bytes));
    }

    @Test
    void aLoopingOrOutOfRangeChainIsMalformed() throws Exception {
        byte[] config = switchPort();
        config[0x222] = 0x00;
        config[0x223] = 0x10; // DPC at 0x220 now points back to 0x100
        assertThrows(MalformedInputException.class, () -> PciConfigSpace.extendedCapabilities("config", config));
        byte[] outOfRange = switchPort();
        outOfRange[0x103] = 0x00;
        outOfRange[0x102] = (byte) 0x81; // DSN's next pointer 0x008: below the extended space
        assertThrows(MalformedInputException.class, () -> PciConfigSpace.acs("config", outOfRange));
    }

    @Test
    void theLoaderCacheNamesLibibverbs() throws Exception {
        byte[] cache = Files.readAllBytes(Fixtures.tree("hgx-8gpu-cx7-ndr").resolve("etc/ld.so.cache"));
        List<LdSoCache.Entry> entries = LdSoCache.parse("ld.so.cache", cache);
        assertTrue(entries.contains(new LdSoCache.Entry("libibverbs.so.1", "/lib/x86_64-linux-gnu/libibverbs.so.1")),
                entries.toString());
        assertTrue(entries.stream().anyMatch(entry -> entry.name().equals("libc.so.6")));
        assertThrows(MalformedInputException.class, () -> LdSoCache.parse("c", Arrays.copyOf(cache, 100)));
        assertThrows(MalformedInputException.class, () -> LdSoCache.parse("c", "not a cache".getBytes()));
    }
}
