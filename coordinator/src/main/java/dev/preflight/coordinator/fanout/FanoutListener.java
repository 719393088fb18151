package dev.preflight.coordinator.fanout;

import dev.preflight.proto.v1.CheckProgress;
import dev.preflight.proto.v1.NodeReport;

/** Progress of a fan-out, called from gRPC threads: implementations must be thread-safe. */
public interface FanoutListener {
    void progress(String address, CheckProgress progress);

    void nodeDone(NodeReport node);

    FanoutListener NONE = new FanoutListener() {
        @Override
        public void progress(String address, CheckProgress progress) {}

        @Override
        public void nodeDone(NodeReport node) {}
    };
}
