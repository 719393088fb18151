package dev.preflight.agent.hostnet;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The agent's open data listeners: few, short-lived, each closed when its lifetime ends. */
public final class DataListeners implements AutoCloseable {
    /** Listeners open at once: one per coordinator run is the normal case. */
    public static final int MAX_LISTENERS = 4;

    public record Opened(String id, String host, int port, byte[] token, boolean rendezvousListening,
            String rendezvousError) {}

    private final SecureRandom random = new SecureRandom();
    private final Map<String, DataListener> listeners = new LinkedHashMap<>();
    private final AtomicInteger threads = new AtomicInteger();
    private final ExecutorService executor = Executors.newCachedThreadPool(this::daemon);
    private final ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(this::daemon);

    private Thread daemon(Runnable task) {
        Thread thread = new Thread(task, "preflight-hostnet-" + threads.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    }

    /**
     * Opens a listener on an ephemeral port of the address, and on the rendezvous port when asked.
     *
     * @throws IllegalStateException when {@value #MAX_LISTENERS} listeners are open already
     */
    public synchronized Opened open(InetAddress address, int rendezvousPort, Duration lifetime) throws IOException {
        if (listeners.size() >= MAX_LISTENERS) {
            throw new IllegalStateException(MAX_LISTENERS + " data listeners are open already");
        }
        ServerSocket data = DataListener.bind(address, 0);
        ServerSocket rendezvous = null;
        String rendezvousError = "";
        if (rendezvousPort > 0) {
            try {
                rendezvous = DataListener.bind(address, rendezvousPort);
            } catch (BindException e) {
                rendezvousError = "port " + rendezvousPort + " in use on " + address.getHostAddress()
                        + " (something already serves it)";
            } catch (IOException e) {
                rendezvousError = "cannot listen on port " + rendezvousPort + ": " + e.getMessage();
            }
        }
        byte[] token = new byte[DataProtocol.TOKEN_BYTES];
        random.nextBytes(token);
        byte[] idBytes = new byte[8];
        random.nextBytes(idBytes);
        String id = HexFormat.of().formatHex(idBytes);
        DataListener listener = new DataListener(id, data, rendezvous, token, executor);
        listeners.put(id, listener);
        listener.start();
        reaper.schedule(() -> close(id), lifetime.toMillis(), TimeUnit.MILLISECONDS);
        return new Opened(id, address.getHostAddress(), listener.port(), token, rendezvous != null, rendezvousError);
    }

    public synchronized boolean close(String id) {
        DataListener listener = listeners.remove(id);
        if (listener == null) {
            return false;
        }
        listener.close();
        return true;
    }

    synchronized int openCount() {
        return listeners.size();
    }

    @Override
    public synchronized void close() {
        listeners.values().forEach(DataListener::close);
        listeners.clear();
        executor.shutdownNow();
        reaper.shutdownNow();
    }
}
