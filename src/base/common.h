#ifndef SLIPWAY_BASE_COMMON_H
#define SLIPWAY_BASE_COMMON_H

/*
 * Included first by every slipway source file: the system headers the tree
 * uses everywhere, the cleanup helpers, then banned.h so that nothing after
 * it can call a banned function.
 */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a)          (sizeof(a) / sizeof((a)[0]))
#define UNUSED                 __attribute__((unused))
#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#define NORETURN               __attribute__((noreturn))

/* Hand over ownership of a pointer held by a cleanup variable. */
#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) take_ptr_tmp_ = (p);                                                         \
        (p) = NULL;                                                                                \
        take_ptr_tmp_;                                                                             \
    })

static inline void freep(void *p)
{
    free(*(void **)p);
}
#define _cleanup_free_ __attribute__((cleanup(freep)))

static inline void fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}
#define _cleanup_fclose_ __attribute__((cleanup(fclosep)))

static inline void closep(int *fd)
{
    if (*fd >= 0)
        close(*fd);
}
#define _cleanup_close_ __attribute__((cleanup(closep)))

#include "base/banned.h"

#endif
