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

/* What a body source's read returns when nothing is ready yet. */
#define HTTP_SOURCE_WAIT (-2)

/*
 * A body of unknown length produced while it is sent (a CGI program's
 * output), sent with chunked transfer coding in bounded memory.
 */
struct http_body_source {
    /*
     * Copies the next bytes of the body into `buf` (at most `max`) and
     * returns how many: 0 at the end of the body, HTTP_SOURCE_WAIT when
     * none is ready yet, -1 on failure (the connection is closed with the
     * body cut short). After HTTP_SOURCE_WAIT the server calls again once
     * `wait_fd` is readable, and at least once a second, so the source can
     * enforce its own deadline. Never blocks for long: it runs on a thread
     * that serves other connections too.
     */
    ssize_t (*read)(void *state, char *buf, size_t max);
    /* Frees the state once the response is done with, however it ended
     * (the client gone mid-body included). NULL: nothing to free. */
    void (*free)(void *state);
    void *state;
    int wait_fd; /* borrowed: the source closes it in free */
};

struct http_response {
    int status;
    struct http_response_header *headers;
    size_t header_count;
    size_t header_alloc;
    struct buf body;
    /*
     * A body sent from a file instead of `body`: `body_length` bytes of
     * `body_fd` from `body_offset`. The response owns the descriptor (-1
     * when none) and closes it on release unless the server took it.
     */
    int body_fd;
    uint64_t body_offset;
    uint64_t body_length;
    /*
     * The Content-Length to announce for a body that is not sent (a HEAD
     * request's); -1 for none. Content-Length is otherwise the server's
     * to write, never a header of the response.
     */
    int64_t head_length;
    /* A body produced while it is sent, instead of `body`; its read is
     * NULL when none. The response owns it until the server takes it. */
    struct http_body_source source;
};

/* Status 200, no headers, empty body. */
void http_response_init(struct http_response *resp);
/* Frees the contents and leaves `resp` as after init. */
void http_response_release(struct http_response *resp);
/* Adds a header; both strings are copied. */
void http_response_add_header(struct http_response *resp, const char *name, const char *value);
/* The first header named `name` (case-insensitive), or NULL. */
const char *http_response_header(const struct http_response *resp, const char *name);
/* Sends `length` bytes of `fd` from `offset` as the body; takes the fd. */
void http_response_set_file(struct http_response *resp, int fd, uint64_t offset, uint64_t length);
/* Sends the body from `source` (chunked); takes it: its free runs however
 * the response ends, released unsent included. */
void http_response_set_source(struct http_response *resp, const struct http_body_source *source);
/* Sets status, Content-Type (when not NULL) and body in one go. */
void http_response_set(struct http_response *resp, int status, const char *content_type,
                       const char *body, size_t len);

#endif
