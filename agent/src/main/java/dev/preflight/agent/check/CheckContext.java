package dev.preflight.agent.check;

import dev.preflight.agent.gpu.GpuInventoryProbe;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.hostfs.HostModel;
import dev.preflight.agent.hostfs.HostReader;
import dev.preflight.proto.v1.Evidence;
import java.util.ArrayList;
import java.util.List;

/**
 * What a check sees of the node. Every read goes through here, so it is made under the movable
 * roots and recorded as evidence (source and raw value) without the check having to remember.
 */
public final class CheckContext implements HostReader {
    /** Evidence values are for humans; a bound keeps a large file from bloating the report. */
    static final int MAX_EVIDENCE_CHARS = 4096;

    private final HostFs fs;
    private final CheckSettings settings;
    private final GpuInventoryProbe gpuInventory;
    private final HostModel host;
    private final List<Evidence> evidence = new ArrayList<>();

    /** A context for one check alone, with a host model of its own. */
    public CheckContext(HostFs fs, CheckSettings settings, GpuInventoryProbe gpuInventory) {
        this(new HostModel(fs), settings, gpuInventory);
    }

    /** A context sharing the run's host model with the other checks of the run. */
    public CheckContext(HostModel host, CheckSettings settings, GpuInventoryProbe gpuInventory) {
        this.fs = host.fs();
        this.settings = settings;
        this.gpuInventory = gpuInventory;
        this.host = host;
    }

    @Override
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

    /** The node's parts, each read once per run; what a part was read from becomes this check's evidence. */
    public HostModel host() {
        return host;
    }

    @Override
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
