package dev.preflight.agent.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who benches on this node now. The node-wide lock ({@link NodeBenchLock}) keeps every other agent
 * off the node. Within this agent, the benches of one coordinator run may share it on disjoint
 * GPUs, which is how every rail (GPU k of every node, a communicator each) is measured at once
 * under the load the workload puts on the node's NICs and PCIe switches; any other bench, and one
 * that names no run, has the node to itself.
 */
final class BenchLeases {
    /** A bench's hold on its GPUs; closing the last one of a run releases the node. */
    interface Lease extends AutoCloseable {
        @Override
        void close() throws IOException;
    }

    private final Path lockDir;
    private final String holder;
    private NodeBenchLock lock;
    private String run;
    /** GPUs held by the run's benches; empty with {@link #wholeNode} when a bench holds every GPU. */
    private final Set<Integer> held = new TreeSet<>();
    private boolean wholeNode;
    private int open;

    BenchLeases(Path lockDir, String holder) {
        this.lockDir = lockDir;
        this.holder = holder;
    }

    /**
     * A lease on {@code gpus} (every GPU when empty) for a bench of {@code run} ("" for none), or
     * empty with why not in {@code busy}.
     */
    synchronized Optional<Lease> tryAcquire(String run, List<Integer> gpus, StringBuilder busy) throws IOException {
        if (open == 0) {
            Optional<NodeBenchLock> taken = NodeBenchLock.tryAcquire(lockDir, holder + (run.isEmpty() ? "" : ", run " + run),
                    busy);
            if (taken.isEmpty()) {
                return Optional.empty();
            }
            lock = taken.get();
            this.run = run;
        } else if (run.isEmpty() || !run.equals(this.run)) {
            busy.append("this agent is benching ").append(describeHeld());
            return Optional.empty();
        } else if (wholeNode || gpus.isEmpty() || gpus.stream().anyMatch(held::contains)) {
            busy.append("GPUs ").append(gpus.isEmpty() ? "(all)" : gpus).append(" overlap ").append(describeHeld());
            return Optional.empty();
        }
        open++;
        if (gpus.isEmpty()) {
            wholeNode = true;
        }
        held.addAll(gpus);
        return Optional.of(new Lease() {
            private boolean closed;

            @Override
            public void close() throws IOException {
                synchronized (BenchLeases.this) {
                    if (closed) {
                        return;
                    }
                    closed = true;
                    release(gpus);
                }
            }
        });
    }

    private String describeHeld() {
        return (wholeNode ? "every GPU" : "GPUs " + held) + (run.isEmpty() ? "" : " for run " + run);
    }

    private void release(List<Integer> gpus) throws IOException {
        open--;
        if (gpus.isEmpty()) {
            wholeNode = false;
        }
        held.removeAll(gpus);
        if (open == 0) {
            NodeBenchLock released = lock;
            lock = null;
            run = null;
            released.close();
        }
    }
}
