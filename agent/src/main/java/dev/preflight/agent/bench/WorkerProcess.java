package dev.preflight.agent.bench;

import dev.preflight.proto.v1.WorkerEvent;
import dev.preflight.proto.v1.WorkerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The agent's handle on one worker process: requests go to its stdin, its events (and finally its
 * exit) arrive on a queue shared by the session, tagged with the worker's index. stderr goes to a
 * file, so a crash leaves its trace.
 */
final class WorkerProcess implements AutoCloseable {
    /** An event from worker {@code index}, or its exit ({@code event} null) with the exit status. */
    record Message(int index, WorkerEvent event, int exitStatus) {
        boolean exited() {
            return event == null;
        }
    }

    private static final int STDERR_TAIL_BYTES = 2048;

    private final int index;
    private final int gpu;
    private final Process process;
    private final Path stderr;
    private final OutputStream stdin;

    private WorkerProcess(int index, int gpu, Process process, Path stderr) {
        this.index = index;
        this.gpu = gpu;
        this.process = process;
        this.stderr = stderr;
        this.stdin = process.getOutputStream();
    }

    /** @param environment the worker's whole environment */
    static WorkerProcess start(int index, int gpu, List<String> command, Map<String, String> environment,
            Path stderr, BlockingQueue<Message> events) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()));
        builder.environment().clear();
        builder.environment().putAll(environment);
        WorkerProcess worker = new WorkerProcess(index, gpu, builder.start(), stderr);
        Thread reader = new Thread(() -> worker.read(events), "preflight-worker-" + gpu + "-reader");
        reader.setDaemon(true);
        reader.start();
        return worker;
    }

    private void read(BlockingQueue<Message> events) {
        try (InputStream in = process.getInputStream()) {
            WorkerEvent event;
            while ((event = WorkerEvent.parseDelimitedFrom(in)) != null) {
                events.add(new Message(index, event, 0));
            }
        } catch (IOException e) {
            // the stream broke: the process is gone or going; its exit status says why
        }
        int status;
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            status = process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = -1;
        }
        events.add(new Message(index, null, status));
    }

    int gpu() {
        return gpu;
    }

    long pid() {
        return process.pid();
    }

    Path stderrFile() {
        return stderr;
    }

    /** Sends a request; false when the worker is gone (its exit arrives on the queue). */
    synchronized boolean send(WorkerRequest request) {
        try {
            request.writeDelimitedTo(stdin);
            stdin.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    boolean alive() {
        return process.isAlive();
    }

    void kill() {
        process.destroyForcibly();
    }

    /** "exited with status 3" or "killed by signal 6 (SIGABRT)", from Java's 128+N convention. */
    static String describeExit(int status) {
        if (status > 128 && status < 160) {
            int signal = status - 128;
            return "killed by signal " + signal + signalName(signal);
        }
        return "exited with status " + status;
    }

    private static String signalName(int signal) {
        switch (signal) {
            case 6:
                return " (SIGABRT)";
            case 9:
                return " (SIGKILL)";
            case 11:
                return " (SIGSEGV)";
            case 15:
                return " (SIGTERM)";
            case 7:
                return " (SIGBUS)";
            default:
                return "";
        }
    }

    /** The end of the worker's stderr, for error messages. */
    String stderrTail() {
        try (RandomAccessFile file = new RandomAccessFile(stderr.toFile(), "r")) {
            long length = file.length();
            long start = Math.max(0, length - STDERR_TAIL_BYTES);
            byte[] tail = new byte[(int) (length - start)];
            file.seek(start);
            file.readFully(tail);
            return new String(tail, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
