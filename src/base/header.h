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

#endif
