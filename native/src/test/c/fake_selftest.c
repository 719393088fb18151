/*
 * Checks that the fake is as strict as NCCL and CUDA where the benchmark relies on it: each check
 * calls the fake the wrong way and expects NCCL's (or CUDA's) error code. Prints "ok NAME" or
 * "FAIL NAME: ..." per check; the exit status is the number of failures.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pf_abi.h"

typedef pf_nccl_config config;

int cudaSetDevice(int);
int cudaMalloc(void **, size_t);
int cudaFree(void *);
int cudaMemcpy(void *, const void *, size_t, int);
int cudaStreamCreateWithFlags(void **, unsigned int);
int cudaStreamDestroy(void *);
int cudaStreamSynchronize(void *);
int cudaStreamQuery(void *);
int cudaStreamBeginCapture(void *, int);
int cudaStreamEndCapture(void *, void **);
int cudaGraphDestroy(void *);
int ncclGetUniqueId(ncclUniqueId *);
int ncclCommInitRank(void **, int, ncclUniqueId, int);
int ncclCommInitRankConfig(void **, int, ncclUniqueId, int, config *);
int ncclCommGetAsyncError(void *, int *);
int ncclCommAbort(void *);
int ncclCommDestroy(void *);
int ncclCommFinalize(void *);
int ncclAllReduce(const void *, void *, size_t, int, int, void *, void *);
int ncclSend(const void *, size_t, int, int, void *, void *);
int ncclRecv(void *, size_t, int, int, void *, void *);
int ncclGroupStart(void);
int ncclGroupEnd(void);

static int failures;

static void expect(const char *name, int got, int want)
{
    if (got == want) {
        printf("ok %s\n", name);
    } else {
        printf("FAIL %s: got %d, expected %d\n", name, got, want);
        failures++;
    }
}

static config good_config(int blocking)
{
    config c = {sizeof(config), 0xcafebeefu, 22703, blocking, INT_MIN};
    return c;
}

/* A non-blocking single-rank communicator, polled to ncclSuccess. */
static void *ready_comm(void)
{
    ncclUniqueId id;
    ncclGetUniqueId(&id);
    config cfg = good_config(0);
    void *comm = NULL;
    int rc = ncclCommInitRankConfig(&comm, 1, id, 0, &cfg);
    int state = rc;
    while (state == 7) {
        ncclCommGetAsyncError(comm, &state);
    }
    return state == 0 ? comm : NULL;
}

typedef struct {
    void *comm;
    int rc;
} blocking_init;

static void *init_blocking(void *arg)
{
    blocking_init *b = arg;
    ncclUniqueId id;
    ncclGetUniqueId(&id);
    /* two ranks, only one joins: a blocking init never returns until aborted */
    b->rc = ncclCommInitRank(&b->comm, 2, id, 0);
    return NULL;
}

/*
 * The IPv4 address in a unique id made by a fresh process (the fake picks its interface once per
 * process) with NCCL_SOCKET_IFNAME set to ifname, or unset when NULL.
 */
static uint32_t id_address(const char *ifname)
{
    int fds[2];
    if (pipe(fds) != 0) {
        return 0;
    }
    pid_t child = fork();
    if (child == 0) {
        if (ifname != NULL) {
            setenv("NCCL_SOCKET_IFNAME", ifname, 1);
        } else {
            unsetenv("NCCL_SOCKET_IFNAME");
        }
        ncclUniqueId id;
        uint32_t ip = 0;
        if (ncclGetUniqueId(&id) == 0) {
            memcpy(&ip, id.internal + 24, sizeof(ip)); /* after the 8-byte magic and 16-byte nonce */
        }
        if (write(fds[1], &ip, sizeof(ip)) != sizeof(ip)) {
            _exit(1);
        }
        _exit(0);
    }
    close(fds[1]);
    uint32_t ip = 0;
    if (read(fds[0], &ip, sizeof(ip)) != sizeof(ip)) {
        ip = 0;
    }
    close(fds[0]);
    waitpid(child, NULL, 0);
    return ip;
}

/* Whether some running interface other than loopback and docker bridges carries this IPv4 address. */
static int non_loopback_address(uint32_t ip, int *any)
{
    struct ifaddrs *all = NULL;
    int found = 0;
    *any = 0;
    if (getifaddrs(&all) != 0) {
        return 0;
    }
    for (struct ifaddrs *i = all; i != NULL; i = i->ifa_next) {
        if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP)
            || !(i->ifa_flags & IFF_RUNNING) || (i->ifa_flags & IFF_LOOPBACK) || strncmp(i->ifa_name, "docker", 6) == 0) {
            continue;
        }
        *any = 1;
        if (((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == ip) {
            found = 1;
        }
    }
    freeifaddrs(all);
    return found;
}

int main(void)
{
    /* leaked communicators and allocations are reported at exit (first, before this process allocates) */
    char report[] = "/tmp/fake-selftest-leaks-XXXXXX";
    int fd = mkstemp(report);
    close(fd);
    pid_t child = fork();
    if (child == 0) {
        setenv("FAKE_LEAK_REPORT", report, 1);
        void *leaked = NULL;
        cudaMalloc(&leaked, 64);
        ready_comm();
        exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    FILE *f = fopen(report, "r");
    char text[2048] = "";
    size_t n = f != NULL ? fread(text, 1, sizeof(text) - 1, f) : 0;
    text[n] = '\0';
    if (f != NULL) {
        fclose(f);
    }
    unlink(report);
    expect("leaked_communicator_reported", strstr(text, "fake nccl: LEAK: communicator rank 0 of 1") != NULL, 1);
    expect("leaked_allocation_reported", strstr(text, "fake cudart: LEAK: 1 device allocation(s)") != NULL, 1);

    /* the bootstrap address: NCCL_SOCKET_IFNAME's rules, else the first non-loopback interface */
    uint32_t loopback = htonl(INADDR_LOOPBACK);
    expect("ifname_exact_lo", id_address("=lo") == loopback, 1);
    expect("ifname_prefix_lo", id_address("lo") == loopback, 1);
    int others = 0;
    uint32_t chosen = id_address(NULL);
    expect("default_skips_loopback", non_loopback_address(chosen, &others) || (!others && chosen == loopback), 1);
    if (others) {
        expect("ifname_exclude_all_but_lo", id_address("^lo") != loopback, 1);
    }

    cudaSetDevice(0);
    void *stream = NULL;
    cudaStreamCreateWithFlags(&stream, 1);
    ncclUniqueId id;
    void *comm = NULL;

    ncclGetUniqueId(&id);
    config bad = good_config(0);
    bad.magic = 0x12345678;
    expect("config_magic_checked", ncclCommInitRankConfig(&comm, 1, id, 0, &bad), 4);
    bad = good_config(0);
    bad.version = 21300;
    expect("config_version_checked", ncclCommInitRankConfig(&comm, 1, id, 0, &bad), 4);
    bad = good_config(2);
    expect("config_blocking_checked", ncclCommInitRankConfig(&comm, 1, id, 0, &bad), 4);
    bad = good_config(0);
    bad.size = 8;
    expect("config_size_checked", ncclCommInitRankConfig(&comm, 1, id, 0, &bad), 4);

    expect("group_end_without_start", ncclGroupEnd(), 5);

    /* a communicator still initialising refuses work */
    ncclGetUniqueId(&id);
    config cfg = good_config(0);
    void *waiting = NULL;
    expect("nonblocking_init_in_progress", ncclCommInitRankConfig(&waiting, 2, id, 0, &cfg), 7);
    void *buf = NULL;
    cudaMalloc(&buf, 4096);
    expect("work_before_init_completes", ncclAllReduce(buf, buf, 16, 7, 0, waiting, stream), 5);
    int state = -1;
    ncclCommGetAsyncError(waiting, &state);
    expect("async_error_reports_in_progress", state, 7);
    expect("abort_while_initialising", ncclCommAbort(waiting), 0);
    expect("abort_twice_is_invalid", ncclCommAbort(waiting), 4);

    /* an id serves one communicator */
    ncclGetUniqueId(&id);
    void *first = NULL, *second = NULL;
    cfg = good_config(1);
    expect("first_use_of_id", ncclCommInitRankConfig(&first, 1, id, 0, &cfg), 0);
    expect("second_use_of_id", ncclCommInitRankConfig(&second, 1, id, 0, &cfg), 5);
    ncclCommDestroy(first);

    comm = ready_comm();
    expect("ready_communicator", comm != NULL, 1);
    char host[64];
    expect("host_pointer_rejected", ncclAllReduce(host, buf, 16, 7, 0, comm, stream), 4);
    expect("out_of_bounds_rejected", ncclAllReduce(buf, buf, 2048, 7, 0, comm, stream), 4);
    expect("unknown_type_rejected", ncclAllReduce(buf, buf, 16, 42, 0, comm, stream), 4);

    /* after a non-blocking group the communicator must be polled before new work */
    ncclGroupStart();
    ncclSend(buf, 16, 7, 0, comm, stream);
    ncclRecv((char *)buf + 1024, 16, 7, 0, comm, stream);
    expect("group_end_in_progress", ncclGroupEnd(), 7);
    expect("work_before_polling", ncclAllReduce(buf, buf, 16, 7, 0, comm, stream), 5);
    state = 7;
    while (state == 7) {
        ncclCommGetAsyncError(comm, &state);
    }
    expect("polled_to_success", state, 0);

    /* the fake computes real results: a one-rank sum is the input */
    float in[16], out[16];
    for (int i = 0; i < 16; i++) {
        in[i] = (float)i;
    }
    cudaMemcpy(buf, in, sizeof(in), 1);
    expect("all_reduce_accepted", ncclAllReduce(buf, (char *)buf + 2048, 16, 7, 0, comm, stream), 0);
    cudaStreamSynchronize(stream);
    cudaMemcpy(out, (char *)buf + 2048, sizeof(out), 2);
    expect("all_reduce_result", memcmp(in, out, sizeof(in)), 0);

    expect("memcpy_kind_checked", cudaMemcpy(host, in, 16, 1), 1);
    expect("memcpy_bounds_checked", cudaMemcpy(buf, in, 8192, 1), 1);

    /* querying a capturing stream is illegal and invalidates the capture */
    expect("begin_capture", cudaStreamBeginCapture(stream, 1), 0);
    expect("query_while_capturing", cudaStreamQuery(stream), 900);
    void *graph = NULL;
    expect("capture_invalidated", cudaStreamEndCapture(stream, &graph), 901);

    expect("finalize", ncclCommFinalize(comm), 7);
    state = 7;
    while (state == 7) {
        ncclCommGetAsyncError(comm, &state);
    }
    expect("finalized", state, 0);
    expect("work_after_finalize", ncclAllReduce(buf, buf, 16, 7, 0, comm, stream), 5);
    expect("destroy", ncclCommDestroy(comm), 0);
    expect("destroy_twice", ncclCommDestroy(comm), 4);

    /* abort's precondition: no other thread inside NCCL */
    blocking_init b = {NULL, -1};
    pthread_t thread;
    pthread_create(&thread, NULL, init_blocking, &b);
    for (int i = 0; i < 200 && b.comm == NULL; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    expect("abort_while_another_thread_in_nccl", ncclCommAbort(b.comm), 5);

    /* the blocked thread stays blocked in init: exit without waiting (its communicator is reported) */
    printf("%d failure(s)\n", failures);
    fflush(stdout);
    _exit(failures);
}
