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
};

/* Case-insensitive lookup; NULL when absent. */
const struct header_field *http_request_header(const struct http_request *req, const char *name);

/*
 * A route: requests whose path starts with `prefix` go to `handle`, which
 * fills `resp`. Routes are tried in order; the first match wins.
 */
typedef void (*http_handle_fn)(void *ctx, const struct http_request *req,
                               struct http_response *resp);

struct http_route {
    const char *prefix;
    http_handle_fn handle;
    void *ctx;
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
