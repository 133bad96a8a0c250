#ifndef SLIPWAY_BASE_HEADER_H
#define SLIPWAY_BASE_HEADER_H

#include "base/common.h"

/*
 * One header of an HTTP request as received. Name and value point into the
 * request and are not NUL-terminated; names compare case-insensitively.
 * The HTTP server, the protocols and SigV4 all take this type, so a
 * request's headers pass from one to the next without copying.
 */
struct header_field {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

/* Whether (s, len) is exactly `lit`, or is it ignoring ASCII case. */
static inline bool slice_eq(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return len == n && memcmp(s, lit, n) == 0;
}

static inline bool slice_eq_nocase(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return len == n && strncasecmp(s, lit, n) == 0;
}

/* The first of `count` headers named `name` (any case), or NULL. */
static inline const struct header_field *header_fields_find(const struct header_field *headers,
                                                            size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (headers[i].name && slice_eq_nocase(headers[i].name, headers[i].name_len, name))
            return &headers[i];
    return NULL;
}

#endif
