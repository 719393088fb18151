package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The one-value sysfs formats, from the captures in shared/fixtures/real-captures and the kernel's printers. */
class SysfsParsersTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "4: ACTIVE|4|ACTIVE", "5: LinkUp|5|LinkUp", "1: DOWN|1|DOWN", "2: Polling|2|Polling", "3: Disabled|3|Disabled"})
    void numberedStatesSplitAtTheColon(String content, int code, String name) throws Exception {
        SysfsValues.NumberedState state = SysfsValues.numberedState("state", content + "\n");
        assertEquals(code, state.code());
        assertEquals(name, state.name());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ACTIVE", ": ACTIVE", "four: ACTIVE", "4:", ""})
    void aStateWithoutNumberAndNameIsMalformed(String content) {
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> SysfsValues.numberedState("ports/1/state", content));
        assertTrue(e.getMessage().contains("ports/1/state"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "400 Gb/sec (4X NDR)|400|4|NDR", "200 Gb/sec (2X NDR)|200|2|NDR", "200 Gb/sec (4X HDR)|200|4|HDR",
        "25 Gb/sec (1X EDR)|25|1|EDR", "40 Gb/sec (4X QDR)|40|4|QDR", "2.5 Gb/sec (1X SDR)|2.5|1|SDR",
        "10 Gb/sec (4X)|10|4|''", "56 Gb/sec (4X FDR)|56|4|FDR", "800 Gb/sec (4X XDR)|800|4|XDR"})
    void portRatesAsTheKernelPrintsThem(String content, double gigabits, int width, String speed) throws Exception {
        IbRate rate = IbRate.parse("rate", content + "\n");
        assertEquals(gigabits, rate.gigabitsPerSecond());
        assertEquals(width, rate.width());
        assertEquals(speed, rate.speed());
        assertEquals(content, rate.toString());
    }

    @Test
    void anNdrLinkCarriesFiftyGigabytesPerSecond() throws Exception {
        assertEquals(50e9, IbRate.parse("rate", "400 Gb/sec (4X NDR)").bytesPerSecond());
    }

    @ParameterizedTest
    @ValueSource(strings = {"400", "400 Gb/sec", "Gb/sec (4X NDR)", "400 Gbps (4X NDR)"})
    void ibstatRatesAreNotSysfsRates(String content) {
        assertThrows(MalformedInputException.class, () -> IbRate.parse("rate", content));
    }

    @ParameterizedTest
    @CsvSource({"32.0 GT/s PCIe,32,5", "16.0 GT/s PCIe,16,4", "8.0 GT/s PCIe,8,3", "5.0 GT/s PCIe,5,2",
                "2.5 GT/s PCIe,2.5,1", "64.0 GT/s PCIe,64,6", "8 GT/s,8,3", "16 GT/s,16,4"})
    void pcieSpeedsOfOldAndNewKernels(String content, double speed, int generation) throws Exception {
        PcieLinkSpeed parsed = PcieLinkSpeed.parse("max_link_speed", content + "\n").orElseThrow();
        assertEquals(speed, parsed.gigatransfersPerSecond());
        assertEquals(generation, parsed.generation());
    }

    @Test
    void unknownSpeedIsNoSpeedAndGarbageIsMalformed() throws Exception {
        assertEquals(Optional.empty(), PcieLinkSpeed.parse("s", "Unknown\n"));
        assertThrows(MalformedInputException.class, () -> PcieLinkSpeed.parse("s", "fast"));
    }

    @Test
    void hexAndDecimalAttributes() throws Exception {
        assertEquals(0x10de, SysfsValues.hex("vendor", "0x10de\n"));
        assertEquals(0x80, SysfsValues.hex("lid", "0x80\n"));
        assertEquals(-1, SysfsValues.decimal("numa_node", "-1\n"));
        assertThrows(MalformedInputException.class, () -> SysfsValues.hex("vendor", "10de"));
        assertThrows(MalformedInputException.class, () -> SysfsValues.decimal("mtu", "9k"));
    }

    @Test
    void kernelCommandLineParameters() {
        KernelCmdline cmdline = KernelCmdline.parse("BOOT_IMAGE=/boot/vmlinuz-5.15.0-70-generic ro intel_iommu=on iommu=pt "
                + "quiet console=tty0 dyndbg=\"file x.c +p\"\n");
        assertEquals(Optional.of("pt"), cmdline.get("iommu"));
        assertEquals(Optional.of("on"), cmdline.get("intel_iommu"));
        assertEquals(Optional.of(""), cmdline.get("quiet"));
        assertEquals(Optional.of("file x.c +p"), cmdline.get("dyndbg"));
        assertFalse(cmdline.get("amd_iommu").isPresent());
    }
}
