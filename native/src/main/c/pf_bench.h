/*
 * The benchmark engine: one communicator per process (one GPU), the nccl-tests timing method, host
 * data validation, and waits that never block past a deadline. No JNI here, so the C test driver
 * links the same code the worker runs.
 */
#ifndef PREFLIGHT_PF_BENCH_H
#define PREFLIGHT_PF_BENCH_H

#include "pf_lib.h"

typedef enum {
    PF_OK = 0,
    PF_ERROR = 1,
    PF_TIMEOUT = 2,
    PF_INVALID_ARGUMENT = 3,
    /* pf_request_abort() was called while the engine waited */
    PF_ABORTED = 4
} pf_kind;

typedef struct {
    pf_kind kind;
    /* the CUDA or NCCL call that failed or did not complete, e.g. "ncclAllReduce" */
    char call[64];
    char message[768];
} pf_status;

enum { PF_OP_ALL_REDUCE = 0, PF_OP_ALL_GATHER = 1, PF_OP_REDUCE_SCATTER = 2, PF_OP_ALLTOALL = 3, PF_OP_SENDRECV = 4 };
enum { PF_DTYPE_FLOAT32 = 0, PF_DTYPE_FLOAT16 = 1, PF_DTYPE_BFLOAT16 = 2 };

typedef struct {
    int op;
    int dtype;
    /*
     * NCCL's count argument: elements per rank for all_reduce and sendrecv, elements each rank
     * contributes for all_gather, receives for reduce_scatter, and sends to each peer for alltoall.
     */
    size_t count;
    /* device buffer sizes to allocate (the sweep's largest); larger ones let iterations rotate */
    size_t send_capacity;
    size_t recv_capacity;
    int iters;
    int warmup_iters;
    /* > 0: capture `iters` ops in one CUDA graph and launch it this many times */
    int graph_launches;
    /* CUDA events around every op, for p50/p99 */
    int per_iteration;
    /*
     * With per_iteration, where each timed iteration's time on this rank goes, in seconds and in
     * the order the iterations ran: out-of-place first, then in-place (2 * iters doubles, owned by
     * the caller, whose bound on iters bounds it). NULL: percentiles only.
     */
    double *iteration_s;
    /* sendrecv peers (global ranks); -1: this rank does not send / receive */
    int send_peer;
    int recv_peer;
    int validate;
    /* compare every output element up to this many bytes per rank, sampled stripes above */
    size_t validate_max_bytes;
    unsigned int seed;
    long long timeout_ns;
} pf_run_params;

typedef struct {
    /* seconds per op, averaged over the ranks taking part */
    double time_s;
    /* wrong elements summed over all ranks; -1 when not checked */
    double wrong;
    /* wrong elements in this rank's own output, which names the ranks that saw corruption; -1 when not checked */
    double own_wrong;
    /* per-op latency percentiles (seconds), averaged over ranks; 0 without per_iteration */
    double p50_s;
    double p99_s;
} pf_placement;

typedef struct {
    pf_placement out_of_place;
    pf_placement in_place;
    /* 1 when validation compared sampled stripes instead of every element */
    int sampled;
} pf_run_result;

typedef struct {
    int device_count;
    char pci_bus_id[32];
    size_t free_bytes;
    size_t total_bytes;
} pf_device;

typedef struct pf_comm pf_comm;

/* Device count, PCI bus id and memory of one device (selects it on the calling thread). */
int pf_device_info(const pf_lib *lib, int device, pf_device *out, pf_status *st);

int pf_unique_id(const pf_lib *lib, unsigned char out[PF_NCCL_UNIQUE_ID_BYTES], pf_status *st);

/* Selects the device, then creates the communicator (non-blocking where NCCL >= 2.14), polled to a deadline. */
int pf_comm_init(const pf_lib *lib, int device, const unsigned char id[PF_NCCL_UNIQUE_ID_BYTES], int nranks,
                 int rank, long long timeout_ns, pf_comm **out, pf_status *st);

/* One (op, size): warm-up, then out-of-place and in-place each timed and validated. */
int pf_comm_run(pf_comm *comm, const pf_run_params *params, pf_run_result *result, pf_status *st);

/* Finalizes and destroys the communicator (or only frees memory after an abort). */
void pf_comm_destroy(pf_comm *comm, long long timeout_ns);

/* Makes the wait in progress (on any thread) abort its communicator and return PF_ABORTED. */
void pf_request_abort(void);

void pf_clear_abort(void);

/* Monotonic clock, nanoseconds. */
long long pf_now_ns(void);

#endif
