// Starts N preflight agent servers on loopback ports in one JVM and prints their addresses as one
// comma-separated line, for scale benchmarks of the coordinator. Runs until killed.
// Usage: java -cp coordinator/target/preflight.jar bench/ManyAgents.java N
import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.server.AgentServer;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

public class ManyAgents {
    public static void main(String[] args) throws Exception {
        int count = Integer.parseInt(args[0]);
        List<String> addresses = new ArrayList<>();
        List<AgentServer> servers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            AgentServer server = AgentServer.start(
                    NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                    HostFs.defaults(), AgentSettings.builder().nodeName("agent-" + i).build());
            servers.add(server);
            addresses.add("127.0.0.1:" + server.port());
        }
        System.out.println(String.join(",", addresses));
        System.out.flush();
        Thread.currentThread().join();
    }
}
