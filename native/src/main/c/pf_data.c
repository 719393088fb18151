#include "glibc_compat.h"

#include "pf_data.h"

#include <stdint.h>
#include <string.h>

#include "pf_bench.h"

size_t pf_dtype_size(int dtype)
{
    return dtype == PF_DTYPE_FLOAT32 ? 4 : 2;
}

/* The largest integer n such that 0..n are all exact in the dtype. */
static uint64_t exact_limit(int dtype)
{
    switch (dtype) {
    case PF_DTYPE_FLOAT16:
        return 2048;
    case PF_DTYPE_BFLOAT16:
        return 256;
    default:
        return 1u << 24;
    }
}

static int reduces(int op)
{
    return op == PF_OP_ALL_REDUCE || op == PF_OP_REDUCE_SCATTER;
}

/* Values are taken modulo k: for reductions small enough that the sum over all ranks stays exact. */
static uint64_t modulus(int dtype, int op, int nranks)
{
    uint64_t limit = exact_limit(dtype);
    uint64_t k = reduces(op) ? limit / (uint64_t)nranks + 1 : limit + 1;
    return k > 1024 ? 1024 : k;
}

static uint64_t base_value(size_t index, unsigned int seed, uint64_t k)
{
    return (((uint64_t)index * 2654435761ull) + (uint64_t)seed * 40503ull) % k;
}

static uint64_t input_value(int rank, size_t index, unsigned int seed, uint64_t k)
{
    return (base_value(index, seed, k) + (uint64_t)rank) % k;
}

/* sum over r = 0..n-1 of (c + r) mod k, in closed form */
static uint64_t rank_sum(uint64_t c, uint64_t n, uint64_t k)
{
    uint64_t full = n / k;
    uint64_t rem = n % k;
    uint64_t sum = full * (k * (k - 1) / 2);
    if (c + rem <= k) {
        sum += rem * c + rem * (rem - 1) / 2;
    } else {
        uint64_t tail = k - c;
        uint64_t wrapped = rem - tail;
        sum += tail * c + tail * (tail - 1) / 2 + wrapped * (wrapped - 1) / 2;
    }
    return sum;
}

static uint32_t float_bits(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof(bits));
    return bits;
}

/* Exact for the integers 0..2048 this file generates. */
static uint16_t half_bits(uint64_t value)
{
    if (value == 0) {
        return 0;
    }
    int exponent = 63 - __builtin_clzll(value);
    uint64_t mantissa = exponent <= 10 ? (value << (10 - exponent)) : (value >> (exponent - 10));
    return (uint16_t)(((uint64_t)(exponent + 15) << 10) | (mantissa & 0x3ff));
}

static void store(void *dst, size_t i, int dtype, uint64_t value)
{
    if (dtype == PF_DTYPE_FLOAT32) {
        uint32_t bits = float_bits((float)value);
        memcpy((char *)dst + i * 4, &bits, 4);
    } else {
        uint16_t bits = dtype == PF_DTYPE_FLOAT16 ? half_bits(value) : (uint16_t)(float_bits((float)value) >> 16);
        memcpy((char *)dst + i * 2, &bits, 2);
    }
}

static int same(const void *out, size_t i, int dtype, uint64_t value)
{
    if (dtype == PF_DTYPE_FLOAT32) {
        uint32_t got;
        memcpy(&got, (const char *)out + i * 4, 4);
        return got == float_bits((float)value);
    }
    uint16_t got;
    memcpy(&got, (const char *)out + i * 2, 2);
    uint16_t want = dtype == PF_DTYPE_FLOAT16 ? half_bits(value) : (uint16_t)(float_bits((float)value) >> 16);
    return got == want;
}

void pf_data_fill(void *dst, int dtype, int op, int nranks, int rank, size_t first, size_t n, unsigned int seed)
{
    uint64_t k = modulus(dtype, op, nranks);
    for (size_t i = 0; i < n; i++) {
        store(dst, i, dtype, input_value(rank, first + i, seed, k));
    }
}

static uint64_t expected(int op, int nranks, int rank, size_t count, int recv_peer, size_t o, unsigned int seed,
                         uint64_t k)
{
    switch (op) {
    case PF_OP_ALL_REDUCE:
        return rank_sum(base_value(o, seed, k), (uint64_t)nranks, k);
    case PF_OP_REDUCE_SCATTER:
        return rank_sum(base_value((size_t)rank * count + o, seed, k), (uint64_t)nranks, k);
    case PF_OP_ALL_GATHER:
        return input_value((int)(o / count), o % count, seed, k);
    case PF_OP_ALLTOALL:
        return input_value((int)(o / count), (size_t)rank * count + o % count, seed, k);
    default:
        return input_value(recv_peer, o, seed, k);
    }
}

size_t pf_data_check(const void *out, int dtype, int op, int nranks, int rank, size_t count, int recv_peer,
                     size_t first, size_t n, unsigned int seed)
{
    uint64_t k = modulus(dtype, op, nranks);
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++) {
        if (!same(out, i, dtype, expected(op, nranks, rank, count, recv_peer, first + i, seed, k))) {
            wrong++;
        }
    }
    return wrong;
}
