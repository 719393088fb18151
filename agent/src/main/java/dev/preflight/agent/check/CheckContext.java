package dev.preflight.agent.check;

import dev.preflight.agent.gpu.GpuInventoryProbe;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.hostfs.IoErrors;
import dev.preflight.proto.v1.Evidence;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a check sees of the node. Every read goes through here, so it is made under the movable
 * roots and recorded as evidence (source and raw value) without the check having to remember.
 */
public final class CheckContext {
    /** Evidence values are for humans; a bound keeps a large file from bloating the report. */
    static final int MAX_EVIDENCE_CHARS = 4096;

    private final HostFs fs;
    private final CheckSettings settings;
    private final GpuInventoryProbe gpuInventory;
    private final List<Evidence> evidence = new ArrayList<>();

    public CheckContext(HostFs fs, CheckSettings settings, GpuInventoryProbe gpuInventory) {
        this.fs = fs;
        this.settings = settings;
        this.gpuInventory = gpuInventory;
    }

    public HostFs fs() {
        return fs;
    }

    public CheckSettings settings() {
        return settings;
    }

    /** The node's one GPU inventory, shared with the node info so a run takes it once. */
    public GpuInventoryProbe gpuInventory() {
        return gpuInventory;
    }

    /** Reads a text file and records it; a missing or unreadable file throws. */
    public String read(Path path) throws IOException {
        try {
            String content = HostFs.readText(path);
            evidence(path.toString(), content);
            return content;
        } catch (IOException e) {
            evidence(path.toString(), "(unreadable: " + IoErrors.reason(e) + ")");
            throw e;
        }
    }

    /** Reads a text file that may legitimately be absent; absence is recorded too. */
    public Optional<String> readIfPresent(Path path) throws IOException {
        try {
            return Optional.of(read(path));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    public void evidence(String source, String value) {
        String bounded = value.length() > MAX_EVIDENCE_CHARS
                ? value.substring(0, MAX_EVIDENCE_CHARS) + "…(" + value.length() + " chars)"
                : value;
        synchronized (evidence) {
            evidence.add(Evidence.newBuilder().setSource(source).setValue(bounded).build());
        }
    }

    /** A snapshot: a check that overran its deadline may still be adding evidence on its thread. */
    List<Evidence> evidence() {
        synchronized (evidence) {
            return List.copyOf(evidence);
        }
    }
}
