package dev.preflight.agent.hostfs;


/** A capability set from the CapEff line of /proc/&lt;pid&gt;/status (hexadecimal bit mask). */
public final class Capabilities {
    public static final int CAP_NET_ADMIN = 12;
    public static final int CAP_IPC_LOCK = 14;
    public static final int CAP_SYS_PTRACE = 19;
    public static final int CAP_SYS_ADMIN = 21;

    private final long mask;

    private Capabilities(long mask) {
        this.mask = mask;
    }

    public boolean has(int capability) {
        return (mask & (1L << capability)) != 0;
    }

    public long mask() {
        return mask;
    }

    /** The effective set from a whole /proc/&lt;pid&gt;/status. */
    public static Capabilities effective(String source, String status) throws MalformedInputException {
        for (String line : status.split("\n")) {
            if (line.startsWith("CapEff:")) {
                String hex = line.substring("CapEff:".length()).strip();
                try {
                    return new Capabilities(Long.parseUnsignedLong(hex, 16));
                } catch (NumberFormatException e) {
                    throw new MalformedInputException(source, line, "'CapEff:' followed by a hexadecimal mask");
                }
            }
        }
        throw new MalformedInputException(source, status, "a 'CapEff:' line");
    }
}
