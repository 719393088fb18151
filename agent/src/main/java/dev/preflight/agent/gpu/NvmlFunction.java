package dev.preflight.agent.gpu;

/**
 * The NVML functions the agent calls, by their exported names. Each is looked up in the running
 * driver's libnvidia-ml.so.1 before its first call: the binding is generated from CUDA 12.9's
 * headers and resolves functions lazily, so a call to one an older driver lacks (the _v2/_v3
 * variants, fabric and MIG queries, the "clocks event" rename) would end the process. Only
 * nvmlInit_v2, nvmlShutdown, nvmlErrorString, nvmlDeviceGetCount_v2 and
 * nvmlDeviceGetHandleByIndex_v2, without which no inventory is possible, are not looked up.
 */
public enum NvmlFunction {
    SYSTEM_GET_DRIVER_VERSION("nvmlSystemGetDriverVersion"),
    SYSTEM_GET_CUDA_DRIVER_VERSION_V2("nvmlSystemGetCudaDriverVersion_v2"),
    SYSTEM_GET_CUDA_DRIVER_VERSION("nvmlSystemGetCudaDriverVersion"),
    DEVICE_GET_NAME("nvmlDeviceGetName"),
    DEVICE_GET_UUID("nvmlDeviceGetUUID"),
    DEVICE_GET_PCI_INFO_V3("nvmlDeviceGetPciInfo_v3"),
    DEVICE_GET_MEMORY_INFO("nvmlDeviceGetMemoryInfo"),
    DEVICE_GET_ECC_MODE("nvmlDeviceGetEccMode"),
    DEVICE_GET_TOTAL_ECC_ERRORS("nvmlDeviceGetTotalEccErrors"),
    DEVICE_GET_REMAPPED_ROWS("nvmlDeviceGetRemappedRows"),
    DEVICE_GET_NVLINK_STATE("nvmlDeviceGetNvLinkState"),
    DEVICE_GET_P2P_STATUS("nvmlDeviceGetP2PStatus"),
    DEVICE_GET_CURR_PCIE_LINK_GENERATION("nvmlDeviceGetCurrPcieLinkGeneration"),
    DEVICE_GET_MAX_PCIE_LINK_GENERATION("nvmlDeviceGetMaxPcieLinkGeneration"),
    DEVICE_GET_GPU_MAX_PCIE_LINK_GENERATION("nvmlDeviceGetGpuMaxPcieLinkGeneration"),
    DEVICE_GET_CURR_PCIE_LINK_WIDTH("nvmlDeviceGetCurrPcieLinkWidth"),
    DEVICE_GET_MAX_PCIE_LINK_WIDTH("nvmlDeviceGetMaxPcieLinkWidth"),
    DEVICE_GET_PCIE_REPLAY_COUNTER("nvmlDeviceGetPcieReplayCounter"),
    DEVICE_GET_COMPUTE_MODE("nvmlDeviceGetComputeMode"),
    DEVICE_GET_MIG_MODE("nvmlDeviceGetMigMode"),
    DEVICE_GET_PERSISTENCE_MODE("nvmlDeviceGetPersistenceMode"),
    DEVICE_GET_GPU_FABRIC_INFO_V("nvmlDeviceGetGpuFabricInfoV"),
    DEVICE_GET_GPU_FABRIC_INFO("nvmlDeviceGetGpuFabricInfo"),
    DEVICE_GET_TEMPERATURE("nvmlDeviceGetTemperature"),
    DEVICE_GET_POWER_USAGE("nvmlDeviceGetPowerUsage"),
    DEVICE_GET_ENFORCED_POWER_LIMIT("nvmlDeviceGetEnforcedPowerLimit"),
    DEVICE_GET_CURRENT_CLOCKS_EVENT_REASONS("nvmlDeviceGetCurrentClocksEventReasons"),
    DEVICE_GET_CURRENT_CLOCKS_THROTTLE_REASONS("nvmlDeviceGetCurrentClocksThrottleReasons"),
    DEVICE_GET_COMPUTE_RUNNING_PROCESSES_V3("nvmlDeviceGetComputeRunningProcesses_v3"),
    DEVICE_GET_COMPUTE_RUNNING_PROCESSES("nvmlDeviceGetComputeRunningProcesses");

    private final String symbol;

    NvmlFunction(String symbol) {
        this.symbol = symbol;
    }

    /** The exported C name, e.g. nvmlDeviceGetRemappedRows. */
    public String symbol() {
        return symbol;
    }

    @Override
    public String toString() {
        return symbol;
    }
}
