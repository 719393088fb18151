package dev.preflight.agent.gpu;

import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuEcc;
import dev.preflight.proto.v1.GpuFabric;
import dev.preflight.proto.v1.GpuPcie;
import dev.preflight.proto.v1.GpuProcess;
import dev.preflight.proto.v1.GpuRowRemap;
import dev.preflight.proto.v1.NvLink;
import dev.preflight.proto.v1.P2pPair;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * GPU facts through NVML. All the logic lives here, above the {@link Nvml} port: which function
 * to prefer (the _v2/_v3 variants) and which to fall back to, the symbol check before every
 * call, and turning "not supported" into an absent fact with its reason.
 */
public final class NvmlInventory implements GpuInventory {
    public static final String SOURCE = "nvml";
    /** NVML_NVLINK_MAX_LINKS in the 12.x headers; a GPU answers INVALID_ARGUMENT past its own count. */
    static final int MAX_NVLINKS = 18;

    static final String[] COMPUTE_MODES = {"DEFAULT", "EXCLUSIVE_THREAD", "PROHIBITED", "EXCLUSIVE_PROCESS"};
    static final String[] P2P_STATUSES = {"OK", "CHIPSET_NOT_SUPPORTED", "GPU_NOT_SUPPORTED",
        "IOH_TOPOLOGY_NOT_SUPPORTED", "DISABLED_BY_REGKEY", "NOT_SUPPORTED", "UNKNOWN"};
    static final String[] FABRIC_STATES = {"NOT_SUPPORTED", "NOT_STARTED", "IN_PROGRESS", "COMPLETED"};
    /** nvmlClocksEventReason* bits, in bit order, as nvidia-smi's XML names them. */
    static final String[] CLOCK_EVENT_REASONS = {"gpu_idle", "applications_clocks_setting", "sw_power_cap",
        "hw_slowdown", "sync_boost", "sw_thermal_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown",
        "display_clocks_setting"};

    private final NvmlLoader loader;

    public NvmlInventory(NvmlLoader loader) {
        this.loader = loader;
    }

    @Override
    public String source() {
        return SOURCE;
    }

    @Override
    public dev.preflight.proto.v1.GpuInventory read() throws GpuSourceException {
        try (Nvml nvml = loader.open()) {
            return new Reading(nvml).read();
        }
    }

    /** One inventory's state: the NVML session and the facts that could not be had. */
    private static final class Reading {
        private final Nvml nvml;
        private final Set<String> unavailable = new LinkedHashSet<>();

        Reading(Nvml nvml) {
            this.nvml = nvml;
        }

        dev.preflight.proto.v1.GpuInventory read() throws GpuSourceException {
            dev.preflight.proto.v1.GpuInventory.Builder inventory = dev.preflight.proto.v1.GpuInventory.newBuilder();
            call(NvmlFunction.SYSTEM_GET_DRIVER_VERSION, "driver version", nvml::systemGetDriverVersion)
                    .ifPresent(inventory::setDriverVersion);
            call(NvmlFunction.SYSTEM_GET_CUDA_DRIVER_VERSION_V2, NvmlFunction.SYSTEM_GET_CUDA_DRIVER_VERSION,
                    "CUDA driver version", nvml::systemGetCudaDriverVersion_v2, nvml::systemGetCudaDriverVersion)
                    .ifPresent(version -> inventory.setCudaDriverVersion(version / 1000 + "." + version % 1000 / 10));
            int count;
            try {
                count = nvml.deviceGetCount_v2();
            } catch (NvmlException e) {
                throw GpuSourceException.failed("NVML failed: " + e.getMessage(), e);
            }
            List<Nvml.Device> devices = new ArrayList<>();
            List<Integer> indexes = new ArrayList<>();
            for (int index = 0; index < count; index++) {
                Nvml.Device device;
                try {
                    device = nvml.deviceGetHandleByIndex_v2(index);
                } catch (NvmlException e) {
                    // A GPU fallen off the bus answers here with "GPU is lost" or "Unknown Error";
                    // gpu.present then names it by comparing with the PCI bus.
                    unavailable.add("GPU " + index + ": " + e.getMessage());
                    continue;
                }
                devices.add(device);
                indexes.add(index);
                inventory.addGpus(gpu(index, device));
            }
            if (nvml.has(NvmlFunction.DEVICE_GET_P2P_STATUS)) {
                for (int a = 0; a < devices.size(); a++) {
                    for (int b = a + 1; b < devices.size(); b++) {
                        int first = indexes.get(a);
                        int second = indexes.get(b);
                        Nvml.Device one = devices.get(a);
                        Nvml.Device other = devices.get(b);
                        call(NvmlFunction.DEVICE_GET_P2P_STATUS, "P2P " + first + "<->" + second,
                                () -> nvml.deviceGetP2PStatus(one, other))
                                .ifPresent(status -> inventory.addP2P(P2pPair.newBuilder()
                                        .setGpuA(first).setGpuB(second).setStatus(name(P2P_STATUSES, status))));
                    }
                }
            } else {
                missing(NvmlFunction.DEVICE_GET_P2P_STATUS, "P2P status");
            }
            return inventory.addAllUnavailable(unavailable).build();
        }

        private Gpu gpu(int index, Nvml.Device device) {
            Gpu.Builder gpu = Gpu.newBuilder().setIndex(index);
            String at = "GPU " + index + " ";
            call(NvmlFunction.DEVICE_GET_NAME, at + "name", () -> nvml.deviceGetName(device)).ifPresent(gpu::setName);
            call(NvmlFunction.DEVICE_GET_UUID, at + "UUID", () -> nvml.deviceGetUUID(device)).ifPresent(gpu::setUuid);
            call(NvmlFunction.DEVICE_GET_PCI_INFO_V3, at + "PCI info", () -> nvml.deviceGetPciInfo_v3(device))
                    .ifPresent(pci -> gpu.setPciBusId(PciBusIds.normalize(pci.busId()))
                            .setPciDeviceId(pci.pciDeviceId() >>> 16));
            call(NvmlFunction.DEVICE_GET_MEMORY_INFO, at + "memory", () -> nvml.deviceGetMemoryInfo(device))
                    .ifPresent(memory -> gpu.setMemoryTotalBytes(memory.totalBytes()).setMemoryUsedBytes(memory.usedBytes()));

            GpuEcc.Builder ecc = GpuEcc.newBuilder();
            call(NvmlFunction.DEVICE_GET_ECC_MODE, at + "ECC mode", () -> nvml.deviceGetEccMode(device))
                    .ifPresent(mode -> ecc.setEnabled(mode.current()));
            if (ecc.getEnabled()) {
                call(NvmlFunction.DEVICE_GET_TOTAL_ECC_ERRORS, at + "ECC errors",
                        () -> nvml.deviceGetTotalEccErrors(device, 0, 0)).ifPresent(ecc::setVolatileCorrected);
                call(NvmlFunction.DEVICE_GET_TOTAL_ECC_ERRORS, at + "ECC errors",
                        () -> nvml.deviceGetTotalEccErrors(device, 1, 0)).ifPresent(ecc::setVolatileUncorrected);
                call(NvmlFunction.DEVICE_GET_TOTAL_ECC_ERRORS, at + "ECC errors",
                        () -> nvml.deviceGetTotalEccErrors(device, 0, 1)).ifPresent(ecc::setAggregateCorrected);
                call(NvmlFunction.DEVICE_GET_TOTAL_ECC_ERRORS, at + "ECC errors",
                        () -> nvml.deviceGetTotalEccErrors(device, 1, 1)).ifPresent(ecc::setAggregateUncorrected);
            }
            gpu.setEcc(ecc);

            call(NvmlFunction.DEVICE_GET_REMAPPED_ROWS, at + "remapped rows", () -> nvml.deviceGetRemappedRows(device))
                    .ifPresent(rows -> gpu.setRowRemap(GpuRowRemap.newBuilder()
                            .setCorrectedRows(rows.corrected())
                            .setUncorrectedRows(rows.uncorrected())
                            .setPending(rows.pending())
                            .setFailure(rows.failure())));

            if (nvml.has(NvmlFunction.DEVICE_GET_NVLINK_STATE)) {
                for (int link = 0; link < MAX_NVLINKS; link++) {
                    try {
                        gpu.addNvlinks(NvLink.newBuilder().setLink(link).setActive(nvml.deviceGetNvLinkState(device, link)));
                    } catch (NvmlException e) {
                        if (!e.notSupported()) {
                            unavailable.add(at + "NVLink " + link + ": " + e.getMessage());
                        }
                    }
                }
            } else {
                missing(NvmlFunction.DEVICE_GET_NVLINK_STATE, "NVLink state");
            }

            GpuPcie.Builder pcie = GpuPcie.newBuilder();
            call(NvmlFunction.DEVICE_GET_CURR_PCIE_LINK_GENERATION, at + "PCIe generation",
                    () -> nvml.deviceGetCurrPcieLinkGeneration(device)).ifPresent(pcie::setCurrentGeneration);
            call(NvmlFunction.DEVICE_GET_MAX_PCIE_LINK_GENERATION, at + "PCIe max generation",
                    () -> nvml.deviceGetMaxPcieLinkGeneration(device)).ifPresent(pcie::setMaxGeneration);
            call(NvmlFunction.DEVICE_GET_GPU_MAX_PCIE_LINK_GENERATION, at + "PCIe device max generation",
                    () -> nvml.deviceGetGpuMaxPcieLinkGeneration(device)).ifPresent(pcie::setDeviceMaxGeneration);
            call(NvmlFunction.DEVICE_GET_CURR_PCIE_LINK_WIDTH, at + "PCIe width",
                    () -> nvml.deviceGetCurrPcieLinkWidth(device)).ifPresent(pcie::setCurrentWidth);
            call(NvmlFunction.DEVICE_GET_MAX_PCIE_LINK_WIDTH, at + "PCIe max width",
                    () -> nvml.deviceGetMaxPcieLinkWidth(device)).ifPresent(pcie::setMaxWidth);
            call(NvmlFunction.DEVICE_GET_PCIE_REPLAY_COUNTER, at + "PCIe replays",
                    () -> nvml.deviceGetPcieReplayCounter(device)).ifPresent(replays -> pcie.setReplays(replays));
            gpu.setPcie(pcie);

            call(NvmlFunction.DEVICE_GET_COMPUTE_MODE, at + "compute mode", () -> nvml.deviceGetComputeMode(device))
                    .ifPresent(mode -> gpu.setComputeMode(name(COMPUTE_MODES, mode)));
            call(NvmlFunction.DEVICE_GET_MIG_MODE, at + "MIG mode", () -> nvml.deviceGetMigMode(device))
                    .ifPresent(mode -> gpu.setMigEnabled(mode == 1));
            call(NvmlFunction.DEVICE_GET_PERSISTENCE_MODE, at + "persistence mode",
                    () -> nvml.deviceGetPersistenceMode(device)).ifPresent(mode -> gpu.setPersistenceMode(mode == 1));
            call(NvmlFunction.DEVICE_GET_GPU_FABRIC_INFO_V, NvmlFunction.DEVICE_GET_GPU_FABRIC_INFO, at + "fabric",
                    () -> nvml.deviceGetGpuFabricInfoV(device), () -> nvml.deviceGetGpuFabricInfo(device))
                    .ifPresent(fabric -> gpu.setFabric(GpuFabric.newBuilder()
                            .setState(name(FABRIC_STATES, fabric.state()))
                            .setStatus(fabric.status() == 0 ? "Success" : "NVML error " + fabric.status())));

            call(NvmlFunction.DEVICE_GET_TEMPERATURE, at + "temperature", () -> nvml.deviceGetTemperature(device))
                    .ifPresent(gpu::setTemperatureC);
            call(NvmlFunction.DEVICE_GET_POWER_USAGE, at + "power draw", () -> nvml.deviceGetPowerUsage(device))
                    .ifPresent(milliwatts -> gpu.setPowerDrawWatts(milliwatts / 1000.0));
            call(NvmlFunction.DEVICE_GET_ENFORCED_POWER_LIMIT, at + "power limit",
                    () -> nvml.deviceGetEnforcedPowerLimit(device)).ifPresent(milliwatts -> gpu.setPowerLimitWatts(milliwatts / 1000.0));
            call(NvmlFunction.DEVICE_GET_CURRENT_CLOCKS_EVENT_REASONS, NvmlFunction.DEVICE_GET_CURRENT_CLOCKS_THROTTLE_REASONS,
                    at + "clock event reasons", () -> nvml.deviceGetCurrentClocksEventReasons(device),
                    () -> nvml.deviceGetCurrentClocksThrottleReasons(device))
                    .ifPresent(bits -> gpu.addAllClockEventReasons(reasons(bits)));

            Optional<List<Nvml.ProcessInfo>> processes = call(NvmlFunction.DEVICE_GET_COMPUTE_RUNNING_PROCESSES_V3,
                    NvmlFunction.DEVICE_GET_COMPUTE_RUNNING_PROCESSES, at + "processes",
                    () -> nvml.deviceGetComputeRunningProcesses_v3(device), () -> nvml.deviceGetComputeRunningProcesses(device));
            processes.ifPresent(list -> {
                gpu.setProcessesKnown(true);
                for (Nvml.ProcessInfo process : list) {
                    GpuProcess.Builder entry = GpuProcess.newBuilder().setPid(process.pid());
                    // NVML_VALUE_NOT_AVAILABLE (all bits set) where the driver cannot attribute memory
                    if (process.usedGpuMemoryBytes() >= 0) {
                        entry.setUsedMemoryBytes(process.usedGpuMemoryBytes());
                    }
                    gpu.addProcesses(entry);
                }
            });
            return gpu.build();
        }

        /** Calls one NVML function after checking it exists; an absent fact (and why) on any failure. */
        private <T> Optional<T> call(NvmlFunction function, String what, NvmlCall<T> call) {
            if (!nvml.has(function)) {
                missing(function, what.replaceFirst("^GPU \\d+ ", ""));
                return Optional.empty();
            }
            try {
                return Optional.of(call.get());
            } catch (NvmlException e) {
                unavailable.add(what + ": " + e.getMessage());
                return Optional.empty();
            }
        }

        /** The newer function where this driver has it, else the older one. */
        private <T> Optional<T> call(NvmlFunction preferred, NvmlFunction fallback, String what,
                NvmlCall<T> preferredCall, NvmlCall<T> fallbackCall) {
            if (nvml.has(preferred)) {
                return call(preferred, what, preferredCall);
            }
            return call(fallback, what, fallbackCall);
        }

        private void missing(NvmlFunction function, String what) {
            unavailable.add(what + ": this driver's NVML has no " + function.symbol() + " (not called)");
        }
    }

    @FunctionalInterface
    private interface NvmlCall<T> {
        T get() throws NvmlException;
    }

    static String name(String[] names, int value) {
        return value >= 0 && value < names.length ? names[value] : "UNKNOWN(" + value + ")";
    }

    static List<String> reasons(long bits) {
        List<String> reasons = new ArrayList<>();
        for (int bit = 0; bit < CLOCK_EVENT_REASONS.length; bit++) {
            if ((bits & (1L << bit)) != 0) {
                reasons.add(CLOCK_EVENT_REASONS[bit]);
            }
        }
        long known = (1L << CLOCK_EVENT_REASONS.length) - 1;
        if ((bits & ~known) != 0) {
            reasons.add(String.format(Locale.ROOT, "other(0x%x)", bits & ~known));
        }
        return reasons;
    }
}
