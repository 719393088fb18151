/* Internals shared by the fake NCCL's API (fake_nccl.c) and its data movement (fake_nccl_exec.c). */
#ifndef PREFLIGHT_FAKE_NCCL_H
#define PREFLIGHT_FAKE_NCCL_H

#include <pthread.h>
#include <stddef.h>

enum {
    ncclSuccess = 0,
    ncclUnhandledCudaError = 1,
    ncclSystemError = 2,
    ncclInternalError = 3,
    ncclInvalidArgument = 4,
    ncclInvalidUsage = 5,
    ncclRemoteError = 6,
    ncclInProgress = 7
};

enum { FAKE_SUM = 0, FAKE_PROD = 1, FAKE_MAX = 2, FAKE_MIN = 3, FAKE_AVG = 4 };

typedef struct {
    unsigned int ip;
    unsigned short port;
    int pid;
    char host[64];
} fake_peer;

typedef struct fake_comm {
    unsigned int magic;
    int rank;
    int nranks;
    int device;
    int blocking;
    unsigned char nonce[16];
    pthread_mutex_t mu;
    /* what ncclCommGetAsyncError reports: ncclInProgress while initialising, then the sticky state */
    int state;
    /* ncclCommGetAsyncError calls still to answer ncclInProgress after a non-blocking group */
    int settle_polls;
    /* the handle plus every queued or captured piece of work */
    int refs;
    int handle_live;
    int finalized;
    int aborted;
    int executing;
    int listen_fd;
    int *fds;
    fake_peer *peers;
    pthread_t init_thread;
    int init_started;
    long long works_run;
    int connected;
    /* faults for this rank (-1 / 0: none) */
    long long hang_at;
    long long crash_at;
    double slow_factor;
    int corrupt;
    int abort_hangs;
    char error[512];
    struct fake_comm *next;
} fake_comm;

/* One call inside a group: what a collective or ncclSend/ncclRecv was given. */
enum { CALL_ALLREDUCE, CALL_ALLGATHER, CALL_REDUCESCATTER, CALL_ALLTOALL, CALL_SEND, CALL_RECV };

typedef struct {
    int kind;
    const void *send;
    void *recv;
    size_t count;
    int dtype;
    int redop;
    int peer;
} fake_call;

/* Bytes per element of an NCCL data type; 0 for one the fake does not support. */
size_t fake_type_size(int dtype);

/*
 * Runs calls [0, n) of one group on the communicator's sockets: collectives in order, runs of
 * consecutive send/recv together. Returns ncclSuccess, an error (with comm->error set), or -1
 * when the communicator was aborted meanwhile.
 */
int fake_execute(fake_comm *comm, const fake_call *calls, int n);

/* Records the communicator's last error text (ncclGetLastError). */
void fake_set_error(fake_comm *comm, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* NCCL_DEBUG=INFO / WARN lines, in NCCL's format, to NCCL_DEBUG_FILE or stdout. */
void fake_info(const fake_comm *comm, const char *format, ...) __attribute__((format(printf, 2, 3)));
void fake_warn(const fake_comm *comm, const char *format, ...) __attribute__((format(printf, 2, 3)));

int fake_aborted(fake_comm *comm);

#endif
