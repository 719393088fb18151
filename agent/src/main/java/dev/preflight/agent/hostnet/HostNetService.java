package dev.preflight.agent.hostnet;

import com.google.protobuf.ByteString;
import dev.preflight.proto.v1.CloseListenerRequest;
import dev.preflight.proto.v1.CloseListenerResponse;
import dev.preflight.proto.v1.HostNetGrpc;
import dev.preflight.proto.v1.ListenerInfo;
import dev.preflight.proto.v1.MeasurePeerRequest;
import dev.preflight.proto.v1.OpenListenerRequest;
import dev.preflight.proto.v1.PeerMeasurement;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;

/**
 * The HostNet gRPC service. Listeners bind to the agent's side of the caller's own connection: the
 * interface the coordinator reaches this node on, which is the bootstrap path NCCL takes.
 */
public final class HostNetService extends HostNetGrpc.HostNetImplBase {
    static final int MAX_STREAMS = 16;
    static final int MIN_DURATION_MILLIS = 100;
    static final int MAX_DURATION_MILLIS = 30_000;
    static final int MAX_PINGS = 10_000;
    static final int MAX_LIFETIME_SECONDS = 600;
    static final int MAX_HOST_LENGTH = 253;

    private static final Context.Key<SocketAddress> LOCAL_ADDRESS = Context.key("preflight-local-address");

    private final DataListeners listeners;

    public HostNetService(DataListeners listeners) {
        this.listeners = listeners;
    }

    /** The service with the interceptor that tells it which local address each call arrived on. */
    public ServerServiceDefinition definition() {
        return ServerInterceptors.intercept(this, new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                SocketAddress local = call.getAttributes().get(Grpc.TRANSPORT_ATTR_LOCAL_ADDR);
                return Contexts.interceptCall(Context.current().withValue(LOCAL_ADDRESS, local), call, headers, next);
            }
        });
    }

    @Override
    public void openListener(OpenListenerRequest request, StreamObserver<ListenerInfo> response) {
        if (request.getRendezvousPort() < 0 || request.getRendezvousPort() > 65535) {
            response.onError(invalid("rendezvous_port: " + request.getRendezvousPort() + " is outside 0-65535"));
            return;
        }
        if (request.getLifetimeSeconds() < 1 || request.getLifetimeSeconds() > MAX_LIFETIME_SECONDS) {
            response.onError(invalid("lifetime_seconds: " + request.getLifetimeSeconds() + " is outside 1-" + MAX_LIFETIME_SECONDS));
            return;
        }
        SocketAddress local = LOCAL_ADDRESS.get();
        if (!(local instanceof InetSocketAddress)) {
            response.onError(Status.FAILED_PRECONDITION
                    .withDescription("this agent is reached without a network connection (in-process); it has no peer to measure")
                    .asRuntimeException());
            return;
        }
        InetAddress address = ((InetSocketAddress) local).getAddress();
        try {
            DataListeners.Opened opened = listeners.open(address, request.getRendezvousPort(),
                    Duration.ofSeconds(request.getLifetimeSeconds()));
            response.onNext(ListenerInfo.newBuilder()
                    .setListenerId(opened.id())
                    .setHost(opened.host())
                    .setPort(opened.port())
                    .setToken(ByteString.copyFrom(opened.token()))
                    .setRendezvousListening(opened.rendezvousListening())
                    .setRendezvousError(opened.rendezvousError())
                    .build());
            response.onCompleted();
        } catch (IllegalStateException e) {
            response.onError(Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()).asRuntimeException());
        } catch (IOException e) {
            response.onError(Status.UNAVAILABLE.withDescription("cannot listen on " + address.getHostAddress() + ": "
                    + e.getMessage()).asRuntimeException());
        }
    }

    @Override
    public void measurePeer(MeasurePeerRequest request, StreamObserver<PeerMeasurement> response) {
        String invalid = validate(request);
        if (invalid != null) {
            response.onError(invalid(invalid));
            return;
        }
        PeerMeasurement.Builder measurement = PeerMeasurement.newBuilder();
        try {
            PeerProbe.Result result = PeerProbe.measure(
                    new PeerProbe.Target(request.getHost(), request.getPort(), request.getToken().toByteArray()),
                    request.getStreams(), Duration.ofMillis(request.getDurationMillis()), request.getPings(),
                    request.getRendezvousPort());
            measurement.setBytes(result.bytes())
                    .setElapsedSeconds(result.elapsedSeconds())
                    .setThroughputBytesPerSecond(result.bytesPerSecond())
                    .setRttP50Micros(result.rttP50Micros())
                    .setRttP99Micros(result.rttP99Micros())
                    .setRendezvousReachable(result.rendezvousReachable())
                    .setRendezvousError(result.rendezvousError());
        } catch (IOException e) {
            measurement.setError(e.getMessage() == null ? e.toString() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            response.onError(Status.CANCELLED.withDescription("interrupted").asRuntimeException());
            return;
        }
        response.onNext(measurement.build());
        response.onCompleted();
    }

    @Override
    public void closeListener(CloseListenerRequest request, StreamObserver<CloseListenerResponse> response) {
        if (!listeners.close(request.getListenerId())) {
            response.onError(Status.NOT_FOUND.withDescription("listener_id: no open listener '"
                    + request.getListenerId() + "'").asRuntimeException());
            return;
        }
        response.onNext(CloseListenerResponse.getDefaultInstance());
        response.onCompleted();
    }

    static String validate(MeasurePeerRequest request) {
        if (request.getHost().isEmpty() || request.getHost().length() > MAX_HOST_LENGTH) {
            return "host: must be 1-" + MAX_HOST_LENGTH + " characters";
        }
        if (request.getPort() < 1 || request.getPort() > 65535) {
            return "port: " + request.getPort() + " is outside 1-65535";
        }
        if (request.getToken().size() != DataProtocol.TOKEN_BYTES) {
            return "token: " + request.getToken().size() + " bytes, expected " + DataProtocol.TOKEN_BYTES;
        }
        if (request.getStreams() < 0 || request.getStreams() > MAX_STREAMS) {
            return "streams: " + request.getStreams() + " is outside 0-" + MAX_STREAMS;
        }
        if (request.getStreams() > 0
                && (request.getDurationMillis() < MIN_DURATION_MILLIS || request.getDurationMillis() > MAX_DURATION_MILLIS)) {
            return "duration_millis: " + request.getDurationMillis() + " is outside " + MIN_DURATION_MILLIS + "-" + MAX_DURATION_MILLIS;
        }
        if (request.getPings() < 0 || request.getPings() > MAX_PINGS) {
            return "pings: " + request.getPings() + " is outside 0-" + MAX_PINGS;
        }
        if (request.getRendezvousPort() < 0 || request.getRendezvousPort() > 65535) {
            return "rendezvous_port: " + request.getRendezvousPort() + " is outside 0-65535";
        }
        return null;
    }

    private static RuntimeException invalid(String description) {
        return Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException();
    }
}
