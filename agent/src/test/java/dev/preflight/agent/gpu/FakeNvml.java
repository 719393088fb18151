package dev.preflight.agent.gpu;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A scripted NVML for tests, answering as the real library does (NOT_SUPPORTED for a fact a GPU
 * lacks, INVALID_ARGUMENT past a GPU's last NVLink). Scenarios are transcribed from real captures
 * (fixtures/real-captures/nvidia-smi). Like the real binding, calling a function the scripted
 * driver lacks is fatal: it throws an AssertionError instead of the process dying with
 * "symbol lookup error".
 */
public final class FakeNvml implements Nvml {
    /** One GPU's facts; null leaves a fact NOT_SUPPORTED. */
    public static final class FakeGpu implements Device {
        String busId;
        int pciDeviceId;
        String name;
        String uuid;
        long totalMib = 81559;
        long usedMib;
        boolean ecc = true;
        long volatileCorrected;
        long volatileUncorrected;
        long aggregateCorrected;
        long aggregateUncorrected;
        RemappedRows remapped = new RemappedRows(0, 0, false, false);
        int nvlinks;
        Set<Integer> inactiveLinks = new HashSet<>();
        int currentGen = 5;
        int maxGen = 5;
        int deviceMaxGen = 5;
        int currentWidth = 16;
        int maxWidth = 16;
        int replays;
        int computeMode;
        int migMode;
        int persistence = 1;
        FabricInfo fabric;
        int temperature;
        int powerMilliwatts;
        int limitMilliwatts;
        long clockReasons;
        List<ProcessInfo> processes = new ArrayList<>();

        public FakeGpu inactiveLink(int link) {
            inactiveLinks.add(link);
            return this;
        }

        public FakeGpu activeLink(int link) {
            inactiveLinks.remove(link);
            return this;
        }

        public FakeGpu mig(boolean enabled) {
            migMode = enabled ? 1 : 0;
            return this;
        }

        public FakeGpu remapped(RemappedRows rows) {
            remapped = rows;
            return this;
        }

        public FakeGpu process(int pid, long bytes) {
            processes.add(new ProcessInfo(pid, bytes));
            return this;
        }

        public FakeGpu fabric(int state, int status) {
            fabric = new FabricInfo(state, status);
            return this;
        }
    }

    final List<FakeGpu> gpus = new ArrayList<>();
    final Set<String> missing = new HashSet<>();
    final Set<Integer> lost = new HashSet<>();
    final List<String> calls = new ArrayList<>();
    String driverVersion;
    int cudaVersion;
    boolean closed;

    /**
     * The 8× H100 80GB HBM3 HGX node of h100-hgx-8gpu-nvidia-smi-q-535.161.08.txt: driver
     * 535.161.08, CUDA 12.2, PCIe 5/5 x16, ECC on with no errors, no remap, persistence on, MIG
     * off, fabric Completed/Success, HW slowdown and power brake active on every GPU. NVLink
     * (18 per H100 SXM) is not in nvidia-smi -q; all links are up here.
     */
    public static FakeNvml h100Hgx() {
        FakeNvml nvml = new FakeNvml();
        nvml.driverVersion = "535.161.08";
        nvml.cudaVersion = 12020;
        String[] busIds = {"00000000:19:00.0", "00000000:3B:00.0", "00000000:4C:00.0", "00000000:5D:00.0",
            "00000000:9B:00.0", "00000000:BB:00.0", "00000000:CB:00.0", "00000000:DB:00.0"};
        String[] uuids = {"GPU-ee7954ec-da95-fd7a-ddfd-c6b32cc2f8aa", "GPU-47daa2ad-a218-6286-252b-af45f0dfaf00",
            "GPU-167d8376-ee13-fca4-938a-a05167c43cdc", "GPU-afe9f2ed-9dd0-572c-3cd8-b42b58b3bc99",
            "GPU-2b6f61f9-8b00-3b57-d912-b62792120662", "GPU-980ea11b-91dc-db7b-72ac-0685abc43658",
            "GPU-4ef109e9-e925-4834-2b85-0771b4ef696c", "GPU-b0fe4996-1f7c-91f6-0ccd-08ae3b7e23c5"};
        int[] temperatures = {29, 29, 30, 30, 31, 32, 32, 31};
        int[] replays = {67, 63, 52, 43, 49, 53, 82, 67};
        double[] watts = {67.74, 69.52, 70.55, 71.37, 70.33, 70.21, 71.05, 72.27};
        for (int i = 0; i < busIds.length; i++) {
            FakeGpu gpu = new FakeGpu();
            gpu.busId = busIds[i];
            gpu.pciDeviceId = 0x233010DE;
            gpu.name = "NVIDIA H100 80GB HBM3";
            gpu.uuid = uuids[i];
            gpu.nvlinks = 18;
            gpu.replays = replays[i];
            gpu.temperature = temperatures[i];
            gpu.powerMilliwatts = (int) Math.round(watts[i] * 1000);
            gpu.limitMilliwatts = 700_000;
            gpu.clockReasons = 0x8 | 0x80; // HW Slowdown: Active, HW Power Brake Slowdown: Active
            gpu.fabric = new FabricInfo(3, 0);
            nvml.gpus.add(gpu);
        }
        return nvml;
    }

    /**
     * The single H200 of q-h200-580.159.04-1gpu-vm.txt (an H200 SXM passed through alone to a VM):
     * driver 580.159.04, CUDA 13.0, 143771 MiB, PCIe 5 x16, ECC on, no errors, idle at 36 C and
     * 76.69 W of 700 W, no fabric. NVML reports its 18 NVLinks, none active (`nvidia-smi nvlink -s`
     * printed nothing): there is no peer GPU or NVSwitch to train them against.
     */
    public static FakeNvml h200Alone() {
        FakeNvml nvml = new FakeNvml();
        nvml.driverVersion = "580.159.04";
        nvml.cudaVersion = 13000;
        FakeGpu gpu = new FakeGpu();
        gpu.busId = "00000000:00:06.0";
        gpu.pciDeviceId = 0x233510DE;
        gpu.name = "NVIDIA H200";
        gpu.uuid = "GPU-969f7a82-67be-cdaf-6480-40858065ba04";
        gpu.totalMib = 143771;
        gpu.nvlinks = 18;
        for (int link = 0; link < 18; link++) {
            gpu.inactiveLinks.add(link);
        }
        gpu.temperature = 36;
        gpu.powerMilliwatts = 76_690;
        gpu.limitMilliwatts = 700_000;
        nvml.gpus.add(gpu);
        return nvml;
    }

    /**
     * The A100-SXM4-80GB of a100-80gb-nvidia-smi-q-remapped-rows-pending-elided.txt (the one GPU
     * the capture shows of 8): driver 510.73.08, CUDA 11.6, DRAM corrected 177 (volatile and
     * aggregate), one row remapped for a correctable error and pending.
     */
    public static FakeNvml a100RemapPending() {
        FakeNvml nvml = new FakeNvml();
        nvml.driverVersion = "510.73.08";
        nvml.cudaVersion = 11060;
        FakeGpu gpu = new FakeGpu();
        gpu.busId = "00000000:10:1C.0";
        gpu.pciDeviceId = 0x20B210DE;
        gpu.name = "NVIDIA A100-SXM4-80GB";
        gpu.uuid = "";
        gpu.totalMib = 81920;
        gpu.volatileCorrected = 177;
        gpu.aggregateCorrected = 177;
        gpu.remapped = new RemappedRows(1, 0, true, false);
        gpu.nvlinks = 12;
        gpu.currentGen = 4;
        gpu.maxGen = 4;
        gpu.deviceMaxGen = 4;
        gpu.temperature = 34;
        nvml.gpus.add(gpu);
        // 510 predates the fabric query and the "clocks event" rename
        nvml.missing.add("nvmlDeviceGetGpuFabricInfoV");
        nvml.missing.add("nvmlDeviceGetGpuFabricInfo");
        nvml.missing.add("nvmlDeviceGetCurrentClocksEventReasons");
        return nvml;
    }

    public List<FakeGpu> gpus() {
        return gpus;
    }

    public FakeGpu gpu(int index) {
        return gpus.get(index);
    }

    /** The GPU at this index answers nvmlDeviceGetHandleByIndex_v2 with "GPU is lost", as one fallen off the bus does. */
    public FakeNvml lose(int index) {
        lost.add(index);
        return this;
    }

    public FakeNvml without(String symbol) {
        missing.add(symbol);
        return this;
    }

    public NvmlLoader loader() {
        return () -> this;
    }

    private void require(NvmlFunction function) {
        calls.add(function.symbol());
        if (missing.contains(function.symbol())) {
            throw new AssertionError("symbol lookup error: undefined symbol: " + function.symbol()
                    + " (a real process would have died here)");
        }
    }

    private static FakeGpu gpu(Device device) {
        return (FakeGpu) device;
    }

    private static NvmlException notSupported(NvmlFunction function) {
        return new NvmlException(function.symbol(), NvmlException.NOT_SUPPORTED, "Not Supported");
    }

    @Override
    public boolean has(NvmlFunction function) {
        return !missing.contains(function.symbol());
    }

    @Override
    public String systemGetDriverVersion() {
        require(NvmlFunction.SYSTEM_GET_DRIVER_VERSION);
        return driverVersion;
    }

    @Override
    public int systemGetCudaDriverVersion_v2() {
        require(NvmlFunction.SYSTEM_GET_CUDA_DRIVER_VERSION_V2);
        return cudaVersion;
    }

    @Override
    public int systemGetCudaDriverVersion() {
        require(NvmlFunction.SYSTEM_GET_CUDA_DRIVER_VERSION);
        return cudaVersion;
    }

    @Override
    public int deviceGetCount_v2() {
        return gpus.size();
    }

    @Override
    public Device deviceGetHandleByIndex_v2(int index) throws NvmlException {
        if (index < 0 || index >= gpus.size()) {
            throw new NvmlException("nvmlDeviceGetHandleByIndex_v2", NvmlException.INVALID_ARGUMENT, "Invalid Argument");
        }
        if (lost.contains(index)) {
            throw new NvmlException("nvmlDeviceGetHandleByIndex_v2", NvmlException.GPU_IS_LOST, "GPU is lost");
        }
        return gpus.get(index);
    }

    @Override
    public String deviceGetName(Device device) {
        require(NvmlFunction.DEVICE_GET_NAME);
        return gpu(device).name;
    }

    @Override
    public String deviceGetUUID(Device device) {
        require(NvmlFunction.DEVICE_GET_UUID);
        return gpu(device).uuid;
    }

    @Override
    public PciInfo deviceGetPciInfo_v3(Device device) {
        require(NvmlFunction.DEVICE_GET_PCI_INFO_V3);
        return new PciInfo(gpu(device).busId, gpu(device).pciDeviceId);
    }

    @Override
    public Memory deviceGetMemoryInfo(Device device) {
        require(NvmlFunction.DEVICE_GET_MEMORY_INFO);
        return new Memory(gpu(device).totalMib << 20, gpu(device).usedMib << 20);
    }

    @Override
    public EccMode deviceGetEccMode(Device device) {
        require(NvmlFunction.DEVICE_GET_ECC_MODE);
        return new EccMode(gpu(device).ecc, gpu(device).ecc);
    }

    @Override
    public long deviceGetTotalEccErrors(Device device, int errorType, int counterType) {
        require(NvmlFunction.DEVICE_GET_TOTAL_ECC_ERRORS);
        FakeGpu gpu = gpu(device);
        if (counterType == 0) {
            return errorType == 0 ? gpu.volatileCorrected : gpu.volatileUncorrected;
        }
        return errorType == 0 ? gpu.aggregateCorrected : gpu.aggregateUncorrected;
    }

    @Override
    public RemappedRows deviceGetRemappedRows(Device device) throws NvmlException {
        require(NvmlFunction.DEVICE_GET_REMAPPED_ROWS);
        if (gpu(device).remapped == null) {
            throw notSupported(NvmlFunction.DEVICE_GET_REMAPPED_ROWS);
        }
        return gpu(device).remapped;
    }

    @Override
    public boolean deviceGetNvLinkState(Device device, int link) throws NvmlException {
        require(NvmlFunction.DEVICE_GET_NVLINK_STATE);
        if (link >= gpu(device).nvlinks) {
            throw new NvmlException("nvmlDeviceGetNvLinkState", NvmlException.INVALID_ARGUMENT, "Invalid Argument");
        }
        return !gpu(device).inactiveLinks.contains(link);
    }

    @Override
    public int deviceGetP2PStatus(Device a, Device b) {
        require(NvmlFunction.DEVICE_GET_P2P_STATUS);
        return 0;
    }

    @Override
    public int deviceGetCurrPcieLinkGeneration(Device device) {
        require(NvmlFunction.DEVICE_GET_CURR_PCIE_LINK_GENERATION);
        return gpu(device).currentGen;
    }

    @Override
    public int deviceGetMaxPcieLinkGeneration(Device device) {
        require(NvmlFunction.DEVICE_GET_MAX_PCIE_LINK_GENERATION);
        return gpu(device).maxGen;
    }

    @Override
    public int deviceGetGpuMaxPcieLinkGeneration(Device device) {
        require(NvmlFunction.DEVICE_GET_GPU_MAX_PCIE_LINK_GENERATION);
        return gpu(device).deviceMaxGen;
    }

    @Override
    public int deviceGetCurrPcieLinkWidth(Device device) {
        require(NvmlFunction.DEVICE_GET_CURR_PCIE_LINK_WIDTH);
        return gpu(device).currentWidth;
    }

    @Override
    public int deviceGetMaxPcieLinkWidth(Device device) {
        require(NvmlFunction.DEVICE_GET_MAX_PCIE_LINK_WIDTH);
        return gpu(device).maxWidth;
    }

    @Override
    public int deviceGetPcieReplayCounter(Device device) {
        require(NvmlFunction.DEVICE_GET_PCIE_REPLAY_COUNTER);
        return gpu(device).replays;
    }

    @Override
    public int deviceGetComputeMode(Device device) {
        require(NvmlFunction.DEVICE_GET_COMPUTE_MODE);
        return gpu(device).computeMode;
    }

    @Override
    public int deviceGetMigMode(Device device) {
        require(NvmlFunction.DEVICE_GET_MIG_MODE);
        return gpu(device).migMode;
    }

    @Override
    public int deviceGetPersistenceMode(Device device) {
        require(NvmlFunction.DEVICE_GET_PERSISTENCE_MODE);
        return gpu(device).persistence;
    }

    @Override
    public FabricInfo deviceGetGpuFabricInfoV(Device device) throws NvmlException {
        require(NvmlFunction.DEVICE_GET_GPU_FABRIC_INFO_V);
        if (gpu(device).fabric == null) {
            throw notSupported(NvmlFunction.DEVICE_GET_GPU_FABRIC_INFO_V);
        }
        return gpu(device).fabric;
    }

    @Override
    public FabricInfo deviceGetGpuFabricInfo(Device device) throws NvmlException {
        require(NvmlFunction.DEVICE_GET_GPU_FABRIC_INFO);
        if (gpu(device).fabric == null) {
            throw notSupported(NvmlFunction.DEVICE_GET_GPU_FABRIC_INFO);
        }
        return gpu(device).fabric;
    }

    @Override
    public int deviceGetTemperature(Device device) {
        require(NvmlFunction.DEVICE_GET_TEMPERATURE);
        return gpu(device).temperature;
    }

    @Override
    public int deviceGetPowerUsage(Device device) {
        require(NvmlFunction.DEVICE_GET_POWER_USAGE);
        return gpu(device).powerMilliwatts;
    }

    @Override
    public int deviceGetEnforcedPowerLimit(Device device) {
        require(NvmlFunction.DEVICE_GET_ENFORCED_POWER_LIMIT);
        return gpu(device).limitMilliwatts;
    }

    @Override
    public long deviceGetCurrentClocksEventReasons(Device device) {
        require(NvmlFunction.DEVICE_GET_CURRENT_CLOCKS_EVENT_REASONS);
        return gpu(device).clockReasons;
    }

    @Override
    public long deviceGetCurrentClocksThrottleReasons(Device device) {
        require(NvmlFunction.DEVICE_GET_CURRENT_CLOCKS_THROTTLE_REASONS);
        return gpu(device).clockReasons;
    }

    @Override
    public List<ProcessInfo> deviceGetComputeRunningProcesses_v3(Device device) {
        require(NvmlFunction.DEVICE_GET_COMPUTE_RUNNING_PROCESSES_V3);
        return List.copyOf(gpu(device).processes);
    }

    @Override
    public List<ProcessInfo> deviceGetComputeRunningProcesses(Device device) {
        require(NvmlFunction.DEVICE_GET_COMPUTE_RUNNING_PROCESSES);
        return List.copyOf(gpu(device).processes);
    }

    @Override
    public void close() {
        closed = true;
    }
}
