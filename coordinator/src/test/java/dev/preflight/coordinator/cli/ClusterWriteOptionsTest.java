package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The flags that write into the cluster are judged before anything runs. */
class ClusterWriteOptionsTest {
    @TempDir
    Path out;

    @Test
    void aSummaryConfigMapNameMustBeAnObjectName() {
        CliResult result = CliResult.run("run", "--quiet", "--summary-configmap", "Preflight_Summary", "--out", out.toString());
        assertEquals(ExitCodes.USAGE, result.exitCode(), result.err());
        assertTrue(result.err().contains("--summary-configmap 'Preflight_Summary': expected a Kubernetes object name"
                + " (lower-case letters, digits, '-' and '.', at most 253)"), result.err());
        assertTrue(Files.notExists(out.resolve("preflight-report.json")), "nothing ran");
    }

    @Test
    void aKubernetesWriteWithNoClusterToWriteToIsRefusedBeforeTheRun() {
        assumeTrue(System.getenv("KUBERNETES_SERVICE_HOST") == null && System.getenv("KUBECONFIG") == null
                && Files.notExists(Paths.get(System.getProperty("user.home"), ".kube", "config")),
                "this machine has Kubernetes credentials");
        CliResult result = CliResult.run("run", "--quiet", "--label-nodes", "--out", out.toString());
        assertEquals(ExitCodes.USAGE, result.exitCode(), result.err());
        assertTrue(result.err().contains("KUBERNETES_SERVICE_HOST is not set and there is no kubeconfig (KUBECONFIG,"
                + " ~/.kube/config): --label-nodes works from a pod inside the cluster, or with kubectl's credentials"),
                result.err());
        assertTrue(Files.notExists(out.resolve("preflight-report.json")), "nothing ran");
    }
}
