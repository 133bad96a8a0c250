#ifndef SLIPWAY_BASE_ALLOC_H
#define SLIPWAY_BASE_ALLOC_H

#include "base/common.h"

/*
 * Allocation that never returns NULL: memory exhaustion aborts the process
 * with a message. In exchange every size that input controls is bounded by
 * an explicit limit before it reaches these functions.
 */

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Grow an array to hold at least `want` elements, amortised doubling. */
#define ALLOC_GROW(array, want, alloc)                                                             \
    do {                                                                                           \
        if ((size_t)(want) > (alloc)) {                                                            \
            size_t alloc_grow_n_ = (alloc) ? (alloc)*2 : 8;                                        \
            if (alloc_grow_n_ < (size_t)(want))                                                    \
                alloc_grow_n_ = (want);                                                            \
            (array) = xrealloc((array), alloc_grow_n_ * sizeof(*(array)));                         \
            (alloc) = alloc_grow_n_;                                                               \
        }                                                                                          \
    } while (0)

#endif
