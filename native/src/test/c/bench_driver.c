/*
 * Runs the benchmark engine without Java: one rank per process, the unique id passed through a
 * file. On a GPU machine it runs the same C loop the worker runs, against the real libraries; with
 * --direct it times ncclAllReduce calls made straight to NCCL instead (no engine), so the
 * difference between the two is the engine's host overhead per call.
 *
 *   bench_driver --cudart LIB --nccl LIB [--nranks N --rank R --id-file FILE] [--device D]
 *                [--op all_reduce|all_gather|reduce_scatter|alltoall|sendrecv]
 *                [--dtype float32|float16|bfloat16] [--bytes B] [--iters N] [--warmup N]
 *                [--graph K] [--per-iteration] [--no-check] [--repeat M] [--direct] [--timeout-ms T]
 *
 * Prints one line per repeat: key=value pairs (times in microseconds).
 */
#include "glibc_compat.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pf_bench.h"
#include "pf_data.h"

static const char *const OPS[] = {"all_reduce", "all_gather", "reduce_scatter", "alltoall", "sendrecv"};
static const char *const TYPES[] = {"float32", "float16", "bfloat16"};

static int lookup(const char *value, const char *const *names, int n, const char *flag)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(value, names[i]) == 0) {
            return i;
        }
    }
    fprintf(stderr, "bench_driver: %s %s: unknown\n", flag, value);
    exit(2);
}

static long long number(const char *value, const char *flag)
{
    char *end;
    long long n = strtoll(value, &end, 10);
    if (end == value || *end != '\0' || n < 0) {
        fprintf(stderr, "bench_driver: %s %s: expected a non-negative integer\n", flag, value);
        exit(2);
    }
    return n;
}

/* nccl-tests' count for a size in bytes (see CollectiveSizes.java) */
static size_t count_for(int op, int dtype, size_t bytes, int nranks)
{
    size_t elt = pf_dtype_size(dtype);
    size_t count = bytes / elt;
    if (op == PF_OP_ALL_REDUCE || op == PF_OP_SENDRECV) {
        return count;
    }
    return (count / (size_t)nranks) & ~(16 / elt - 1);
}

static int exchange_id(const char *path, int rank, unsigned char id[PF_NCCL_UNIQUE_ID_BYTES], const pf_lib *lib)
{
    if (rank == 0) {
        pf_status st;
        if (pf_unique_id(lib, id, &st) != 0) {
            fprintf(stderr, "bench_driver: %s\n", st.message);
            return -1;
        }
        char tmp[1024];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        FILE *f = fopen(tmp, "wb");
        if (f == NULL || fwrite(id, 1, PF_NCCL_UNIQUE_ID_BYTES, f) != PF_NCCL_UNIQUE_ID_BYTES || fclose(f) != 0
            || rename(tmp, path) != 0) {
            fprintf(stderr, "bench_driver: cannot write %s\n", path);
            return -1;
        }
        return 0;
    }
    for (int tries = 0; tries < 3000; tries++) {
        FILE *f = fopen(path, "rb");
        if (f != NULL) {
            size_t n = fread(id, 1, PF_NCCL_UNIQUE_ID_BYTES, f);
            fclose(f);
            if (n == PF_NCCL_UNIQUE_ID_BYTES) {
                return 0;
            }
        }
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "bench_driver: no unique id appeared in %s within 30 s\n", path);
    return -1;
}

/* ncclAllReduce straight to NCCL on the engine's communicator buffers: the baseline without the engine. */
static int direct(const pf_lib *lib, int nranks, int rank, int device, const unsigned char *id, int dtype,
                  size_t count, int iters, int warmup, double *us)
{
    (void)nranks;
    ncclComm_t comm;
    ncclUniqueId unique;
    memcpy(unique.internal, id, PF_NCCL_UNIQUE_ID_BYTES);
    cudaStream_t stream;
    void *buf;
    size_t bytes = count * pf_dtype_size(dtype) + 16;
    int nccl_type = dtype == PF_DTYPE_FLOAT32 ? PF_ncclFloat32 : (dtype == PF_DTYPE_FLOAT16 ? PF_ncclFloat16 : PF_ncclBfloat16);
    if (lib->cudaSetDevice(device) != 0 || lib->cudaStreamCreateWithFlags(&stream, PF_cudaStreamNonBlocking) != 0
        || lib->cudaMalloc(&buf, bytes) != 0) {
        fprintf(stderr, "bench_driver: CUDA set-up failed\n");
        return -1;
    }
    if (lib->ncclCommInitRank(&comm, nranks, unique, rank) != PF_ncclSuccess) {
        fprintf(stderr, "bench_driver: ncclCommInitRank failed\n");
        return -1;
    }
    long long start = 0;
    for (int i = 0; i < warmup + iters; i++) {
        if (i == warmup) {
            while (lib->cudaStreamQuery(stream) == PF_cudaErrorNotReady) {
                sched_yield();
            }
            start = pf_now_ns();
        }
        if (lib->ncclAllReduce(buf, buf, count, nccl_type, PF_ncclSum, comm, stream) != PF_ncclSuccess) {
            fprintf(stderr, "bench_driver: ncclAllReduce failed\n");
            return -1;
        }
    }
    /* waited for as the engine (and nccl-tests) waits: query, yield */
    while (lib->cudaStreamQuery(stream) == PF_cudaErrorNotReady) {
        sched_yield();
    }
    *us = (double)(pf_now_ns() - start) / 1e3 / iters;
    lib->ncclCommDestroy(comm);
    lib->cudaFree(buf);
    lib->cudaStreamDestroy(stream);
    return 0;
}

int main(int argc, char **argv)
{
    const char *cudart = NULL, *nccl = NULL, *id_file = NULL;
    int nranks = 1, rank = 0, device = 0, op = PF_OP_ALL_REDUCE, dtype = PF_DTYPE_FLOAT32;
    int iters = 20, warmup = 1, graph = 0, per_iteration = 0, check = 1, repeat = 1, use_direct = 0;
    size_t bytes = 1 << 20;
    long long timeout_ms = 60000;
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(flag, "--per-iteration") == 0) {
            per_iteration = 1;
            takes = 0;
        } else if (strcmp(flag, "--no-check") == 0) {
            check = 0;
            takes = 0;
        } else if (strcmp(flag, "--direct") == 0) {
            use_direct = 1;
            takes = 0;
        } else if (value == NULL) {
            fprintf(stderr, "bench_driver: %s needs a value\n", flag);
            return 2;
        } else if (strcmp(flag, "--cudart") == 0) {
            cudart = value;
        } else if (strcmp(flag, "--nccl") == 0) {
            nccl = value;
        } else if (strcmp(flag, "--id-file") == 0) {
            id_file = value;
        } else if (strcmp(flag, "--nranks") == 0) {
            nranks = (int)number(value, flag);
        } else if (strcmp(flag, "--rank") == 0) {
            rank = (int)number(value, flag);
        } else if (strcmp(flag, "--device") == 0) {
            device = (int)number(value, flag);
        } else if (strcmp(flag, "--op") == 0) {
            op = lookup(value, OPS, 5, flag);
        } else if (strcmp(flag, "--dtype") == 0) {
            dtype = lookup(value, TYPES, 3, flag);
        } else if (strcmp(flag, "--bytes") == 0) {
            bytes = (size_t)number(value, flag);
        } else if (strcmp(flag, "--iters") == 0) {
            iters = (int)number(value, flag);
        } else if (strcmp(flag, "--warmup") == 0) {
            warmup = (int)number(value, flag);
        } else if (strcmp(flag, "--graph") == 0) {
            graph = (int)number(value, flag);
        } else if (strcmp(flag, "--repeat") == 0) {
            repeat = (int)number(value, flag);
        } else if (strcmp(flag, "--timeout-ms") == 0) {
            timeout_ms = number(value, flag);
        } else {
            fprintf(stderr, "bench_driver: unknown flag %s\n", flag);
            return 2;
        }
        i += takes;
    }
    if (nranks < 1 || rank >= nranks || iters < 1 || (nranks > 1 && id_file == NULL)) {
        fprintf(stderr, "bench_driver: need 0 <= rank < nranks, iters >= 1, and --id-file with several ranks\n");
        return 2;
    }
    pf_lib lib;
    char err[1536];
    if (pf_lib_open(&lib, cudart, nccl, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_driver: %s\n", err);
        return 1;
    }
    unsigned char id[PF_NCCL_UNIQUE_ID_BYTES];
    pf_status st;
    if (nranks == 1) {
        if (pf_unique_id(&lib, id, &st) != 0) {
            fprintf(stderr, "bench_driver: %s\n", st.message);
            return 1;
        }
    } else if (exchange_id(id_file, rank, id, &lib) != 0) {
        return 1;
    }
    size_t count = count_for(op, dtype, bytes, nranks);
    if (use_direct) {
        if (op != PF_OP_ALL_REDUCE) {
            fprintf(stderr, "bench_driver: --direct times all_reduce only\n");
            return 2;
        }
        for (int r = 0; r < repeat; r++) {
            if (r > 0) {
                if (nranks > 1) {
                    fprintf(stderr, "bench_driver: --repeat with --direct needs one rank (a fresh id each time)\n");
                    return 2;
                }
                pf_unique_id(&lib, id, &st);
            }
            double us;
            if (direct(&lib, nranks, rank, device, id, dtype, count, iters, warmup, &us) != 0) {
                return 1;
            }
            printf("mode=direct op=%s dtype=%s bytes=%zu count=%zu nranks=%d iters=%d time_us=%.3f\n", OPS[op],
                   TYPES[dtype], bytes, count, nranks, iters, us);
        }
        return 0;
    }
    pf_comm *comm;
    if (pf_comm_init(&lib, device, id, nranks, rank, timeout_ms * 1000000LL, &comm, &st) != 0) {
        fprintf(stderr, "bench_driver: %s: %s\n", st.call, st.message);
        return 1;
    }
    size_t elt = pf_dtype_size(dtype);
    int n = nranks;
    pf_run_params p = {
        .op = op,
        .dtype = dtype,
        .count = count,
        .send_capacity = (op == PF_OP_REDUCE_SCATTER || op == PF_OP_ALLTOALL ? count * (size_t)n : count) * elt,
        .recv_capacity = (op == PF_OP_ALL_GATHER || op == PF_OP_ALLTOALL ? count * (size_t)n : count) * elt,
        .iters = iters,
        .warmup_iters = warmup,
        .graph_launches = graph,
        .per_iteration = per_iteration,
        .send_peer = op == PF_OP_SENDRECV ? (rank + 1) % n : -1,
        .recv_peer = op == PF_OP_SENDRECV ? (rank - 1 + n) % n : -1,
        .validate = check,
        .validate_max_bytes = (size_t)1 << 30,
        .seed = 7,
        .timeout_ns = timeout_ms * 1000000LL,
    };
    int rc = 0;
    for (int r = 0; r < repeat && rc == 0; r++) {
        pf_run_result result;
        if (pf_comm_run(comm, &p, &result, &st) != 0) {
            fprintf(stderr, "bench_driver: %s: %s\n", st.call, st.message);
            rc = 1;
            break;
        }
        printf("mode=engine op=%s dtype=%s bytes=%zu count=%zu nranks=%d iters=%d oop_us=%.3f oop_wrong=%.0f "
               "ip_us=%.3f ip_wrong=%.0f oop_p50_us=%.3f oop_p99_us=%.3f\n",
               OPS[op], TYPES[dtype], bytes, count, nranks, iters, result.out_of_place.time_s * 1e6,
               result.out_of_place.wrong, result.in_place.time_s * 1e6, result.in_place.wrong,
               result.out_of_place.p50_s * 1e6, result.out_of_place.p99_s * 1e6);
        fflush(stdout);
    }
    pf_comm_destroy(comm, 10000000000LL);
    return rc;
}
