// Starts N agent servers on loopback ports in one JVM and prints their addresses as one
// comma-separated line, for scale benchmarks of the coordinator. Runs until killed.
//
// Usage: java -cp coordinator/target/preflight.jar perf/ManyAgents.java N [full|light] [ROOT]
//   full  (default) N real AgentServers, each doing its own work on every call
//   light N gRPC servers answering with what one real agent answered once (node info, fingerprint,
//         check results, the node name varied): 1,000 real agents on two cores measure the agents'
//         contention, not the coordinator; this mode measures the coordinator.
//   ROOT  a node tree for the agents' movable roots (default: this machine)
import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.server.AgentServer;
import dev.preflight.proto.v1.AgentGrpc;
import dev.preflight.proto.v1.Fingerprint;
import dev.preflight.proto.v1.GetFingerprintRequest;
import dev.preflight.proto.v1.GetNodeInfoRequest;
import dev.preflight.proto.v1.NodeInfo;
import dev.preflight.proto.v1.RunChecksEvent;
import dev.preflight.proto.v1.RunChecksRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

public class ManyAgents {
    public static void main(String[] args) throws Exception {
        int count = Integer.parseInt(args[0]);
        boolean light = args.length > 1 && args[1].equals("light");
        HostFs fs = args.length > 2 ? HostFs.under(Paths.get(args[2])) : HostFs.defaults();
        List<String> addresses = new ArrayList<>();
        if (light) {
            Recorded recorded = Recorded.from(fs);
            for (int i = 0; i < count; i++) {
                Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                        .addService(new Replay(recorded, "agent-" + i)).build().start();
                addresses.add("127.0.0.1:" + server.getPort());
            }
        } else {
            for (int i = 0; i < count; i++) {
                AgentServer server = AgentServer.start(
                        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                        fs, AgentSettings.builder().nodeName("agent-" + i).build());
                addresses.add("127.0.0.1:" + server.port());
            }
        }
        System.out.println(String.join(",", addresses));
        System.out.flush();
        Thread.currentThread().join();
    }

    /** One real agent's answers, asked once over an in-process channel. */
    record Recorded(NodeInfo info, Fingerprint fingerprint, List<RunChecksEvent> events) {
        static Recorded from(HostFs fs) throws Exception {
            AgentServer agent = AgentServer.start(InProcessServerBuilder.forName("record"), fs, AgentSettings.builder().build());
            ManagedChannel channel = InProcessChannelBuilder.forName("record").build();
            AgentGrpc.AgentBlockingStub stub = AgentGrpc.newBlockingStub(channel);
            List<RunChecksEvent> events = new ArrayList<>();
            for (Iterator<RunChecksEvent> it = stub.runChecks(RunChecksRequest.getDefaultInstance()); it.hasNext(); ) {
                events.add(it.next());
            }
            Recorded recorded = new Recorded(stub.getNodeInfo(GetNodeInfoRequest.getDefaultInstance()),
                    stub.getFingerprint(GetFingerprintRequest.getDefaultInstance()), events);
            channel.shutdownNow();
            agent.close();
            return recorded;
        }
    }

    static final class Replay extends AgentGrpc.AgentImplBase {
        private final Recorded recorded;
        private final NodeInfo info;

        Replay(Recorded recorded, String name) {
            this.recorded = recorded;
            this.info = recorded.info().toBuilder().setNodeName(name).build();
        }

        @Override
        public void getNodeInfo(GetNodeInfoRequest request, StreamObserver<NodeInfo> response) {
            response.onNext(info);
            response.onCompleted();
        }

        @Override
        public void getFingerprint(GetFingerprintRequest request, StreamObserver<Fingerprint> response) {
            response.onNext(recorded.fingerprint());
            response.onCompleted();
        }

        @Override
        public void runChecks(RunChecksRequest request, StreamObserver<RunChecksEvent> response) {
            recorded.events().forEach(response::onNext);
            response.onCompleted();
        }
    }
}
