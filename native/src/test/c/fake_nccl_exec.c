/*
 * The fake NCCL's data movement: real results over real TCP connections between rank processes.
 * Collectives use NCCL's ring algorithms, so every rank moves the bytes nccl-tests' bus-bandwidth
 * factors assume (a shaped link shows in the numbers). Point-to-point follows a clear-to-send
 * protocol: a send waits until the receiver has posted its receive, so ungrouped send/recv rings
 * deadlock as they would on NCCL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "fake_internal.h"
#include "fake_nccl.h"

#define CTS_BYTE 0xC5

size_t fake_type_size(int dtype)
{
    switch (dtype) {
    case 0: /* int8 */
    case 1: /* uint8 */
        return 1;
    case 6: /* float16 */
    case 9: /* bfloat16 */
        return 2;
    case 2: /* int32 */
    case 3: /* uint32 */
    case 7: /* float32 */
        return 4;
    case 4: /* int64 */
    case 5: /* uint64 */
    case 8: /* float64 */
        return 8;
    default:
        return 0;
    }
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exponent = (h >> 10) & 0x1f;
    uint32_t mantissa = h & 0x3ff;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {
            float value = ldexpf((float)mantissa, -24);
            memcpy(&bits, &value, 4);
            bits |= sign;
        }
    } else if (exponent == 31) {
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

/* round to nearest even, as CUDA's __float2half_rn */
static uint16_t float_to_half(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    uint32_t sign = (bits >> 16) & 0x8000;
    int32_t exponent = (int32_t)((bits >> 23) & 0xff) - 127 + 15;
    uint32_t mantissa = bits & 0x7fffff;
    if (((bits >> 23) & 0xff) == 0xff) {
        return (uint16_t)(sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0));
    }
    if (exponent >= 31) {
        return (uint16_t)(sign | 0x7c00);
    }
    if (exponent <= 0) {
        if (exponent < -10) {
            return (uint16_t)sign;
        }
        mantissa |= 0x800000;
        uint32_t shift = (uint32_t)(14 - exponent);
        uint32_t half = mantissa >> shift;
        uint32_t rest = mantissa & ((1u << shift) - 1);
        uint32_t midpoint = 1u << (shift - 1);
        if (rest > midpoint || (rest == midpoint && (half & 1))) {
            half++;
        }
        return (uint16_t)(sign | half);
    }
    uint32_t half = (uint32_t)(exponent << 10) | (mantissa >> 13);
    uint32_t rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) {
        half++;
    }
    return (uint16_t)(sign | half);
}

static float bf16_to_float(uint16_t b)
{
    uint32_t bits = (uint32_t)b << 16;
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

static uint16_t float_to_bf16(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    if ((bits & 0x7fffffff) > 0x7f800000) {
        return (uint16_t)((bits >> 16) | 0x40);
    }
    bits += 0x7fff + ((bits >> 16) & 1);
    return (uint16_t)(bits >> 16);
}

static double apply(double a, double b, int redop)
{
    switch (redop) {
    case FAKE_PROD:
        return a * b;
    case FAKE_MAX:
        return a > b ? a : b;
    case FAKE_MIN:
        return a < b ? a : b;
    default:
        return a + b;
    }
}

#define REDUCE_INT(type)                                                                          \
    do {                                                                                          \
        type *x = acc;                                                                            \
        const type *y = in;                                                                       \
        for (size_t i = 0; i < n; i++) {                                                          \
            switch (redop) {                                                                      \
            case FAKE_PROD:                                                                       \
                x[i] = (type)(x[i] * y[i]);                                                       \
                break;                                                                            \
            case FAKE_MAX:                                                                        \
                x[i] = x[i] > y[i] ? x[i] : y[i];                                                 \
                break;                                                                            \
            case FAKE_MIN:                                                                        \
                x[i] = x[i] < y[i] ? x[i] : y[i];                                                 \
                break;                                                                            \
            default:                                                                              \
                x[i] = (type)(x[i] + y[i]);                                                       \
            }                                                                                     \
        }                                                                                         \
    } while (0)

/* acc[i] = acc[i] (op) in[i]; ncclAvg sums here and divides at the end. */
static void reduce(void *acc, const void *in, size_t n, int dtype, int redop)
{
    switch (dtype) {
    case 0:
        REDUCE_INT(int8_t);
        break;
    case 1:
        REDUCE_INT(uint8_t);
        break;
    case 2:
        REDUCE_INT(int32_t);
        break;
    case 3:
        REDUCE_INT(uint32_t);
        break;
    case 4:
        REDUCE_INT(int64_t);
        break;
    case 5:
        REDUCE_INT(uint64_t);
        break;
    case 6: {
        uint16_t *x = acc;
        const uint16_t *y = in;
        for (size_t i = 0; i < n; i++) {
            x[i] = float_to_half((float)apply(half_to_float(x[i]), half_to_float(y[i]), redop));
        }
        break;
    }
    case 9: {
        uint16_t *x = acc;
        const uint16_t *y = in;
        for (size_t i = 0; i < n; i++) {
            x[i] = float_to_bf16((float)apply(bf16_to_float(x[i]), bf16_to_float(y[i]), redop));
        }
        break;
    }
    case 7: {
        float *x = acc;
        const float *y = in;
        for (size_t i = 0; i < n; i++) {
            x[i] = (float)apply(x[i], y[i], redop);
        }
        break;
    }
    default: {
        double *x = acc;
        const double *y = in;
        for (size_t i = 0; i < n; i++) {
            x[i] = apply(x[i], y[i], redop);
        }
        break;
    }
    }
}

static void divide(void *buf, size_t n, int dtype, int nranks)
{
    for (size_t i = 0; i < n; i++) {
        switch (dtype) {
        case 0:
            ((int8_t *)buf)[i] = (int8_t)(((int8_t *)buf)[i] / nranks);
            break;
        case 1:
            ((uint8_t *)buf)[i] = (uint8_t)(((uint8_t *)buf)[i] / nranks);
            break;
        case 2:
            ((int32_t *)buf)[i] /= nranks;
            break;
        case 3:
            ((uint32_t *)buf)[i] /= (uint32_t)nranks;
            break;
        case 4:
            ((int64_t *)buf)[i] /= nranks;
            break;
        case 5:
            ((uint64_t *)buf)[i] /= (uint64_t)nranks;
            break;
        case 6:
            ((uint16_t *)buf)[i] = float_to_half(half_to_float(((uint16_t *)buf)[i]) / (float)nranks);
            break;
        case 9:
            ((uint16_t *)buf)[i] = float_to_bf16(bf16_to_float(((uint16_t *)buf)[i]) / (float)nranks);
            break;
        case 7:
            ((float *)buf)[i] /= (float)nranks;
            break;
        default:
            ((double *)buf)[i] /= nranks;
            break;
        }
    }
}

/* One piece of a transfer: bytes to write to, or read from, one peer's connection. */
typedef struct {
    char *ptr;
    size_t len;
    /* receive: this is a clear-to-send byte; send: data that waits for `gate` clear-to-sends */
    int cts;
    int gate;
} segment;

typedef struct {
    int peer;
    int fd;
    segment *tx;
    int ntx;
    int txi;
    size_t txoff;
    segment *rx;
    int nrx;
    int rxi;
    size_t rxoff;
    int cts_seen;
} channel;

typedef struct {
    channel *ch;
    int n;
} plan;

static unsigned char cts_out = CTS_BYTE;

static channel *channel_for(plan *p, fake_comm *c, int peer)
{
    for (int i = 0; i < p->n; i++) {
        if (p->ch[i].peer == peer) {
            return &p->ch[i];
        }
    }
    channel *ch = &p->ch[p->n++];
    memset(ch, 0, sizeof(*ch));
    ch->peer = peer;
    ch->fd = c->fds[peer];
    return ch;
}

static int push(segment **list, int *n, segment s)
{
    segment *grown = realloc(*list, (size_t)(*n + 1) * sizeof(segment));
    if (grown == NULL) {
        return -1;
    }
    grown[*n] = s;
    *list = grown;
    (*n)++;
    return 0;
}

static void plan_free(plan *p)
{
    for (int i = 0; i < p->n; i++) {
        free(p->ch[i].tx);
        free(p->ch[i].rx);
    }
    free(p->ch);
}

static int tx_ready(const channel *ch)
{
    return ch->txi < ch->ntx && ch->cts_seen >= ch->tx[ch->txi].gate;
}

/*
 * Moves every segment of the plan, all channels at once (poll), until done. Returns ncclSuccess,
 * ncclRemoteError when a peer went away, or -1 when the communicator was aborted.
 */
static int run_plan(fake_comm *c, plan *p)
{
    struct pollfd *fds = calloc((size_t)(p->n > 0 ? p->n : 1), sizeof(struct pollfd));
    unsigned char cts_in;
    if (fds == NULL) {
        fake_set_error(c, "out of host memory");
        return ncclSystemError;
    }
    int result = ncclSuccess;
    for (;;) {
        int pending = 0;
        for (int i = 0; i < p->n; i++) {
            channel *ch = &p->ch[i];
            fds[i].fd = ch->fd;
            fds[i].events = 0;
            fds[i].revents = 0;
            if (ch->rxi < ch->nrx) {
                fds[i].events |= POLLIN;
            }
            if (tx_ready(ch)) {
                fds[i].events |= POLLOUT;
            }
            if (ch->rxi < ch->nrx || ch->txi < ch->ntx) {
                pending = 1;
            }
        }
        if (!pending) {
            break;
        }
        if (fake_aborted(c)) {
            result = -1;
            break;
        }
        int ready = poll(fds, (nfds_t)p->n, 50);
        if (ready < 0 && errno != EINTR) {
            fake_set_error(c, "poll: %s", strerror(errno));
            result = ncclSystemError;
            break;
        }
        for (int i = 0; i < p->n && ready > 0; i++) {
            channel *ch = &p->ch[i];
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (ch->rxi < ch->nrx) {
                    segment *s = &ch->rx[ch->rxi];
                    char *into = s->cts ? (char *)&cts_in : s->ptr;
                    ssize_t got = recv(ch->fd, into + ch->rxoff, s->len - ch->rxoff, MSG_DONTWAIT);
                    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                        fake_set_error(c, "rank %d (pid %d on %s) closed the connection: %s", ch->peer,
                                       c->peers[ch->peer].pid, c->peers[ch->peer].host,
                                       got == 0 ? "end of stream" : strerror(errno));
                        result = fake_aborted(c) ? -1 : ncclRemoteError;
                        goto done;
                    }
                    if (got > 0) {
                        ch->rxoff += (size_t)got;
                        if (ch->rxoff == s->len) {
                            if (s->cts) {
                                if (cts_in != CTS_BYTE) {
                                    fake_set_error(c, "rank %d sent data where a clear-to-send was due: the ranks "
                                                   "issued different operations", ch->peer);
                                    result = ncclInvalidUsage;
                                    goto done;
                                }
                                ch->cts_seen++;
                            }
                            ch->rxi++;
                            ch->rxoff = 0;
                        }
                    }
                }
            }
            if ((fds[i].revents & POLLOUT) && tx_ready(ch)) {
                segment *s = &ch->tx[ch->txi];
                ssize_t put = send(ch->fd, s->ptr + ch->txoff, s->len - ch->txoff, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (put < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    fake_set_error(c, "sending to rank %d (pid %d on %s): %s", ch->peer, c->peers[ch->peer].pid,
                                   c->peers[ch->peer].host, strerror(errno));
                    result = fake_aborted(c) ? -1 : ncclRemoteError;
                    goto done;
                }
                if (put > 0) {
                    ch->txoff += (size_t)put;
                    if (ch->txoff == s->len) {
                        ch->txi++;
                        ch->txoff = 0;
                    }
                }
            }
        }
    }
done:
    free(fds);
    return result;
}

static int exchange(fake_comm *c, int to, char *out, size_t out_len, int from, char *in, size_t in_len)
{
    plan p = {calloc(2, sizeof(channel)), 0};
    if (p.ch == NULL) {
        return ncclSystemError;
    }
    int rc = ncclSuccess;
    if (out_len > 0 && push(&channel_for(&p, c, to)->tx, &channel_for(&p, c, to)->ntx,
                            (segment){out, out_len, 0, 0}) != 0) {
        rc = ncclSystemError;
    }
    if (rc == ncclSuccess && in_len > 0) {
        channel *ch = channel_for(&p, c, from);
        if (push(&ch->rx, &ch->nrx, (segment){in, in_len, 0, 0}) != 0) {
            rc = ncclSystemError;
        }
    }
    if (rc == ncclSuccess) {
        rc = run_plan(c, &p);
    }
    plan_free(&p);
    return rc;
}

/* Element offset of ring chunk k of n over count elements. */
static size_t chunk_start(size_t count, int n, int k)
{
    return count * (size_t)k / (size_t)n;
}

static int mod(int a, int n)
{
    return ((a % n) + n) % n;
}

/*
 * Ring reduce-scatter over n chunks of buf: rank r ends holding the complete chunk (r + 1 + shift).
 * tmp holds one chunk.
 */
static int ring_reduce_scatter(fake_comm *c, char *buf, size_t count, int dtype, int redop, int shift, char *tmp)
{
    int n = c->nranks, r = c->rank;
    size_t elt = fake_type_size(dtype);
    int right = mod(r + 1, n), left = mod(r - 1, n);
    for (int s = 0; s < n - 1; s++) {
        int out = mod(r - s + shift, n), in = mod(r - s - 1 + shift, n);
        size_t out_first = chunk_start(count, n, out), in_first = chunk_start(count, n, in);
        size_t out_n = chunk_start(count, n, out + 1) - out_first, in_n = chunk_start(count, n, in + 1) - in_first;
        int rc = exchange(c, right, buf + out_first * elt, out_n * elt, left, tmp, in_n * elt);
        if (rc != ncclSuccess) {
            return rc;
        }
        reduce(buf + in_first * elt, tmp, in_n, dtype, redop);
    }
    return ncclSuccess;
}

/* Ring all-gather of chunks: rank r starts with chunk (r + shift) complete. */
static int ring_all_gather(fake_comm *c, char *buf, size_t count, int elt_size, int shift, int chunks_equal,
                           size_t chunk_len)
{
    int n = c->nranks, r = c->rank;
    size_t elt = (size_t)elt_size;
    int right = mod(r + 1, n), left = mod(r - 1, n);
    for (int s = 0; s < n - 1; s++) {
        int out = mod(r + shift - s, n), in = mod(r + shift - s - 1, n);
        size_t out_first, out_n, in_first, in_n;
        if (chunks_equal) {
            out_first = (size_t)out * chunk_len;
            in_first = (size_t)in * chunk_len;
            out_n = in_n = chunk_len;
        } else {
            out_first = chunk_start(count, n, out);
            in_first = chunk_start(count, n, in);
            out_n = chunk_start(count, n, out + 1) - out_first;
            in_n = chunk_start(count, n, in + 1) - in_first;
        }
        int rc = exchange(c, right, buf + out_first * elt, out_n * elt, left, buf + in_first * elt, in_n * elt);
        if (rc != ncclSuccess) {
            return rc;
        }
    }
    return ncclSuccess;
}

static int all_reduce(fake_comm *c, const fake_call *call)
{
    size_t elt = fake_type_size(call->dtype);
    size_t bytes = call->count * elt;
    if (call->send != call->recv) {
        memmove(call->recv, call->send, bytes);
    }
    int n = c->nranks;
    if (n > 1 && call->count > 0) {
        char *tmp = malloc(bytes / (size_t)n + 2 * elt);
        if (tmp == NULL) {
            fake_set_error(c, "out of host memory");
            return ncclSystemError;
        }
        int rc = ring_reduce_scatter(c, call->recv, call->count, call->dtype, call->redop, 0, tmp);
        free(tmp);
        if (rc != ncclSuccess) {
            return rc;
        }
        if (call->redop == FAKE_AVG) {
            int mine = mod(c->rank + 1, n);
            size_t first = chunk_start(call->count, n, mine);
            divide((char *)call->recv + first * elt, chunk_start(call->count, n, mine + 1) - first, call->dtype, n);
        }
        return ring_all_gather(c, call->recv, call->count, (int)elt, 1, 0, 0);
    }
    if (call->redop == FAKE_AVG) {
        divide(call->recv, call->count, call->dtype, n);
    }
    return ncclSuccess;
}

static int all_gather(fake_comm *c, const fake_call *call)
{
    size_t elt = fake_type_size(call->dtype);
    size_t bytes = call->count * elt;
    char *mine = (char *)call->recv + (size_t)c->rank * bytes;
    if ((const char *)call->send != mine) {
        memmove(mine, call->send, bytes);
    }
    if (c->nranks == 1 || call->count == 0) {
        return ncclSuccess;
    }
    return ring_all_gather(c, call->recv, call->count * (size_t)c->nranks, (int)elt, 0, 1, call->count);
}

static int reduce_scatter(fake_comm *c, const fake_call *call)
{
    int n = c->nranks;
    size_t elt = fake_type_size(call->dtype);
    size_t bytes = call->count * elt;
    char *acc = malloc(bytes * (size_t)n + elt);
    char *tmp = malloc(bytes + elt);
    if (acc == NULL || tmp == NULL) {
        free(acc);
        free(tmp);
        fake_set_error(c, "out of host memory");
        return ncclSystemError;
    }
    memcpy(acc, call->send, bytes * (size_t)n);
    int rc = ncclSuccess;
    if (n > 1 && call->count > 0) {
        /* chunks of exactly count elements: total count*n, chunk k = [k*count, (k+1)*count) */
        rc = ring_reduce_scatter(c, acc, call->count * (size_t)n, call->dtype, call->redop, -1, tmp);
    }
    if (rc == ncclSuccess) {
        char *mine = acc + (size_t)c->rank * bytes;
        if (call->redop == FAKE_AVG) {
            divide(mine, call->count, call->dtype, n);
        }
        memmove(call->recv, mine, bytes);
    }
    free(acc);
    free(tmp);
    return rc;
}

/*
 * A run of sends and receives, all at once: every receive first posts a clear-to-send to its
 * peer, every send waits for one. Sends and receives to self pair up in order.
 */
static int p2p(fake_comm *c, const fake_call *calls, int n)
{
    plan p = {calloc((size_t)c->nranks, sizeof(channel)), 0};
    if (p.ch == NULL) {
        fake_set_error(c, "out of host memory");
        return ncclSystemError;
    }
    int rc = ncclSuccess;
    const fake_call *self_send[64];
    int self_sends = 0, self_recvs = 0;
    for (int pass = 0; pass < 2 && rc == ncclSuccess; pass++) {
        for (int i = 0; i < n && rc == ncclSuccess; i++) {
            const fake_call *call = &calls[i];
            size_t bytes = call->count * fake_type_size(call->dtype);
            if (call->peer == c->rank) {
                if (pass == 1) {
                    continue;
                }
                if (call->kind == CALL_SEND) {
                    if (self_sends < 64) {
                        self_send[self_sends++] = call;
                    }
                } else {
                    if (self_recvs >= self_sends || self_send[self_recvs]->count != call->count) {
                        fake_set_error(c, "a receive from self has no matching send to self of %zu elements",
                                       call->count);
                        rc = ncclInvalidUsage;
                        break;
                    }
                    memmove(call->recv, self_send[self_recvs]->send, bytes);
                    self_recvs++;
                }
                continue;
            }
            channel *ch = channel_for(&p, c, call->peer);
            if (pass == 0 && call->kind == CALL_RECV) {
                /* clear-to-send out, data in */
                if (push(&ch->tx, &ch->ntx, (segment){(char *)&cts_out, 1, 0, 0}) != 0
                    || (bytes > 0 && push(&ch->rx, &ch->nrx, (segment){call->recv, bytes, 0, 0}) != 0)) {
                    rc = ncclSystemError;
                }
            } else if (pass == 1 && call->kind == CALL_SEND) {
                /* the peer's clear-to-send in (ahead of its data), then our data out */
                int gate = 0;
                for (int k = 0; k < ch->nrx; k++) {
                    gate += ch->rx[k].cts;
                }
                segment cts = {NULL, 1, 1, 0};
                int at = 0;
                while (at < ch->nrx && ch->rx[at].cts) {
                    at++;
                }
                if (push(&ch->rx, &ch->nrx, cts) != 0) {
                    rc = ncclSystemError;
                    break;
                }
                memmove(&ch->rx[at + 1], &ch->rx[at], (size_t)(ch->nrx - 1 - at) * sizeof(segment));
                ch->rx[at] = cts;
                if (bytes > 0 && push(&ch->tx, &ch->ntx, (segment){(char *)call->send, bytes, 0, gate + 1}) != 0) {
                    rc = ncclSystemError;
                }
            }
        }
    }
    if (rc == ncclSuccess && self_recvs != self_sends) {
        fake_set_error(c, "%d send(s) to self but %d receive(s) from self", self_sends, self_recvs);
        rc = ncclInvalidUsage;
    }
    if (rc == ncclSystemError) {
        fake_set_error(c, "out of host memory");
    }
    if (rc == ncclSuccess) {
        rc = run_plan(c, &p);
    }
    plan_free(&p);
    return rc;
}

static int all_to_all(fake_comm *c, const fake_call *call)
{
    int n = c->nranks;
    fake_call *calls = calloc((size_t)n * 2, sizeof(fake_call));
    if (calls == NULL) {
        fake_set_error(c, "out of host memory");
        return ncclSystemError;
    }
    size_t bytes = call->count * fake_type_size(call->dtype);
    for (int peer = 0; peer < n; peer++) {
        calls[2 * peer] = (fake_call){CALL_SEND, (const char *)call->send + (size_t)peer * bytes, NULL, call->count,
                                      call->dtype, 0, peer};
        calls[2 * peer + 1] = (fake_call){CALL_RECV, NULL, (char *)call->recv + (size_t)peer * bytes, call->count,
                                          call->dtype, 0, peer};
    }
    int rc = p2p(c, calls, 2 * n);
    free(calls);
    return rc;
}

int fake_execute(fake_comm *c, const fake_call *calls, int n)
{
    int i = 0;
    while (i < n) {
        int rc;
        const fake_call *call = &calls[i];
        if (call->kind == CALL_SEND || call->kind == CALL_RECV) {
            int j = i;
            while (j < n && (calls[j].kind == CALL_SEND || calls[j].kind == CALL_RECV)) {
                j++;
            }
            rc = p2p(c, calls + i, j - i);
            i = j;
        } else {
            switch (call->kind) {
            case CALL_ALLREDUCE:
                rc = all_reduce(c, call);
                break;
            case CALL_ALLGATHER:
                rc = all_gather(c, call);
                break;
            case CALL_REDUCESCATTER:
                rc = reduce_scatter(c, call);
                break;
            default:
                rc = all_to_all(c, call);
                break;
            }
            i++;
        }
        if (rc != ncclSuccess) {
            return rc;
        }
    }
    return ncclSuccess;
}
