#include "glibc_compat.h"

#include "pf_bench.h"

#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pf_data.h"

/* Host staging for validation: inputs are generated and results compared in chunks of this size. */
#define PF_STAGE_BYTES ((size_t)16 << 20)
/* Validation above validate_max_bytes compares this many evenly spread stripes. */
#define PF_STRIPES 64
/* barrier (1 element) and the per-run statistics reduced across ranks (PF_STATS doubles) */
#define PF_SCRATCH_BYTES 256
#define PF_STATS 9

struct pf_comm {
    const pf_lib *lib;
    ncclComm_t comm;
    int nranks;
    int rank;
    int device;
    int nonblocking;
    /* aborted after a failure: only memory is left to free */
    int broken;
    int use_alltoall;
    cudaStream_t stream;
    void *scratch;
    void *send;
    void *recv;
    size_t send_capacity;
    size_t recv_capacity;
    void *stage;
};

static int abort_requested;

void pf_request_abort(void)
{
    __atomic_store_n(&abort_requested, 1, __ATOMIC_SEQ_CST);
}

void pf_clear_abort(void)
{
    __atomic_store_n(&abort_requested, 0, __ATOMIC_SEQ_CST);
}

static int aborting(void)
{
    return __atomic_load_n(&abort_requested, __ATOMIC_SEQ_CST);
}

long long pf_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void pause_briefly(void)
{
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
}

static int fail(pf_status *st, pf_kind kind, const char *call, const char *format, ...)
{
    va_list args;
    st->kind = kind;
    snprintf(st->call, sizeof(st->call), "%s", call);
    va_start(args, format);
    vsnprintf(st->message, sizeof(st->message), format, args);
    va_end(args);
    return -1;
}

static int cuda_failed(const pf_lib *lib, pf_status *st, const char *call, cudaError_t code)
{
    return fail(st, PF_ERROR, call, "%s: %s (CUDA error %d)", call, pf_cuda_error(lib, code), code);
}

/* Aborts the communicator: after a timeout or error NCCL state cannot be trusted. */
static void abort_comm(pf_comm *c)
{
    if (!c->broken && c->comm != NULL) {
        c->lib->ncclCommAbort(c->comm);
    }
    c->comm = NULL;
    c->broken = 1;
}

static int nccl_failed(pf_comm *c, pf_status *st, const char *call, ncclResult_t code)
{
    const char *detail = c->lib->ncclGetLastError != NULL ? c->lib->ncclGetLastError(c->comm) : NULL;
    fail(st, PF_ERROR, call, "%s: %s (NCCL error %d)%s%s", call, pf_nccl_error(c->lib, code), code,
         detail != NULL && detail[0] != '\0' ? ": " : "", detail != NULL ? detail : "");
    abort_comm(c);
    return -1;
}

static int overdue(pf_comm *c, pf_status *st, const char *call, long long deadline, long long started)
{
    if (aborting()) {
        abort_comm(c);
        return fail(st, PF_ABORTED, call, "%s: aborted on request", call);
    }
    if (pf_now_ns() > deadline) {
        abort_comm(c);
        return fail(st, PF_TIMEOUT, call, "%s did not complete within %.1f s; communicator aborted", call,
                    (double)(deadline - started) / 1e9);
    }
    return 0;
}

/* Polls a non-blocking communicator until the call that returned ncclInProgress has settled. */
static int settle(pf_comm *c, pf_status *st, const char *call, ncclResult_t result, long long deadline)
{
    long long started = pf_now_ns();
    while (result == PF_ncclInProgress) {
        ncclResult_t state = PF_ncclSuccess;
        ncclResult_t r = c->lib->ncclCommGetAsyncError(c->comm, &state);
        if (r != PF_ncclSuccess) {
            return nccl_failed(c, st, "ncclCommGetAsyncError", r);
        }
        result = state;
        if (result == PF_ncclInProgress) {
            if (overdue(c, st, call, deadline, started) != 0) {
                return -1;
            }
            sched_yield();
        }
    }
    return result == PF_ncclSuccess ? 0 : nccl_failed(c, st, call, result);
}

/*
 * Waits for the stream the way nccl-tests does: query the stream, check the communicator's async
 * error, yield; abort on error, on the deadline or on request.
 */
static int wait_stream(pf_comm *c, pf_status *st, const char *call, long long deadline)
{
    long long started = pf_now_ns();
    for (;;) {
        cudaError_t e = c->lib->cudaStreamQuery(c->stream);
        if (e == PF_cudaSuccess) {
            return 0;
        }
        if (e != PF_cudaErrorNotReady) {
            cuda_failed(c->lib, st, "cudaStreamQuery", e);
            abort_comm(c);
            return -1;
        }
        ncclResult_t state = PF_ncclSuccess;
        ncclResult_t r = c->lib->ncclCommGetAsyncError(c->comm, &state);
        if (r != PF_ncclSuccess) {
            return nccl_failed(c, st, "ncclCommGetAsyncError", r);
        }
        if (state != PF_ncclSuccess && state != PF_ncclInProgress) {
            return nccl_failed(c, st, call, state);
        }
        if (overdue(c, st, call, deadline, started) != 0) {
            return -1;
        }
        sched_yield();
    }
}

static ncclDataType_t nccl_type(int dtype)
{
    switch (dtype) {
    case PF_DTYPE_FLOAT16:
        return PF_ncclFloat16;
    case PF_DTYPE_BFLOAT16:
        return PF_ncclBfloat16;
    default:
        return PF_ncclFloat32;
    }
}

static const char *op_call(const pf_comm *c, int op)
{
    switch (op) {
    case PF_OP_ALL_REDUCE:
        return "ncclAllReduce";
    case PF_OP_ALL_GATHER:
        return "ncclAllGather";
    case PF_OP_REDUCE_SCATTER:
        return "ncclReduceScatter";
    case PF_OP_ALLTOALL:
        return c->use_alltoall ? "ncclAlltoAll" : "ncclSend/ncclRecv (alltoall)";
    default:
        return "ncclSend/ncclRecv";
    }
}

/* Bytes one rank sends and receives for the op: nccl-tests' send/recv buffer sizes. */
static void op_bytes(const pf_comm *c, const pf_run_params *p, size_t *send, size_t *recv)
{
    size_t elt = pf_dtype_size(p->dtype);
    size_t one = p->count * elt;
    size_t all = one * (size_t)c->nranks;
    switch (p->op) {
    case PF_OP_ALL_GATHER:
        *send = one;
        *recv = all;
        break;
    case PF_OP_REDUCE_SCATTER:
        *send = all;
        *recv = one;
        break;
    case PF_OP_ALLTOALL:
        *send = all;
        *recv = all;
        break;
    default:
        *send = one;
        *recv = one;
        break;
    }
}

/* The buffers iteration `iter` uses; in-place follows NCCL's conventions for each op. */
static void buffers(const pf_comm *c, const pf_run_params *p, int in_place, int iter, char **send, char **recv)
{
    size_t send_bytes, recv_bytes;
    op_bytes(c, p, &send_bytes, &recv_bytes);
    size_t shifts = 1;
    if (send_bytes > 0 && recv_bytes > 0) {
        size_t by_send = c->send_capacity / send_bytes;
        size_t by_recv = c->recv_capacity / recv_bytes;
        shifts = by_send < by_recv ? by_send : by_recv;
        if (shifts == 0) {
            shifts = 1;
        }
    }
    size_t shift = (size_t)iter % shifts;
    char *s = (char *)c->send + shift * send_bytes;
    char *r = (char *)c->recv + shift * recv_bytes;
    size_t mine = (size_t)c->rank * p->count * pf_dtype_size(p->dtype);
    if (!in_place) {
        *send = s;
        *recv = r;
    } else if (p->op == PF_OP_ALL_GATHER) {
        *recv = r;
        *send = r + mine;
    } else if (p->op == PF_OP_REDUCE_SCATTER) {
        *send = s;
        *recv = s + mine;
    } else {
        *send = r;
        *recv = r;
    }
}

static int launch(pf_comm *c, const pf_run_params *p, char *send, char *recv, pf_status *st, long long deadline)
{
    const pf_lib *lib = c->lib;
    ncclDataType_t type = nccl_type(p->dtype);
    size_t chunk = p->count * pf_dtype_size(p->dtype);
    ncclResult_t r;
    switch (p->op) {
    case PF_OP_ALL_REDUCE:
        r = lib->ncclAllReduce(send, recv, p->count, type, PF_ncclSum, c->comm, c->stream);
        break;
    case PF_OP_ALL_GATHER:
        r = lib->ncclAllGather(send, recv, p->count, type, c->comm, c->stream);
        break;
    case PF_OP_REDUCE_SCATTER:
        r = lib->ncclReduceScatter(send, recv, p->count, type, PF_ncclSum, c->comm, c->stream);
        break;
    case PF_OP_ALLTOALL:
        if (c->use_alltoall) {
            r = lib->ncclAlltoAll(send, recv, p->count, type, c->comm, c->stream);
            break;
        }
        r = lib->ncclGroupStart();
        for (int peer = 0; peer < c->nranks && r == PF_ncclSuccess; peer++) {
            r = lib->ncclSend(send + (size_t)peer * chunk, p->count, type, peer, c->comm, c->stream);
            if (r == PF_ncclSuccess) {
                r = lib->ncclRecv(recv + (size_t)peer * chunk, p->count, type, peer, c->comm, c->stream);
            }
        }
        if (r == PF_ncclSuccess) {
            r = lib->ncclGroupEnd();
        } else {
            lib->ncclGroupEnd();
        }
        break;
    default:
        if (p->send_peer < 0 && p->recv_peer < 0) {
            return 0;
        }
        r = lib->ncclGroupStart();
        if (r == PF_ncclSuccess && p->send_peer >= 0) {
            r = lib->ncclSend(send, p->count, type, p->send_peer, c->comm, c->stream);
        }
        if (r == PF_ncclSuccess && p->recv_peer >= 0) {
            r = lib->ncclRecv(recv, p->count, type, p->recv_peer, c->comm, c->stream);
        }
        if (r == PF_ncclSuccess) {
            r = lib->ncclGroupEnd();
        } else {
            lib->ncclGroupEnd();
        }
        break;
    }
    if (r == PF_ncclSuccess) {
        return 0;
    }
    if (r == PF_ncclInProgress && c->nonblocking) {
        return settle(c, st, op_call(c, p->op), r, deadline);
    }
    return nccl_failed(c, st, op_call(c, p->op), r);
}

/* A 1-element all-reduce across every rank: nccl-tests' barrier before the timer starts. */
static int barrier(pf_comm *c, pf_status *st, long long deadline)
{
    ncclResult_t r = c->lib->ncclAllReduce(c->scratch, c->scratch, 1, PF_ncclFloat32, PF_ncclSum, c->comm, c->stream);
    if (r == PF_ncclInProgress && c->nonblocking) {
        if (settle(c, st, "ncclAllReduce (barrier)", r, deadline) != 0) {
            return -1;
        }
    } else if (r != PF_ncclSuccess) {
        return nccl_failed(c, st, "ncclAllReduce (barrier)", r);
    }
    return wait_stream(c, st, "ncclAllReduce (barrier)", deadline);
}

/* Sums the per-rank statistics over every rank, in place. */
static int reduce_stats(pf_comm *c, double *stats, pf_status *st, long long deadline)
{
    const pf_lib *lib = c->lib;
    size_t bytes = PF_STATS * sizeof(double);
    cudaError_t e = lib->cudaMemcpy(c->scratch, stats, bytes, PF_cudaMemcpyHostToDevice);
    if (e != PF_cudaSuccess) {
        cuda_failed(lib, st, "cudaMemcpy", e);
        abort_comm(c);
        return -1;
    }
    ncclResult_t r = lib->ncclAllReduce(c->scratch, c->scratch, PF_STATS, PF_ncclFloat64, PF_ncclSum, c->comm,
                                        c->stream);
    if (r == PF_ncclInProgress && c->nonblocking) {
        if (settle(c, st, "ncclAllReduce (statistics)", r, deadline) != 0) {
            return -1;
        }
    } else if (r != PF_ncclSuccess) {
        return nccl_failed(c, st, "ncclAllReduce (statistics)", r);
    }
    if (wait_stream(c, st, "ncclAllReduce (statistics)", deadline) != 0) {
        return -1;
    }
    e = lib->cudaMemcpy(stats, c->scratch, bytes, PF_cudaMemcpyDeviceToHost);
    if (e != PF_cudaSuccess) {
        cuda_failed(lib, st, "cudaMemcpy", e);
        abort_comm(c);
        return -1;
    }
    return 0;
}

static int participates(const pf_run_params *p)
{
    return p->op != PF_OP_SENDRECV || p->send_peer >= 0 || p->recv_peer >= 0;
}

static int compare_times(const void *a, const void *b)
{
    float x = *(const float *)a;
    float y = *(const float *)b;
    return (x > y) - (x < y);
}

/*
 * p50 and p99 (nearest rank) of the per-iteration event times, in seconds; each time also goes to
 * times_s[i] in iteration order where times_s is not NULL.
 */
static int percentiles(pf_comm *c, cudaEvent_t *events, int n, double *p50, double *p99, double *times_s,
                       pf_status *st)
{
    float *ms = malloc((size_t)n * sizeof(float));
    if (ms == NULL) {
        return fail(st, PF_ERROR, "malloc", "no host memory for %d per-iteration times", n);
    }
    for (int i = 0; i < n; i++) {
        cudaError_t e = c->lib->cudaEventElapsedTime(&ms[i], events[i], events[i + 1]);
        if (e != PF_cudaSuccess) {
            free(ms);
            return cuda_failed(c->lib, st, "cudaEventElapsedTime", e);
        }
        if (times_s != NULL) {
            times_s[i] = ms[i] / 1e3;
        }
    }
    qsort(ms, (size_t)n, sizeof(float), compare_times);
    int rank99 = (99 * n + 99) / 100;
    *p50 = ms[(n - 1) / 2] / 1e3;
    *p99 = ms[(rank99 < 1 ? 1 : rank99) - 1] / 1e3;
    free(ms);
    return 0;
}

static int timed_graph(pf_comm *c, const pf_run_params *p, int in_place, double *seconds, pf_status *st,
                       long long deadline)
{
    const pf_lib *lib = c->lib;
    if (lib->cudaStreamBeginCapture == NULL || lib->cudaGraphInstantiateWithFlags == NULL) {
        return fail(st, PF_INVALID_ARGUMENT, "cudaStreamBeginCapture",
                    "graph_launches: the CUDA runtime %s has no graph API (needs CUDA 11.4+)", lib->cudart_path);
    }
    cudaError_t e = lib->cudaStreamBeginCapture(c->stream, PF_cudaStreamCaptureModeThreadLocal);
    if (e != PF_cudaSuccess) {
        cuda_failed(lib, st, "cudaStreamBeginCapture", e);
        abort_comm(c);
        return -1;
    }
    int launched = 0;
    for (int i = 0; i < p->iters; i++) {
        char *send, *recv;
        buffers(c, p, in_place, i, &send, &recv);
        if (launch(c, p, send, recv, st, deadline) != 0) {
            launched = -1;
            break;
        }
    }
    cudaGraph_t graph = NULL;
    e = lib->cudaStreamEndCapture(c->stream, &graph);
    if (launched != 0) {
        if (graph != NULL) {
            lib->cudaGraphDestroy(graph);
        }
        return -1;
    }
    if (e != PF_cudaSuccess) {
        cuda_failed(lib, st, "cudaStreamEndCapture", e);
        abort_comm(c);
        return -1;
    }
    cudaGraphExec_t exec = NULL;
    e = lib->cudaGraphInstantiateWithFlags(&exec, graph, 0);
    if (e != PF_cudaSuccess) {
        lib->cudaGraphDestroy(graph);
        cuda_failed(lib, st, "cudaGraphInstantiateWithFlags", e);
        abort_comm(c);
        return -1;
    }
    int rc = barrier(c, st, deadline);
    if (rc == 0) {
        long long start = pf_now_ns();
        for (int k = 0; k < p->graph_launches && rc == 0; k++) {
            e = lib->cudaGraphLaunch(exec, c->stream);
            if (e != PF_cudaSuccess) {
                cuda_failed(lib, st, "cudaGraphLaunch", e);
                abort_comm(c);
                rc = -1;
            }
        }
        if (rc == 0 && wait_stream(c, st, op_call(c, p->op), deadline) == 0) {
            *seconds = (double)(pf_now_ns() - start) / 1e9 / ((double)p->iters * p->graph_launches);
        } else {
            rc = -1;
        }
    }
    lib->cudaGraphExecDestroy(exec);
    lib->cudaGraphDestroy(graph);
    return rc;
}

static int record(pf_comm *c, cudaEvent_t event, pf_status *st)
{
    cudaError_t e = c->lib->cudaEventRecord(event, c->stream);
    if (e != PF_cudaSuccess) {
        cuda_failed(c->lib, st, "cudaEventRecord", e);
        abort_comm(c);
        return -1;
    }
    return 0;
}

static int timed_loop(pf_comm *c, const pf_run_params *p, int in_place, pf_placement *out, pf_status *st,
                      long long deadline)
{
    const pf_lib *lib = c->lib;
    char *send, *recv;
    /* one untimed op and a sync, then the barrier, as nccl-tests' BenchTime */
    buffers(c, p, in_place, 0, &send, &recv);
    if (launch(c, p, send, recv, st, deadline) != 0 || wait_stream(c, st, op_call(c, p->op), deadline) != 0) {
        return -1;
    }
    if (p->graph_launches > 0) {
        return timed_graph(c, p, in_place, &out->time_s, st, deadline);
    }
    cudaEvent_t *events = NULL;
    int created = 0;
    int rc = 0;
    if (p->per_iteration) {
        events = calloc((size_t)p->iters + 1, sizeof(cudaEvent_t));
        if (events == NULL) {
            return fail(st, PF_ERROR, "malloc", "no host memory for %d CUDA events", p->iters + 1);
        }
        for (; created <= p->iters && rc == 0; created++) {
            cudaError_t e = lib->cudaEventCreate(&events[created]);
            if (e != PF_cudaSuccess) {
                rc = cuda_failed(lib, st, "cudaEventCreate", e);
                break;
            }
        }
    }
    if (rc == 0) {
        rc = barrier(c, st, deadline);
    }
    if (rc == 0) {
        long long start = pf_now_ns();
        if (events != NULL) {
            rc = record(c, events[0], st);
        }
        for (int i = 0; i < p->iters && rc == 0; i++) {
            buffers(c, p, in_place, i, &send, &recv);
            rc = launch(c, p, send, recv, st, deadline);
            if (rc == 0 && events != NULL) {
                rc = record(c, events[i + 1], st);
            }
        }
        if (rc == 0) {
            rc = wait_stream(c, st, op_call(c, p->op), deadline);
        }
        if (rc == 0) {
            out->time_s = (double)(pf_now_ns() - start) / 1e9 / p->iters;
            if (events != NULL) {
                double *times_s = p->iteration_s != NULL ? p->iteration_s + (size_t)in_place * (size_t)p->iters : NULL;
                rc = percentiles(c, events, p->iters, &out->p50_s, &out->p99_s, times_s, st);
            }
        }
    }
    for (int i = 0; i < created; i++) {
        lib->cudaEventDestroy(events[i]);
    }
    free(events);
    return rc;
}

static int copy(pf_comm *c, void *dst, const void *src, size_t bytes, int kind, pf_status *st)
{
    cudaError_t e = c->lib->cudaMemcpy(dst, src, bytes, kind);
    if (e != PF_cudaSuccess) {
        cuda_failed(c->lib, st, "cudaMemcpy", e);
        abort_comm(c);
        return -1;
    }
    return 0;
}

/* Generates this rank's input on the host and copies it to `at`, chunk by chunk. */
static int upload_input(pf_comm *c, const pf_run_params *p, char *at, size_t elements, unsigned int seed,
                        pf_status *st)
{
    size_t elt = pf_dtype_size(p->dtype);
    size_t per_chunk = PF_STAGE_BYTES / elt;
    for (size_t first = 0; first < elements; first += per_chunk) {
        size_t n = elements - first < per_chunk ? elements - first : per_chunk;
        pf_data_fill(c->stage, p->dtype, p->op, c->nranks, c->rank, first, n, seed);
        if (copy(c, at + first * elt, c->stage, n * elt, PF_cudaMemcpyHostToDevice, st) != 0) {
            return -1;
        }
    }
    return 0;
}

static int compare_range(pf_comm *c, const pf_run_params *p, const char *out, size_t first, size_t n,
                         unsigned int seed, size_t *wrong, pf_status *st)
{
    size_t elt = pf_dtype_size(p->dtype);
    size_t per_chunk = PF_STAGE_BYTES / elt;
    for (size_t done = 0; done < n; done += per_chunk) {
        size_t m = n - done < per_chunk ? n - done : per_chunk;
        if (copy(c, c->stage, out + (first + done) * elt, m * elt, PF_cudaMemcpyDeviceToHost, st) != 0) {
            return -1;
        }
        *wrong += pf_data_check(c->stage, p->dtype, p->op, c->nranks, c->rank, p->count, p->recv_peer, first + done,
                                m, seed);
    }
    return 0;
}

/*
 * nccl-tests' check: fresh data with a new seed, one op, results compared with what every rank's
 * inputs must produce. Output elements beyond validate_max_bytes are sampled in stripes.
 */
static int validate(pf_comm *c, const pf_run_params *p, int in_place, unsigned int seed, double *wrong_out,
                    int *sampled, pf_status *st, long long deadline)
{
    size_t elt = pf_dtype_size(p->dtype);
    size_t send_bytes, recv_bytes;
    op_bytes(c, p, &send_bytes, &recv_bytes);
    char *send, *recv;
    buffers(c, p, in_place, 0, &send, &recv);
    int receives = p->op != PF_OP_SENDRECV || p->recv_peer >= 0;
    if (participates(p) && (p->op != PF_OP_SENDRECV || p->send_peer >= 0)) {
        if (upload_input(c, p, send, send_bytes / elt, seed, st) != 0) {
            return -1;
        }
    }
    if (!in_place && receives) {
        cudaError_t e = c->lib->cudaMemset(recv, 0xff, recv_bytes);
        if (e != PF_cudaSuccess) {
            cuda_failed(c->lib, st, "cudaMemset", e);
            abort_comm(c);
            return -1;
        }
    }
    if (launch(c, p, send, recv, st, deadline) != 0 || wait_stream(c, st, op_call(c, p->op), deadline) != 0) {
        return -1;
    }
    size_t wrong = 0;
    if (receives) {
        size_t elements = recv_bytes / elt;
        size_t limit = p->validate_max_bytes / elt;
        if (elements <= limit) {
            if (compare_range(c, p, recv, 0, elements, seed, &wrong, st) != 0) {
                return -1;
            }
        } else {
            size_t stripe = limit / PF_STRIPES > 0 ? limit / PF_STRIPES : 1;
            for (size_t k = 0; k < PF_STRIPES; k++) {
                size_t first = k * (elements - stripe) / (PF_STRIPES - 1);
                if (compare_range(c, p, recv, first, stripe, seed, &wrong, st) != 0) {
                    return -1;
                }
            }
            *sampled = 1;
        }
    }
    *wrong_out = (double)wrong;
    return 0;
}

static int ensure_buffers(pf_comm *c, const pf_run_params *p, pf_status *st)
{
    const pf_lib *lib = c->lib;
    size_t send_bytes, recv_bytes;
    op_bytes(c, p, &send_bytes, &recv_bytes);
    size_t want_send = p->send_capacity > send_bytes ? p->send_capacity : send_bytes;
    size_t want_recv = p->recv_capacity > recv_bytes ? p->recv_capacity : recv_bytes;
    if (want_send == 0) {
        want_send = 16;
    }
    if (want_recv == 0) {
        want_recv = 16;
    }
    if (c->send_capacity < want_send) {
        if (c->send != NULL) {
            lib->cudaFree(c->send);
            c->send = NULL;
            c->send_capacity = 0;
        }
        cudaError_t e = lib->cudaMalloc(&c->send, want_send);
        if (e != PF_cudaSuccess) {
            return fail(st, PF_ERROR, "cudaMalloc", "cudaMalloc of the %zu-byte send buffer: %s (CUDA error %d)",
                        want_send, pf_cuda_error(lib, e), e);
        }
        c->send_capacity = want_send;
    }
    if (c->recv_capacity < want_recv) {
        if (c->recv != NULL) {
            lib->cudaFree(c->recv);
            c->recv = NULL;
            c->recv_capacity = 0;
        }
        cudaError_t e = lib->cudaMalloc(&c->recv, want_recv);
        if (e != PF_cudaSuccess) {
            return fail(st, PF_ERROR, "cudaMalloc", "cudaMalloc of the %zu-byte receive buffer: %s (CUDA error %d)",
                        want_recv, pf_cuda_error(lib, e), e);
        }
        c->recv_capacity = want_recv;
    }
    if (c->stage == NULL && p->validate) {
        c->stage = malloc(PF_STAGE_BYTES);
        if (c->stage == NULL) {
            return fail(st, PF_ERROR, "malloc", "no host memory for the %zu-byte validation staging buffer",
                        (size_t)PF_STAGE_BYTES);
        }
    }
    return 0;
}

int pf_comm_run(pf_comm *c, const pf_run_params *p, pf_run_result *result, pf_status *st)
{
    memset(result, 0, sizeof(*result));
    memset(st, 0, sizeof(*st));
    if (c->broken) {
        return fail(st, PF_ERROR, "ncclCommAbort", "the communicator was aborted after an earlier failure");
    }
    if (p->iters < 1 || p->warmup_iters < 0 || p->graph_launches < 0 || (p->graph_launches > 0 && p->per_iteration)) {
        return fail(st, PF_INVALID_ARGUMENT, "pf_comm_run",
                    "iters must be >= 1, warmup_iters and graph_launches >= 0, per_iteration without graphs");
    }
    long long deadline = pf_now_ns() + p->timeout_ns;
    if (ensure_buffers(c, p, st) != 0) {
        return -1;
    }
    char *send, *recv;
    for (int i = 0; i < p->warmup_iters; i++) {
        buffers(c, p, 0, i, &send, &recv);
        if (launch(c, p, send, recv, st, deadline) != 0) {
            return -1;
        }
    }
    if (p->warmup_iters > 0 && wait_stream(c, st, op_call(c, p->op), deadline) != 0) {
        return -1;
    }
    pf_placement *placements[2] = {&result->out_of_place, &result->in_place};
    for (int in_place = 0; in_place <= 1; in_place++) {
        pf_placement *out = placements[in_place];
        if (timed_loop(c, p, in_place, out, st, deadline) != 0) {
            return -1;
        }
        /* nccl-tests does not check in-place alltoall and sendrecv (send and receive share a buffer) */
        int checkable = !(in_place && (p->op == PF_OP_ALLTOALL || p->op == PF_OP_SENDRECV));
        out->wrong = -1;
        if (p->validate && checkable
            && validate(c, p, in_place, p->seed + 1 + (unsigned int)in_place, &out->wrong, &result->sampled, st,
                        deadline) != 0) {
            return -1;
        }
    }
    result->out_of_place.own_wrong = result->out_of_place.wrong;
    result->in_place.own_wrong = result->in_place.wrong;
    double me = participates(p) ? 1.0 : 0.0;
    double stats[PF_STATS] = {
        me * result->out_of_place.time_s, me * result->in_place.time_s, me,
        result->out_of_place.wrong, result->in_place.wrong,
        me * result->out_of_place.p50_s, me * result->out_of_place.p99_s,
        me * result->in_place.p50_s, me * result->in_place.p99_s,
    };
    if (reduce_stats(c, stats, st, deadline) != 0) {
        return -1;
    }
    double ranks = stats[2] > 0 ? stats[2] : 1.0;
    result->out_of_place.time_s = stats[0] / ranks;
    result->in_place.time_s = stats[1] / ranks;
    /* every rank reports -1 for an unchecked placement */
    result->out_of_place.wrong = stats[3] < 0 ? -1 : stats[3];
    result->in_place.wrong = stats[4] < 0 ? -1 : stats[4];
    result->out_of_place.p50_s = stats[5] / ranks;
    result->out_of_place.p99_s = stats[6] / ranks;
    result->in_place.p50_s = stats[7] / ranks;
    result->in_place.p99_s = stats[8] / ranks;
    return 0;
}

int pf_device_info(const pf_lib *lib, int device, pf_device *out, pf_status *st)
{
    memset(out, 0, sizeof(*out));
    cudaError_t e = lib->cudaGetDeviceCount(&out->device_count);
    if (e != PF_cudaSuccess) {
        return cuda_failed(lib, st, "cudaGetDeviceCount", e);
    }
    if (device < 0 || device >= out->device_count) {
        return fail(st, PF_INVALID_ARGUMENT, "cudaSetDevice", "GPU %d does not exist: the CUDA runtime sees %d",
                    device, out->device_count);
    }
    e = lib->cudaSetDevice(device);
    if (e != PF_cudaSuccess) {
        return cuda_failed(lib, st, "cudaSetDevice", e);
    }
    e = lib->cudaDeviceGetPCIBusId(out->pci_bus_id, (int)sizeof(out->pci_bus_id), device);
    if (e != PF_cudaSuccess) {
        return cuda_failed(lib, st, "cudaDeviceGetPCIBusId", e);
    }
    e = lib->cudaMemGetInfo(&out->free_bytes, &out->total_bytes);
    if (e != PF_cudaSuccess) {
        return cuda_failed(lib, st, "cudaMemGetInfo", e);
    }
    return 0;
}

int pf_unique_id(const pf_lib *lib, unsigned char out[PF_NCCL_UNIQUE_ID_BYTES], pf_status *st)
{
    ncclUniqueId id;
    ncclResult_t r = lib->ncclGetUniqueId(&id);
    if (r != PF_ncclSuccess) {
        return fail(st, PF_ERROR, "ncclGetUniqueId", "ncclGetUniqueId: %s (NCCL error %d)", pf_nccl_error(lib, r), r);
    }
    memcpy(out, id.internal, PF_NCCL_UNIQUE_ID_BYTES);
    return 0;
}

static void release(pf_comm *c)
{
    const pf_lib *lib = c->lib;
    if (c->send != NULL) {
        lib->cudaFree(c->send);
    }
    if (c->recv != NULL) {
        lib->cudaFree(c->recv);
    }
    if (c->scratch != NULL) {
        lib->cudaFree(c->scratch);
    }
    if (c->stream != NULL) {
        lib->cudaStreamDestroy(c->stream);
    }
    free(c->stage);
    free(c);
}

int pf_comm_init(const pf_lib *lib, int device, const unsigned char id[PF_NCCL_UNIQUE_ID_BYTES], int nranks,
                 int rank, long long timeout_ns, pf_comm **out, pf_status *st)
{
    memset(st, 0, sizeof(*st));
    *out = NULL;
    long long started = pf_now_ns();
    long long deadline = started + timeout_ns;
    if (nranks < 1 || rank < 0 || rank >= nranks) {
        return fail(st, PF_INVALID_ARGUMENT, "ncclCommInitRank", "rank %d is not in 0..%d", rank, nranks - 1);
    }
    pf_comm *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return fail(st, PF_ERROR, "malloc", "no host memory for a communicator");
    }
    c->lib = lib;
    c->nranks = nranks;
    c->rank = rank;
    c->device = device;
    c->broken = 1;
    cudaError_t e = lib->cudaSetDevice(device);
    if (e == PF_cudaSuccess) {
        e = lib->cudaStreamCreateWithFlags(&c->stream, PF_cudaStreamNonBlocking);
        if (e == PF_cudaSuccess) {
            e = lib->cudaMalloc(&c->scratch, PF_SCRATCH_BYTES);
            if (e != PF_cudaSuccess) {
                cuda_failed(lib, st, "cudaMalloc", e);
            }
        } else {
            cuda_failed(lib, st, "cudaStreamCreateWithFlags", e);
        }
    } else {
        cuda_failed(lib, st, "cudaSetDevice", e);
    }
    if (e != PF_cudaSuccess) {
        release(c);
        return -1;
    }
    ncclUniqueId unique;
    memcpy(unique.internal, id, PF_NCCL_UNIQUE_ID_BYTES);
    const char *call;
    ncclResult_t r;
    if (lib->ncclCommInitRankConfig != NULL && lib->nccl_version >= PF_NCCL_VERSION(2, 14, 0)) {
        pf_nccl_config config;
        memset(&config, 0, sizeof(config));
        config.size = sizeof(config);
        config.magic = PF_NCCL_API_MAGIC;
        config.version = (unsigned int)lib->nccl_version;
        config.blocking = 0;
        config.cgaClusterSize = PF_NCCL_CONFIG_UNDEF_INT;
        call = "ncclCommInitRankConfig";
        c->nonblocking = 1;
        r = lib->ncclCommInitRankConfig(&c->comm, nranks, unique, rank, &config);
    } else {
        /* NCCL < 2.14 initialises blocking: the worker's deadline is the guard */
        call = "ncclCommInitRank";
        r = lib->ncclCommInitRank(&c->comm, nranks, unique, rank);
    }
    c->broken = 0;
    while (r == PF_ncclInProgress) {
        ncclResult_t state = PF_ncclSuccess;
        ncclResult_t q = lib->ncclCommGetAsyncError(c->comm, &state);
        r = q != PF_ncclSuccess ? q : state;
        if (r == PF_ncclInProgress) {
            if (aborting()) {
                abort_comm(c);
                fail(st, PF_ABORTED, call, "%s: aborted on request", call);
                break;
            }
            if (pf_now_ns() > deadline) {
                abort_comm(c);
                fail(st, PF_TIMEOUT, call,
                     "%s: rank %d of %d was still waiting for the other ranks to join after %.1f s; communicator aborted",
                     call, rank, nranks, (double)timeout_ns / 1e9);
                break;
            }
            pause_briefly();
        }
    }
    if (st->kind != PF_OK) {
        release(c);
        return -1;
    }
    if (r != PF_ncclSuccess) {
        if (c->comm != NULL) {
            nccl_failed(c, st, call, r);
        } else {
            fail(st, PF_ERROR, call, "%s: %s (NCCL error %d)", call, pf_nccl_error(lib, r), r);
        }
        release(c);
        return -1;
    }
    c->use_alltoall = lib->ncclAlltoAll != NULL && lib->nccl_version >= PF_NCCL_VERSION(2, 28, 0);
    *out = c;
    return 0;
}

void pf_comm_destroy(pf_comm *c, long long timeout_ns)
{
    if (c == NULL) {
        return;
    }
    if (!c->broken && c->comm != NULL) {
        const pf_lib *lib = c->lib;
        int clean = 1;
        if (c->nonblocking && lib->ncclCommFinalize != NULL) {
            pf_status st;
            memset(&st, 0, sizeof(st));
            ncclResult_t r = lib->ncclCommFinalize(c->comm);
            clean = (r == PF_ncclSuccess || r == PF_ncclInProgress)
                && settle(c, &st, "ncclCommFinalize", r, pf_now_ns() + timeout_ns) == 0;
        }
        if (clean && !c->broken) {
            lib->ncclCommDestroy(c->comm);
        } else {
            abort_comm(c);
        }
        c->comm = NULL;
    }
    release(c);
}
