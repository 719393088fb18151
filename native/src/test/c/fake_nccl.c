/*
 * A strict fake NCCL (the C ABI of libnccl.so.2) for tests without a GPU. Ranks are separate
 * processes: ncclGetUniqueId starts a bootstrap root on the address of the interface NCCL would
 * pick (NCCL_SOCKET_IFNAME, else NCCL's default order), which travels in the id as NCCL's does;
 * ranks listen on the same interface, register with the root, get each other's addresses and
 * connect in a full mesh of TCP connections that carry the data.
 *
 * Strict where NCCL is: ncclConfig_t magic, size, version and blocking are checked; an id serves
 * one communicator; a communicator must finish initialising (and a non-blocking one must be polled
 * to ncclSuccess after a group) before it takes work; groups must balance; buffers must be device
 * memory of the communicator's GPU; ncclCommAbort refuses to run while another thread is inside
 * NCCL; communicators never destroyed or aborted are reported at exit.
 *
 * Environment: NCCL_DEBUG, NCCL_DEBUG_FILE (%h, %p), NCCL_COMM_BLOCKING as NCCL reads them;
 * FAKE_NCCL_VERSION (default 22703), FAKE_NCCL_HOST (host identity, default the hostname),
 * FAKE_NCCL_TRANSPORT (ib | ib-nogdr | socket: the transport the INFO lines name between hosts),
 * FAKE_NCCL_DEBUG_REPLAY (a captured NCCL_DEBUG=INFO log written verbatim, at the first operation
 * as NCCL connects lazily; the captured log is then the whole log: the fake writes no INFO line of
 * its own, only WARN lines), NCCL_TOPO_DUMP_FILE with FAKE_NCCL_TOPO_REPLAY (a captured NCCL
 * topology XML), and faults naming a rank: FAKE_NCCL_FAULT_NEVER_JOIN=R, FAKE_NCCL_FAULT_HANG=R[:N],
 * FAKE_NCCL_FAULT_CRASH=R[:N] (N: the work item at which it happens, default 0),
 * FAKE_NCCL_FAULT_SLOW=R:FACTOR, FAKE_NCCL_FAULT_CORRUPT=R, FAKE_NCCL_FAULT_ABORT_HANG=R; with
 * FAKE_NCCL_FAULT_ONLY_IF=FILE the faults apply only while FILE exists (a test switches them off);
 * with FAKE_NCCL_FAULT_ONCE=FILE they apply to the first attempt only: the first communicator whose
 * faulting rank creates FILE (O_EXCL, across processes) gets them, every later one (a repeat of the
 * failed measurement) runs clean.
 *
 * Version codes read as NCCL's: X*1000+Y*100+Z up to 2.8 (2507 is 2.5.7), X*10000+Y*100+Z from
 * 2.9 (22703 is 2.27.3).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fake_internal.h"
#include "fake_nccl.h"

#define EXPORT __attribute__((visibility("default")))

#define COMM_MAGIC 0x434f4d4du
#define ID_MAGIC "FAKENCCL"
#define API_MAGIC 0xcafebeefu
#define CONFIG_UNDEF_INT (-2147483647 - 1)
#define HELLO_MAGIC 0x48454c4fu

typedef struct {
    char internal[128];
} ncclUniqueId;

typedef struct {
    size_t size;
    unsigned int magic;
    unsigned int version;
    int blocking;
} config_prefix;

/* The unique id's layout inside its 128 bytes. */
typedef struct {
    char magic[8];
    unsigned char nonce[16];
    uint32_t ip;
    uint16_t port;
    int32_t pid;
} id_layout;

typedef struct {
    uint32_t magic;
    unsigned char nonce[16];
    int32_t rank;
    int32_t nranks;
    fake_peer self;
} hello;

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static fake_comm *registry;
static unsigned char used_nonces[256][16];
static int used_count;

static __thread char thread_error[512];
/* threads inside an NCCL call right now: ncclCommAbort requires none */
static int inside_api;

static void enter(void)
{
    __atomic_add_fetch(&inside_api, 1, __ATOMIC_SEQ_CST);
}

static int leave(int rc)
{
    __atomic_sub_fetch(&inside_api, 1, __ATOMIC_SEQ_CST);
    return rc;
}

/* ---------------------------------------------------------------- logging */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static int log_level = -1; /* 0 none, 1 version, 2 warn, 3 info */

static void log_open(void)
{
    if (log_level >= 0) {
        return;
    }
    const char *level = getenv("NCCL_DEBUG");
    log_level = 0;
    if (level != NULL) {
        if (strcasecmp(level, "VERSION") == 0) {
            log_level = 1;
        } else if (strcasecmp(level, "WARN") == 0) {
            log_level = 2;
        } else if (strcasecmp(level, "INFO") == 0 || strcasecmp(level, "TRACE") == 0) {
            log_level = 3;
        }
    }
    log_file = stdout;
    const char *pattern = getenv("NCCL_DEBUG_FILE");
    if (log_level > 0 && pattern != NULL && pattern[0] != '\0') {
        char path[1024], host[256];
        gethostname(host, sizeof(host));
        host[sizeof(host) - 1] = '\0';
        size_t o = 0;
        for (const char *p = pattern; *p != '\0' && o < sizeof(path) - 32; p++) {
            if (p[0] == '%' && p[1] == 'h') {
                o += (size_t)snprintf(path + o, sizeof(path) - o, "%s", host);
                p++;
            } else if (p[0] == '%' && p[1] == 'p') {
                o += (size_t)snprintf(path + o, sizeof(path) - o, "%d", (int)getpid());
                p++;
            } else {
                path[o++] = *p;
            }
        }
        path[o] = '\0';
        FILE *f = fopen(path, "a");
        if (f != NULL) {
            log_file = f;
        }
    }
}

static int replaying(void)
{
    const char *path = getenv("FAKE_NCCL_DEBUG_REPLAY");
    return path != NULL && path[0] != '\0';
}

static void log_line(const fake_comm *c, int level, const char *tag, const char *format, va_list args)
{
    pthread_mutex_lock(&log_mu);
    log_open();
    /* a replayed log is the whole log: an INFO line of the fake's own would sit in a real capture */
    if (log_level >= level && !(level == 3 && replaying())) {
        char host[64];
        gethostname(host, sizeof(host));
        host[sizeof(host) - 1] = '\0';
        char *dot = strchr(host, '.');
        if (dot != NULL) {
            *dot = '\0';
        }
        fprintf(log_file, "%s:%d:%ld [%d] NCCL %s ", host, (int)getpid(), (long)syscall(SYS_gettid),
                c != NULL ? c->device : fakecuda_current_device(), tag);
        vfprintf(log_file, format, args);
        fputc('\n', log_file);
        fflush(log_file);
    }
    pthread_mutex_unlock(&log_mu);
}

void fake_info(const fake_comm *c, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    log_line(c, 3, "INFO", format, args);
    va_end(args);
}

void fake_warn(const fake_comm *c, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    log_line(c, 2, "WARN", format, args);
    va_end(args);
}

static void copy_stream(FILE *in, FILE *out)
{
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        fwrite(buf, 1, n, out);
    }
}

static void replay(const char *path)
{
    FILE *in = fopen(path, "r");
    pthread_mutex_lock(&log_mu);
    log_open();
    if (in == NULL) {
        fprintf(stderr, "fake nccl: FAKE_NCCL_DEBUG_REPLAY=%s: %s\n", path, strerror(errno));
    } else {
        copy_stream(in, log_file);
        fflush(log_file);
        fclose(in);
    }
    pthread_mutex_unlock(&log_mu);
}

/* ---------------------------------------------------------------- errors */

void fake_set_error(fake_comm *c, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    if (c != NULL) {
        pthread_mutex_lock(&c->mu);
        vsnprintf(c->error, sizeof(c->error), format, args);
        snprintf(thread_error, sizeof(thread_error), "%s", c->error);
        pthread_mutex_unlock(&c->mu);
        fake_warn(c, "%s", thread_error);
    } else {
        vsnprintf(thread_error, sizeof(thread_error), format, args);
        fake_warn(NULL, "%s", thread_error);
    }
    va_end(args);
}

static int usage_error(int code, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int usage_error(int code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(thread_error, sizeof(thread_error), format, args);
    va_end(args);
    fake_warn(NULL, "%s", thread_error);
    return code;
}

EXPORT const char *ncclGetErrorString(int result)
{
    switch (result) {
    case ncclSuccess:
        return "no error";
    case ncclUnhandledCudaError:
        return "unhandled cuda error (run with NCCL_DEBUG=INFO for details)";
    case ncclSystemError:
        return "unhandled system error (run with NCCL_DEBUG=INFO for details)";
    case ncclInternalError:
        return "internal error - please report this issue to the NCCL developers";
    case ncclInvalidArgument:
        return "invalid argument (run with NCCL_DEBUG=WARN for details)";
    case ncclInvalidUsage:
        return "invalid usage (run with NCCL_DEBUG=WARN for details)";
    case ncclRemoteError:
        return "remote process exited or there was a network error";
    case ncclInProgress:
        return "NCCL operation in progress";
    default:
        return "unknown result code";
    }
}

static fake_comm *live(void *handle);

EXPORT const char *ncclGetLastError(void *comm)
{
    fake_comm *c = comm != NULL ? live(comm) : NULL;
    if (c != NULL) {
        pthread_mutex_lock(&c->mu);
        if (c->error[0] != '\0') {
            snprintf(thread_error, sizeof(thread_error), "%s", c->error);
        }
        pthread_mutex_unlock(&c->mu);
    }
    return thread_error;
}

static int version_code(void)
{
    const char *value = getenv("FAKE_NCCL_VERSION");
    int v = value != NULL ? atoi(value) : 0;
    return v > 0 ? v : 22703;
}

/* NCCL_VERSION(X,Y,Z): X*1000+Y*100+Z while X <= 2 and Y <= 8, X*10000+Y*100+Z from 2.9 on. */
static void version_text(int code, char *buf, size_t len)
{
    if (code >= 10000) {
        snprintf(buf, len, "%d.%d.%d", code / 10000, code / 100 % 100, code % 100);
    } else {
        snprintf(buf, len, "%d.%d.%d", code / 1000, code / 100 % 10, code % 100);
    }
}

EXPORT int ncclGetVersion(int *version)
{
    if (version == NULL) {
        return usage_error(ncclInvalidArgument, "ncclGetVersion: version is NULL");
    }
    *version = version_code();
    return ncclSuccess;
}

/* ---------------------------------------------------------------- sockets */

/*
 * Whether an interface name passes an NCCL_SOCKET_IFNAME-style list (matchIfList in NCCL's
 * misc/utils.cc): a leading '^' excludes, a following '=' makes entries exact names instead of
 * prefixes, entries are comma-separated and a ":port" suffix does not select.
 */
static int name_selected(const char *name, const char *list)
{
    int exclude = 0, exact = 0;
    if (*list == '^') {
        exclude = 1;
        list++;
    }
    if (*list == '=') {
        exact = 1;
        list++;
    }
    int matched = 0;
    while (*list != '\0' && !matched) {
        const char *end = strchr(list, ',');
        size_t len = end == NULL ? strlen(list) : (size_t)(end - list);
        const char *colon = memchr(list, ':', len);
        size_t name_len = colon == NULL ? len : (size_t)(colon - list);
        if (name_len > 0 && strncmp(name, list, name_len) == 0 && (!exact || name[name_len] == '\0')) {
            matched = 1;
        }
        list += end == NULL ? len : len + 1;
    }
    return matched != exclude;
}

/* The first running interface with an IPv4 address that the list selects; 0 when none. */
static int first_selected(const struct ifaddrs *all, const char *list, uint32_t *ip)
{
    for (const struct ifaddrs *i = all; i != NULL; i = i->ifa_next) {
        if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP)
            || !(i->ifa_flags & IFF_RUNNING) || !name_selected(i->ifa_name, list)) {
            continue;
        }
        *ip = ((const struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
        return 1;
    }
    return 0;
}

/*
 * The address the bootstrap listens on and advertises, chosen as NCCL chooses its socket
 * interface (ncclFindInterfaces): NCCL_SOCKET_IFNAME when it is longer than one character, else
 * the first of "ib", "^docker,lo,virbr", "docker", "lo", "virbr" that selects an interface. So an
 * agent in its own network namespace bootstraps on that namespace's address with no setting of
 * the fake's own. IPv4 only: the id carries an IPv4 address. With no interface at all (or none
 * that NCCL_SOCKET_IFNAME selects) it falls back to 127.0.0.1, where real NCCL would fail init;
 * ranks on one host still meet there.
 */
static uint32_t chosen_ip;

static void choose_ip(void)
{
    static const char *const order[] = {"ib", "^docker,lo,virbr", "docker", "lo", "virbr"};
    struct in_addr loopback;
    inet_pton(AF_INET, "127.0.0.1", &loopback);
    chosen_ip = loopback.s_addr;
    struct ifaddrs *all = NULL;
    if (getifaddrs(&all) != 0) {
        return;
    }
    const char *ifname = getenv("NCCL_SOCKET_IFNAME");
    if (ifname != NULL && strlen(ifname) > 1) {
        first_selected(all, ifname, &chosen_ip);
    } else {
        for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
            if (first_selected(all, order[k], &chosen_ip)) {
                break;
            }
        }
    }
    freeifaddrs(all);
}

static uint32_t bootstrap_ip(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, choose_ip);
    return chosen_ip;
}

static int listen_on(uint32_t ip, uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = ip, .sin_port = 0};
    socklen_t len = sizeof(sa);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 128) != 0
        || getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = sa.sin_port;
    return fd;
}

static void tune(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Full read/write on a blocking socket, giving up when the communicator is aborted. */
static int io_all(fake_comm *c, int fd, void *buf, size_t len, int writing)
{
    char *p = buf;
    while (len > 0) {
        struct pollfd pfd = {fd, (short)(writing ? POLLOUT : POLLIN), 0};
        int ready = poll(&pfd, 1, 50);
        if (c != NULL && fake_aborted(c)) {
            return -1;
        }
        if (ready <= 0) {
            if (ready < 0 && errno != EINTR) {
                return -1;
            }
            continue;
        }
        ssize_t n = writing ? send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT) : recv(fd, p, len, MSG_DONTWAIT);
        if (n == 0) {
            errno = ECONNRESET;
            return -1;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int connect_to(fake_comm *c, uint32_t ip, uint16_t port, long long give_up_ns)
{
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return -1;
        }
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = ip, .sin_port = port};
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            tune(fd);
            return fd;
        }
        int error = errno;
        close(fd);
        if ((error != ECONNREFUSED && error != EAGAIN && error != ETIMEDOUT) || fake_now_ns() > give_up_ns
            || (c != NULL && fake_aborted(c))) {
            errno = error;
            return -1;
        }
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
}

/* ---------------------------------------------------------------- bootstrap root */

typedef struct {
    int listen_fd;
    unsigned char nonce[16];
} root_args;

static void *root_main(void *arg)
{
    root_args *a = arg;
    int nranks = -1, joined = 0;
    int *fds = NULL;
    fake_peer *table = NULL;
    for (;;) {
        struct pollfd pfd = {a->listen_fd, POLLIN, 0};
        if (poll(&pfd, 1, 200) <= 0) {
            continue;
        }
        int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        hello h;
        int status = 1;
        if (io_all(NULL, fd, &h, sizeof(h), 0) == 0 && h.magic == HELLO_MAGIC
            && memcmp(h.nonce, a->nonce, sizeof(h.nonce)) == 0 && h.nranks > 0 && h.nranks <= 4096
            && h.rank >= 0 && h.rank < h.nranks && (nranks < 0 || h.nranks == nranks)
            && (fds == NULL || fds[h.rank] < 0)) {
            if (nranks < 0) {
                nranks = h.nranks;
                fds = malloc((size_t)nranks * sizeof(int));
                table = calloc((size_t)nranks, sizeof(fake_peer));
                if (fds == NULL || table == NULL) {
                    break;
                }
                for (int i = 0; i < nranks; i++) {
                    fds[i] = -1;
                }
            }
            fds[h.rank] = fd;
            table[h.rank] = h.self;
            joined++;
            status = 0;
        }
        if (status != 0) {
            io_all(NULL, fd, &status, sizeof(status), 1);
            close(fd);
            continue;
        }
        if (joined == nranks) {
            break;
        }
    }
    /* single use: the id stops working once its communicator has formed */
    close(a->listen_fd);
    for (int i = 0; fds != NULL && table != NULL && i < nranks; i++) {
        int status = 0;
        if (io_all(NULL, fds[i], &status, sizeof(status), 1) == 0) {
            io_all(NULL, fds[i], table, (size_t)nranks * sizeof(fake_peer), 1);
        }
        close(fds[i]);
    }
    free(fds);
    free(table);
    free(a);
    return NULL;
}

EXPORT int ncclGetUniqueId(ncclUniqueId *id)
{
    if (id == NULL) {
        return usage_error(ncclInvalidArgument, "ncclGetUniqueId: uniqueId is NULL");
    }
    root_args *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        return usage_error(ncclSystemError, "ncclGetUniqueId: out of host memory");
    }
    uint32_t ip = bootstrap_ip();
    uint16_t port = 0;
    a->listen_fd = listen_on(ip, &port);
    if (a->listen_fd < 0) {
        free(a);
        return usage_error(ncclSystemError, "ncclGetUniqueId: cannot listen for the bootstrap root: %s",
                           strerror(errno));
    }
    int urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (urandom < 0 || read(urandom, a->nonce, sizeof(a->nonce)) != (ssize_t)sizeof(a->nonce)) {
        if (urandom >= 0) {
            close(urandom);
        }
        close(a->listen_fd);
        free(a);
        return usage_error(ncclSystemError, "ncclGetUniqueId: cannot read /dev/urandom");
    }
    close(urandom);
    id_layout layout;
    memcpy(layout.magic, ID_MAGIC, 8);
    memcpy(layout.nonce, a->nonce, sizeof(layout.nonce));
    layout.ip = ip;
    layout.port = port;
    layout.pid = (int32_t)getpid();
    memset(id, 0, sizeof(*id));
    memcpy(id->internal, &layout, sizeof(layout));
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&thread, &attr, root_main, a);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        close(a->listen_fd);
        free(a);
        return usage_error(ncclSystemError, "ncclGetUniqueId: cannot start the bootstrap root thread");
    }
    return ncclSuccess;
}

/* ---------------------------------------------------------------- communicators */

int fake_aborted(fake_comm *c)
{
    return __atomic_load_n(&c->aborted, __ATOMIC_SEQ_CST);
}

static fake_comm *live(void *handle)
{
    pthread_mutex_lock(&registry_mu);
    fake_comm *found = NULL;
    for (fake_comm *c = registry; c != NULL; c = c->next) {
        if (c == handle && c->magic == COMM_MAGIC && c->handle_live) {
            found = c;
        }
    }
    pthread_mutex_unlock(&registry_mu);
    return found;
}

static void comm_unref(fake_comm *c)
{
    pthread_mutex_lock(&registry_mu);
    int left = --c->refs;
    if (left == 0) {
        for (fake_comm **link = &registry; *link != NULL; link = &(*link)->next) {
            if (*link == c) {
                *link = c->next;
                break;
            }
        }
    }
    pthread_mutex_unlock(&registry_mu);
    if (left == 0) {
        for (int i = 0; c->fds != NULL && i < c->nranks; i++) {
            if (c->fds[i] >= 0) {
                close(c->fds[i]);
            }
        }
        if (c->listen_fd >= 0) {
            close(c->listen_fd);
        }
        free(c->fds);
        free(c->peers);
        pthread_mutex_destroy(&c->mu);
        c->magic = 0;
        free(c);
    }
}

static int get_state(fake_comm *c)
{
    pthread_mutex_lock(&c->mu);
    int state = c->state;
    pthread_mutex_unlock(&c->mu);
    return state;
}

static void set_state(fake_comm *c, int state)
{
    pthread_mutex_lock(&c->mu);
    c->state = state;
    pthread_mutex_unlock(&c->mu);
}

/* "R" or "R:N" naming this rank; returns 1 and N (default 0) when it does. */
static int fault_at(const char *name, int rank, long long *n, double *factor, int *bad)
{
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0') {
        return 0;
    }
    char *end;
    long r = strtol(value, &end, 10);
    double x = 0;
    if (end == value || r < 0) {
        *bad = 1;
        return 0;
    }
    if (*end == ':') {
        char *tail;
        x = strtod(end + 1, &tail);
        if (tail == end + 1 || *tail != '\0' || x < 0) {
            *bad = 1;
            return 0;
        }
    } else if (*end != '\0') {
        *bad = 1;
        return 0;
    }
    if (r != rank) {
        return 0;
    }
    if (n != NULL) {
        *n = (long long)x;
    }
    if (factor != NULL) {
        *factor = x;
    }
    return 1;
}

static int read_faults(fake_comm *c, int *never_join)
{
    int bad = 0;
    const char *only_if = getenv("FAKE_NCCL_FAULT_ONLY_IF");
    if (only_if != NULL && only_if[0] != '\0' && access(only_if, F_OK) != 0) {
        c->hang_at = -1;
        c->crash_at = -1;
        c->slow_factor = 1.0;
        *never_join = 0;
        return 0;
    }
    long long n = 0;
    double factor = 1;
    c->hang_at = fault_at("FAKE_NCCL_FAULT_HANG", c->rank, &n, NULL, &bad) ? n : -1;
    c->crash_at = fault_at("FAKE_NCCL_FAULT_CRASH", c->rank, &n, NULL, &bad) ? n : -1;
    c->slow_factor = fault_at("FAKE_NCCL_FAULT_SLOW", c->rank, NULL, &factor, &bad) ? factor : 1.0;
    c->corrupt = fault_at("FAKE_NCCL_FAULT_CORRUPT", c->rank, NULL, NULL, &bad);
    c->abort_hangs = fault_at("FAKE_NCCL_FAULT_ABORT_HANG", c->rank, NULL, NULL, &bad);
    *never_join = fault_at("FAKE_NCCL_FAULT_NEVER_JOIN", c->rank, NULL, NULL, &bad);
    int faulty = c->hang_at >= 0 || c->crash_at >= 0 || c->slow_factor != 1.0 || c->corrupt || c->abort_hangs
                 || *never_join;
    const char *once = getenv("FAKE_NCCL_FAULT_ONCE");
    if (!bad && faulty && once != NULL && once[0] != '\0') {
        int fd = open(once, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            close(fd);
        } else if (errno == EEXIST) {
            /* an earlier attempt had the faults: this one runs clean */
            c->hang_at = -1;
            c->crash_at = -1;
            c->slow_factor = 1.0;
            c->corrupt = 0;
            c->abort_hangs = 0;
            *never_join = 0;
        } else {
            fprintf(stderr, "fake nccl: FAKE_NCCL_FAULT_ONCE=%s: %s\n", once, strerror(errno));
            bad = 1;
        }
    }
    return bad;
}

static void sleep_until_aborted(fake_comm *c)
{
    while (!fake_aborted(c)) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
}

static const char *host_identity(char *buf, size_t len)
{
    const char *forced = getenv("FAKE_NCCL_HOST");
    if (forced != NULL && forced[0] != '\0') {
        snprintf(buf, len, "%s", forced);
    } else {
        gethostname(buf, len);
        buf[len - 1] = '\0';
    }
    return buf;
}

/* Bootstrap: register with the root, get every rank's address, connect the full mesh. */
static int bootstrap(fake_comm *c, const id_layout *id, int never_join)
{
    uint16_t my_port = 0;
    c->listen_fd = listen_on(bootstrap_ip(), &my_port);
    if (c->listen_fd < 0) {
        fake_set_error(c, "bootstrap: cannot listen: %s", strerror(errno));
        return ncclSystemError;
    }
    char ip_text[32];
    uint32_t own_ip = bootstrap_ip();
    inet_ntop(AF_INET, &own_ip, ip_text, sizeof(ip_text));
    fake_info(c, "Bootstrap : Using eth0:%s<0>", ip_text);
    inet_ntop(AF_INET, &id->ip, ip_text, sizeof(ip_text));
    if (never_join) {
        sleep_until_aborted(c);
        return -1;
    }
    int root = connect_to(c, id->ip, id->port, fake_now_ns() + 3000000000LL);
    if (root < 0) {
        if (fake_aborted(c)) {
            return -1;
        }
        fake_set_error(c, "bootstrap: cannot reach the root at %s:%d (was this unique id already used?): %s",
                       ip_text, ntohs(id->port), strerror(errno));
        return ncclSystemError;
    }
    hello h = {HELLO_MAGIC, {0}, c->rank, c->nranks, {bootstrap_ip(), my_port, (int)getpid(), {0}}};
    memcpy(h.nonce, id->nonce, sizeof(h.nonce));
    host_identity(h.self.host, sizeof(h.self.host));
    int status = -1;
    if (io_all(c, root, &h, sizeof(h), 1) != 0 || io_all(c, root, &status, sizeof(status), 0) != 0) {
        close(root);
        if (fake_aborted(c)) {
            return -1;
        }
        fake_set_error(c, "bootstrap: lost the root at %s:%d before every rank joined (its process exited?): %s",
                       ip_text, ntohs(id->port), strerror(errno));
        return ncclRemoteError;
    }
    if (status != 0) {
        close(root);
        fake_set_error(c, "bootstrap: the root at %s:%d refused rank %d of %d (another rank claimed it, or "
                       "nranks differs)", ip_text, ntohs(id->port), c->rank, c->nranks);
        return ncclInvalidUsage;
    }
    if (io_all(c, root, c->peers, (size_t)c->nranks * sizeof(fake_peer), 0) != 0) {
        close(root);
        if (fake_aborted(c)) {
            return -1;
        }
        fake_set_error(c, "bootstrap: lost the root at %s:%d: %s", ip_text, ntohs(id->port), strerror(errno));
        return ncclRemoteError;
    }
    close(root);
    struct {
        unsigned char nonce[16];
        int32_t rank;
    } mesh_hello;
    memcpy(mesh_hello.nonce, id->nonce, sizeof(mesh_hello.nonce));
    mesh_hello.rank = c->rank;
    for (int peer = 0; peer < c->rank; peer++) {
        int fd = connect_to(c, c->peers[peer].ip, c->peers[peer].port, fake_now_ns() + 3000000000LL);
        if (fd < 0 || io_all(c, fd, &mesh_hello, sizeof(mesh_hello), 1) != 0) {
            if (fd >= 0) {
                close(fd);
            }
            if (fake_aborted(c)) {
                return -1;
            }
            fake_set_error(c, "bootstrap: cannot connect to rank %d (pid %d on %s): %s", peer, c->peers[peer].pid,
                           c->peers[peer].host, strerror(errno));
            return ncclRemoteError;
        }
        c->fds[peer] = fd;
    }
    for (int accepted = c->rank + 1; accepted < c->nranks;) {
        struct pollfd pfd = {c->listen_fd, POLLIN, 0};
        int ready = poll(&pfd, 1, 50);
        if (fake_aborted(c)) {
            return -1;
        }
        if (ready <= 0) {
            continue;
        }
        int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        tune(fd);
        if (io_all(c, fd, &mesh_hello, sizeof(mesh_hello), 0) != 0 || memcmp(mesh_hello.nonce, id->nonce, 16) != 0
            || mesh_hello.rank <= c->rank || mesh_hello.rank >= c->nranks || c->fds[mesh_hello.rank] >= 0) {
            close(fd);
            if (fake_aborted(c)) {
                return -1;
            }
            continue;
        }
        c->fds[mesh_hello.rank] = fd;
        accepted++;
    }
    close(c->listen_fd);
    c->listen_fd = -1;
    for (int peer = 0; peer < c->nranks; peer++) {
        if (c->fds[peer] >= 0) {
            fcntl(c->fds[peer], F_SETFL, fcntl(c->fds[peer], F_GETFL) | O_NONBLOCK);
        }
    }
    return ncclSuccess;
}

static const char *net_name(void)
{
    const char *t = getenv("FAKE_NCCL_TRANSPORT");
    return t != NULL && strcmp(t, "socket") == 0 ? "socket" : (t != NULL && strcmp(t, "ib-nogdr") == 0 ? "ib-nogdr" : "ib");
}

static void log_init_complete(fake_comm *c, const id_layout *id)
{
    char version[32];
    version_text(version_code(), version, sizeof(version));
    fake_info(c, "NCCL version %s+cuda12.4", version);
    char ip_text[32];
    uint32_t me = bootstrap_ip();
    inet_ntop(AF_INET, &me, ip_text, sizeof(ip_text));
    if (strcmp(net_name(), "socket") == 0) {
        fake_info(c, "NET/IB : No device found.");
        fake_info(c, "NET/Socket : Using [0]eth0:%s<0>", ip_text);
        fake_info(c, "Using network Socket");
    } else {
        fake_info(c, "NET/IB : Using [0]mlx5_0:1/IB [1]mlx5_1:1/IB [RO]; OOB eth0:%s<0>", ip_text);
        fake_info(c, "Using network IB");
    }
    uint64_t comm_id;
    memcpy(&comm_id, id->nonce, sizeof(comm_id));
    fake_info(c, "comm %p rank %d nranks %d cudaDev %d busId %x commId 0x%llx - Init COMPLETE", (void *)c, c->rank,
              c->nranks, c->device, 0x19000 + c->device * 0x10000, (unsigned long long)comm_id);
}

/* NCCL connects lazily: the transport lines appear with the first operation. */
static void log_connect(fake_comm *c)
{
    if (replaying()) {
        replay(getenv("FAKE_NCCL_DEBUG_REPLAY"));
        return;
    }
    if (c->nranks == 1) {
        return;
    }
    int right = (c->rank + 1) % c->nranks;
    const char *net = net_name();
    if (strcmp(c->peers[right].host, c->peers[c->rank].host) == 0) {
        fake_info(c, "Channel 00/0 : %d[%d] -> %d[%d] via P2P/IPC", c->rank, c->device, right, right);
    } else {
        const char *via = strcmp(net, "socket") == 0 ? "NET/Socket/0" : (strcmp(net, "ib") == 0 ? "NET/IB/0/GDRDMA" : "NET/IB/0");
        fake_info(c, "Channel 00/0 : %d[%d] -> %d[%d] [send] via %s", c->rank, c->device, right, right, via);
    }
    fake_info(c, "Connected all rings");
}

typedef struct {
    fake_comm *comm;
    id_layout id;
    int never_join;
} init_args;

/*
 * NCCL writes the topology it detected to NCCL_TOPO_DUMP_FILE from rank NCCL_TOPO_DUMP_FILE_RANK
 * (default 0). The fake detects none: it copies the captured topology FAKE_NCCL_TOPO_REPLAY names,
 * and writes nothing without one.
 */
static void dump_topology(fake_comm *c)
{
    const char *path = getenv("NCCL_TOPO_DUMP_FILE");
    const char *rank_text = getenv("NCCL_TOPO_DUMP_FILE_RANK");
    const char *replay_path = getenv("FAKE_NCCL_TOPO_REPLAY");
    if (path == NULL || path[0] == '\0' || c->rank != (rank_text != NULL ? atoi(rank_text) : 0)) {
        return;
    }
    fake_info(c, "NCCL_TOPO_DUMP_FILE set by environment to %s", path);
    if (replay_path == NULL || replay_path[0] == '\0') {
        return;
    }
    FILE *in = fopen(replay_path, "r");
    FILE *out = in == NULL ? NULL : fopen(path, "w");
    if (in == NULL || out == NULL) {
        fprintf(stderr, "fake nccl: topology dump %s -> %s: %s\n", replay_path, path, strerror(errno));
    } else {
        copy_stream(in, out);
    }
    if (out != NULL) {
        fclose(out);
    }
    if (in != NULL) {
        fclose(in);
    }
}

static void *init_main(void *arg)
{
    init_args *a = arg;
    fake_comm *c = a->comm;
    int rc = bootstrap(c, &a->id, a->never_join);
    if (rc == ncclSuccess) {
        dump_topology(c);
        log_init_complete(c, &a->id);
    }
    set_state(c, rc < 0 ? ncclRemoteError : rc);
    free(a);
    return NULL;
}

static int nonce_used(const unsigned char *nonce)
{
    pthread_mutex_lock(&registry_mu);
    int used = 0;
    for (int i = 0; i < used_count; i++) {
        used |= memcmp(used_nonces[i], nonce, 16) == 0;
    }
    if (!used && used_count < 256) {
        memcpy(used_nonces[used_count++], nonce, 16);
    }
    pthread_mutex_unlock(&registry_mu);
    return used;
}

static int init_rank(fake_comm **out, int nranks, ncclUniqueId id, int rank, const void *config)
{
    if (out == NULL) {
        return usage_error(ncclInvalidArgument, "ncclCommInitRank: comm is NULL");
    }
    *out = NULL;
    if (nranks < 1 || rank < 0 || rank >= nranks) {
        return usage_error(ncclInvalidArgument, "ncclCommInitRank: rank %d / nranks %d is out of range", rank, nranks);
    }
    id_layout layout;
    memcpy(&layout, id.internal, sizeof(layout));
    if (memcmp(layout.magic, ID_MAGIC, 8) != 0) {
        return usage_error(ncclInvalidArgument, "ncclCommInitRank: the unique id was not made by ncclGetUniqueId");
    }
    int blocking = 1;
    if (config != NULL) {
        config_prefix prefix;
        memcpy(&prefix, config, sizeof(prefix));
        if (prefix.magic != API_MAGIC) {
            return usage_error(ncclInvalidArgument, "ncclCommInitRankConfig: config magic 0x%x is not 0x%x (use "
                               "NCCL_CONFIG_INITIALIZER)", prefix.magic, API_MAGIC);
        }
        if (prefix.size < 20 || prefix.size > 4096) {
            return usage_error(ncclInvalidArgument, "ncclCommInitRankConfig: config size %zu is not a config", prefix.size);
        }
        if (prefix.version < 21400 || (int)prefix.version > version_code()) {
            return usage_error(ncclInvalidArgument, "ncclCommInitRankConfig: config version %u is not in 21400..%d",
                               prefix.version, version_code());
        }
        if (prefix.blocking != CONFIG_UNDEF_INT && prefix.blocking != 0 && prefix.blocking != 1) {
            return usage_error(ncclInvalidArgument, "ncclCommInitRankConfig: blocking %d is not 0 or 1", prefix.blocking);
        }
        if (prefix.blocking != CONFIG_UNDEF_INT) {
            blocking = prefix.blocking;
        }
    }
    const char *env_blocking = getenv("NCCL_COMM_BLOCKING");
    if (env_blocking != NULL && (strcmp(env_blocking, "0") == 0 || strcmp(env_blocking, "1") == 0)) {
        blocking = env_blocking[0] == '1';
    }
    if (nonce_used(layout.nonce)) {
        return usage_error(ncclInvalidUsage, "ncclCommInitRank: this unique id already made a communicator; "
                           "every communicator needs a fresh one");
    }
    int device = fakecuda_current_device();
    fake_comm *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return usage_error(ncclSystemError, "ncclCommInitRank: out of host memory");
    }
    c->magic = COMM_MAGIC;
    c->rank = rank;
    c->nranks = nranks;
    c->device = device;
    c->blocking = blocking;
    c->listen_fd = -1;
    c->refs = 1;
    c->handle_live = 1;
    c->state = ncclInProgress;
    memcpy(c->nonce, layout.nonce, 16);
    pthread_mutex_init(&c->mu, NULL);
    c->fds = malloc((size_t)nranks * sizeof(int));
    c->peers = calloc((size_t)nranks, sizeof(fake_peer));
    int never_join = 0;
    if (c->fds == NULL || c->peers == NULL || read_faults(c, &never_join)) {
        free(c->fds);
        free(c->peers);
        free(c);
        return usage_error(ncclInvalidArgument, "ncclCommInitRank: out of memory, or a FAKE_NCCL_FAULT_* value is "
                           "not RANK or RANK:NUMBER");
    }
    for (int i = 0; i < nranks; i++) {
        c->fds[i] = -1;
    }
    pthread_mutex_lock(&registry_mu);
    c->next = registry;
    registry = c;
    pthread_mutex_unlock(&registry_mu);
    *out = c;
    init_args *a = malloc(sizeof(*a));
    if (a == NULL) {
        set_state(c, ncclSystemError);
        return ncclSystemError;
    }
    a->comm = c;
    a->id = layout;
    a->never_join = never_join;
    if (blocking) {
        init_main(a);
        return get_state(c);
    }
    if (pthread_create(&c->init_thread, NULL, init_main, a) != 0) {
        free(a);
        set_state(c, ncclSystemError);
        return ncclSystemError;
    }
    c->init_started = 1;
    return ncclInProgress;
}

EXPORT int ncclCommInitRank(void **comm, int nranks, ncclUniqueId id, int rank)
{
    enter();
    return leave(init_rank((fake_comm **)comm, nranks, id, rank, NULL));
}

EXPORT int ncclCommInitRankConfig(void **comm, int nranks, ncclUniqueId id, int rank, void *config)
{
    enter();
    return leave(init_rank((fake_comm **)comm, nranks, id, rank, config));
}

static int get_async_error(void *handle, int *result)
{
    fake_comm *c = live(handle);
    if (c == NULL || result == NULL) {
        return usage_error(ncclInvalidArgument, "ncclCommGetAsyncError: not a live communicator");
    }
    pthread_mutex_lock(&c->mu);
    if (c->settle_polls > 0) {
        c->settle_polls--;
        *result = ncclInProgress;
    } else if (c->finalized && c->refs > 1) {
        /* finalize waits for queued work */
        *result = ncclInProgress;
    } else {
        *result = c->state;
    }
    pthread_mutex_unlock(&c->mu);
    return ncclSuccess;
}

EXPORT int ncclCommGetAsyncError(void *handle, int *result)
{
    enter();
    return leave(get_async_error(handle, result));
}

EXPORT int ncclCommCount(void *handle, int *count)
{
    fake_comm *c = live(handle);
    if (c == NULL || count == NULL) {
        return usage_error(ncclInvalidArgument, "ncclCommCount: not a live communicator");
    }
    *count = c->nranks;
    return ncclSuccess;
}

EXPORT int ncclCommUserRank(void *handle, int *rank)
{
    fake_comm *c = live(handle);
    if (c == NULL || rank == NULL) {
        return usage_error(ncclInvalidArgument, "ncclCommUserRank: not a live communicator");
    }
    *rank = c->rank;
    return ncclSuccess;
}

/* ---------------------------------------------------------------- work on streams */

typedef struct {
    fake_op op;
    fake_comm *comm;
    int n;
    fake_call calls[];
} work;

static void corrupt_outputs(const work *w)
{
    for (int i = 0; i < w->n; i++) {
        const fake_call *call = &w->calls[i];
        if (call->kind != CALL_SEND && call->recv != NULL && call->count > 0) {
            ((unsigned char *)call->recv)[0] ^= 1;
        }
    }
}

static void work_run(fake_op *op)
{
    work *w = (work *)op;
    fake_comm *c = w->comm;
    if (fake_aborted(c) || get_state(c) != ncclSuccess) {
        return;
    }
    __atomic_add_fetch(&c->executing, 1, __ATOMIC_SEQ_CST);
    if (!c->connected) {
        c->connected = 1;
        log_connect(c);
    }
    long long index = c->works_run++;
    if (index == c->crash_at) {
        fake_warn(c, "FAKE_NCCL_FAULT_CRASH: rank %d aborting the process in work item %lld", c->rank, index);
        abort();
    }
    if (index == c->hang_at) {
        fake_warn(c, "FAKE_NCCL_FAULT_HANG: rank %d stops in work item %lld", c->rank, index);
        sleep_until_aborted(c);
    }
    long long started = fake_now_ns();
    int rc = fake_execute(c, w->calls, w->n);
    if (rc > 0 && !fake_aborted(c)) {
        set_state(c, rc);
    }
    if (rc == ncclSuccess) {
        if (c->corrupt) {
            corrupt_outputs(w);
        }
        if (c->slow_factor > 1.0) {
            long long extra = (long long)((double)(fake_now_ns() - started) * (c->slow_factor - 1.0));
            struct timespec ts = {extra / 1000000000LL, extra % 1000000000LL};
            nanosleep(&ts, NULL);
        }
    }
    __atomic_sub_fetch(&c->executing, 1, __ATOMIC_SEQ_CST);
}

static void work_release(fake_op *op)
{
    work *w = (work *)op;
    comm_unref(w->comm);
    free(w);
}

/* The group this thread is building (ncclGroupStart .. ncclGroupEnd). */
typedef struct {
    fake_comm *comm;
    void *stream;
    fake_call call;
} pending;

static __thread int group_depth;
static __thread pending *group_calls;
static __thread int group_count;
static __thread int group_capacity;
static __thread int group_error;

static int submit(fake_comm *c, void *stream, const fake_call *calls, int n)
{
    work *w = malloc(sizeof(work) + (size_t)n * sizeof(fake_call));
    if (w == NULL) {
        return usage_error(ncclSystemError, "out of host memory");
    }
    w->op.run = work_run;
    w->op.release = work_release;
    w->comm = c;
    w->n = n;
    memcpy(w->calls, calls, (size_t)n * sizeof(fake_call));
    pthread_mutex_lock(&registry_mu);
    c->refs++;
    pthread_mutex_unlock(&registry_mu);
    int rc = fakecuda_enqueue(stream, &w->op);
    if (rc != 0) {
        comm_unref(c);
        free(w);
        return usage_error(ncclUnhandledCudaError, "enqueueing on the stream failed: CUDA error %d", rc);
    }
    return ncclSuccess;
}

/* Checks that apply to every call: live, initialised, settled communicator; a stream of its GPU. */
static int check_comm(fake_comm *c, void *handle, void *stream, const char *call)
{
    if (c == NULL) {
        return usage_error(ncclInvalidArgument, "%s: %p is not a live communicator", call, handle);
    }
    int state = get_state(c);
    if (state == ncclInProgress) {
        return usage_error(ncclInvalidUsage, "%s: the communicator is still initialising; poll "
                           "ncclCommGetAsyncError until ncclSuccess first", call);
    }
    if (state != ncclSuccess) {
        return usage_error(state, "%s: the communicator has failed: %s", call, c->error);
    }
    pthread_mutex_lock(&c->mu);
    int unsettled = c->settle_polls > 0;
    int finalized = c->finalized;
    pthread_mutex_unlock(&c->mu);
    if (unsettled) {
        return usage_error(ncclInvalidUsage, "%s: an earlier call returned ncclInProgress and the communicator was "
                           "not polled to ncclSuccess", call);
    }
    if (finalized) {
        return usage_error(ncclInvalidUsage, "%s: the communicator was finalized", call);
    }
    int device;
    if (!fakecuda_stream_device(stream, &device)) {
        return usage_error(ncclInvalidArgument, "%s: %p is not a live CUDA stream", call, stream);
    }
    if (device != c->device) {
        return usage_error(ncclInvalidArgument, "%s: the stream belongs to GPU %d, the communicator to GPU %d", call,
                           device, c->device);
    }
    return ncclSuccess;
}

static int check_buffer(fake_comm *c, const void *ptr, size_t bytes, const char *call, const char *what)
{
    int device;
    if (bytes == 0) {
        return ncclSuccess;
    }
    if (!fakecuda_device_range(ptr, bytes, &device)) {
        return usage_error(ncclInvalidArgument, "%s: %s %p (%zu bytes) is not inside one device allocation", call,
                           what, ptr, bytes);
    }
    if (device != c->device) {
        return usage_error(ncclInvalidArgument, "%s: %s is memory of GPU %d, the communicator's GPU is %d", call,
                           what, device, c->device);
    }
    return ncclSuccess;
}

static int add_call(fake_comm *c, void *stream, fake_call call)
{
    if (group_depth == 0) {
        return submit(c, stream, &call, 1);
    }
    if (group_count == group_capacity) {
        int capacity = group_capacity == 0 ? 16 : group_capacity * 2;
        pending *grown = realloc(group_calls, (size_t)capacity * sizeof(pending));
        if (grown == NULL) {
            group_error = ncclSystemError;
            return usage_error(ncclSystemError, "out of host memory");
        }
        group_calls = grown;
        group_capacity = capacity;
    }
    group_calls[group_count++] = (pending){c, stream, call};
    return ncclSuccess;
}

static int check_and_add(void *handle, void *stream, fake_call call, const char *name, size_t send_bytes,
                         size_t recv_bytes)
{
    fake_comm *c = live(handle);
    int rc = check_comm(c, handle, stream, name);
    size_t elt = fake_type_size(call.dtype);
    if (rc == ncclSuccess && elt == 0) {
        rc = usage_error(ncclInvalidArgument, "%s: datatype %d is not supported", name, call.dtype);
    }
    if (rc == ncclSuccess && (call.redop < 0 || call.redop > FAKE_AVG)) {
        rc = usage_error(ncclInvalidArgument, "%s: reduction op %d is not one of sum, prod, max, min, avg", name,
                         call.redop);
    }
    if (rc == ncclSuccess && (call.kind == CALL_SEND || call.kind == CALL_RECV)
        && (call.peer < 0 || call.peer >= c->nranks)) {
        rc = usage_error(ncclInvalidArgument, "%s: peer %d is not a rank of 0..%d", name, call.peer, c->nranks - 1);
    }
    if (rc == ncclSuccess && call.kind != CALL_RECV) {
        rc = check_buffer(c, call.send, send_bytes * elt, name, "sendbuff");
    }
    if (rc == ncclSuccess && call.kind != CALL_SEND) {
        rc = check_buffer(c, call.recv, recv_bytes * elt, name, "recvbuff");
    }
    if (rc != ncclSuccess) {
        if (group_depth > 0) {
            group_error = rc;
        }
        return rc;
    }
    return add_call(c, stream, call);
}

static int enqueue(void *handle, void *stream, fake_call call, const char *name, size_t send_bytes, size_t recv_bytes)
{
    enter();
    return leave(check_and_add(handle, stream, call, name, send_bytes, recv_bytes));
}

EXPORT int ncclAllReduce(const void *send, void *recv, size_t count, int dtype, int op, void *comm, void *stream)
{
    fake_call call = {CALL_ALLREDUCE, send, recv, count, dtype, op, -1};
    return enqueue(comm, stream, call, "ncclAllReduce", count, count);
}

EXPORT int ncclAllGather(const void *send, void *recv, size_t count, int dtype, void *comm, void *stream)
{
    fake_comm *c = live(comm);
    size_t n = c != NULL ? (size_t)c->nranks : 1;
    fake_call call = {CALL_ALLGATHER, send, recv, count, dtype, 0, -1};
    return enqueue(comm, stream, call, "ncclAllGather", count, count * n);
}

EXPORT int ncclReduceScatter(const void *send, void *recv, size_t count, int dtype, int op, void *comm, void *stream)
{
    fake_comm *c = live(comm);
    size_t n = c != NULL ? (size_t)c->nranks : 1;
    fake_call call = {CALL_REDUCESCATTER, send, recv, count, dtype, op, -1};
    return enqueue(comm, stream, call, "ncclReduceScatter", count * n, count);
}

EXPORT int ncclAlltoAll(const void *send, void *recv, size_t count, int dtype, void *comm, void *stream)
{
    if (version_code() < 22800) {
        return usage_error(ncclInvalidUsage, "ncclAlltoAll: not in NCCL %d (added in 2.28)", version_code());
    }
    fake_comm *c = live(comm);
    size_t n = c != NULL ? (size_t)c->nranks : 1;
    fake_call call = {CALL_ALLTOALL, send, recv, count, dtype, 0, -1};
    return enqueue(comm, stream, call, "ncclAlltoAll", count * n, count * n);
}

EXPORT int ncclSend(const void *send, size_t count, int dtype, int peer, void *comm, void *stream)
{
    fake_call call = {CALL_SEND, send, NULL, count, dtype, 0, peer};
    return enqueue(comm, stream, call, "ncclSend", count, 0);
}

EXPORT int ncclRecv(void *recv, size_t count, int dtype, int peer, void *comm, void *stream)
{
    fake_call call = {CALL_RECV, NULL, recv, count, dtype, 0, peer};
    return enqueue(comm, stream, call, "ncclRecv", 0, count);
}

EXPORT int ncclGroupStart(void)
{
    if (group_depth == 0) {
        group_count = 0;
        group_error = ncclSuccess;
    }
    group_depth++;
    return ncclSuccess;
}

static int group_end(void)
{
    if (group_depth == 0) {
        return usage_error(ncclInvalidUsage, "ncclGroupEnd: no matching ncclGroupStart");
    }
    if (--group_depth > 0) {
        return ncclSuccess;
    }
    int rc = group_error;
    int any_nonblocking = 0;
    fake_call *calls = rc == ncclSuccess ? malloc((size_t)(group_count > 0 ? group_count : 1) * sizeof(fake_call)) : NULL;
    if (rc == ncclSuccess && calls == NULL) {
        rc = usage_error(ncclSystemError, "out of host memory");
    }
    /* one piece of work per communicator, in the order the communicators first appeared */
    for (int i = 0; rc == ncclSuccess && i < group_count; i++) {
        fake_comm *c = group_calls[i].comm;
        int first = 1;
        for (int j = 0; j < i; j++) {
            first &= group_calls[j].comm != c;
        }
        if (!first) {
            continue;
        }
        int n = 0;
        for (int j = i; j < group_count; j++) {
            if (group_calls[j].comm != c) {
                continue;
            }
            if (group_calls[j].stream != group_calls[i].stream) {
                rc = usage_error(ncclInvalidUsage, "ncclGroupEnd: one communicator got work on two streams in a group");
                break;
            }
            calls[n++] = group_calls[j].call;
        }
        if (rc == ncclSuccess) {
            rc = submit(c, group_calls[i].stream, calls, n);
        }
        if (rc == ncclSuccess && !c->blocking) {
            pthread_mutex_lock(&c->mu);
            c->settle_polls = 1;
            pthread_mutex_unlock(&c->mu);
            any_nonblocking = 1;
        }
    }
    free(calls);
    group_count = 0;
    group_error = ncclSuccess;
    if (rc != ncclSuccess) {
        return rc;
    }
    return any_nonblocking ? ncclInProgress : ncclSuccess;
}

EXPORT int ncclGroupEnd(void)
{
    enter();
    return leave(group_end());
}

EXPORT int ncclCommFinalize(void *handle)
{
    fake_comm *c = live(handle);
    if (c == NULL) {
        return usage_error(ncclInvalidArgument, "ncclCommFinalize: %p is not a live communicator", handle);
    }
    int state = get_state(c);
    if (state == ncclInProgress) {
        return usage_error(ncclInvalidUsage, "ncclCommFinalize: the communicator is still initialising");
    }
    pthread_mutex_lock(&c->mu);
    int again = c->finalized;
    c->finalized = 1;
    pthread_mutex_unlock(&c->mu);
    if (again) {
        return usage_error(ncclInvalidUsage, "ncclCommFinalize: already finalized");
    }
    if (c->blocking) {
        while (1) {
            pthread_mutex_lock(&registry_mu);
            int queued = c->refs > 1;
            pthread_mutex_unlock(&registry_mu);
            if (!queued || fake_aborted(c)) {
                break;
            }
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        return state;
    }
    return ncclInProgress;
}

static void retire(fake_comm *c)
{
    pthread_mutex_lock(&registry_mu);
    c->handle_live = 0;
    pthread_mutex_unlock(&registry_mu);
    comm_unref(c);
}

EXPORT int ncclCommDestroy(void *handle)
{
    fake_comm *c = live(handle);
    if (c == NULL) {
        return usage_error(ncclInvalidArgument, "ncclCommDestroy: %p is not a live communicator (destroyed twice?)",
                           handle);
    }
    if (get_state(c) == ncclInProgress) {
        return usage_error(ncclInvalidUsage, "ncclCommDestroy: the communicator is still initialising; abort it "
                           "instead");
    }
    if (c->init_started) {
        pthread_join(c->init_thread, NULL);
        c->init_started = 0;
    }
    /* NCCL waits for the communicator's queued work before tearing it down */
    while (1) {
        pthread_mutex_lock(&registry_mu);
        int queued = c->refs > 1;
        pthread_mutex_unlock(&registry_mu);
        if (!queued) {
            break;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    retire(c);
    return ncclSuccess;
}

EXPORT int ncclCommAbort(void *handle)
{
    fake_comm *c = live(handle);
    if (c == NULL) {
        return usage_error(ncclInvalidArgument, "ncclCommAbort: %p is not a live communicator", handle);
    }
    int others = __atomic_load_n(&inside_api, __ATOMIC_SEQ_CST);
    if (others > 0) {
        char line[200];
        snprintf(line, sizeof(line), "fake nccl: STRICT: ncclCommAbort while %d other thread(s) are inside NCCL calls",
                 others);
        fake_report(line);
        return usage_error(ncclInvalidUsage, "%s", line);
    }
    if (c->abort_hangs) {
        fake_warn(c, "FAKE_NCCL_FAULT_ABORT_HANG: ncclCommAbort on rank %d never returns", c->rank);
        for (;;) {
            pause();
        }
    }
    __atomic_store_n(&c->aborted, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < c->nranks; i++) {
        if (c->fds[i] >= 0) {
            shutdown(c->fds[i], SHUT_RDWR);
        }
    }
    if (c->init_started) {
        pthread_join(c->init_thread, NULL);
        c->init_started = 0;
    }
    while (__atomic_load_n(&c->executing, __ATOMIC_SEQ_CST) > 0) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    retire(c);
    return ncclSuccess;
}

__attribute__((destructor)) static void report_leaks(void)
{
    for (fake_comm *c = registry; c != NULL; c = c->next) {
        if (c->magic == COMM_MAGIC && c->handle_live) {
            char line[256];
            snprintf(line, sizeof(line), "fake nccl: LEAK: communicator rank %d of %d (GPU %d) never destroyed or aborted",
                     c->rank, c->nranks, c->device);
            fake_report(line);
        }
    }
}
