package dev.preflight.agent.gpu;

import static org.bytedeco.cuda.global.nvml.NVML_P2P_CAPS_INDEX_READ;
import static org.bytedeco.cuda.global.nvml.NVML_SUCCESS;
import static org.bytedeco.cuda.global.nvml.NVML_TEMPERATURE_GPU;

import dev.preflight.nativelib.NvmlSymbols;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.cuda.global.nvml;
import org.bytedeco.cuda.nvml.nvmlDevice_st;
import org.bytedeco.cuda.nvml.nvmlGpuFabricInfo_t;
import org.bytedeco.cuda.nvml.nvmlGpuFabricInfo_v2_t;
import org.bytedeco.cuda.nvml.nvmlMemory_t;
import org.bytedeco.cuda.nvml.nvmlPciInfo_t;
import org.bytedeco.cuda.nvml.nvmlProcessInfo_v1_t;
import org.bytedeco.cuda.nvml.nvmlProcessInfo_v2_t;

/**
 * The {@link Nvml} port over the real library, through org.bytedeco's generated binding: every
 * method is one NVML call and a conversion, nothing more. Loading needs only the driver's
 * libnvidia-ml.so.1 (see {@link Loader}); where it is missing the load fails and {@link Loader#open}
 * says so, and the inventory falls through to nvidia-smi.
 */
final class BytedecoNvml implements Nvml {
    /** JavaCPP's own property for where it extracts natives. */
    static final String JAVACPP_CACHE_PROPERTY = "org.bytedeco.javacpp.cachedir";

    private static final Pattern MISSING_LIBRARY = Pattern.compile("(lib[^\\s:/]+\\.so[^\\s:]*): cannot open shared object file");
    private static final int STRING_BUFFER = 96;

    private final Map<NvmlFunction, Boolean> exported = new ConcurrentHashMap<>();

    private BytedecoNvml() {}

    /**
     * Why the binding could not be loaded, kept for the JVM's life so every inventory answers the
     * same without extracting and loading again: a driver installed after the agent started needs
     * an agent restart.
     */
    private static volatile String loadFailure;

    /** Whether the binding's library is loaded and its classes initialised (guarded by Loader.class). */
    private static boolean loaded;

    /**
     * Loads the binding and initialises NVML, or says why not.
     *
     * <p>The binding's own loading ({@code Loader.load(nvml.class)}) would not do: its preset
     * inherits the cudart preset, so it first initialises the cudart binding, whose JNI library
     * links libcudart.so.12 and libcuda.so.1, and fails on a node with only the driver or with only
     * CUDA 13, although libjninvml.so itself needs nothing but libnvidia-ml.so.1. So the NVML JNI
     * library is loaded here by itself, and the NVML classes are initialised while JavaCPP's
     * automatic loading is off, which keeps their static initialisers from reaching for cudart.
     */
    static final class Loader implements NvmlLoader {
        /** JavaCPP's switch for its automatic loading, read at every {@code Loader.load}. */
        private static final String LOAD_LIBRARIES_PROPERTY = "org.bytedeco.javacpp.loadLibraries";
        /**
         * Every binding class this adapter uses. Each one's static initialiser would load its
         * preset's libraries, cudart's included; initialised here first, it never does.
         */
        private static final List<Class<?>> BINDING_CLASSES = List.of(nvml.class, nvmlDevice_st.class,
                nvmlGpuFabricInfo_t.class, nvmlGpuFabricInfo_v2_t.class, nvmlMemory_t.class, nvmlPciInfo_t.class,
                nvmlProcessInfo_v1_t.class, nvmlProcessInfo_v2_t.class);

        private final Path cacheDir;

        Loader(Path cacheDir) {
            this.cacheDir = cacheDir;
        }

        @Override
        public Nvml open() throws GpuSourceException {
            String platform = org.bytedeco.javacpp.Loader.getPlatform();
            URL library = nvml.class.getResource("/org/bytedeco/cuda/" + platform + "/libjninvml.so");
            if (library == null) {
                throw GpuSourceException.unavailable("NVML unavailable: the NVML binding has no native library for "
                        + platform + " (org.bytedeco:cuda builds libjninvml.so for linux-x86_64 only among the "
                        + "platforms this tool ships)");
            }
            if (cacheDir != null) {
                if (!Files.isDirectory(cacheDir) || !Files.isWritable(cacheDir)) {
                    throw GpuSourceException.unavailable("NVML unavailable: the JavaCPP cache directory " + cacheDir
                            + " is not a writable directory");
                }
                System.setProperty(JAVACPP_CACHE_PROPERTY, cacheDir.toString());
            }
            if (loadFailure != null) {
                throw GpuSourceException.unavailable("NVML unavailable: " + loadFailure);
            }
            try {
                load(library);
            } catch (LinkageError | RuntimeException e) {
                loadFailure = loadFailure(e);
                throw GpuSourceException.unavailable("NVML unavailable: " + loadFailure);
            }
            int code = nvml.nvmlInit_v2();
            if (code != NVML_SUCCESS) {
                throw GpuSourceException.unavailable("NVML unavailable: nvmlInit_v2: " + errorString(code)
                        + " (NVML error " + code + ")");
            }
            return new BytedecoNvml();
        }

        private static synchronized void load(URL library) {
            if (loaded) {
                return;
            }
            ClassLoader classes = BytedecoNvml.class.getClassLoader();
            // JavaCPP's own JNI library (Pointer's natives) loads as usual: it needs only libc.
            initialise(org.bytedeco.javacpp.Pointer.class, classes);
            String path = org.bytedeco.javacpp.Loader.loadLibrary(nvml.class, new URL[] {library}, "jninvml");
            if (path == null) {
                throw new UnsatisfiedLinkError("libjninvml.so could not be extracted from " + library);
            }
            String before = System.getProperty(LOAD_LIBRARIES_PROPERTY);
            System.setProperty(LOAD_LIBRARIES_PROPERTY, "false");
            try {
                for (Class<?> binding : BINDING_CLASSES) {
                    initialise(binding, classes);
                }
            } finally {
                if (before == null) {
                    System.clearProperty(LOAD_LIBRARIES_PROPERTY);
                } else {
                    System.setProperty(LOAD_LIBRARIES_PROPERTY, before);
                }
            }
            loaded = true;
        }

        /** Runs a class's static initialiser (naming it as a literal loads it, nothing more). */
        private static void initialise(Class<?> type, ClassLoader classes) {
            try {
                Class.forName(type.getName(), true, classes);
            } catch (ClassNotFoundException e) {
                // unreachable: the class object is in hand
                throw new NoClassDefFoundError(e.getMessage());
            }
        }
    }

    /** The one line that says what could not be loaded, from anywhere in the cause chain. */
    static String loadFailure(Throwable error) {
        String innermost = null;
        for (Throwable t = error; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message == null) {
                continue;
            }
            Matcher missing = MISSING_LIBRARY.matcher(message);
            if (missing.find()) {
                return missing.group(1) + " cannot be loaded (cannot open shared object file); the NVML binding needs "
                        + "the driver's libnvidia-ml.so.1 (in a container, NVIDIA_DRIVER_CAPABILITIES must include utility)";
            }
            innermost = message;
        }
        if (innermost != null && innermost.contains("cache")) {
            return innermost + " (give the agent --javacpp-cache DIR, a writable directory)";
        }
        return innermost == null ? error.toString() : innermost;
    }

    private static String errorString(int code) {
        return nvml.nvmlErrorString(code).getString();
    }

    private static void check(NvmlFunction function, int code) throws NvmlException {
        if (code != NVML_SUCCESS) {
            throw new NvmlException(function.symbol(), code, errorString(code));
        }
    }

    private static String string(byte[] buffer) {
        int end = 0;
        while (end < buffer.length && buffer[end] != 0) {
            end++;
        }
        return new String(buffer, 0, end, StandardCharsets.UTF_8);
    }

    private static nvmlDevice_st handle(Device device) {
        return ((Handle) device).pointer;
    }

    private static final class Handle implements Device {
        final nvmlDevice_st pointer;

        Handle(nvmlDevice_st pointer) {
            this.pointer = pointer;
        }
    }

    @Override
    public boolean has(NvmlFunction function) {
        return exported.computeIfAbsent(function, f -> NvmlSymbols.has(NvmlSymbols.NVML_LIBRARY, f.symbol()));
    }

    @Override
    public String systemGetDriverVersion() throws NvmlException {
        byte[] buffer = new byte[nvml.NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE];
        check(NvmlFunction.SYSTEM_GET_DRIVER_VERSION, nvml.nvmlSystemGetDriverVersion(buffer, buffer.length));
        return string(buffer);
    }

    @Override
    public int systemGetCudaDriverVersion_v2() throws NvmlException {
        int[] version = new int[1];
        check(NvmlFunction.SYSTEM_GET_CUDA_DRIVER_VERSION_V2, nvml.nvmlSystemGetCudaDriverVersion_v2(version));
        return version[0];
    }

    @Override
    public int systemGetCudaDriverVersion() throws NvmlException {
        int[] version = new int[1];
        check(NvmlFunction.SYSTEM_GET_CUDA_DRIVER_VERSION, nvml.nvmlSystemGetCudaDriverVersion(version));
        return version[0];
    }

    @Override
    public int deviceGetCount_v2() throws NvmlException {
        int[] count = new int[1];
        int code = nvml.nvmlDeviceGetCount_v2(count);
        if (code != NVML_SUCCESS) {
            throw new NvmlException("nvmlDeviceGetCount_v2", code, errorString(code));
        }
        return count[0];
    }

    @Override
    public Device deviceGetHandleByIndex_v2(int index) throws NvmlException {
        nvmlDevice_st device = new nvmlDevice_st();
        int code = nvml.nvmlDeviceGetHandleByIndex_v2(index, device);
        if (code != NVML_SUCCESS) {
            throw new NvmlException("nvmlDeviceGetHandleByIndex_v2", code, errorString(code));
        }
        return new Handle(device);
    }

    @Override
    public String deviceGetName(Device device) throws NvmlException {
        byte[] buffer = new byte[STRING_BUFFER];
        check(NvmlFunction.DEVICE_GET_NAME, nvml.nvmlDeviceGetName(handle(device), buffer, buffer.length));
        return string(buffer);
    }

    @Override
    public String deviceGetUUID(Device device) throws NvmlException {
        byte[] buffer = new byte[STRING_BUFFER];
        check(NvmlFunction.DEVICE_GET_UUID, nvml.nvmlDeviceGetUUID(handle(device), buffer, buffer.length));
        return string(buffer);
    }

    @Override
    public PciInfo deviceGetPciInfo_v3(Device device) throws NvmlException {
        try (nvmlPciInfo_t info = new nvmlPciInfo_t()) {
            check(NvmlFunction.DEVICE_GET_PCI_INFO_V3, nvml.nvmlDeviceGetPciInfo_v3(handle(device), info));
            return new PciInfo(info.busId().getString(), info.pciDeviceId());
        }
    }

    @Override
    public Memory deviceGetMemoryInfo(Device device) throws NvmlException {
        try (nvmlMemory_t memory = new nvmlMemory_t()) {
            check(NvmlFunction.DEVICE_GET_MEMORY_INFO, nvml.nvmlDeviceGetMemoryInfo(handle(device), memory));
            return new Memory(memory.total(), memory.used());
        }
    }

    @Override
    public EccMode deviceGetEccMode(Device device) throws NvmlException {
        int[] current = new int[1];
        int[] pending = new int[1];
        check(NvmlFunction.DEVICE_GET_ECC_MODE, nvml.nvmlDeviceGetEccMode(handle(device), current, pending));
        return new EccMode(current[0] == 1, pending[0] == 1);
    }

    @Override
    public long deviceGetTotalEccErrors(Device device, int errorType, int counterType) throws NvmlException {
        long[] count = new long[1];
        check(NvmlFunction.DEVICE_GET_TOTAL_ECC_ERRORS,
                nvml.nvmlDeviceGetTotalEccErrors(handle(device), errorType, counterType, count));
        return count[0];
    }

    @Override
    public RemappedRows deviceGetRemappedRows(Device device) throws NvmlException {
        int[] corrected = new int[1];
        int[] uncorrected = new int[1];
        int[] pending = new int[1];
        int[] failure = new int[1];
        check(NvmlFunction.DEVICE_GET_REMAPPED_ROWS,
                nvml.nvmlDeviceGetRemappedRows(handle(device), corrected, uncorrected, pending, failure));
        return new RemappedRows(corrected[0], uncorrected[0], pending[0] != 0, failure[0] != 0);
    }

    @Override
    public boolean deviceGetNvLinkState(Device device, int link) throws NvmlException {
        int[] active = new int[1];
        check(NvmlFunction.DEVICE_GET_NVLINK_STATE, nvml.nvmlDeviceGetNvLinkState(handle(device), link, active));
        return active[0] == nvml.NVML_FEATURE_ENABLED;
    }

    @Override
    public int deviceGetP2PStatus(Device a, Device b) throws NvmlException {
        int[] status = new int[1];
        check(NvmlFunction.DEVICE_GET_P2P_STATUS,
                nvml.nvmlDeviceGetP2PStatus(handle(a), handle(b), NVML_P2P_CAPS_INDEX_READ, status));
        return status[0];
    }

    @Override
    public int deviceGetCurrPcieLinkGeneration(Device device) throws NvmlException {
        int[] value = new int[1];
        check(NvmlFunction.DEVICE_GET_CURR_PCIE_LINK_GENERATION, nvml.nvmlDeviceGetCurrPcieLinkGeneration(handle(device), value));
        return value[0];
    }

    @Override
    public int deviceGetMaxPcieLinkGeneration(Device device) throws NvmlException {
        int[] value = new int[1];
        check(NvmlFunction.DEVICE_GET_MAX_PCIE_LINK_GENERATION, nvml.nvmlDeviceGetMaxPcieLinkGeneration(handle(device), value));
        return value[0];
    }

    @Override
    public int deviceGetGpuMaxPcieLinkGeneration(Device device) throws NvmlException {
        int[] value = new int[1];
        check(NvmlFunction.DEVICE_GET_GPU_MAX_PCIE_LINK_GENERATION,
                nvml.nvmlDeviceGetGpuMaxPcieLinkGeneration(handle(device), value));
        return value[0];
    }

    @Override
    public int deviceGetCurrPcieLinkWidth(Device device) throws NvmlException {
        int[] value = new int[1];
        check(NvmlFunction.DEVICE_GET_CURR_PCIE_LINK_WIDTH, nvml.nvmlDeviceGetCurrPcieLinkWidth(handle(device), value));
        return value[0];
    }

    @Override
    public int deviceGetMaxPcieLinkWidth(Device device) throws NvmlException {
        int[] value = new int[1];
        check(NvmlFunction.DEVICE_GET_MAX_PCIE_LINK_WIDTH, nvml.nvmlDeviceGetMaxPcieLinkWidth(handle(device), value));
        return value[0];
    }

    @Override
    public int deviceGetPcieReplayCounter(Device device) throws NvmlException {
        int[] value = new int[1];
        check(NvmlFunction.DEVICE_GET_PCIE_REPLAY_COUNTER, nvml.nvmlDeviceGetPcieReplayCounter(handle(device), value));
        return value[0];
    }

    @Override
    public int deviceGetComputeMode(Device device) throws NvmlException {
        int[] value = new int[1];
        check(NvmlFunction.DEVICE_GET_COMPUTE_MODE, nvml.nvmlDeviceGetComputeMode(handle(device), value));
        return value[0];
    }

    @Override
    public int deviceGetMigMode(Device device) throws NvmlException {
        int[] current = new int[1];
        int[] pending = new int[1];
        check(NvmlFunction.DEVICE_GET_MIG_MODE, nvml.nvmlDeviceGetMigMode(handle(device), current, pending));
        return current[0];
    }

    @Override
    public int deviceGetPersistenceMode(Device device) throws NvmlException {
        int[] value = new int[1];
        check(NvmlFunction.DEVICE_GET_PERSISTENCE_MODE, nvml.nvmlDeviceGetPersistenceMode(handle(device), value));
        return value[0];
    }

    @Override
    public FabricInfo deviceGetGpuFabricInfoV(Device device) throws NvmlException {
        try (nvmlGpuFabricInfo_v2_t info = new nvmlGpuFabricInfo_v2_t()) {
            info.version(nvml.nvmlGpuFabricInfo_v2);
            check(NvmlFunction.DEVICE_GET_GPU_FABRIC_INFO_V, nvml.nvmlDeviceGetGpuFabricInfoV(handle(device), info));
            return new FabricInfo(info.state(), info.status());
        }
    }

    @Override
    public FabricInfo deviceGetGpuFabricInfo(Device device) throws NvmlException {
        try (nvmlGpuFabricInfo_t info = new nvmlGpuFabricInfo_t()) {
            check(NvmlFunction.DEVICE_GET_GPU_FABRIC_INFO, nvml.nvmlDeviceGetGpuFabricInfo(handle(device), info));
            return new FabricInfo(info.state(), info.status());
        }
    }

    @Override
    public int deviceGetTemperature(Device device) throws NvmlException {
        int[] value = new int[1];
        check(NvmlFunction.DEVICE_GET_TEMPERATURE, nvml.nvmlDeviceGetTemperature(handle(device), NVML_TEMPERATURE_GPU, value));
        return value[0];
    }

    @Override
    public int deviceGetPowerUsage(Device device) throws NvmlException {
        int[] value = new int[1];
        check(NvmlFunction.DEVICE_GET_POWER_USAGE, nvml.nvmlDeviceGetPowerUsage(handle(device), value));
        return value[0];
    }

    @Override
    public int deviceGetEnforcedPowerLimit(Device device) throws NvmlException {
        int[] value = new int[1];
        check(NvmlFunction.DEVICE_GET_ENFORCED_POWER_LIMIT, nvml.nvmlDeviceGetEnforcedPowerLimit(handle(device), value));
        return value[0];
    }

    @Override
    public long deviceGetCurrentClocksEventReasons(Device device) throws NvmlException {
        long[] value = new long[1];
        check(NvmlFunction.DEVICE_GET_CURRENT_CLOCKS_EVENT_REASONS,
                nvml.nvmlDeviceGetCurrentClocksEventReasons(handle(device), value));
        return value[0];
    }

    @Override
    public long deviceGetCurrentClocksThrottleReasons(Device device) throws NvmlException {
        long[] value = new long[1];
        check(NvmlFunction.DEVICE_GET_CURRENT_CLOCKS_THROTTLE_REASONS,
                nvml.nvmlDeviceGetCurrentClocksThrottleReasons(handle(device), value));
        return value[0];
    }

    @Override
    public List<ProcessInfo> deviceGetComputeRunningProcesses_v3(Device device) throws NvmlException {
        int[] count = new int[1];
        int code = nvml.nvmlDeviceGetComputeRunningProcesses_v3(handle(device), count, (nvmlProcessInfo_v2_t) null);
        List<ProcessInfo> processes = new ArrayList<>();
        if (code == NVML_SUCCESS || count[0] == 0) {
            check(NvmlFunction.DEVICE_GET_COMPUTE_RUNNING_PROCESSES_V3, code);
            return processes;
        }
        // Room for processes that start between the two calls.
        count[0] += 8;
        try (nvmlProcessInfo_v2_t infos = new nvmlProcessInfo_v2_t(count[0])) {
            check(NvmlFunction.DEVICE_GET_COMPUTE_RUNNING_PROCESSES_V3,
                    nvml.nvmlDeviceGetComputeRunningProcesses_v3(handle(device), count, infos));
            for (int i = 0; i < count[0]; i++) {
                nvmlProcessInfo_v2_t info = infos.getPointer(i);
                processes.add(new ProcessInfo(info.pid(), info.usedGpuMemory()));
            }
        }
        return processes;
    }

    @Override
    public List<ProcessInfo> deviceGetComputeRunningProcesses(Device device) throws NvmlException {
        int[] count = new int[1];
        int code = nvml.nvmlDeviceGetComputeRunningProcesses(handle(device), count, (nvmlProcessInfo_v1_t) null);
        List<ProcessInfo> processes = new ArrayList<>();
        if (code == NVML_SUCCESS || count[0] == 0) {
            check(NvmlFunction.DEVICE_GET_COMPUTE_RUNNING_PROCESSES, code);
            return processes;
        }
        count[0] += 8;
        try (nvmlProcessInfo_v1_t infos = new nvmlProcessInfo_v1_t(count[0])) {
            check(NvmlFunction.DEVICE_GET_COMPUTE_RUNNING_PROCESSES,
                    nvml.nvmlDeviceGetComputeRunningProcesses(handle(device), count, infos));
            for (int i = 0; i < count[0]; i++) {
                nvmlProcessInfo_v1_t info = infos.getPointer(i);
                processes.add(new ProcessInfo(info.pid(), info.usedGpuMemory()));
            }
        }
        return processes;
    }

    @Override
    public void close() {
        nvml.nvmlShutdown();
    }
}
