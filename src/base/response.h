#ifndef SLIPWAY_BASE_RESPONSE_H
#define SLIPWAY_BASE_RESPONSE_H

#include "base/buf.h"

/*
 * An HTTP response being built: status, headers (owned copies) and body.
 * The protocol encoders fill one and the HTTP server sends it as is.
 */
struct http_response_header {
    char *name;
    char *value;
};

struct http_response {
    int status;
    struct http_response_header *headers;
    size_t header_count;
    size_t header_alloc;
    struct buf body;
};

/* Status 200, no headers, empty body. */
void http_response_init(struct http_response *resp);
/* Frees the contents and leaves `resp` as after init. */
void http_response_release(struct http_response *resp);
/* Adds a header; both strings are copied. */
void http_response_add_header(struct http_response *resp, const char *name, const char *value);
/* The first header named `name` (case-insensitive), or NULL. */
const char *http_response_header(const struct http_response *resp, const char *name);
/* Sets status, Content-Type (when not NULL) and body in one go. */
void http_response_set(struct http_response *resp, int status, const char *content_type,
                       const char *body, size_t len);

#endif
