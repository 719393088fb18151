package dev.preflight.agent.hostnet;

import java.io.Closeable;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One TCP listener for peers' measurements: accepts connections that present its token, counts
 * or echoes their bytes (see {@link DataProtocol}).
 */
final class DataListener implements AutoCloseable {
    /** Connections served at once; a peer runs at most 16 streams, so this leaves room for a few peers. */
    static final int MAX_CONNECTIONS = 64;
    private static final int HANDSHAKE_TIMEOUT_MILLIS = 5_000;
    private static final int IDLE_TIMEOUT_MILLIS = 30_000;

    private final String id;
    private final ServerSocket data;
    private final ServerSocket rendezvous;
    private final byte[] token;
    private final ExecutorService executor;
    private final Semaphore connections = new Semaphore(MAX_CONNECTIONS);
    private final AtomicBoolean closed = new AtomicBoolean();

    DataListener(String id, ServerSocket data, ServerSocket rendezvous, byte[] token, ExecutorService executor) {
        this.id = id;
        this.data = data;
        this.rendezvous = rendezvous;
        this.token = token.clone();
        this.executor = executor;
    }

    static ServerSocket bind(InetAddress address, int port) throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.setReceiveBufferSize(DataProtocol.SOCKET_BUFFER_BYTES);
        socket.bind(new InetSocketAddress(address, port), MAX_CONNECTIONS);
        return socket;
    }

    String id() {
        return id;
    }

    int port() {
        return data.getLocalPort();
    }

    void start() {
        executor.execute(() -> acceptLoop(data, true));
        if (rendezvous != null) {
            // The rendezvous listener only proves the port is reachable: accept, then close.
            executor.execute(() -> acceptLoop(rendezvous, false));
        }
    }

    private void acceptLoop(ServerSocket server, boolean serve) {
        while (!closed.get()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return;
            }
            if (!serve) {
                closeQuietly(socket);
                continue;
            }
            if (!connections.tryAcquire()) {
                closeQuietly(socket);
                continue;
            }
            try {
                executor.execute(() -> {
                    try {
                        serve(socket);
                    } finally {
                        connections.release();
                        closeQuietly(socket);
                    }
                });
            } catch (RuntimeException e) {
                connections.release();
                closeQuietly(socket);
            }
        }
    }

    private void serve(Socket socket) {
        try {
            socket.setSoTimeout(HANDSHAKE_TIMEOUT_MILLIS);
            socket.setTcpNoDelay(true);
            InputStream in = socket.getInputStream();
            byte[] presented = in.readNBytes(DataProtocol.TOKEN_BYTES);
            if (!MessageDigest.isEqual(presented, token)) {
                return;
            }
            int mode = in.read();
            socket.setSoTimeout(IDLE_TIMEOUT_MILLIS);
            if (mode == DataProtocol.THROUGHPUT) {
                byte[] buffer = new byte[DataProtocol.CHUNK_BYTES];
                long received = 0;
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    received += n;
                }
                DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                out.writeLong(received);
                out.flush();
            } else if (mode == DataProtocol.PING) {
                OutputStream out = socket.getOutputStream();
                int b;
                while ((b = in.read()) >= 0) {
                    out.write(b);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // a peer that goes away mid-measurement fails its own side; nothing to report here
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            closeQuietly(data);
            if (rendezvous != null) {
                closeQuietly(rendezvous);
            }
        }
    }

    private static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException e) {
            // closing a socket the peer already dropped: nothing left to release
        }
    }
}
