/*
 * The slice of the CUDA runtime and NCCL C ABI this library uses, declared by hand so the build
 * needs no CUDA headers. Values and layouts are the stable ones shared by CUDA 11-13 and NCCL
 * 2.7-2.30 (enums only ever appended; ncclUniqueId 128 bytes passed by value; ncclConfig_t read
 * as a prefix of `size` bytes, fields newer than `version` reset to defaults).
 */
#ifndef PREFLIGHT_PF_ABI_H
#define PREFLIGHT_PF_ABI_H

#include <stddef.h>

typedef int cudaError_t;
typedef void *cudaStream_t;
typedef void *cudaEvent_t;
typedef void *cudaGraph_t;
typedef void *cudaGraphExec_t;

enum {
    PF_cudaSuccess = 0,
    PF_cudaErrorStubLibrary = 34,
    PF_cudaErrorInsufficientDriver = 35,
    PF_cudaErrorCallRequiresNewerDriver = 36,
    PF_cudaErrorNoDevice = 100,
    PF_cudaErrorNotReady = 600,
    PF_cudaErrorSystemDriverMismatch = 803
};

enum { PF_cudaMemcpyHostToDevice = 1, PF_cudaMemcpyDeviceToHost = 2 };
enum { PF_cudaStreamNonBlocking = 0x01 };
enum { PF_cudaStreamCaptureModeThreadLocal = 1 };

typedef struct ncclComm *ncclComm_t;
typedef int ncclResult_t;
typedef int ncclDataType_t;
typedef int ncclRedOp_t;

#define PF_NCCL_UNIQUE_ID_BYTES 128
typedef struct {
    char internal[PF_NCCL_UNIQUE_ID_BYTES];
} ncclUniqueId;

enum {
    PF_ncclSuccess = 0,
    PF_ncclUnhandledCudaError = 1,
    PF_ncclSystemError = 2,
    PF_ncclInternalError = 3,
    PF_ncclInvalidArgument = 4,
    PF_ncclInvalidUsage = 5,
    PF_ncclRemoteError = 6,
    PF_ncclInProgress = 7
};

enum { PF_ncclFloat16 = 6, PF_ncclFloat32 = 7, PF_ncclFloat64 = 8, PF_ncclBfloat16 = 9 };
enum { PF_ncclSum = 0 };

/*
 * The NCCL 2.14 prefix of ncclConfig_t plus cgaClusterSize (2.17): 24 bytes with no tail padding,
 * so NCCL >= 2.17 never reads padding as cgaClusterSize.
 */
typedef struct {
    size_t size;
    unsigned int magic;
    unsigned int version;
    int blocking;
    int cgaClusterSize;
} pf_nccl_config;

#define PF_NCCL_API_MAGIC 0xcafebeefu
#define PF_NCCL_CONFIG_UNDEF_INT (-2147483647 - 1)

/* NCCL_VERSION(X,Y,Z): X*1000+Y*100+Z up to 2.8, X*10000+Y*100+Z from 2.9. */
#define PF_NCCL_VERSION(x, y, z) ((x) <= 2 && (y) <= 8 ? (x) * 1000 + (y) * 100 + (z) : (x) * 10000 + (y) * 100 + (z))

#endif
