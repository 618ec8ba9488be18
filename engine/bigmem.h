/* bigmem.h - allocation of the large per-synapse arrays on huge pages where the kernel
 * offers them.
 *
 * Plastic rules reach a neuron's synapses across all their presynaptic groups, and the
 * delivery a group's targets across the target block: with 4 KiB pages, each such access
 * to an array of tens of MB is also a TLB miss. Debian's kernels give transparent huge
 * pages only to memory that asks for them (madvise mode), so arrays of HEBB_BIG_BYTES or
 * more are aligned to 2 MiB and marked MADV_HUGEPAGE. Where that fails they are ordinary
 * memory; the results never depend on it. Freed with free().
 */
#ifndef HEBB_ENGINE_BIGMEM_H
#define HEBB_ENGINE_BIGMEM_H

#include <stddef.h>

enum { HEBB_BIG_BYTES = 2 << 20 };

/* BYTES of memory (uninitialised, or zeroed with hebb_big_calloc), NULL when out of memory. */
void *hebb_big_alloc(size_t bytes);
void *hebb_big_calloc(size_t n, size_t size);

#endif
