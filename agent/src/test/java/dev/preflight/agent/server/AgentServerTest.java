package dev.preflight.agent.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.Fixtures;
import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.Checks;
import dev.preflight.proto.v1.AgentGrpc;
import dev.preflight.proto.v1.CheckProgress;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.GetNodeInfoRequest;
import dev.preflight.proto.v1.GetPortCountersRequest;
import dev.preflight.proto.v1.PortCounters;
import dev.preflight.proto.v1.RunChecksEvent;
import dev.preflight.proto.v1.RunChecksRequest;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AgentServerTest {
    private AgentServer server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        String name = "agent-test-" + UUID.randomUUID();
        server = AgentServer.start(InProcessServerBuilder.forName(name), Fixtures.hostFs("docker-default"),
                AgentSettings.builder().nodeName("node-a").checks(Fixtures.settings().build()).build());
        channel = InProcessChannelBuilder.forName(name).build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    @Test
    void healthIsServingOnceStartedAndNotServingAfterShutdown() {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
        assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.getDefaultInstance()).getStatus());
        assertEquals(ServingStatus.SERVING,
                health.check(HealthCheckRequest.newBuilder().setService(AgentGrpc.SERVICE_NAME).build()).getStatus());
        server.close();
        assertThrows(StatusRuntimeException.class, () -> HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(2, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()));
    }

    @Test
    void nodeInfoCarriesTheGivenName() {
        assertEquals("node-a", AgentGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .getNodeInfo(GetNodeInfoRequest.getDefaultInstance()).getNodeName());
    }

    @Test
    void runChecksStreamsProgressThenOneResultsEvent() {
        Iterator<RunChecksEvent> events = AgentGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .runChecks(RunChecksRequest.getDefaultInstance());
        List<RunChecksEvent> all = new ArrayList<>();
        events.forEachRemaining(all::add);
        RunChecksEvent last = all.get(all.size() - 1);
        assertTrue(last.hasResults());
        List<String> ids = last.getResults().getChecksList().stream().map(CheckResult::getId).toList();
        List<String> catalog = Checks.standard().all().stream().map(Check::id).toList();
        assertEquals(catalog, ids);
        List<RunChecksEvent> progress = all.subList(0, all.size() - 1);
        assertEquals(2 * catalog.size(), progress.size());
        assertEquals(CheckProgress.Phase.STARTED, progress.get(0).getProgress().getPhase());
        RunChecksEvent lastProgress = progress.get(progress.size() - 1);
        assertEquals(CheckProgress.Phase.FINISHED, lastProgress.getProgress().getPhase());
        assertEquals(catalog.size(), lastProgress.getProgress().getDone());
        assertEquals(catalog.size(), lastProgress.getProgress().getTotal());
    }

    @Test
    void portCountersComeAsOneSnapshot() throws Exception {
        String name = "agent-counters-" + UUID.randomUUID();
        try (AgentServer fabric = AgentServer.start(InProcessServerBuilder.forName(name), Fixtures.hostFs("hgx-8gpu-cx7-ndr"),
                AgentSettings.builder().checks(Fixtures.settings().build()).build())) {
            ManagedChannel counters = InProcessChannelBuilder.forName(name).build();
            try {
                PortCounters snapshot = AgentGrpc.newBlockingStub(counters).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .getPortCounters(GetPortCountersRequest.getDefaultInstance());
                assertEquals(8, snapshot.getPortsCount());
                assertEquals(0L, snapshot.getPorts(7).getCountersOrThrow("symbol_error"));
                assertTrue(snapshot.getTakenAt().getSeconds() > 0);
            } finally {
                counters.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void selectedChecksOnly() {
        Iterator<RunChecksEvent> events = AgentGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .runChecks(RunChecksRequest.newBuilder().addCheckIds("host.shm").build());
        RunChecksEvent last = null;
        while (events.hasNext()) {
            last = events.next();
        }
        assertEquals(1, last.getResults().getChecksCount());
        assertEquals("host.shm", last.getResults().getChecks(0).getId());
    }

    /** Raw bytes on the wire, so a test can send what no generated stub would. */
    private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private StatusRuntimeException sendRaw(byte[] request) {
        MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(AgentGrpc.getGetNodeInfoMethod().getFullMethodName())
                .setRequestMarshaller(RAW)
                .setResponseMarshaller(RAW)
                .build();
        return assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(channel, method,
                CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), request));
    }

    @Test
    void malformedOrOversizedRequestBytesAreInvalidArgumentsAndTheAgentKeepsServing() {
        // field 1, wire type 2 (length-delimited), claiming 100 bytes that never come
        StatusRuntimeException malformed = sendRaw(new byte[] {0x0a, 0x64, 0x01});
        assertEquals(Status.Code.INVALID_ARGUMENT, malformed.getStatus().getCode(), malformed.toString());
        assertTrue(malformed.getStatus().getDescription().startsWith("request: not a valid request message"));
        StatusRuntimeException oversized = sendRaw(new byte[RequestParsing.MAX_REQUEST_BYTES + 1]);
        assertEquals(Status.Code.INVALID_ARGUMENT, oversized.getStatus().getCode(), oversized.toString());
        assertTrue(oversized.getStatus().getDescription().startsWith("request: more than 262144 bytes"));
        assertEquals("node-a", AgentGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .getNodeInfo(GetNodeInfoRequest.getDefaultInstance()).getNodeName());
    }

    @Test
    void unknownOrOversizedCheckIdsAreInvalidArgumentsNamingTheField() {
        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () ->
                AgentGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .runChecks(RunChecksRequest.newBuilder().addCheckIds("host.nope").build()).next());
        assertEquals(Status.Code.INVALID_ARGUMENT, unknown.getStatus().getCode());
        assertTrue(unknown.getStatus().getDescription().startsWith("check_ids: unknown check id 'host.nope'"));
        RunChecksRequest.Builder many = RunChecksRequest.newBuilder();
        for (int i = 0; i <= AgentService.MAX_CHECK_IDS; i++) {
            many.addCheckIds("host.shm");
        }
        StatusRuntimeException tooMany = assertThrows(StatusRuntimeException.class, () ->
                AgentGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).runChecks(many.build()).next());
        assertEquals(Status.Code.INVALID_ARGUMENT, tooMany.getStatus().getCode());
        // the agent keeps serving
        assertEquals("node-a", AgentGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .getNodeInfo(GetNodeInfoRequest.getDefaultInstance()).getNodeName());
    }
}
