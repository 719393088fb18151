package dev.preflight.agent.bench;

import com.google.protobuf.ByteString;
import dev.preflight.nativelib.BenchException;
import dev.preflight.nativelib.Collective;
import dev.preflight.nativelib.DataType;
import dev.preflight.nativelib.DeviceInfo;
import dev.preflight.nativelib.MeasuredPlacement;
import dev.preflight.nativelib.Measurement;
import dev.preflight.nativelib.NcclBench;
import dev.preflight.nativelib.NcclCommunicator;
import dev.preflight.nativelib.PreflightNative;
import dev.preflight.nativelib.RunSpec;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.WorkerClosed;
import dev.preflight.proto.v1.WorkerCommReady;
import dev.preflight.proto.v1.WorkerEvent;
import dev.preflight.proto.v1.WorkerFailure;
import dev.preflight.proto.v1.WorkerOpen;
import dev.preflight.proto.v1.WorkerOpened;
import dev.preflight.proto.v1.WorkerPlacement;
import dev.preflight.proto.v1.WorkerRequest;
import dev.preflight.proto.v1.WorkerRunSize;
import dev.preflight.proto.v1.WorkerSizeResult;
import dev.preflight.proto.v1.WorkerUniqueId;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A bench worker: one process per GPU, driven by its agent over length-delimited protobuf on
 * stdin and a private copy of stdout (fd 1 itself goes to stderr, so whatever CUDA or NCCL prints
 * never corrupts the channel). Requests run one at a time on the main thread; an Abort is acted on
 * at once by a reader thread, and end of input (the agent is gone) aborts too.
 */
public final class WorkerMain {
    /** Exit status when the worker cannot even start its channel (the agent reads stderr). */
    static final int EXIT_NO_CHANNEL = 3;
    /** Exit status when the agent went away and the worker could not finish in time. */
    static final int EXIT_ORPHANED = 4;
    /**
     * How long a worker whose agent is gone may take to abort and close: a call stuck where no abort
     * reaches (an old NCCL's blocking initialisation) must not leave the process behind.
     */
    static final long ORPHAN_GRACE_MILLIS = 30_000;

    private final OutputStream out;
    private final BlockingQueue<WorkerRequest> requests = new LinkedBlockingQueue<>();
    private NcclBench bench;
    private NcclCommunicator comm;
    private int device = -1;

    private WorkerMain(OutputStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(run());
    }

    /** Serves the agent until Shutdown or end of input; returns the exit status. */
    public static int run() {
        OutputStream channel;
        try {
            int fd = PreflightNative.detachStdout();
            channel = new BufferedOutputStream(new FileOutputStream(Paths.get("/proc/self/fd", Integer.toString(fd)).toFile()));
        } catch (IOException | UnsatisfiedLinkError e) {
            System.err.println("preflight worker: cannot set up the channel to the agent: " + e.getMessage());
            return EXIT_NO_CHANNEL;
        }
        WorkerMain worker = new WorkerMain(channel);
        Thread reader = new Thread(() -> worker.read(System.in), "preflight-worker-reader");
        reader.setDaemon(true);
        reader.start();
        return worker.serve();
    }

    private void read(InputStream in) {
        try {
            WorkerRequest request;
            while ((request = WorkerRequest.parseDelimitedFrom(in)) != null) {
                if (request.hasAbort()) {
                    NcclBench.requestAbort();
                } else {
                    requests.add(request);
                }
            }
        } catch (IOException e) {
            System.err.println("preflight worker: reading from the agent: " + e.getMessage());
        }
        NcclBench.requestAbort();
        requests.add(WorkerRequest.getDefaultInstance());
        try {
            Thread.sleep(ORPHAN_GRACE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.err.println("preflight worker: the agent is gone and the running call did not end; exiting");
        Runtime.getRuntime().halt(EXIT_ORPHANED);
    }

    private int serve() {
        for (;;) {
            WorkerRequest request;
            try {
                request = requests.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
            if (request.hasShutdown() || request.getRequestCase() == WorkerRequest.RequestCase.REQUEST_NOT_SET) {
                closeComm(Duration.ofMillis(Math.max(1, request.getShutdown().getTimeoutMs())));
                send(WorkerEvent.newBuilder().setClosed(WorkerClosed.getDefaultInstance()).build());
                return 0;
            }
            WorkerEvent reply;
            try {
                reply = handle(request);
            } catch (BenchException e) {
                reply = failure(kind(e.kind()), e.call(), e.getMessage());
            } catch (IllegalArgumentException | IllegalStateException e) {
                reply = failure(WorkerFailure.Kind.INVALID_ARGUMENT, request.getRequestCase().name().toLowerCase(Locale.ROOT), e.getMessage());
            }
            if (!send(reply)) {
                closeComm(Duration.ofSeconds(5));
                return 1;
            }
        }
    }

    private WorkerEvent handle(WorkerRequest request) throws BenchException {
        switch (request.getRequestCase()) {
            case OPEN:
                return open(request.getOpen());
            case CREATE_UNIQUE_ID:
                return WorkerEvent.newBuilder()
                        .setUniqueId(WorkerUniqueId.newBuilder().setUniqueId(ByteString.copyFrom(opened().uniqueId())))
                        .build();
            case INIT_COMM:
                if (comm != null) {
                    throw new IllegalStateException("this worker already joined a communicator");
                }
                NcclBench.clearAbort();
                comm = opened().connect(device, request.getInitComm().getUniqueId().toByteArray(),
                        request.getInitComm().getNranks(), request.getInitComm().getRank(),
                        Duration.ofMillis(request.getInitComm().getTimeoutMs()));
                return WorkerEvent.newBuilder().setCommReady(WorkerCommReady.getDefaultInstance()).build();
            case RUN_SIZE:
                if (comm == null) {
                    throw new IllegalStateException("run_size before init_comm");
                }
                return result(comm.run(spec(request.getRunSize())));
            default:
                throw new IllegalArgumentException("unexpected request " + request.getRequestCase());
        }
    }

    private WorkerEvent open(WorkerOpen open) throws BenchException {
        if (bench != null) {
            throw new IllegalStateException("the libraries are already open");
        }
        bench = NcclBench.open(open.getCudartLibrary().isEmpty() ? null : Paths.get(open.getCudartLibrary()),
                open.getNcclLibrary().isEmpty() ? null : Paths.get(open.getNcclLibrary()));
        DeviceInfo info = bench.device(open.getDevice());
        device = open.getDevice();
        return WorkerEvent.newBuilder().setOpened(WorkerOpened.newBuilder()
                .setDeviceCount(info.deviceCount())
                .setPciBusId(info.pciBusId())
                .setFreeBytes(info.freeBytes())
                .setTotalBytes(info.totalBytes())
                .setCudaRuntimeVersion(bench.cudaRuntimeVersion())
                .setCudaDriverVersion(bench.cudaDriverVersion())
                .setNcclVersion(bench.ncclVersionString())
                .setCudartLibrary(bench.cudartLibrary())
                .setNcclLibrary(bench.ncclLibrary()))
                .build();
    }

    private NcclBench opened() {
        if (bench == null) {
            throw new IllegalStateException("open must come first");
        }
        return bench;
    }

    static RunSpec spec(WorkerRunSize r) {
        return new RunSpec(collective(r.getOp()), dataType(r.getDtype()), r.getCount(), r.getSendCapacity(),
                r.getRecvCapacity(), r.getIters(), r.getWarmupIters(), r.getGraphLaunches(), r.getPerIteration(),
                r.getSendPeer(), r.getRecvPeer(), r.getValidate(), r.getValidateMaxBytes(), r.getSeed(),
                Duration.ofMillis(r.getTimeoutMs()));
    }

    static Collective collective(BenchSpec.Op op) {
        switch (op) {
            case ALL_REDUCE:
                return Collective.ALL_REDUCE;
            case ALL_GATHER:
                return Collective.ALL_GATHER;
            case REDUCE_SCATTER:
                return Collective.REDUCE_SCATTER;
            case ALLTOALL:
                return Collective.ALLTOALL;
            case SENDRECV:
                return Collective.SENDRECV;
            default:
                throw new IllegalArgumentException("op " + op + " is not a benchmarked collective");
        }
    }

    static DataType dataType(BenchSpec.DataType dtype) {
        switch (dtype) {
            case FLOAT32:
                return DataType.FLOAT32;
            case FLOAT16:
                return DataType.FLOAT16;
            case BFLOAT16:
                return DataType.BFLOAT16;
            default:
                throw new IllegalArgumentException("dtype " + dtype + " is not a benchmarked type");
        }
    }

    private static WorkerEvent result(Measurement m) {
        return WorkerEvent.newBuilder().setSizeResult(WorkerSizeResult.newBuilder()
                .setOutOfPlace(placement(m.outOfPlace()))
                .setInPlace(placement(m.inPlace()))
                .setSampled(m.sampled()))
                .build();
    }

    private static WorkerPlacement placement(MeasuredPlacement p) {
        WorkerPlacement.Builder placement = WorkerPlacement.newBuilder()
                .setSeconds(p.seconds())
                .setWrong(p.wrong())
                .setOwnWrong(p.ownWrong())
                .setP50Seconds(p.p50Seconds())
                .setP99Seconds(p.p99Seconds());
        for (double seconds : p.iterationSeconds()) {
            placement.addIterationSeconds(seconds);
        }
        return placement.build();
    }

    private static WorkerFailure.Kind kind(BenchException.Kind kind) {
        switch (kind) {
            case TIMEOUT:
                return WorkerFailure.Kind.TIMEOUT;
            case INVALID_ARGUMENT:
                return WorkerFailure.Kind.INVALID_ARGUMENT;
            case ABORTED:
                return WorkerFailure.Kind.ABORTED;
            default:
                return WorkerFailure.Kind.ERROR;
        }
    }

    private static WorkerEvent failure(WorkerFailure.Kind kind, String call, String message) {
        return WorkerEvent.newBuilder().setFailure(WorkerFailure.newBuilder()
                .setKind(kind)
                .setCall(call == null ? "" : call)
                .setMessage(message == null ? "" : message))
                .build();
    }

    private void closeComm(Duration timeout) {
        if (comm != null) {
            comm.close(timeout);
            comm = null;
        }
        if (bench != null) {
            bench.close();
            bench = null;
        }
    }

    private boolean send(WorkerEvent event) {
        try {
            event.writeDelimitedTo(out);
            out.flush();
            return true;
        } catch (IOException e) {
            System.err.println("preflight worker: writing to the agent: " + e.getMessage());
            return false;
        }
    }
}
