package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.check.nccl.NcclNameList;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The parsers of /proc and /sys content and of NCCL settings, fed arbitrary text (and mutations of
 * real captured content): each gives a value or a {@link MalformedInputException} whose message is
 * one line; no other exception escapes, so a damaged file costs one finding, not the agent.
 */
class HostParsersPropertiesTest {
    private static final String LIMITS = "Limit                     Soft Limit           Hard Limit           Units     \n"
            + "Max locked memory         8388608              8388608              bytes     \n"
            + "Max open files            1048576              1048576              files     \n";
    private static final String STATUS = "Name:\tjava\nCapEff:\t000001ffffffffff\n";
    private static final String MOUNTINFO = "22 1 0:21 / /dev/shm rw,nosuid,nodev shared:3 - tmpfs tmpfs rw,size=65536k\n";
    private static final String ROUTE = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            + "eth0\t00000000\t0102000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
    private static final String INET6 = "fe800000000000000000000000000001 02 40 20 80     eth0\n";

    @Provide
    Arbitrary<String> content() {
        Arbitrary<String> anything = Arbitraries.strings().ofMaxLength(300);
        Arbitrary<String> numeric = Arbitraries.strings().withChars("0123456789xabcdefABCDEF:-+. \n").ofMaxLength(40);
        Arbitrary<String> captured = Arbitraries.of(LIMITS, STATUS, MOUNTINFO, ROUTE, INET6, "400 Gb/sec (4X NDR)\n",
                "4: ACTIVE\n", "5: LinkUp\n", "0x10de\n", "16.0 GT/s PCIe\n");
        Arbitrary<String> mutated = Arbitraries.of(LIMITS, STATUS, MOUNTINFO, ROUTE, INET6, "400 Gb/sec (4X NDR)")
                .flatMap(real -> Arbitraries.integers().between(0, real.length()).flatMap(cut ->
                        Arbitraries.strings().ofMaxLength(12).map(noise -> real.substring(0, cut) + noise
                                + real.substring(Math.min(real.length(), cut + noise.length())))));
        Arbitrary<String> extreme = Arbitraries.of("99999999999999999999 Gb/sec (4X NDR)", "NaN Gb/sec (4X)",
                "400 Gb/sec (0X)", "400 Gb/sec (4294967296X)", "-1", "0x", "0xffffffffffffffffff", "4:", ": ACTIVE",
                "99999999999: ACTIVE", "\u0000\u001b[31m", "");
        return Arbitraries.oneOf(anything, numeric, captured, mutated, extreme);
    }

    @Property(tries = 1000)
    void sysfsValues(@ForAll("content") String content) {
        valueOrOneLineError(c -> SysfsValues.decimal("f", c), content);
        valueOrOneLineError(c -> SysfsValues.decimal("f", c, 0, 65536), content);
        valueOrOneLineError(c -> SysfsValues.hex("f", c), content);
        valueOrOneLineError(c -> SysfsValues.numberedState("f", c), content);
        valueOrOneLineError(c -> PcieLinkSpeed.parse("f", c), content);
    }

    @Property(tries = 1000)
    void ibRatesAreFiniteAndPlausible(@ForAll("content") String content) {
        try {
            IbRate rate = IbRate.parse("rate", content);
            assertTrue(Double.isFinite(rate.bytesPerSecond()) && rate.gigabitsPerSecond() <= IbRate.MAX_GIGABITS, content);
            assertTrue(rate.width() >= 1 && rate.width() <= IbRate.MAX_WIDTH, content);
        } catch (MalformedInputException e) {
            assertOneLine(e.getMessage());
        }
    }

    @Property(tries = 1000)
    void procFiles(@ForAll("content") String content) {
        valueOrOneLineError(c -> ProcLimits.parse("limits", c), content);
        valueOrOneLineError(c -> Capabilities.effective("status", c), content);
        valueOrOneLineError(c -> MountInfo.parse("mountinfo", c), content);
        valueOrOneLineError(c -> ProcNet.parseRoutes("route", c), content);
        valueOrOneLineError(c -> ProcNet.parseLocalAddresses("fib_trie", c), content);
        valueOrOneLineError(c -> ProcNet.parseInet6("if_inet6", c), content);
        KernelCmdline.parse(content);
    }

    @Property(tries = 500)
    void binaryFormats(@ForAll("content") String content) {
        byte[] bytes = content.getBytes(StandardCharsets.ISO_8859_1);
        valueOrOneLineError(c -> LdSoCache.parse("ld.so.cache", bytes), content);
        valueOrOneLineError(c -> PciConfigSpace.extendedCapabilities("config", bytes), content);
        valueOrOneLineError(c -> PciConfigSpace.acs("config", bytes), content);
    }

    @Property(tries = 1000)
    void ncclNameLists(@ForAll("content") String content) {
        try {
            NcclNameList.parse(content, NcclNameList.MAX_IB_DEVICES);
        } catch (IllegalArgumentException e) {
            assertOneLine(e.getMessage());
        }
    }

    @Example
    void anIbRateThatWouldSaturateIsMalformedNotOptimal() throws Exception {
        MalformedInputException e = assertThrows(MalformedInputException.class,
                () -> IbRate.parse("ports/1/rate", "99999999999999999999 Gb/sec (4X NDR)\n"));
        assertEquals("malformed ports/1/rate: expected a port rate of at most 10000 Gb/sec over 1X to 12X, "
                + "got '99999999999999999999 Gb/sec (4X NDR)'", e.getMessage());
        assertEquals(50e9, IbRate.parse("rate", "400 Gb/sec (4X NDR)\n").bytesPerSecond(), 1);
    }

    @Example
    void malformedContentIsQuotedWithItsControlBytesShown() {
        MalformedInputException e = assertThrows(MalformedInputException.class,
                () -> SysfsValues.decimal("mtu", "15\u001b[2J00\u0007\n"));
        assertEquals("malformed mtu: expected a decimal integer from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE
                + ", got '15\\x1b[2J00\\x07'", e.getMessage());
    }

    interface Parser {
        Object parse(String content) throws Exception;
    }

    private static void valueOrOneLineError(Parser parser, String content) {
        try {
            parser.parse(content);
        } catch (MalformedInputException e) {
            assertOneLine(e.getMessage());
        } catch (Exception e) {
            throw new AssertionError("not a value or a MalformedInputException for '" + content + "': " + e, e);
        }
    }

    static void assertOneLine(String message) {
        assertFalse(message.contains("\n") || message.contains("\r"), message);
        assertTrue(message.length() < 600, message);
        for (char c : message.toCharArray()) {
            assertFalse(c < 0x20 || c == 0x7f, message);
        }
    }
}
