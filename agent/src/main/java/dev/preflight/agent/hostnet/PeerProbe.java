package dev.preflight.agent.hostnet;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Measures the TCP path from this agent to a peer's {@link DataListener}. */
public final class PeerProbe {
    public record Target(String host, int port, byte[] token) {}

    public record Result(long bytes, double elapsedSeconds, double rttP50Micros, double rttP99Micros,
            boolean rendezvousReachable, String rendezvousError) {
        public double bytesPerSecond() {
            return elapsedSeconds > 0 ? bytes / elapsedSeconds : 0;
        }
    }

    static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    /** After the senders stop, how long the peer gets to report its count. */
    private static final long ACK_TIMEOUT_MILLIS = 10_000;

    private PeerProbe() {}

    /**
     * Streams for {@code duration} over {@code streams} connections (0 skips), then {@code pings}
     * one-byte round trips, then tries the rendezvous port (0 skips).
     *
     * @throws IOException when the data connections fail (refused, reset, timed out)
     */
    public static Result measure(Target target, int streams, Duration duration, int pings, int rendezvousPort)
            throws IOException, InterruptedException {
        long[] received = streams > 0 ? throughput(target, streams, duration) : new long[] {0, 0};
        double[] rtt = pings > 0 ? pings(target, pings) : new double[] {0, 0};
        String rendezvousError = "";
        boolean reachable = false;
        if (rendezvousPort > 0) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(target.host(), rendezvousPort), CONNECT_TIMEOUT_MILLIS);
                reachable = true;
            } catch (IOException e) {
                rendezvousError = target.host() + ":" + rendezvousPort + ": " + e.getMessage();
            }
        }
        return new Result(received[0], received[1] / 1e9, rtt[0], rtt[1], reachable, rendezvousError);
    }

    /** Returns {bytes the peer acknowledged, nanoseconds from the common start to the last acknowledgement}. */
    private static long[] throughput(Target target, int streams, Duration duration) throws IOException, InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(streams, task -> {
            Thread thread = new Thread(task, "preflight-probe");
            thread.setDaemon(true);
            return thread;
        });
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < streams; i++) {
                Socket socket = connect(target, DataProtocol.THROUGHPUT);
                sockets.add(socket);
            }
            CountDownLatch go = new CountDownLatch(1);
            long[] start = new long[1];
            List<Future<Long>> counts = new ArrayList<>();
            long endNanos = duration.toNanos();
            for (Socket socket : sockets) {
                counts.add(pool.submit(() -> {
                    go.await();
                    byte[] chunk = new byte[DataProtocol.CHUNK_BYTES];
                    OutputStream out = socket.getOutputStream();
                    while (System.nanoTime() - start[0] < endNanos) {
                        out.write(chunk);
                    }
                    socket.shutdownOutput();
                    socket.setSoTimeout((int) ACK_TIMEOUT_MILLIS);
                    return new DataInputStream(socket.getInputStream()).readLong();
                }));
            }
            start[0] = System.nanoTime();
            go.countDown();
            long total = 0;
            long waitMillis = duration.toMillis() + ACK_TIMEOUT_MILLIS + 5_000;
            for (Future<Long> count : counts) {
                try {
                    total += count.get(waitMillis, TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    throw cause instanceof IOException ? (IOException) cause : new IOException(cause.toString(), cause);
                } catch (TimeoutException e) {
                    throw new IOException("peer did not acknowledge within " + waitMillis + " ms");
                }
            }
            return new long[] {total, System.nanoTime() - start[0]};
        } finally {
            pool.shutdownNow();
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    /** {p50, p99} of one-byte round trips, in microseconds. */
    private static double[] pings(Target target, int count) throws IOException {
        try (Socket socket = connect(target, DataProtocol.PING)) {
            socket.setSoTimeout(CONNECT_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            long[] nanos = new long[count];
            for (int i = 0; i < count; i++) {
                long begin = System.nanoTime();
                out.write(1);
                out.flush();
                if (in.read() < 0) {
                    throw new IOException("peer closed the ping connection");
                }
                nanos[i] = System.nanoTime() - begin;
            }
            Arrays.sort(nanos);
            return new double[] {percentile(nanos, 0.50) / 1e3, percentile(nanos, 0.99) / 1e3};
        }
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(long[] sorted, double quantile) {
        int rank = (int) Math.ceil(quantile * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static Socket connect(Target target, byte mode) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setSendBufferSize(DataProtocol.SOCKET_BUFFER_BYTES);
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(target.host(), target.port()), CONNECT_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write(target.token());
            out.write(mode);
            out.flush();
            return socket;
        } catch (IOException e) {
            socket.close();
            throw new IOException(target.host() + ":" + target.port() + ": " + e.getMessage(), e);
        }
    }
}
