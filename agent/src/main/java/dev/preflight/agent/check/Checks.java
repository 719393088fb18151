package dev.preflight.agent.check;

import dev.preflight.agent.check.gpu.BusyCheck;
import dev.preflight.agent.check.gpu.CountCheck;
import dev.preflight.agent.check.gpu.EccCheck;
import dev.preflight.agent.check.gpu.FabricCheck;
import dev.preflight.agent.check.gpu.ModeCheck;
import dev.preflight.agent.check.gpu.NvLinkCheck;
import dev.preflight.agent.check.gpu.P2pCheck;
import dev.preflight.agent.check.gpu.PcieCheck;
import dev.preflight.agent.check.gpu.PresentCheck;
import dev.preflight.agent.check.gpu.RowRemapCheck;
import dev.preflight.agent.check.gpu.ThermalCheck;
import dev.preflight.agent.check.gpu.XidCheck;
import dev.preflight.agent.check.fabric.FabricManagerCheck;
import dev.preflight.agent.check.fabric.GpuDirectCheck;
import dev.preflight.agent.check.fabric.IbPortsCheck;
import dev.preflight.agent.check.fabric.NcclEnvCheck;
import dev.preflight.agent.check.fabric.RdmaDevicesCheck;
import dev.preflight.agent.check.fabric.RoceGidCheck;
import dev.preflight.agent.check.fabric.RoceQosCheck;
import dev.preflight.agent.check.fabric.SocketIfnameCheck;
import dev.preflight.agent.check.host.IdentityCheck;
import dev.preflight.agent.check.host.IommuCheck;
import dev.preflight.agent.check.host.IpcCheck;
import dev.preflight.agent.check.host.MemlockCheck;
import dev.preflight.agent.check.host.NofileCheck;
import dev.preflight.agent.check.host.PcieAcsCheck;
import dev.preflight.agent.check.host.PcieLinkCheck;
import dev.preflight.agent.check.host.ShmCheck;
import dev.preflight.agent.check.host.TopologyCheck;
import dev.preflight.agent.check.storage.ModelStoreCheck;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The catalog of node checks, in the order they run and are listed. */
public final class Checks {
    private final Map<String, Check> byId = new LinkedHashMap<>();

    private Checks(List<Check> checks) {
        for (Check check : checks) {
            if (byId.put(check.id(), check) != null) {
                throw new IllegalStateException("two checks with id " + check.id());
            }
        }
    }

    public static Checks standard() {
        return new Checks(List.of(
                new MemlockCheck(),
                new ShmCheck(),
                new NofileCheck(),
                new IpcCheck(),
                new IdentityCheck(),
                new IommuCheck(),
                new PcieAcsCheck(),
                new PcieLinkCheck(),
                new TopologyCheck(),
                new PresentCheck(),
                new CountCheck(),
                new EccCheck(),
                new RowRemapCheck(),
                new NvLinkCheck(),
                new P2pCheck(),
                new PcieCheck(),
                new ModeCheck(),
                new FabricCheck(),
                new BusyCheck(),
                new XidCheck(),
                new ThermalCheck(),
                new IbPortsCheck(),
                new RdmaDevicesCheck(),
                new RoceGidCheck(),
                new RoceQosCheck(),
                new GpuDirectCheck(),
                new SocketIfnameCheck(),
                new NcclEnvCheck(),
                new FabricManagerCheck(),
                new ModelStoreCheck()));
    }

    /** Every named threshold the checks judge against, for --threshold and 'preflight checks thresholds'. */
    public static List<Threshold> thresholds() {
        List<Threshold> thresholds = new ArrayList<>();
        thresholds.addAll(NofileCheck.THRESHOLDS);
        thresholds.addAll(IbPortsCheck.THRESHOLDS);
        thresholds.addAll(RoceQosCheck.THRESHOLDS);
        thresholds.addAll(ModelStoreCheck.THRESHOLDS);
        return List.copyOf(thresholds);
    }

    public List<Check> all() {
        return List.copyOf(byId.values());
    }

    /**
     * The checks with these ids, in catalog order; every check when the list is empty.
     *
     * @throws IllegalArgumentException naming the first unknown id and the known ones
     */
    public List<Check> select(List<String> ids) {
        if (ids.isEmpty()) {
            return all();
        }
        for (String id : ids) {
            if (!byId.containsKey(id)) {
                throw new IllegalArgumentException("unknown check id '" + id + "'; known: " + String.join(", ", byId.keySet()));
            }
        }
        List<Check> selected = new ArrayList<>();
        for (Check check : byId.values()) {
            if (ids.contains(check.id())) {
                selected.add(check);
            }
        }
        return selected;
    }
}
