package dev.preflight.agent.hostfs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A PCI function's configuration space as sysfs exposes it (/sys/bus/pci/devices/BDF/config). The
 * extended capabilities (ACS among them) start at offset 0x100 of the 4 KiB PCIe space; without
 * CAP_SYS_ADMIN the kernel silently stops the read at 64 bytes (drivers/pci/pci-sysfs.c).
 */
public final class PciConfigSpace {
    public static final int UNPRIVILEGED_BYTES = 64;
    public static final int CONVENTIONAL_BYTES = 256;
    public static final int EXTENDED_BYTES = 4096;
    static final int ACS_CAPABILITY_ID = 0x000d;
    private static final int FIRST_EXTENDED = 0x100;

    /** The Access Control Services capability: its capability and control registers. */
    public record Acs(int offset, int capability, int control) {
        public static final int SOURCE_VALIDATION = 1;
        public static final int TRANSLATION_BLOCKING = 1 << 1;
        public static final int REQUEST_REDIRECT = 1 << 2;
        public static final int COMPLETION_REDIRECT = 1 << 3;
        public static final int UPSTREAM_FORWARDING = 1 << 4;
        public static final int EGRESS_CONTROL = 1 << 5;
        public static final int DIRECT_TRANSLATED = 1 << 6;

        /** Bits that send peer-to-peer requests up to the root complex instead of across the switch. */
        public static final int REDIRECTING = REQUEST_REDIRECT | COMPLETION_REDIRECT | EGRESS_CONTROL;

        public boolean redirectsPeerToPeer() {
            return (control & REDIRECTING) != 0;
        }

        /** As lspci -vvv prints ACSCtl: "SrcValid- TransBlk- ReqRedir+ ...". */
        public String describeControl() {
            String[] names = {"SrcValid", "TransBlk", "ReqRedir", "CmpltRedir", "UpstreamFwd", "EgressCtrl", "DirectTrans"};
            StringBuilder out = new StringBuilder();
            for (int bit = 0; bit < names.length; bit++) {
                if (out.length() > 0) {
                    out.append(' ');
                }
                out.append(names[bit]).append((control & (1 << bit)) != 0 ? '+' : '-');
            }
            return out.toString();
        }
    }

    private PciConfigSpace() {}

    /** Reads at most the 4 KiB of extended configuration space. */
    public static byte[] read(Path config) throws IOException {
        return BoundedFile.readBytes(config, new BoundedFile.Limits(EXTENDED_BYTES, BoundedFile.HOST.maxTime()));
    }

    /** The IDs of the extended capabilities in chain order; empty when the read did not reach 0x100. */
    public static List<Integer> extendedCapabilities(String source, byte[] config) throws MalformedInputException {
        List<Integer> ids = new ArrayList<>();
        for (int[] capability : walk(source, config)) {
            ids.add(capability[0]);
        }
        return ids;
    }

    /** The ACS capability, if the function has one; needs the whole extended space. */
    public static Optional<Acs> acs(String source, byte[] config) throws MalformedInputException {
        for (int[] capability : walk(source, config)) {
            if (capability[0] == ACS_CAPABILITY_ID) {
                int offset = capability[1];
                return Optional.of(new Acs(offset, le16(config, offset + 4), le16(config, offset + 6)));
            }
        }
        return Optional.empty();
    }

    /** [id, offset] of every extended capability, following the next pointers from 0x100. */
    private static List<int[]> walk(String source, byte[] config) throws MalformedInputException {
        List<int[]> capabilities = new ArrayList<>();
        if (config.length < EXTENDED_BYTES) {
            return capabilities;
        }
        int offset = FIRST_EXTENDED;
        // A well-formed chain visits each dword at most once; the bound stops a looping chain.
        for (int hops = 0; hops < (EXTENDED_BYTES - FIRST_EXTENDED) / 4; hops++) {
            long header = le32(config, offset);
            if (header == 0 || header == 0xffffffffL) {
                return capabilities;
            }
            int id = (int) (header & 0xffff);
            capabilities.add(new int[] {id, offset});
            int next = (int) ((header >>> 20) & 0xffc);
            if (next == 0) {
                return capabilities;
            }
            if (next < FIRST_EXTENDED || next + 8 > EXTENDED_BYTES) {
                throw new MalformedInputException(source, String.format("capability 0x%04x at 0x%x points to 0x%x", id, offset, next),
                        "extended capability pointers between 0x100 and 0xff8");
            }
            offset = next;
        }
        throw new MalformedInputException(source, "a capability chain that loops", "a chain that ends with a zero pointer");
    }

    private static int le16(byte[] bytes, int offset) {
        return (bytes[offset] & 0xff) | (bytes[offset + 1] & 0xff) << 8;
    }

    private static long le32(byte[] bytes, int offset) {
        return (long) le16(bytes, offset) | (long) le16(bytes, offset + 2) << 16;
    }
}
