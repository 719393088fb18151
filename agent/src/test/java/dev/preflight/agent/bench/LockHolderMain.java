package dev.preflight.agent.bench;

import java.nio.file.Paths;
import java.util.Optional;

/** Another process on the node holding the bench lock in DIR until its stdin closes (NodeBenchLockTest). */
public final class LockHolderMain {
    private LockHolderMain() {}

    public static void main(String[] args) throws Exception {
        Optional<NodeBenchLock> lock = NodeBenchLock.tryAcquire(Paths.get(args[0]), "test holder", new StringBuilder());
        System.out.println(lock.isPresent() ? "held" : "busy");
        System.out.flush();
        while (System.in.read() >= 0) {
            // hold until the test closes our stdin
        }
        if (lock.isPresent()) {
            lock.get().close();
        }
    }
}
