#include "glibc_compat.h"

#include "pf_lib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static const char *const CUDART_CANDIDATES[] = {"libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0"};
static const char *const NCCL_DEFAULT = "libnccl.so.2";

static void close_libraries(pf_lib *lib);

/*
 * The file the dynamic loader really mapped for a library opened as `requested`: a bare soname
 * (libnccl.so.2) names no file, and the report must say which NCCL was benched. Falls back to the
 * requested name when the loader cannot say.
 */
static void record_loaded_path(char *out, size_t out_len, const char *requested, void *handle, const char *symbol)
{
    Dl_info info;
    void *address = dlsym(handle, symbol);
    if (address != NULL && dladdr(address, &info) != 0 && info.dli_fname != NULL && info.dli_fname[0] == '/') {
        snprintf(out, out_len, "%s", info.dli_fname);
    } else {
        snprintf(out, out_len, "%s", requested);
    }
}

/* dlsym into a function pointer (POSIX: the object/function pointer conversion goes via memcpy). */
static int bind(void *handle, const char *library, const char *name, void *slot, int required,
                char *err, size_t err_len)
{
    dlerror();
    void *symbol = dlsym(handle, name);
    if (symbol == NULL && required) {
        snprintf(err, err_len, "%s has no symbol %s (required by preflight)", library, name);
        return -1;
    }
    memcpy(slot, &symbol, sizeof(symbol));
    return 0;
}

#define BIND(handle, library, field, required)                                                   \
    do {                                                                                         \
        if (bind((handle), (library), #field, &lib->field, (required), err, err_len) != 0) {     \
            return -1;                                                                           \
        }                                                                                        \
    } while (0)

static int bind_cudart(pf_lib *lib, const char *library, char *err, size_t err_len)
{
    void *h = lib->cudart_handle;
    BIND(h, library, cudaGetDeviceCount, 1);
    BIND(h, library, cudaSetDevice, 1);
    BIND(h, library, cudaMalloc, 1);
    BIND(h, library, cudaFree, 1);
    BIND(h, library, cudaMemcpy, 1);
    BIND(h, library, cudaMemset, 1);
    BIND(h, library, cudaMemGetInfo, 1);
    BIND(h, library, cudaStreamCreateWithFlags, 1);
    BIND(h, library, cudaStreamDestroy, 1);
    BIND(h, library, cudaStreamQuery, 1);
    BIND(h, library, cudaEventCreate, 1);
    BIND(h, library, cudaEventRecord, 1);
    BIND(h, library, cudaEventElapsedTime, 1);
    BIND(h, library, cudaEventDestroy, 1);
    BIND(h, library, cudaGetErrorString, 1);
    BIND(h, library, cudaDriverGetVersion, 1);
    BIND(h, library, cudaRuntimeGetVersion, 1);
    BIND(h, library, cudaDeviceGetPCIBusId, 1);
    BIND(h, library, cudaStreamBeginCapture, 0);
    BIND(h, library, cudaStreamEndCapture, 0);
    BIND(h, library, cudaGraphInstantiateWithFlags, 0);
    BIND(h, library, cudaGraphLaunch, 0);
    BIND(h, library, cudaGraphExecDestroy, 0);
    BIND(h, library, cudaGraphDestroy, 0);
    return 0;
}

static int bind_nccl(pf_lib *lib, const char *library, char *err, size_t err_len)
{
    void *h = lib->nccl_handle;
    BIND(h, library, ncclGetVersion, 1);
    BIND(h, library, ncclGetUniqueId, 1);
    BIND(h, library, ncclCommInitRank, 1);
    BIND(h, library, ncclCommAbort, 1);
    BIND(h, library, ncclCommDestroy, 1);
    BIND(h, library, ncclCommGetAsyncError, 1);
    BIND(h, library, ncclGetErrorString, 1);
    BIND(h, library, ncclAllReduce, 1);
    BIND(h, library, ncclAllGather, 1);
    BIND(h, library, ncclReduceScatter, 1);
    BIND(h, library, ncclSend, 1);
    BIND(h, library, ncclRecv, 1);
    BIND(h, library, ncclGroupStart, 1);
    BIND(h, library, ncclGroupEnd, 1);
    BIND(h, library, ncclCommInitRankConfig, 0);
    BIND(h, library, ncclCommFinalize, 0);
    BIND(h, library, ncclGetLastError, 0);
    BIND(h, library, ncclAlltoAll, 0);
    return 0;
}

/* The driver refuses this runtime: a newer runtime on an older driver, or the stub library. */
static int driver_insufficient(cudaError_t code)
{
    return code == PF_cudaErrorInsufficientDriver || code == PF_cudaErrorStubLibrary
        || code == PF_cudaErrorCallRequiresNewerDriver || code == PF_cudaErrorSystemDriverMismatch;
}

/*
 * Loads one runtime candidate. Returns 0 when usable, 1 when it loaded but the driver refuses it
 * (the caller may try the next), -1 on any other failure. err always says what happened.
 */
static int try_cudart(pf_lib *lib, const char *path, char *err, size_t err_len)
{
    lib->cudart_handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib->cudart_handle == NULL) {
        const char *why = dlerror();
        snprintf(err, err_len, "%s", why != NULL ? why : path);
        return -1;
    }
    if (bind_cudart(lib, path, err, err_len) != 0) {
        dlclose(lib->cudart_handle);
        lib->cudart_handle = NULL;
        return -1;
    }
    lib->cudaRuntimeGetVersion(&lib->runtime_version);
    lib->cudaDriverGetVersion(&lib->driver_version);
    int count = 0;
    cudaError_t code = lib->cudaGetDeviceCount(&count);
    if (driver_insufficient(code)) {
        snprintf(err, err_len, "%s: CUDA runtime %d needs a newer driver than %d (%s, error %d)", path,
                 lib->runtime_version, lib->driver_version, lib->cudaGetErrorString(code), code);
        dlclose(lib->cudart_handle);
        lib->cudart_handle = NULL;
        return 1;
    }
    record_loaded_path(lib->cudart_path, sizeof(lib->cudart_path), path, lib->cudart_handle, "cudaGetDeviceCount");
    return 0;
}

int pf_lib_open(pf_lib *lib, const char *cudart_path, const char *nccl_path, char *err, size_t err_len)
{
    memset(lib, 0, sizeof(*lib));
    if (cudart_path != NULL) {
        if (try_cudart(lib, cudart_path, err, err_len) != 0) {
            return -1;
        }
    } else {
        char tried[1024] = "";
        size_t used = 0;
        int loaded = 0;
        for (size_t i = 0; i < sizeof(CUDART_CANDIDATES) / sizeof(CUDART_CANDIDATES[0]) && !loaded; i++) {
            char why[512];
            if (try_cudart(lib, CUDART_CANDIDATES[i], why, sizeof(why)) == 0) {
                loaded = 1;
            } else if (used < sizeof(tried)) {
                used += (size_t)snprintf(tried + used, sizeof(tried) - used, "%s%s", used > 0 ? "; " : "", why);
            }
        }
        if (!loaded) {
            snprintf(err, err_len, "no usable CUDA runtime (tried libcudart.so.13, .12, .11.0): %s", tried);
            return -1;
        }
    }

    const char *nccl = nccl_path != NULL ? nccl_path : NCCL_DEFAULT;
    lib->nccl_handle = dlopen(nccl, RTLD_NOW | RTLD_LOCAL);
    if (lib->nccl_handle == NULL) {
        const char *why = dlerror();
        snprintf(err, err_len, "cannot load NCCL (%s): %s", nccl, why != NULL ? why : "unknown dlopen error");
        close_libraries(lib);
        return -1;
    }
    if (bind_nccl(lib, nccl, err, err_len) != 0) {
        close_libraries(lib);
        return -1;
    }
    record_loaded_path(lib->nccl_path, sizeof(lib->nccl_path), nccl, lib->nccl_handle, "ncclGetVersion");
    ncclResult_t r = lib->ncclGetVersion(&lib->nccl_version);
    if (r != PF_ncclSuccess) {
        snprintf(err, err_len, "%s: ncclGetVersion failed: %s", nccl, lib->ncclGetErrorString(r));
        close_libraries(lib);
        return -1;
    }
    return 0;
}

/* Only after a failed open: once NCCL has run, its threads may outlive a dlclose. */
static void close_libraries(pf_lib *lib)
{
    if (lib->nccl_handle != NULL) {
        dlclose(lib->nccl_handle);
    }
    if (lib->cudart_handle != NULL) {
        dlclose(lib->cudart_handle);
    }
    memset(lib, 0, sizeof(*lib));
}

const char *pf_cuda_error(const pf_lib *lib, cudaError_t code)
{
    const char *text = lib->cudaGetErrorString != NULL ? lib->cudaGetErrorString(code) : NULL;
    return text != NULL ? text : "unknown CUDA error";
}

const char *pf_nccl_error(const pf_lib *lib, ncclResult_t code)
{
    const char *text = lib->ncclGetErrorString != NULL ? lib->ncclGetErrorString(code) : NULL;
    return text != NULL ? text : "unknown NCCL error";
}
