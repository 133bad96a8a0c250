#ifndef SLIPWAY_HTTP_HTTPD_H
#define SLIPWAY_HTTP_HTTPD_H

#include "base/buf.h"
#include "base/header.h"
#include "base/response.h"

/* A request as received. Owned by the server for the duration of the call. */
struct http_request {
    const char *method;
    const char *target; /* raw request target: path and query, still encoded */
    const char *path;   /* raw path (target up to '?'), NUL-terminated copy */
    const char *query;  /* raw query without '?', NULL when none */
    const struct header_field *headers;
    size_t header_count;
    const char *body;
    size_t body_len;
    const char *request_id; /* generated per request */
    const char *remote_addr;
    bool secure; /* arrived over TLS */
    /* The route's stream state when its begin hook took the body as a
     * stream (body is then empty); NULL otherwise. */
    void *stream;
};

/* Case-insensitive lookup; NULL when absent. */
const struct header_field *http_request_header(const struct http_request *req, const char *name);

/*
 * A route: requests whose path starts with `prefix` go to `handle`, which
 * fills `resp`. Routes are tried in order; the first match wins.
 */
typedef void (*http_handle_fn)(void *ctx, const struct http_request *req,
                               struct http_response *resp);

/*
 * A request body taken piece by piece as it arrives instead of collected in
 * memory, for bodies too large to hold (S3 objects up to 5 GB). The
 * max-body limit and the absolute request deadline do not apply to it; the
 * idle timeout does.
 */
struct http_body_stream {
    /*
     * Takes the next piece of the body. A negative return stops the stream:
     * the rest of the body is read and dropped, and the route's handle
     * learns of the failure through its own state.
     */
    int (*write)(void *state, const void *data, size_t len);
    /* Frees the state when the request ends, however it ends. */
    void (*free)(void *state);
    void *state;
};

enum http_begin_result {
    HTTP_BODY_BUFFERED, /* collect the body in memory, then call handle */
    HTTP_BODY_STREAMED, /* feed the body to the stream, then call handle */
    HTTP_ANSWERED,      /* the response is filled in; the body is not read */
};

/*
 * Sees a request when its headers have arrived and before any of its body
 * (req->body is empty): it may answer at once (a request that fails
 * authentication, so a large body is never read), or take the body as a
 * stream by filling `stream`.
 */
typedef enum http_begin_result (*http_begin_fn)(void *ctx, const struct http_request *req,
                                                struct http_body_stream *stream,
                                                struct http_response *resp);

struct http_route {
    const char *prefix;
    http_handle_fn handle;
    void *ctx;
    /* NULL: every body is collected in memory. */
    http_begin_fn begin;
    /* NULL: the prefix decides. Otherwise a path under the prefix is the
     * route's only when this says so (a prefix that is a pattern, like
     * "/<region>/v1/repos/"), and the next routes are tried when not. */
    bool (*match)(void *ctx, const char *path);
};

struct httpd_config {
    const char *listen; /* "ADDR:PORT"; port 0 picks a free one */
    unsigned workers;   /* threads in the pool */
    size_t max_header_bytes;
    size_t max_body_bytes;
    unsigned timeout_seconds; /* idle connection timeout */
    unsigned request_seconds; /* longest a request may take to arrive; 0: 300 */
    const char *tls_cert_file;
    const char *tls_key_file;
    const struct http_route *routes;
    size_t route_count;
};

struct httpd;

/* Binds and starts serving. Returns 0 or a negative error with err_msg(). */
int httpd_start(struct httpd **out, const struct httpd_config *config);
/* The bound address as "ADDR:PORT" (the real port when 0 was asked for). */
const char *httpd_address(const struct httpd *server);
/*
 * Stops accepting, waits up to `grace_ms` for requests in flight to finish,
 * then stops the threads and frees the server. NULL is accepted.
 */
void httpd_stop(struct httpd *server, int grace_ms);

/* True when ADDR (the host part of "ADDR:PORT") is a loopback address. */
bool http_listen_is_loopback(const char *listen);

#endif
