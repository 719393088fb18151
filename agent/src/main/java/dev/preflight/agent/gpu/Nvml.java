package dev.preflight.agent.gpu;

import java.util.List;

/**
 * The port to NVML: one method per NVML function, named after it, with no logic of its own, so
 * the adapter over the real library stays thin and {@link NvmlInventory} (the logic) is tested
 * against a fake. Callers ask {@link #has} before calling any function but the initialising ones:
 * a function the running driver lacks must never be called (see {@link NvmlFunction}).
 */
public interface Nvml extends AutoCloseable {
    /** An opaque device handle (nvmlDevice_t). */
    interface Device {}

    record PciInfo(String busId, int pciDeviceId) {}

    record Memory(long totalBytes, long usedBytes) {}

    record EccMode(boolean current, boolean pending) {}

    record RemappedRows(int corrected, int uncorrected, boolean pending, boolean failure) {}

    record FabricInfo(int state, int status) {}

    record ProcessInfo(int pid, long usedGpuMemoryBytes) {}

    /** Whether the running driver's NVML exports this function. */
    boolean has(NvmlFunction function);

    String systemGetDriverVersion() throws NvmlException;

    int systemGetCudaDriverVersion_v2() throws NvmlException;

    int systemGetCudaDriverVersion() throws NvmlException;

    int deviceGetCount_v2() throws NvmlException;

    Device deviceGetHandleByIndex_v2(int index) throws NvmlException;

    String deviceGetName(Device device) throws NvmlException;

    String deviceGetUUID(Device device) throws NvmlException;

    PciInfo deviceGetPciInfo_v3(Device device) throws NvmlException;

    Memory deviceGetMemoryInfo(Device device) throws NvmlException;

    EccMode deviceGetEccMode(Device device) throws NvmlException;

    /** errorType: 0 corrected, 1 uncorrected; counterType: 0 volatile, 1 aggregate. */
    long deviceGetTotalEccErrors(Device device, int errorType, int counterType) throws NvmlException;

    RemappedRows deviceGetRemappedRows(Device device) throws NvmlException;

    /** True when the link is up; {@link NvmlException#INVALID_ARGUMENT} or NOT_SUPPORTED for a link the GPU does not have. */
    boolean deviceGetNvLinkState(Device device, int link) throws NvmlException;

    /** The peer-read status (NVML_P2P_CAPS_INDEX_READ) between two GPUs, an nvmlGpuP2PStatus_t value. */
    int deviceGetP2PStatus(Device a, Device b) throws NvmlException;

    int deviceGetCurrPcieLinkGeneration(Device device) throws NvmlException;

    int deviceGetMaxPcieLinkGeneration(Device device) throws NvmlException;

    int deviceGetGpuMaxPcieLinkGeneration(Device device) throws NvmlException;

    int deviceGetCurrPcieLinkWidth(Device device) throws NvmlException;

    int deviceGetMaxPcieLinkWidth(Device device) throws NvmlException;

    int deviceGetPcieReplayCounter(Device device) throws NvmlException;

    int deviceGetComputeMode(Device device) throws NvmlException;

    /** The current MIG mode: 1 enabled. */
    int deviceGetMigMode(Device device) throws NvmlException;

    int deviceGetPersistenceMode(Device device) throws NvmlException;

    FabricInfo deviceGetGpuFabricInfoV(Device device) throws NvmlException;

    FabricInfo deviceGetGpuFabricInfo(Device device) throws NvmlException;

    /** The GPU die temperature (NVML_TEMPERATURE_GPU), °C. */
    int deviceGetTemperature(Device device) throws NvmlException;

    /** Milliwatts. */
    int deviceGetPowerUsage(Device device) throws NvmlException;

    /** Milliwatts. */
    int deviceGetEnforcedPowerLimit(Device device) throws NvmlException;

    long deviceGetCurrentClocksEventReasons(Device device) throws NvmlException;

    long deviceGetCurrentClocksThrottleReasons(Device device) throws NvmlException;

    List<ProcessInfo> deviceGetComputeRunningProcesses_v3(Device device) throws NvmlException;

    List<ProcessInfo> deviceGetComputeRunningProcesses(Device device) throws NvmlException;

    /** nvmlShutdown. */
    @Override
    void close();
}
