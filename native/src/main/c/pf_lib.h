/*
 * The CUDA runtime and NCCL, opened with dlopen at run time and bound by dlsym. Required entry
 * points missing from a library fail the open with a message naming the library and the symbol;
 * optional ones (graphs, non-blocking init, ncclAlltoAll) are NULL when absent.
 */
#ifndef PREFLIGHT_PF_LIB_H
#define PREFLIGHT_PF_LIB_H

#include "pf_abi.h"

typedef struct pf_lib {
    void *cudart_handle;
    void *nccl_handle;
    char cudart_path[512];
    char nccl_path[512];
    int runtime_version;
    int driver_version;
    int nccl_version;

    cudaError_t (*cudaGetDeviceCount)(int *);
    cudaError_t (*cudaSetDevice)(int);
    cudaError_t (*cudaMalloc)(void **, size_t);
    cudaError_t (*cudaFree)(void *);
    cudaError_t (*cudaMemcpy)(void *, const void *, size_t, int);
    cudaError_t (*cudaMemset)(void *, int, size_t);
    cudaError_t (*cudaMemGetInfo)(size_t *, size_t *);
    cudaError_t (*cudaStreamCreateWithFlags)(cudaStream_t *, unsigned int);
    cudaError_t (*cudaStreamDestroy)(cudaStream_t);
    cudaError_t (*cudaStreamQuery)(cudaStream_t);
    cudaError_t (*cudaEventCreate)(cudaEvent_t *);
    cudaError_t (*cudaEventRecord)(cudaEvent_t, cudaStream_t);
    cudaError_t (*cudaEventElapsedTime)(float *, cudaEvent_t, cudaEvent_t);
    cudaError_t (*cudaEventDestroy)(cudaEvent_t);
    const char *(*cudaGetErrorString)(cudaError_t);
    cudaError_t (*cudaDriverGetVersion)(int *);
    cudaError_t (*cudaRuntimeGetVersion)(int *);
    cudaError_t (*cudaDeviceGetPCIBusId)(char *, int, int);
    /* optional: CUDA graphs (11.4+ for cudaGraphInstantiateWithFlags) */
    cudaError_t (*cudaStreamBeginCapture)(cudaStream_t, int);
    cudaError_t (*cudaStreamEndCapture)(cudaStream_t, cudaGraph_t *);
    cudaError_t (*cudaGraphInstantiateWithFlags)(cudaGraphExec_t *, cudaGraph_t, unsigned long long);
    cudaError_t (*cudaGraphLaunch)(cudaGraphExec_t, cudaStream_t);
    cudaError_t (*cudaGraphExecDestroy)(cudaGraphExec_t);
    cudaError_t (*cudaGraphDestroy)(cudaGraph_t);

    ncclResult_t (*ncclGetVersion)(int *);
    ncclResult_t (*ncclGetUniqueId)(ncclUniqueId *);
    ncclResult_t (*ncclCommInitRank)(ncclComm_t *, int, ncclUniqueId, int);
    ncclResult_t (*ncclCommAbort)(ncclComm_t);
    ncclResult_t (*ncclCommDestroy)(ncclComm_t);
    ncclResult_t (*ncclCommGetAsyncError)(ncclComm_t, ncclResult_t *);
    const char *(*ncclGetErrorString)(ncclResult_t);
    ncclResult_t (*ncclAllReduce)(const void *, void *, size_t, ncclDataType_t, ncclRedOp_t, ncclComm_t, cudaStream_t);
    ncclResult_t (*ncclAllGather)(const void *, void *, size_t, ncclDataType_t, ncclComm_t, cudaStream_t);
    ncclResult_t (*ncclReduceScatter)(const void *, void *, size_t, ncclDataType_t, ncclRedOp_t, ncclComm_t, cudaStream_t);
    ncclResult_t (*ncclSend)(const void *, size_t, ncclDataType_t, int, ncclComm_t, cudaStream_t);
    ncclResult_t (*ncclRecv)(void *, size_t, ncclDataType_t, int, ncclComm_t, cudaStream_t);
    ncclResult_t (*ncclGroupStart)(void);
    ncclResult_t (*ncclGroupEnd)(void);
    /* optional: 2.14+ (non-blocking init, finalize), 2.13+ (last error), 2.28+ (ncclAlltoAll) */
    ncclResult_t (*ncclCommInitRankConfig)(ncclComm_t *, int, ncclUniqueId, int, pf_nccl_config *);
    ncclResult_t (*ncclCommFinalize)(ncclComm_t);
    const char *(*ncclGetLastError)(ncclComm_t);
    ncclResult_t (*ncclAlltoAll)(const void *, void *, size_t, ncclDataType_t, ncclComm_t, cudaStream_t);
} pf_lib;

/*
 * Opens the CUDA runtime (cudart_path, or libcudart.so.13, .12, .11.0 in turn, skipping one that
 * loads but reports an insufficient driver) and NCCL (nccl_path, or libnccl.so.2). Returns 0, or
 * -1 with a message in err naming what is missing.
 */
int pf_lib_open(pf_lib *lib, const char *cudart_path, const char *nccl_path, char *err, size_t err_len);

/* The runtime's own text for an error code ("out of memory"), or a fallback when it has none. */
const char *pf_cuda_error(const pf_lib *lib, cudaError_t code);

/* NCCL's own text for a result code, as ncclGetErrorString gives it. */
const char *pf_nccl_error(const pf_lib *lib, ncclResult_t code);

#endif
