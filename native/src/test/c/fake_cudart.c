/*
 * A strict fake CUDA runtime: "device" memory is host memory registered with its size and device,
 * so every pointer handed to a copy or to NCCL is checked; streams run their work asynchronously on
 * their own thread, so cudaStreamQuery really returns cudaErrorNotReady while work is pending;
 * events time real work; stream capture records work into graphs that launches replay. Leaked
 * allocations, streams, events and graphs are reported at exit.
 *
 * Environment: FAKE_CUDA_DEVICE_COUNT (GPUs, default 1), FAKE_CUDA_DEVICE_MEMORY (bytes per GPU,
 * default 16 GiB), FAKE_CUDA_DRIVER_VERSION (default 12080; below the runtime's 12040 makes
 * cudaGetDeviceCount fail with cudaErrorInsufficientDriver), FAKE_LEAK_REPORT (file for reports).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_internal.h"

#define EXPORT __attribute__((visibility("default")))

enum {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInsufficientDriver = 35,
    cudaErrorNoDevice = 100,
    cudaErrorInvalidDevice = 101,
    cudaErrorInvalidResourceHandle = 400,
    cudaErrorNotReady = 600,
    cudaErrorStreamCaptureUnsupported = 900,
    cudaErrorStreamCaptureInvalidated = 901,
    cudaErrorStreamCaptureWrongThread = 908,
    cudaErrorIllegalState = 401
};

#define RUNTIME_VERSION 12040
#define STREAM_MAGIC 0x5354524du
#define EVENT_MAGIC 0x45564e54u
#define GRAPH_MAGIC 0x47524150u
#define EXEC_MAGIC 0x45584543u

typedef struct allocation {
    char *ptr;
    size_t size;
    int device;
    struct allocation *next;
} allocation;

/* A list of captured ops shared by a graph and the executable graphs made from it. */
typedef struct oplist {
    int refs;
    fake_op *head;
    fake_op *tail;
} oplist;

typedef struct graph {
    unsigned int magic;
    oplist *ops;
} graph;

typedef struct graph_exec {
    unsigned int magic;
    oplist *ops;
} graph_exec;

typedef struct stream {
    unsigned int magic;
    int device;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fake_op *head;
    fake_op *tail;
    int busy;
    int stop;
    pthread_t thread;
    /* stream capture (cudaStreamBeginCapture) */
    int capturing;
    int invalidated;
    pthread_t capturer;
    oplist *capture;
} stream;

typedef struct event {
    unsigned int magic;
    int recorded;
    int completed;
    long long ns;
} event;

static pthread_mutex_t state_mu = PTHREAD_MUTEX_INITIALIZER;
static allocation *allocations;
static size_t allocated[64];
static int live_streams, live_events, live_graphs, live_execs;
static __thread int current_device;

long long fake_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void fake_report(const char *line)
{
    fprintf(stderr, "%s\n", line);
    const char *path = getenv("FAKE_LEAK_REPORT");
    if (path != NULL && path[0] != '\0') {
        FILE *f = fopen(path, "a");
        if (f != NULL) {
            fprintf(f, "%s\n", line);
            fclose(f);
        }
    }
}

static long long env_number(const char *name, long long fallback)
{
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0') {
        return fallback;
    }
    char *end;
    errno = 0;
    long long n = strtoll(value, &end, 10);
    if (errno != 0 || *end != '\0' || n < 0) {
        fprintf(stderr, "fake cudart: %s=%s is not a non-negative integer; using %lld\n", name, value, fallback);
        return fallback;
    }
    return n;
}

static int device_count(void)
{
    long long n = env_number("FAKE_CUDA_DEVICE_COUNT", 1);
    return n > 64 ? 64 : (int)n;
}

static size_t device_memory(void)
{
    return (size_t)env_number("FAKE_CUDA_DEVICE_MEMORY", 16LL << 30);
}

static int driver_version(void)
{
    return (int)env_number("FAKE_CUDA_DRIVER_VERSION", 12080);
}

/* The allocation containing [p, p + n), or NULL; state_mu held. */
static allocation *find_locked(const void *p, size_t n)
{
    const char *c = p;
    for (allocation *a = allocations; a != NULL; a = a->next) {
        if (c >= a->ptr && c < a->ptr + a->size) {
            return (size_t)(c - a->ptr) + n <= a->size ? a : NULL;
        }
    }
    return NULL;
}

int fakecuda_device_range(const void *ptr, size_t bytes, int *device)
{
    pthread_mutex_lock(&state_mu);
    allocation *a = ptr != NULL ? find_locked(ptr, bytes) : NULL;
    if (a != NULL && device != NULL) {
        *device = a->device;
    }
    pthread_mutex_unlock(&state_mu);
    return a != NULL;
}

static int inside_any_allocation(const void *ptr)
{
    pthread_mutex_lock(&state_mu);
    int inside = ptr != NULL && find_locked(ptr, 1) != NULL;
    pthread_mutex_unlock(&state_mu);
    return inside;
}

int fakecuda_current_device(void)
{
    return current_device;
}

EXPORT int cudaGetDeviceCount(int *count)
{
    if (count == NULL) {
        return cudaErrorInvalidValue;
    }
    *count = 0;
    if (driver_version() < RUNTIME_VERSION) {
        return cudaErrorInsufficientDriver;
    }
    int n = device_count();
    if (n == 0) {
        return cudaErrorNoDevice;
    }
    *count = n;
    return cudaSuccess;
}

EXPORT int cudaSetDevice(int device)
{
    if (driver_version() < RUNTIME_VERSION) {
        return cudaErrorInsufficientDriver;
    }
    if (device < 0 || device >= device_count()) {
        return cudaErrorInvalidDevice;
    }
    current_device = device;
    return cudaSuccess;
}

EXPORT int cudaGetDevice(int *device)
{
    if (device == NULL) {
        return cudaErrorInvalidValue;
    }
    *device = current_device;
    return cudaSuccess;
}

EXPORT int cudaDriverGetVersion(int *version)
{
    if (version == NULL) {
        return cudaErrorInvalidValue;
    }
    *version = driver_version();
    return cudaSuccess;
}

EXPORT int cudaRuntimeGetVersion(int *version)
{
    if (version == NULL) {
        return cudaErrorInvalidValue;
    }
    *version = RUNTIME_VERSION;
    return cudaSuccess;
}

EXPORT const char *cudaGetErrorString(int code)
{
    switch (code) {
    case cudaSuccess:
        return "no error";
    case cudaErrorInvalidValue:
        return "invalid argument";
    case cudaErrorMemoryAllocation:
        return "out of memory";
    case cudaErrorInsufficientDriver:
        return "CUDA driver version is insufficient for CUDA runtime version";
    case cudaErrorNoDevice:
        return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice:
        return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle:
        return "invalid resource handle";
    case cudaErrorIllegalState:
        return "the operation cannot be performed in the present state";
    case cudaErrorNotReady:
        return "device not ready";
    case cudaErrorStreamCaptureUnsupported:
        return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated:
        return "operation failed due to a previous error during capture";
    case cudaErrorStreamCaptureWrongThread:
        return "attempt to terminate a thread-local capture sequence from another thread";
    default:
        return "unrecognized error code";
    }
}

EXPORT int cudaDeviceGetPCIBusId(char *bus_id, int len, int device)
{
    if (bus_id == NULL || len < 13) {
        return cudaErrorInvalidValue;
    }
    if (device < 0 || device >= device_count()) {
        return cudaErrorInvalidDevice;
    }
    snprintf(bus_id, (size_t)len, "0000:%02X:00.0", 0x19 + device * 0x10);
    return cudaSuccess;
}

EXPORT int cudaMemGetInfo(size_t *free_bytes, size_t *total)
{
    if (free_bytes == NULL || total == NULL) {
        return cudaErrorInvalidValue;
    }
    pthread_mutex_lock(&state_mu);
    size_t used = allocated[current_device];
    pthread_mutex_unlock(&state_mu);
    *total = device_memory();
    *free_bytes = used < *total ? *total - used : 0;
    return cudaSuccess;
}

EXPORT int cudaMalloc(void **ptr, size_t size)
{
    if (ptr == NULL) {
        return cudaErrorInvalidValue;
    }
    *ptr = NULL;
    if (size == 0) {
        return cudaSuccess;
    }
    pthread_mutex_lock(&state_mu);
    int over = allocated[current_device] + size > device_memory();
    pthread_mutex_unlock(&state_mu);
    if (over) {
        return cudaErrorMemoryAllocation;
    }
    allocation *a = malloc(sizeof(*a));
    void *memory = NULL;
    if (a == NULL || posix_memalign(&memory, 256, size) != 0) {
        free(a);
        return cudaErrorMemoryAllocation;
    }
    a->ptr = memory;
    a->size = size;
    a->device = current_device;
    pthread_mutex_lock(&state_mu);
    a->next = allocations;
    allocations = a;
    allocated[a->device] += size;
    pthread_mutex_unlock(&state_mu);
    *ptr = memory;
    return cudaSuccess;
}

EXPORT int cudaFree(void *ptr)
{
    if (ptr == NULL) {
        return cudaSuccess;
    }
    pthread_mutex_lock(&state_mu);
    for (allocation **link = &allocations; *link != NULL; link = &(*link)->next) {
        allocation *a = *link;
        if (a->ptr == ptr) {
            *link = a->next;
            allocated[a->device] -= a->size;
            pthread_mutex_unlock(&state_mu);
            free(a->ptr);
            free(a);
            return cudaSuccess;
        }
    }
    pthread_mutex_unlock(&state_mu);
    return cudaErrorInvalidValue;
}

EXPORT int cudaMemcpy(void *dst, const void *src, size_t count, int kind)
{
    if (count == 0) {
        return cudaSuccess;
    }
    int dst_device = fakecuda_device_range(dst, count, NULL);
    int src_device = fakecuda_device_range(src, count, NULL);
    int ok;
    switch (kind) {
    case 0: /* HostToHost */
        ok = !inside_any_allocation(dst) && !inside_any_allocation(src);
        break;
    case 1: /* HostToDevice */
        ok = dst_device && !inside_any_allocation(src);
        break;
    case 2: /* DeviceToHost */
        ok = src_device && !inside_any_allocation(dst);
        break;
    case 3: /* DeviceToDevice */
        ok = dst_device && src_device;
        break;
    case 4: /* Default: inferred, but a device pointer must cover the whole range */
        ok = (dst_device || !inside_any_allocation(dst)) && (src_device || !inside_any_allocation(src));
        break;
    default:
        ok = 0;
    }
    if (!ok || dst == NULL || src == NULL) {
        return cudaErrorInvalidValue;
    }
    memmove(dst, src, count);
    return cudaSuccess;
}

EXPORT int cudaMemset(void *ptr, int value, size_t count)
{
    if (count == 0) {
        return cudaSuccess;
    }
    if (!fakecuda_device_range(ptr, count, NULL)) {
        return cudaErrorInvalidValue;
    }
    memset(ptr, value, count);
    return cudaSuccess;
}

static void *stream_main(void *arg)
{
    stream *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->head == NULL && !s->stop) {
            pthread_cond_wait(&s->cv, &s->mu);
        }
        if (s->head == NULL && s->stop) {
            break;
        }
        fake_op *op = s->head;
        s->head = op->next;
        if (s->head == NULL) {
            s->tail = NULL;
        }
        s->busy = 1;
        pthread_mutex_unlock(&s->mu);
        op->run(op);
        op->release(op);
        pthread_mutex_lock(&s->mu);
        s->busy = 0;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static stream *as_stream(void *handle)
{
    stream *s = handle;
    return s != NULL && s->magic == STREAM_MAGIC ? s : NULL;
}

int fakecuda_stream_device(fake_stream_t handle, int *device)
{
    stream *s = as_stream(handle);
    if (s != NULL && device != NULL) {
        *device = s->device;
    }
    return s != NULL;
}

EXPORT int cudaStreamCreateWithFlags(void **out, unsigned int flags)
{
    if (out == NULL || flags > 1) {
        return cudaErrorInvalidValue;
    }
    stream *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return cudaErrorMemoryAllocation;
    }
    s->magic = STREAM_MAGIC;
    s->device = current_device;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->thread, NULL, stream_main, s) != 0) {
        free(s);
        return cudaErrorMemoryAllocation;
    }
    pthread_mutex_lock(&state_mu);
    live_streams++;
    pthread_mutex_unlock(&state_mu);
    *out = s;
    return cudaSuccess;
}

static void oplist_release(oplist *list)
{
    if (list == NULL || --list->refs > 0) {
        return;
    }
    for (fake_op *op = list->head; op != NULL;) {
        fake_op *next = op->next;
        op->release(op);
        op = next;
    }
    free(list);
}

EXPORT int cudaStreamDestroy(void *handle)
{
    stream *s = as_stream(handle);
    if (s == NULL) {
        return cudaErrorInvalidResourceHandle;
    }
    pthread_mutex_lock(&s->mu);
    if (s->capturing) {
        pthread_mutex_unlock(&s->mu);
        return cudaErrorStreamCaptureUnsupported;
    }
    /* like CUDA, pending work completes before the stream's resources go */
    s->stop = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    s->magic = 0;
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
    pthread_mutex_lock(&state_mu);
    live_streams--;
    pthread_mutex_unlock(&state_mu);
    return cudaSuccess;
}

/* Querying or synchronizing a capturing stream is illegal and invalidates the capture, as in CUDA. */
static int capture_violation_locked(stream *s)
{
    if (s->capturing) {
        s->invalidated = 1;
        return 1;
    }
    return 0;
}

EXPORT int cudaStreamQuery(void *handle)
{
    stream *s = as_stream(handle);
    if (s == NULL) {
        return cudaErrorInvalidResourceHandle;
    }
    pthread_mutex_lock(&s->mu);
    int rc;
    if (capture_violation_locked(s)) {
        rc = cudaErrorStreamCaptureUnsupported;
    } else {
        rc = s->head == NULL && !s->busy ? cudaSuccess : cudaErrorNotReady;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

EXPORT int cudaStreamSynchronize(void *handle)
{
    stream *s = as_stream(handle);
    if (s == NULL) {
        return cudaErrorInvalidResourceHandle;
    }
    pthread_mutex_lock(&s->mu);
    if (capture_violation_locked(s)) {
        pthread_mutex_unlock(&s->mu);
        return cudaErrorStreamCaptureUnsupported;
    }
    while (s->head != NULL || s->busy) {
        pthread_cond_wait(&s->cv, &s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return cudaSuccess;
}

int fakecuda_enqueue(fake_stream_t handle, fake_op *op)
{
    stream *s = as_stream(handle);
    if (s == NULL) {
        return cudaErrorInvalidResourceHandle;
    }
    op->next = NULL;
    pthread_mutex_lock(&s->mu);
    if (s->capturing) {
        if (!pthread_equal(s->capturer, pthread_self())) {
            /* thread-local capture: work from another thread is an error and invalidates it */
            s->invalidated = 1;
            pthread_mutex_unlock(&s->mu);
            return cudaErrorStreamCaptureWrongThread;
        }
        if (s->capture->tail != NULL) {
            s->capture->tail->next = op;
        } else {
            s->capture->head = op;
        }
        s->capture->tail = op;
    } else {
        if (s->tail != NULL) {
            s->tail->next = op;
        } else {
            s->head = op;
        }
        s->tail = op;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return cudaSuccess;
}

static event *as_event(void *handle)
{
    event *e = handle;
    return e != NULL && e->magic == EVENT_MAGIC ? e : NULL;
}

EXPORT int cudaEventCreate(void **out)
{
    if (out == NULL) {
        return cudaErrorInvalidValue;
    }
    event *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        return cudaErrorMemoryAllocation;
    }
    e->magic = EVENT_MAGIC;
    pthread_mutex_lock(&state_mu);
    live_events++;
    pthread_mutex_unlock(&state_mu);
    *out = e;
    return cudaSuccess;
}

EXPORT int cudaEventDestroy(void *handle)
{
    event *e = as_event(handle);
    if (e == NULL) {
        return cudaErrorInvalidResourceHandle;
    }
    e->magic = 0;
    free(e);
    pthread_mutex_lock(&state_mu);
    live_events--;
    pthread_mutex_unlock(&state_mu);
    return cudaSuccess;
}

typedef struct {
    fake_op op;
    event *event;
} record_op;

static void record_run(fake_op *op)
{
    record_op *r = (record_op *)op;
    __atomic_store_n(&r->event->ns, fake_now_ns(), __ATOMIC_SEQ_CST);
    __atomic_store_n(&r->event->completed, 1, __ATOMIC_SEQ_CST);
}

static void record_release(fake_op *op)
{
    free(op);
}

EXPORT int cudaEventRecord(void *handle, void *stream_handle)
{
    event *e = as_event(handle);
    if (e == NULL) {
        return cudaErrorInvalidResourceHandle;
    }
    record_op *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return cudaErrorMemoryAllocation;
    }
    r->op.run = record_run;
    r->op.release = record_release;
    r->event = e;
    __atomic_store_n(&e->completed, 0, __ATOMIC_SEQ_CST);
    e->recorded = 1;
    int rc = fakecuda_enqueue(stream_handle, &r->op);
    if (rc != cudaSuccess) {
        free(r);
    }
    return rc;
}

EXPORT int cudaEventElapsedTime(float *ms, void *start_handle, void *end_handle)
{
    event *start = as_event(start_handle);
    event *end = as_event(end_handle);
    if (ms == NULL) {
        return cudaErrorInvalidValue;
    }
    if (start == NULL || end == NULL || !start->recorded || !end->recorded) {
        return cudaErrorInvalidResourceHandle;
    }
    if (!__atomic_load_n(&start->completed, __ATOMIC_SEQ_CST) || !__atomic_load_n(&end->completed, __ATOMIC_SEQ_CST)) {
        return cudaErrorNotReady;
    }
    *ms = (float)((double)(end->ns - start->ns) / 1e6);
    return cudaSuccess;
}

EXPORT int cudaStreamBeginCapture(void *handle, int mode)
{
    stream *s = as_stream(handle);
    if (s == NULL) {
        return cudaErrorInvalidResourceHandle;
    }
    if (mode != 1) {
        /* the fake implements thread-local capture only, the mode NCCL work should use */
        return cudaErrorInvalidValue;
    }
    pthread_mutex_lock(&s->mu);
    int rc = cudaSuccess;
    if (s->capturing) {
        rc = cudaErrorIllegalState;
    } else if (s->head != NULL || s->busy) {
        /* not an error in CUDA, but a benchmark capturing behind pending work is a bug */
        rc = cudaErrorIllegalState;
    } else {
        s->capture = calloc(1, sizeof(oplist));
        if (s->capture == NULL) {
            rc = cudaErrorMemoryAllocation;
        } else {
            s->capture->refs = 1;
            s->capturing = 1;
            s->invalidated = 0;
            s->capturer = pthread_self();
        }
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

EXPORT int cudaStreamEndCapture(void *handle, void **graph_out)
{
    stream *s = as_stream(handle);
    if (s == NULL || graph_out == NULL) {
        return s == NULL ? cudaErrorInvalidResourceHandle : cudaErrorInvalidValue;
    }
    *graph_out = NULL;
    pthread_mutex_lock(&s->mu);
    if (!s->capturing) {
        pthread_mutex_unlock(&s->mu);
        return cudaErrorIllegalState;
    }
    if (!pthread_equal(s->capturer, pthread_self())) {
        pthread_mutex_unlock(&s->mu);
        return cudaErrorStreamCaptureWrongThread;
    }
    oplist *ops = s->capture;
    int invalidated = s->invalidated;
    s->capture = NULL;
    s->capturing = 0;
    pthread_mutex_unlock(&s->mu);
    if (invalidated) {
        oplist_release(ops);
        return cudaErrorStreamCaptureInvalidated;
    }
    graph *g = calloc(1, sizeof(*g));
    if (g == NULL) {
        oplist_release(ops);
        return cudaErrorMemoryAllocation;
    }
    g->magic = GRAPH_MAGIC;
    g->ops = ops;
    pthread_mutex_lock(&state_mu);
    live_graphs++;
    pthread_mutex_unlock(&state_mu);
    *graph_out = g;
    return cudaSuccess;
}

EXPORT int cudaGraphInstantiateWithFlags(void **exec_out, void *graph_handle, unsigned long long flags)
{
    graph *g = graph_handle;
    if (exec_out == NULL || flags != 0) {
        return cudaErrorInvalidValue;
    }
    if (g == NULL || g->magic != GRAPH_MAGIC) {
        return cudaErrorInvalidResourceHandle;
    }
    graph_exec *x = calloc(1, sizeof(*x));
    if (x == NULL) {
        return cudaErrorMemoryAllocation;
    }
    x->magic = EXEC_MAGIC;
    x->ops = g->ops;
    g->ops->refs++;
    pthread_mutex_lock(&state_mu);
    live_execs++;
    pthread_mutex_unlock(&state_mu);
    *exec_out = x;
    return cudaSuccess;
}

typedef struct {
    fake_op op;
    oplist *ops;
} launch_op;

static void launch_run(fake_op *op)
{
    for (fake_op *node = ((launch_op *)op)->ops->head; node != NULL; node = node->next) {
        node->run(node);
    }
}

static void launch_release(fake_op *op)
{
    pthread_mutex_lock(&state_mu);
    oplist_release(((launch_op *)op)->ops);
    pthread_mutex_unlock(&state_mu);
    free(op);
}

EXPORT int cudaGraphLaunch(void *exec_handle, void *stream_handle)
{
    graph_exec *x = exec_handle;
    if (x == NULL || x->magic != EXEC_MAGIC) {
        return cudaErrorInvalidResourceHandle;
    }
    launch_op *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        return cudaErrorMemoryAllocation;
    }
    l->op.run = launch_run;
    l->op.release = launch_release;
    l->ops = x->ops;
    pthread_mutex_lock(&state_mu);
    x->ops->refs++;
    pthread_mutex_unlock(&state_mu);
    int rc = fakecuda_enqueue(stream_handle, &l->op);
    if (rc != cudaSuccess) {
        launch_release(&l->op);
    }
    return rc;
}

EXPORT int cudaGraphExecDestroy(void *exec_handle)
{
    graph_exec *x = exec_handle;
    if (x == NULL || x->magic != EXEC_MAGIC) {
        return cudaErrorInvalidResourceHandle;
    }
    x->magic = 0;
    pthread_mutex_lock(&state_mu);
    oplist_release(x->ops);
    live_execs--;
    pthread_mutex_unlock(&state_mu);
    free(x);
    return cudaSuccess;
}

EXPORT int cudaGraphDestroy(void *graph_handle)
{
    graph *g = graph_handle;
    if (g == NULL || g->magic != GRAPH_MAGIC) {
        return cudaErrorInvalidResourceHandle;
    }
    g->magic = 0;
    pthread_mutex_lock(&state_mu);
    oplist_release(g->ops);
    live_graphs--;
    pthread_mutex_unlock(&state_mu);
    free(g);
    return cudaSuccess;
}

__attribute__((destructor)) static void report_leaks(void)
{
    char line[256];
    size_t count = 0, bytes = 0;
    for (allocation *a = allocations; a != NULL; a = a->next) {
        count++;
        bytes += a->size;
    }
    if (count > 0) {
        snprintf(line, sizeof(line), "fake cudart: LEAK: %zu device allocation(s), %zu bytes, never freed", count, bytes);
        fake_report(line);
    }
    if (live_streams > 0 || live_events > 0 || live_graphs > 0 || live_execs > 0) {
        snprintf(line, sizeof(line), "fake cudart: LEAK: %d stream(s), %d event(s), %d graph(s), %d graph exec(s) never destroyed",
                 live_streams, live_events, live_graphs, live_execs);
        fake_report(line);
    }
}
