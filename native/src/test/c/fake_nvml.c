/*
 * A strict fake NVML (the C ABI of the driver's libnvidia-ml.so.1) for tests without a GPU, built
 * as nvml/libnvidia-ml.so.1 so the real org.bytedeco NVML binding links against it through the
 * dynamic loader, exactly as it links against the driver's copy.
 *
 * It answers for the 8x H100 80GB HBM3 HGX node of the real capture
 * fixtures/real-captures/nvidia-smi/h100-hgx-8gpu-nvidia-smi-q-535.161.08.txt (driver 535.161.08,
 * CUDA 12.2): bus ids, UUIDs, device ids, memory, ECC, remapped rows, PCIe generation/width and
 * replays, persistence, compute and MIG modes, fabric state, temperatures, power and the clock
 * event reasons are that capture's values, GPU by GPU. NVLink (18 links per H100 SXM5, all
 * active) and P2P (OK between every pair on the NVSwitch fabric) are not in `nvidia-smi -q`; they
 * are the HGX H100's documented shape.
 *
 * Strict where NVML is, answering with NVML's own codes: every call but nvmlErrorString before
 * nvmlInit_v2 (or after the matching nvmlShutdown) is NVML_ERROR_UNINITIALIZED; a device handle
 * that is not one this library gave out is NVML_ERROR_INVALID_ARGUMENT; a NULL out-pointer is
 * NVML_ERROR_INVALID_ARGUMENT; a string buffer shorter than the answer is
 * NVML_ERROR_INSUFFICIENT_SIZE. Every such misuse is also printed to stderr as
 * "fake NVML: misuse: ..." so a test can assert there was none.
 *
 * Like a 535 driver it does not export nvmlDeviceGetGpuFabricInfoV: a caller must look the
 * symbol up and fall back to nvmlDeviceGetGpuFabricInfo. FAKE_NVML_LOST=I makes GPU I answer
 * NVML_ERROR_GPU_IS_LOST when its handle is asked for, as a GPU fallen off the bus does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef int nvmlReturn_t;

enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_GPU_IS_LOST = 15,
};

#define NVLINKS 18
#define GPUS 8
#define DEVICE_MAGIC 0x4e564d4cu

/* nvml.h layouts (LP64), checked against the binding's sizeof/offsetof in the Java test. */
typedef struct {
    char busIdLegacy[16];
    unsigned int domain;
    unsigned int bus;
    unsigned int device;
    unsigned int pciDeviceId;
    unsigned int pciSubSystemId;
    char busId[32];
} nvmlPciInfo_t;

typedef struct {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_t;

typedef struct {
    unsigned char clusterUuid[16];
    nvmlReturn_t status;
    unsigned int cliqueId;
    unsigned char state;
} nvmlGpuFabricInfo_t;

typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlProcessInfo_v2_t;

typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
} nvmlProcessInfo_v1_t;

_Static_assert(sizeof(nvmlPciInfo_t) == 68, "nvmlPciInfo_t");
_Static_assert(sizeof(nvmlMemory_t) == 24, "nvmlMemory_t");
_Static_assert(sizeof(nvmlGpuFabricInfo_t) == 28, "nvmlGpuFabricInfo_t");
_Static_assert(sizeof(nvmlProcessInfo_v1_t) == 16, "nvmlProcessInfo_v1_t");
_Static_assert(sizeof(nvmlProcessInfo_v2_t) == 24, "nvmlProcessInfo_v2_t");

/* One GPU of the capture. */
typedef struct {
    unsigned int magic;
    unsigned int index;
    const char *bus_id;
    unsigned int bus;
    const char *uuid;
    unsigned int replays;
    unsigned int temperature_c;
    unsigned int power_mw;
} fake_gpu;

#define MIB (1024ull * 1024ull)
static const char NAME[] = "NVIDIA H100 80GB HBM3";
static const char DRIVER[] = "535.161.08";
static const int CUDA_DRIVER = 12020;
static const unsigned int PCI_DEVICE_ID = 0x233010DEu;
static const unsigned int PCI_SUBSYSTEM_ID = 0x16C110DEu;
static const unsigned long long FB_TOTAL = 81559 * MIB;
static const unsigned long long FB_FREE = 81007 * MIB;
static const unsigned int POWER_LIMIT_MW = 700000;
/* "HW Slowdown: Active", "HW Power Brake Slowdown: Active" on every GPU of the capture. */
static const unsigned long long CLOCK_EVENT_REASONS = 0x8ull | 0x80ull;

static fake_gpu gpus[GPUS] = {
    {DEVICE_MAGIC, 0, "00000000:19:00.0", 0x19, "GPU-ee7954ec-da95-fd7a-ddfd-c6b32cc2f8aa", 67, 29, 67740},
    {DEVICE_MAGIC, 1, "00000000:3B:00.0", 0x3B, "GPU-47daa2ad-a218-6286-252b-af45f0dfaf00", 63, 29, 69520},
    {DEVICE_MAGIC, 2, "00000000:4C:00.0", 0x4C, "GPU-167d8376-ee13-fca4-938a-a05167c43cdc", 52, 30, 70550},
    {DEVICE_MAGIC, 3, "00000000:5D:00.0", 0x5D, "GPU-afe9f2ed-9dd0-572c-3cd8-b42b58b3bc99", 43, 30, 71370},
    {DEVICE_MAGIC, 4, "00000000:9B:00.0", 0x9B, "GPU-2b6f61f9-8b00-3b57-d912-b62792120662", 49, 31, 70330},
    {DEVICE_MAGIC, 5, "00000000:BB:00.0", 0xBB, "GPU-980ea11b-91dc-db7b-72ac-0685abc43658", 53, 32, 70210},
    {DEVICE_MAGIC, 6, "00000000:CB:00.0", 0xCB, "GPU-4ef109e9-e925-4834-2b85-0771b4ef696c", 82, 32, 71050},
    {DEVICE_MAGIC, 7, "00000000:DB:00.0", 0xDB, "GPU-b0fe4996-1f7c-91f6-0ccd-08ae3b7e23c5", 67, 31, 72270},
};

typedef fake_gpu *nvmlDevice_t;

/* nvmlInit_v2 calls minus nvmlShutdown calls, as NVML counts them. */
static int init_count;

static nvmlReturn_t misuse(nvmlReturn_t code, const char *function, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "fake NVML: misuse: %s: ", function);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    return code;
}

#define REQUIRE_INIT()                                                                          \
    do {                                                                                        \
        if (init_count <= 0) {                                                                  \
            return misuse(NVML_ERROR_UNINITIALIZED, __func__, "called before nvmlInit_v2");     \
        }                                                                                       \
    } while (0)

#define REQUIRE_OUT(pointer)                                                                    \
    do {                                                                                        \
        if ((pointer) == NULL) {                                                                \
            return misuse(NVML_ERROR_INVALID_ARGUMENT, __func__, "%s is NULL", #pointer);       \
        }                                                                                       \
    } while (0)

#define REQUIRE_DEVICE(device)                                                                  \
    do {                                                                                        \
        REQUIRE_INIT();                                                                         \
        if (!valid_device(device)) {                                                            \
            return misuse(NVML_ERROR_INVALID_ARGUMENT, __func__, "%p is not a device handle",  \
                          (void *)(device));                                                    \
        }                                                                                       \
    } while (0)

static int valid_device(nvmlDevice_t device)
{
    for (int i = 0; i < GPUS; i++) {
        if (device == &gpus[i]) {
            return device->magic == DEVICE_MAGIC;
        }
    }
    return 0;
}

static nvmlReturn_t copy_string(const char *function, const char *value, char *buffer, unsigned int length)
{
    REQUIRE_OUT(buffer);
    if (strlen(value) + 1 > length) {
        return misuse(NVML_ERROR_INSUFFICIENT_SIZE, function, "buffer of %u bytes for \"%s\"", length, value);
    }
    memcpy(buffer, value, strlen(value) + 1);
    return NVML_SUCCESS;
}

static int lost_gpu(void)
{
    const char *lost = getenv("FAKE_NVML_LOST");
    return lost != NULL && *lost != '\0' ? atoi(lost) : -1;
}

EXPORT nvmlReturn_t nvmlInit_v2(void)
{
    init_count++;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlShutdown(void)
{
    REQUIRE_INIT();
    init_count--;
    return NVML_SUCCESS;
}

EXPORT const char *nvmlErrorString(nvmlReturn_t result)
{
    switch (result) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    default: return "Unknown Error";
    }
}

EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length)
{
    REQUIRE_INIT();
    return copy_string(__func__, DRIVER, version, length);
}

EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *version)
{
    REQUIRE_INIT();
    REQUIRE_OUT(version);
    *version = CUDA_DRIVER;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *version)
{
    return nvmlSystemGetCudaDriverVersion_v2(version);
}

EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count)
{
    REQUIRE_INIT();
    REQUIRE_OUT(count);
    *count = GPUS;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
    REQUIRE_INIT();
    REQUIRE_OUT(device);
    if (index >= GPUS) {
        return misuse(NVML_ERROR_INVALID_ARGUMENT, __func__, "index %u of %d GPUs", index, GPUS);
    }
    if ((int)index == lost_gpu()) {
        return NVML_ERROR_GPU_IS_LOST;
    }
    *device = &gpus[index];
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
    REQUIRE_DEVICE(device);
    return copy_string(__func__, NAME, name, length);
}

EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
    REQUIRE_DEVICE(device);
    return copy_string(__func__, device->uuid, uuid, length);
}

EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci)
{
    REQUIRE_DEVICE(device);
    REQUIRE_OUT(pci);
    memset(pci, 0, sizeof(*pci));
    /* the legacy field holds the 4-digit-domain form, as NVML fills it */
    snprintf(pci->busIdLegacy, sizeof(pci->busIdLegacy), "%s", device->bus_id + 4);
    pci->domain = 0;
    pci->bus = device->bus;
    pci->device = 0;
    pci->pciDeviceId = PCI_DEVICE_ID;
    pci->pciSubSystemId = PCI_SUBSYSTEM_ID;
    snprintf(pci->busId, sizeof(pci->busId), "%s", device->bus_id);
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)
{
    REQUIRE_DEVICE(device);
    REQUIRE_OUT(memory);
    /* the v1 call counts the driver's reservation (the capture's "Reserved") as used */
    memory->total = FB_TOTAL;
    memory->free = FB_FREE;
    memory->used = FB_TOTAL - FB_FREE;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetEccMode(nvmlDevice_t device, int *current, int *pending)
{
    REQUIRE_DEVICE(device);
    REQUIRE_OUT(current);
    REQUIRE_OUT(pending);
    *current = 1;
    *pending = 1;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetTotalEccErrors(nvmlDevice_t device, int errorType, int counterType,
                                                unsigned long long *count)
{
    REQUIRE_DEVICE(device);
    REQUIRE_OUT(count);
    if (errorType < 0 || errorType > 1 || counterType < 0 || counterType > 1) {
        return misuse(NVML_ERROR_INVALID_ARGUMENT, __func__, "error type %d, counter type %d", errorType, counterType);
    }
    *count = 0;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetRemappedRows(nvmlDevice_t device, unsigned int *corrRows, unsigned int *uncRows,
                                              unsigned int *isPending, unsigned int *failureOccurred)
{
    REQUIRE_DEVICE(device);
    REQUIRE_OUT(corrRows);
    REQUIRE_OUT(uncRows);
    REQUIRE_OUT(isPending);
    REQUIRE_OUT(failureOccurred);
    *corrRows = 0;
    *uncRows = 0;
    *isPending = 0;
    *failureOccurred = 0;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetNvLinkState(nvmlDevice_t device, unsigned int link, int *isActive)
{
    REQUIRE_DEVICE(device);
    REQUIRE_OUT(isActive);
    if (link >= NVLINKS) {
        /* not a misuse: callers probe up to NVML_NVLINK_MAX_LINKS */
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *isActive = 1;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetP2PStatus(nvmlDevice_t device1, nvmlDevice_t device2, int p2pIndex, int *p2pStatus)
{
    REQUIRE_DEVICE(device1);
    REQUIRE_DEVICE(device2);
    REQUIRE_OUT(p2pStatus);
    if (p2pIndex < 0 || p2pIndex > 6) {
        return misuse(NVML_ERROR_INVALID_ARGUMENT, __func__, "P2P caps index %d", p2pIndex);
    }
    *p2pStatus = 0;
    return NVML_SUCCESS;
}

#define UINT_FACT(function, value)                                                              \
    EXPORT nvmlReturn_t function(nvmlDevice_t device, unsigned int *out)                        \
    {                                                                                           \
        REQUIRE_DEVICE(device);                                                                 \
        REQUIRE_OUT(out);                                                                       \
        *out = (value);                                                                         \
        return NVML_SUCCESS;                                                                    \
    }

UINT_FACT(nvmlDeviceGetCurrPcieLinkGeneration, 5)
UINT_FACT(nvmlDeviceGetMaxPcieLinkGeneration, 5)
UINT_FACT(nvmlDeviceGetGpuMaxPcieLinkGeneration, 5)
UINT_FACT(nvmlDeviceGetCurrPcieLinkWidth, 16)
UINT_FACT(nvmlDeviceGetMaxPcieLinkWidth, 16)
UINT_FACT(nvmlDeviceGetPcieReplayCounter, device->replays)
UINT_FACT(nvmlDeviceGetComputeMode, 0)
UINT_FACT(nvmlDeviceGetPersistenceMode, 1)
UINT_FACT(nvmlDeviceGetPowerUsage, device->power_mw)
UINT_FACT(nvmlDeviceGetEnforcedPowerLimit, POWER_LIMIT_MW)

EXPORT nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *currentMode, unsigned int *pendingMode)
{
    REQUIRE_DEVICE(device);
    REQUIRE_OUT(currentMode);
    REQUIRE_OUT(pendingMode);
    *currentMode = 0;
    *pendingMode = 0;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetGpuFabricInfo(nvmlDevice_t device, nvmlGpuFabricInfo_t *info)
{
    REQUIRE_DEVICE(device);
    REQUIRE_OUT(info);
    memset(info, 0, sizeof(*info));
    info->status = NVML_SUCCESS;
    info->state = 3; /* NVML_GPU_FABRIC_STATE_COMPLETED */
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, int sensorType, unsigned int *temp)
{
    REQUIRE_DEVICE(device);
    REQUIRE_OUT(temp);
    if (sensorType != 0) { /* NVML_TEMPERATURE_GPU is the only sensor */
        return misuse(NVML_ERROR_INVALID_ARGUMENT, __func__, "sensor %d", sensorType);
    }
    *temp = device->temperature_c;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t device, unsigned long long *reasons)
{
    REQUIRE_DEVICE(device);
    REQUIRE_OUT(reasons);
    *reasons = CLOCK_EVENT_REASONS;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t device, unsigned long long *reasons)
{
    return nvmlDeviceGetCurrentClocksEventReasons(device, reasons);
}

/* "Processes: None" on every GPU of the capture: the size query answers 0 and success. */
EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *infoCount,
                                                            nvmlProcessInfo_v2_t *infos)
{
    REQUIRE_DEVICE(device);
    REQUIRE_OUT(infoCount);
    (void)infos;
    *infoCount = 0;
    return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t device, unsigned int *infoCount,
                                                         nvmlProcessInfo_v1_t *infos)
{
    REQUIRE_DEVICE(device);
    REQUIRE_OUT(infoCount);
    (void)infos;
    *infoCount = 0;
    return NVML_SUCCESS;
}
