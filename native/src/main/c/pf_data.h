/*
 * Host-side test data, as nccl-tests builds it but without GPU kernels: small non-negative integers
 * every dtype represents exactly, chosen so every partial sum stays exact too, so the result of a
 * reduction is bit-exact whatever order NCCL adds in. Expected outputs have closed forms, so
 * checking costs O(1) per element however many ranks there are.
 */
#ifndef PREFLIGHT_PF_DATA_H
#define PREFLIGHT_PF_DATA_H

#include <stddef.h>

size_t pf_dtype_size(int dtype);

/* Writes elements [first, first + n) of `rank`'s input for the op into dst. */
void pf_data_fill(void *dst, int dtype, int op, int nranks, int rank, size_t first, size_t n, unsigned int seed);

/*
 * Counts the elements of out, holding output elements [first, first + n) of `rank`, that differ
 * bit for bit from the expected result. count is NCCL's count argument; recv_peer the rank whose
 * data a sendrecv receives.
 */
size_t pf_data_check(const void *out, int dtype, int op, int nranks, int rank, size_t count, int recv_peer,
                     size_t first, size_t n, unsigned int seed);

#endif
