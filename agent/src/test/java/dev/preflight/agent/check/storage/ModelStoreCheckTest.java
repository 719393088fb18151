package dev.preflight.agent.check.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.check.CheckSettings;
import dev.preflight.agent.check.Thresholds;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.Fact;
import dev.preflight.proto.v1.Measurement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * storage.models on a pod whose mountinfo (fixture k8s-pod-nfs4-lustre) holds an NFSv4 volume and a
 * Lustre client mount. The model directories are written by the tests: a Hugging Face layout
 * (config, tokenizer, safetensors index, two shards) with random contents.
 */
class ModelStoreCheckTest {
    static Path pod(Path root, String store) throws Exception {
        Fixtures.copy("k8s-pod-nfs4-lustre", root);
        Path models = root.resolve(store.substring(1));
        Files.createDirectories(models);
        Files.writeString(models.resolve("config.json"), "{\"architectures\": [\"DeepseekV3ForCausalLM\"], \"num_hidden_layers\": 61}\n");
        Files.writeString(models.resolve("tokenizer_config.json"), "{\"model_max_length\": 131072}\n");
        Files.writeString(models.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"lm_head.weight\": \"model-00002-of-00002.safetensors\"}}\n");
        Random random = new Random(42);
        for (String shard : new String[] {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}) {
            byte[] bytes = new byte[300 * 1024];
            random.nextBytes(bytes);
            Files.write(models.resolve(shard), bytes);
        }
        return models;
    }

    static CheckSettings stores(String... paths) {
        return Fixtures.settings().modelStores(java.util.Arrays.stream(paths).map(Path::of).toList()).build();
    }

    @Test
    void aLustreStoreIsFingerprintedWithoutReadingUnlessAsked(@TempDir Path root) throws Exception {
        pod(root, "/lustre/deepseek-r1");
        CheckResult result = Fixtures.run(new ModelStoreCheck(), HostFs.under(root), stores("/lustre/deepseek-r1"));
        assertEquals(Status.PASS, result.getStatus(), result.toString());
        assertTrue(result.getSummary().startsWith("/lustre/deepseek-r1: Lustre (lustre 192.168.12.10@o2ib:192.168.12.11@o2ib:/lustre), "
                + "5 files, 600.2 KiB (2 weight files)"), result.getSummary());
        assertTrue(result.getSummary().endsWith("sequential read not run (on demand only: preflight run)"), result.getSummary());
        assertTrue(result.getFactsList().stream().anyMatch(fact -> fact.getName().equals("model_store_fingerprint")
                && fact.getValue().length() == 64 && fact.getSubject().equals("/lustre/deepseek-r1")));
    }

    @Test
    void theFingerprintChangesWithAShardsTailAndNotWithTheStoresPath(@TempDir Path first, @TempDir Path second) throws Exception {
        Path a = pod(first, "/lustre/deepseek-r1");
        pod(second, "/kaiwudb/certs/deepseek-r1");
        String nfs = fingerprint(second, "/kaiwudb/certs/deepseek-r1");
        assertEquals(fingerprint(first, "/lustre/deepseek-r1"), nfs, "same files, same fingerprint");
        byte[] shard = Files.readAllBytes(a.resolve("model-00002-of-00002.safetensors"));
        shard[shard.length - 1] ^= 1;
        Files.write(a.resolve("model-00002-of-00002.safetensors"), shard);
        assertNotEquals(nfs, fingerprint(first, "/lustre/deepseek-r1"));
    }

    private static String fingerprint(Path root, String store) {
        CheckResult result = Fixtures.run(new ModelStoreCheck(), HostFs.under(root), stores(store));
        return result.getFactsList().stream().filter(fact -> fact.getName().equals("model_store_fingerprint"))
                .map(Fact::getValue).findFirst().orElseThrow();
    }

    @Test
    void anNfs4StoreIsNamedSoAndTheOnDemandReadProjectsTheLoadTime(@TempDir Path root) throws Exception {
        pod(root, "/kaiwudb/certs/deepseek-r1");
        CheckSettings reading = Fixtures.settings().modelStores(List.of(Path.of("/kaiwudb/certs/deepseek-r1")))
                .storageRead(true).storageReadBytes(512 * 1024).build();
        CheckResult result = Fixtures.run(new ModelStoreCheck(), HostFs.under(root), reading);
        assertEquals(Status.PASS, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("NFS (nfs4 20.20.20.43:/data/k8s/nfs_share/pvc-2108ee90"), result.getSummary());
        assertTrue(result.getSummary().contains("; read 512 KiB at "), result.getSummary());
        List<String> measured = result.getMeasurementsList().stream().map(Measurement::getName).toList();
        assertTrue(measured.containsAll(List.of("storage_read_bytes_per_second", "storage_projected_load_seconds")), measured.toString());
        CheckSettings impatient = reading.toBuilder()
                .thresholds(Thresholds.of(Map.of("storage.models.max_load_seconds", 0.0), ModelStoreCheck.THRESHOLDS)).build();
        CheckResult slow = Fixtures.run(new ModelStoreCheck(), HostFs.under(root), impatient);
        assertEquals(Status.WARN, slow.getStatus(), slow.toString());
        assertTrue(slow.getRemediation().contains("timeouts"), slow.getRemediation());
    }

    @Test
    void aMissingStoreFailsAnEmptyOneWarnsAndNoStoreAtAllSkips(@TempDir Path root) throws Exception {
        Fixtures.copy("k8s-pod-nfs4-lustre", root);
        CheckResult missing = Fixtures.run(new ModelStoreCheck(), HostFs.under(root), stores("/lustre/llama-405b"));
        assertEquals(Status.FAIL, missing.getStatus(), missing.toString());
        assertTrue(missing.getSummary().contains("/lustre/llama-405b does not exist"), missing.getSummary());
        Files.createDirectories(root.resolve("models"));
        CheckResult empty = Fixtures.run(new ModelStoreCheck(), HostFs.under(root));
        assertEquals(Status.WARN, empty.getStatus(), "the default /models, empty: " + empty);
        Files.delete(root.resolve("models"));
        CheckResult none = Fixtures.run(new ModelStoreCheck(), HostFs.under(root));
        assertEquals(Status.SKIP, none.getStatus(), none.toString());
        assertTrue(none.getSummary().contains("/models is absent"), none.getSummary());
    }

    @Test
    void aMalformedMountinfoIsAnError(@TempDir Path root) throws Exception {
        pod(root, "/lustre/deepseek-r1");
        Files.writeString(root.resolve("proc/self/mountinfo"), "3424 2892 0:231 / /lustre rw lustre\n");
        CheckResult result = Fixtures.run(new ModelStoreCheck(), HostFs.under(root), stores("/lustre/deepseek-r1"));
        assertEquals(Status.ERROR, result.getStatus());
        assertTrue(result.getSummary().contains("mountinfo"), result.getSummary());
    }

    @Test
    void filesystemFamilies() {
        assertEquals("NFS", ModelStoreCheck.kind("nfs4"));
        assertEquals("Lustre", ModelStoreCheck.kind("lustre"));
        assertEquals("FUSE", ModelStoreCheck.kind("fuse.juicefs"));
        assertEquals("WekaFS", ModelStoreCheck.kind("wekafs"));
        assertEquals("local", ModelStoreCheck.kind("xfs"));
    }
}
