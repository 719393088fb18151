package dev.preflight.agent.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.Fixtures;
import dev.preflight.agent.server.AgentServer;
import dev.preflight.proto.v1.AgentGrpc;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.CreateCommIdRequest;
import dev.preflight.proto.v1.CreateCommIdResponse;
import dev.preflight.proto.v1.RunCollectiveEvent;
import dev.preflight.proto.v1.RunCollectiveRequest;
import dev.preflight.proto.v1.SizeProgress;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * An agent for bench tests: in-process gRPC, workers as real processes (with -Xcheck:jni) that
 * load the strict fake CUDA runtime and NCCL, FAKE_CUDA_DEVICE_COUNT GPUs, leak reports to a file.
 */
final class BenchAgent implements AutoCloseable {
    static final List<String> WORKER_JVM = List.of("-Xcheck:jni", "-Xms16m", "-Xmx96m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-Xshare:auto");

    final AgentServer server;
    final ManagedChannel channel;
    final AgentGrpc.AgentBlockingStub stub;
    final Path leaks;

    /** What one RunCollective streamed. */
    record Run(List<SizeProgress> progress, CollectiveResults results) {}

    private BenchAgent(AgentServer server, ManagedChannel channel, Path leaks) {
        this.server = server;
        this.channel = channel;
        this.stub = AgentGrpc.newBlockingStub(channel);
        this.leaks = leaks;
    }

    static Path fake(String name) {
        return Paths.get(System.getProperty("preflight.fake.dir"), name);
    }

    /** The bench's settings for fake workers: the fake CUDA and NCCL, lock and logs under {@code dir}. */
    static WorkerSettings.Builder worker(Path dir, Map<String, String> environment) {
        Map<String, String> env = new HashMap<>();
        env.put("FAKE_CUDA_DEVICE_COUNT", "4");
        env.put("FAKE_LEAK_REPORT", dir.resolve("leaks.txt").toString());
        env.putAll(environment);
        return WorkerSettings.builder()
                .cudartLibrary(fake("libfakecudart.so").toString())
                .ncclLibrary(fake("libfakenccl.so").toString())
                .benchLockDir(dir.resolve("lock"))
                .benchWorkDir(dir.resolve("work"))
                .workerCommand(WorkerLauncher.command(WORKER_JVM, WorkerMain.class.getName(), List.of()))
                .workerEnvironment(env);
    }

    static AgentSettings.Builder settings(Path dir, Map<String, String> environment) {
        return AgentSettings.builder().worker(worker(dir, environment).build());
    }

    static BenchAgent start(Path dir, String fixture, AgentSettings settings) throws IOException {
        String name = "bench-agent-" + UUID.randomUUID();
        AgentServer server = AgentServer.start(InProcessServerBuilder.forName(name), Fixtures.hostFs(fixture), settings);
        return new BenchAgent(server, InProcessChannelBuilder.forName(name).build(), dir.resolve("leaks.txt"));
    }

    static BenchSpec.Builder spec(long minBytes, long maxBytes, int timeoutSeconds) {
        return BenchSpec.newBuilder()
                .setMinBytes(minBytes)
                .setMaxBytes(maxBytes)
                .setStepFactor(4)
                .setIters(3)
                .setWarmupIters(1)
                .setTimeout(Duration.newBuilder().setSeconds(timeoutSeconds));
    }

    CreateCommIdResponse createCommId(List<Integer> gpus) {
        return createCommId("", gpus);
    }

    /** Workers for a bench of the coordinator run {@code run} ("" for none). */
    CreateCommIdResponse createCommId(String run, List<Integer> gpus) {
        return stub.withDeadlineAfter(120, TimeUnit.SECONDS)
                .createCommId(CreateCommIdRequest.newBuilder().setBenchRun(run).addAllGpus(gpus).build());
    }

    Run runCollective(ByteString id, int nranks, int offset, List<Integer> gpus, BenchSpec spec) {
        Iterator<RunCollectiveEvent> events = stub.withDeadlineAfter(180, TimeUnit.SECONDS)
                .runCollective(RunCollectiveRequest.newBuilder()
                        .setCommId(id)
                        .setNranks(nranks)
                        .setRankOffset(offset)
                        .addAllGpus(gpus)
                        .setSpec(spec)
                        .build());
        List<SizeProgress> progress = new ArrayList<>();
        CollectiveResults results = null;
        while (events.hasNext()) {
            RunCollectiveEvent event = events.next();
            if (event.hasProgress()) {
                progress.add(event.getProgress());
            } else {
                results = event.getResults();
            }
        }
        return new Run(progress, results);
    }

    /** CreateCommId then RunCollective on this agent alone: a bench of its GPUs. */
    Run bench(List<Integer> gpus, BenchSpec spec) {
        CreateCommIdResponse id = createCommId(gpus);
        return runCollective(id.getCommId(), id.getLocalRanks(), 0, gpus, spec);
    }

    /** What the fake reported leaked at the workers' exit; empty when nothing. */
    String leakReport() throws IOException {
        return Files.exists(leaks) ? Files.readString(leaks) : "";
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.close();
    }
}
