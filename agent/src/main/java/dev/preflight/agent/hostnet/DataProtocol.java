package dev.preflight.agent.hostnet;

/**
 * The data connection between two agents: the caller sends the listener's token, then a mode byte.
 * THROUGHPUT: the caller streams bytes and half-closes; the listener answers with the 8-byte count it
 * received. PING: each byte the caller sends is echoed until the caller closes.
 */
final class DataProtocol {
    static final int TOKEN_BYTES = 16;
    static final byte THROUGHPUT = 'T';
    static final byte PING = 'P';
    /** Large writes and socket buffers keep the JVM's per-call cost out of the figure. */
    static final int CHUNK_BYTES = 1 << 20;
    static final int SOCKET_BUFFER_BYTES = 4 << 20;

    private DataProtocol() {}
}
