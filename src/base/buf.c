#include "base/common.h"
#include "base/buf.h"
#include "base/alloc.h"
#include "base/err.h"

char buf_empty_[1];

void buf_init(struct buf *b)
{
    *b = (struct buf)BUF_INIT;
}

void buf_release(struct buf *b)
{
    if (b->alloc)
        free(b->data);
    size_t max = b->max;
    buf_init(b);
    b->max = max;
}

void buf_reset(struct buf *b)
{
    buf_setlen(b, 0);
}

void buf_grow(struct buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1) {
        fprintf(stderr, "fatal: buffer size overflow\n");
        abort();
    }
    size_t want = b->len + extra + 1;
    if (want <= b->alloc)
        return;
    size_t n = b->alloc ? b->alloc : 64;
    while (n < want)
        n = n < SIZE_MAX / 2 ? n * 2 : want;
    if (b->alloc == 0) {
        b->data = xmalloc(n);
        b->data[0] = '\0';
    } else {
        b->data = xrealloc(b->data, n);
    }
    b->alloc = n;
}

void buf_setlen(struct buf *b, size_t len)
{
    if (b->alloc == 0) {
        if (len != 0) {
            fprintf(stderr, "fatal: buf_setlen past an empty buffer\n");
            abort();
        }
        return;
    }
    if (len >= b->alloc) {
        fprintf(stderr, "fatal: buf_setlen past the allocation\n");
        abort();
    }
    b->len = len;
    b->data[len] = '\0';
}

void buf_add(struct buf *b, const void *data, size_t len)
{
    if (len == 0)
        return;
    buf_grow(b, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_addch(struct buf *b, int c)
{
    buf_grow(b, 1);
    b->data[b->len++] = (char)c;
    b->data[b->len] = '\0';
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, cp);
    va_end(cp);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        buf_add(b, small, (size_t)n);
        return;
    }
    buf_grow(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(b, fmt, ap);
    va_end(ap);
}

int buf_try_add(struct buf *b, const void *data, size_t len)
{
    if (b->max && (len > b->max || b->len > b->max - len))
        return err_set(ERR_LIMIT, "data exceeds the limit of %zu bytes", b->max);
    buf_add(b, data, len);
    return 0;
}

char *buf_detach(struct buf *b, size_t *len_out)
{
    char *p;
    if (len_out)
        *len_out = b->len;
    if (b->alloc == 0)
        p = xcalloc(1, 1);
    else
        p = b->data;
    size_t max = b->max;
    buf_init(b);
    b->max = max;
    return p;
}
