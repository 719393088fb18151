/*
 * What the fake NCCL needs from the fake CUDA runtime: device pointers to check, and streams to
 * run work on. libfakenccl.so links libfakecudart.so, so both share one runtime state.
 */
#ifndef PREFLIGHT_FAKE_INTERNAL_H
#define PREFLIGHT_FAKE_INTERNAL_H

#include <stddef.h>

/* exported from libfakecudart.so for libfakenccl.so, not part of any CUDA API */
#define FAKE_INTERNAL __attribute__((visibility("default")))

typedef void *fake_stream_t;

/*
 * Work a stream runs in order on its own thread. The stream (or the CUDA graph it was captured
 * into) owns the op: run may be called once, or once per graph launch; release frees it.
 */
typedef struct fake_op fake_op;
struct fake_op {
    void (*run)(fake_op *op);
    void (*release)(fake_op *op);
    fake_op *next;
};

/* Queues op on the stream (or appends it to the stream's capture); returns a cudaError_t. */
FAKE_INTERNAL int fakecuda_enqueue(fake_stream_t stream, fake_op *op);

/* 1 when [ptr, ptr + bytes) lies inside one live device allocation; its device in *device. */
FAKE_INTERNAL int fakecuda_device_range(const void *ptr, size_t bytes, int *device);

/* 1 for a live stream; its device in *device. */
FAKE_INTERNAL int fakecuda_stream_device(fake_stream_t stream, int *device);

/* The calling thread's current device (cudaSetDevice). */
FAKE_INTERNAL int fakecuda_current_device(void);

/* Appends a line to FAKE_LEAK_REPORT (when set) and prints it on stderr. */
FAKE_INTERNAL void fake_report(const char *line);

/* Monotonic nanoseconds. */
FAKE_INTERNAL long long fake_now_ns(void);

#endif
