#ifndef SLIPWAY_BASE_BUF_H
#define SLIPWAY_BASE_BUF_H

#include "base/common.h"

/*
 * A growable byte buffer. `data` is never NULL and always NUL-terminated
 * (the terminator is not counted in `len`), so a buf can be handed to any
 * function that wants a C string. It may also hold binary data.
 *
 * `max`, when non-zero, is a hard limit on `len`: buf_try_add() refuses to
 * grow past it. The plain adders ignore it; use them only for sizes that
 * slipway itself controls.
 */
struct buf {
    char *data;
    size_t len;
    size_t alloc;
    size_t max;
};

extern char buf_empty_[];
#define BUF_INIT                                                                                   \
    {                                                                                              \
        .data = buf_empty_, .len = 0, .alloc = 0, .max = 0                                         \
    }

void buf_init(struct buf *b);
void buf_release(struct buf *b);
/* Empty the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Ensure room for `extra` more bytes plus the terminator. */
void buf_grow(struct buf *b, size_t extra);
void buf_setlen(struct buf *b, size_t len);

void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, int c);
void buf_addf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Add `len` bytes unless that would pass b->max; returns 0 or ERR_LIMIT. */
int buf_try_add(struct buf *b, const void *data, size_t len);

/* Take the contents as a malloc'd string; the buffer is left empty. */
char *buf_detach(struct buf *b, size_t *len_out);

static inline void buf_releasep(struct buf *b)
{
    buf_release(b);
}
#define _cleanup_buf_ __attribute__((cleanup(buf_releasep)))

#endif
