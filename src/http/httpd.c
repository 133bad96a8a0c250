#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "base/common.h"
#include "http/httpd.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/ids.h"
#include "base/jsonw.h"
#include "base/log.h"

struct httpd {
    struct MHD_Daemon *daemon;
    struct httpd_config config;
    struct http_route *routes;
    char address[128];
    char *tls_cert;
    char *tls_key;
    int listen_fd;
    /* Requests between their request line and their completion. */
    atomic_int in_flight;
    /* Body bytes held by all requests together, against body_budget. */
    _Atomic size_t buffered;
    size_t body_budget;
    /* Responses whose body source had nothing ready: their connections are
     * suspended until the source's fd is readable (or a second passed),
     * watched by the waker thread. */
    pthread_t waker;
    bool waker_running;
    int waker_epoll;
    int waker_stop; /* eventfd */
    pthread_mutex_t waiting_lock;
    struct source_send *waiting;
    bool stopping; /* under waiting_lock: no connection may be suspended any more */
};

/* A response body read from a source while it is sent. */
struct source_send {
    struct httpd *server;
    struct MHD_Connection *connection;
    struct http_body_source source;
    /* In server->waiting, under its lock, while the connection is suspended. */
    struct source_send *next;
    bool waiting;
    int64_t wake_ns;
};

/* How long a suspended source waits at most before it is asked again. */
#define SOURCE_POLL_NS 1000000000LL

struct header_list {
    struct header_field *items;
    size_t count;
    size_t alloc;
};

/* The least memory a connection's pool gets (see httpd_start). */
#define HTTPD_POOL_MIN (128 * 1024)

/* Per-request state, created when the request line arrives. */
struct request_state {
    char *target;
    struct buf body;
    bool body_too_large;
    /* Refused because all bodies together would pass the budget. */
    bool overloaded;
    /* Bytes this request added to the server's `buffered`. */
    size_t counted;
    /* The first call for a request comes with its headers and no body. */
    bool started;
    bool head; /* a HEAD request */
    /* The route chosen when the headers arrived. */
    const struct http_route *route;
    /* The body goes to this stream (stream.write set) instead of `body`. */
    struct http_body_stream stream;
    bool stream_failed;
    /* The request as the route sees it, built once the headers are in. */
    struct header_list *headers;
    char *path;
    const char *query;
    char remote[INET6_ADDRSTRLEN];
    int64_t start_ns;
    int status;
    char request_id[UUID_TEXT_LEN];
    struct httpd *server;
};

const struct header_field *http_request_header(const struct http_request *req, const char *name)
{
    return header_fields_find(req->headers, req->header_count, name);
}

/* Called with the raw request target before anything is decoded. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    (void)connection;
    struct httpd *server = cls;
    atomic_fetch_add(&server->in_flight, 1);
    struct request_state *st = xcalloc(1, sizeof(*st));
    st->target = xstrdup(uri);
    buf_init(&st->body);
    st->body.max = server->config.max_body_bytes;
    st->start_ns = clock_mono_ns();
    st->server = server;
    uuid_v4(st->request_id);
    return st;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      size_t key_len, const char *value, size_t value_len)
{
    (void)kind;
    struct header_list *list = cls;
    ALLOC_GROW(list->items, list->count + 1, list->alloc);
    list->items[list->count++] = (struct header_field){
        .name = key, .name_len = key_len, .value = value ? value : "", .value_len = value_len};
    return MHD_YES;
}

/* Never called: a HEAD response announces a length it does not send. */
static ssize_t no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    (void)pos;
    (void)buf;
    (void)max;
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* Takes `s` off the waiting list; under waiting_lock. */
static void source_unwait(struct httpd *server, struct source_send *s)
{
    if (!s->waiting)
        return;
    for (struct source_send **p = &server->waiting; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            break;
        }
    }
    epoll_ctl(server->waker_epoll, EPOLL_CTL_DEL, s->source.wait_fd, NULL);
    s->waiting = false;
    s->next = NULL;
}

static ssize_t source_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct source_send *s = cls;
    struct httpd *server = s->server;
    ssize_t n = s->source.read(s->source.state, buf, max);
    if (n > 0)
        return n;
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n != HTTP_SOURCE_WAIT)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    /* Nothing ready: returning 0 makes MHD call again at once, so the
     * connection sleeps until the waker sees the fd readable. */
    pthread_mutex_lock(&server->waiting_lock);
    if (server->stopping) {
        pthread_mutex_unlock(&server->waiting_lock);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    MHD_suspend_connection(s->connection);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
    if (epoll_ctl(server->waker_epoll, EPOLL_CTL_ADD, s->source.wait_fd, &ev) < 0 &&
        errno != EEXIST)
        log_write(LOG_WARN, "http", NULL, "cannot watch a response body source: %s",
                  strerror(errno));
    s->wake_ns = clock_mono_ns() + SOURCE_POLL_NS;
    s->waiting = true;
    s->next = server->waiting;
    server->waiting = s;
    pthread_mutex_unlock(&server->waiting_lock);
    return 0;
}

static void source_free(void *cls)
{
    struct source_send *s = cls;
    pthread_mutex_lock(&s->server->waiting_lock);
    source_unwait(s->server, s);
    pthread_mutex_unlock(&s->server->waiting_lock);
    if (s->source.free)
        s->source.free(s->source.state);
    free(s);
}

/* Resumes the connections whose source may have something now: all of
 * them when `all` (the server is stopping). */
static void waker_resume(struct httpd *server, const struct epoll_event *events, int count,
                         bool all)
{
    int64_t now = clock_mono_ns();
    pthread_mutex_lock(&server->waiting_lock);
    for (int i = 0; i < count; i++) {
        struct source_send *s = events[i].data.ptr;
        if (!s || !s->waiting)
            continue;
        source_unwait(server, s);
        MHD_resume_connection(s->connection);
    }
    for (struct source_send **p = &server->waiting; *p;) {
        struct source_send *s = *p;
        if (all || s->wake_ns <= now) {
            source_unwait(server, s);
            MHD_resume_connection(s->connection);
            continue; /* *p is now the next one */
        }
        p = &s->next;
    }
    pthread_mutex_unlock(&server->waiting_lock);
}

static void *waker_main(void *arg)
{
    struct httpd *server = arg;
    struct epoll_event events[64];
    for (;;) {
        int n = epoll_wait(server->waker_epoll, events, (int)ARRAY_SIZE(events), 200);
        if (n < 0 && errno != EINTR)
            break;
        bool stop = false;
        for (int i = 0; i < n; i++) {
            if (!events[i].data.ptr)
                stop = true;
        }
        waker_resume(server, events, n > 0 ? n : 0, stop);
        if (stop)
            break;
    }
    return NULL;
}

static struct MHD_Response *make_response(struct request_state *st,
                                          struct MHD_Connection *connection,
                                          struct http_response *resp)
{
    if (resp->source.read) {
        struct source_send *s = xcalloc(1, sizeof(*s));
        s->server = st->server;
        s->connection = connection;
        s->source = resp->source;
        struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
                                                                   source_reader, s, source_free);
        if (!r) {
            free(s);
            return NULL;
        }
        resp->source.read = NULL; /* MHD frees it with the response */
        return r;
    }
    if (resp->body_fd >= 0) {
        struct MHD_Response *r = MHD_create_response_from_fd_at_offset64(
            resp->body_length, resp->body_fd, (uint64_t)resp->body_offset);
        if (r)
            resp->body_fd = -1; /* MHD closes it with the response */
        return r;
    }
    /* Content-Length is MHD's to write from the body; a HEAD response
     * announces the length of the body a GET would have sent. */
    const char *cl = http_response_header(resp, "Content-Length");
    if (st->head && cl && resp->body.len == 0) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (!errno && !*end && end != cl)
            return MHD_create_response_from_callback(n, 4096, no_body, NULL, NULL);
    }
    size_t len;
    char *body = buf_detach(&resp->body, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
    if (!r)
        free(body);
    return r;
}

static enum MHD_Result queue(struct MHD_Connection *connection, struct request_state *st,
                             struct http_response *resp)
{
    struct MHD_Response *r = make_response(st, connection, resp);
    if (!r)
        return MHD_NO;
    for (size_t i = 0; i < resp->header_count; i++) {
        if (strcasecmp(resp->headers[i].name, "Content-Length") == 0)
            continue;
        if (MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value) != MHD_YES)
            log_write(LOG_WARN, "http", st->request_id, "dropped response header '%s'",
                      resp->headers[i].name);
    }
    if (!http_response_header(resp, "x-amzn-RequestId"))
        MHD_add_response_header(r, "x-amzn-RequestId", st->request_id);
    st->status = resp->status;
    enum MHD_Result ret = MHD_queue_response(connection, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static void release_body(struct httpd *server, struct request_state *st)
{
    atomic_fetch_sub(&server->buffered, st->counted);
    st->counted = 0;
    buf_release(&st->body);
}

/* Answers with a JSON error before the request reaches a route. */
static enum MHD_Result refuse(struct httpd *server, struct MHD_Connection *connection,
                              struct request_state *st, int status, const char *code,
                              const char *fmt, ...) PRINTF_LIKE(6, 7);
static enum MHD_Result refuse(struct httpd *server, struct MHD_Connection *connection,
                              struct request_state *st, int status, const char *code,
                              const char *fmt, ...)
{
    (void)server;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct http_response resp;
    http_response_init(&resp);
    resp.status = status;
    http_response_add_header(&resp, "Content-Type", "application/json");
    http_response_add_header(&resp, "x-amzn-ErrorType", code);
    buf_adds(&resp.body, "{\"__type\":");
    jsonw_cstr(&resp.body, code);
    buf_adds(&resp.body, ",\"message\":");
    jsonw_cstr(&resp.body, msg);
    buf_addch(&resp.body, '}');
    enum MHD_Result ret = queue(connection, st, &resp);
    http_response_release(&resp);
    return ret;
}

static const struct http_route *find_route(struct httpd *server, const char *path)
{
    for (size_t i = 0; i < server->config.route_count; i++) {
        const struct http_route *rt = &server->routes[i];
        if (strncmp(path, rt->prefix, strlen(rt->prefix)) == 0 &&
            (!rt->match || rt->match(rt->ctx, path)))
            return rt;
    }
    return NULL;
}

/* Collects what the route sees of a request once its headers are in. */
static void capture_request(struct request_state *st, struct MHD_Connection *connection)
{
    st->headers = xcalloc(1, sizeof(*st->headers));
    MHD_get_connection_values_n(connection, MHD_HEADER_KIND, collect_header, st->headers);
    st->path = xstrdup(st->target);
    char *q = strchr(st->path, '?');
    if (q) {
        *q = '\0';
        st->query = q + 1;
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, st->remote,
                      sizeof(st->remote));
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, st->remote,
                      sizeof(st->remote));
    }
}

static void request_view(struct http_request *req, struct httpd *server, struct request_state *st,
                         const char *method)
{
    *req = (struct http_request){
        .method = method,
        .target = st->target,
        .path = st->path,
        .query = st->query,
        .headers = st->headers->items,
        .header_count = st->headers->count,
        .body = st->body.data,
        .body_len = st->body.len,
        .request_id = st->request_id,
        .remote_addr = st->remote,
        .secure = server->tls_cert != NULL,
        .stream = st->stream.write ? st->stream.state : NULL,
    };
}

static enum MHD_Result answer(struct MHD_Connection *connection, struct request_state *st,
                              struct http_response *resp)
{
    enum MHD_Result ret = queue(connection, st, resp);
    http_response_release(resp);
    return ret;
}

/* The headers are in: pick the route and let it decide about the body. */
static enum MHD_Result on_headers(struct httpd *server, struct MHD_Connection *connection,
                                  struct request_state *st, const char *method)
{
    st->head = strcmp(method, "HEAD") == 0;
    capture_request(st, connection);
    size_t header_bytes = strlen(method) + strlen(st->target);
    for (size_t i = 0; i < st->headers->count; i++)
        header_bytes += st->headers->items[i].name_len + st->headers->items[i].value_len + 4;
    if (header_bytes > server->config.max_header_bytes)
        return refuse(server, connection, st, 431, "RequestHeaderFieldsTooLarge",
                      "the request line and headers exceed the limit of %zu bytes",
                      server->config.max_header_bytes);
    st->route = find_route(server, st->path);
    if (st->route && st->route->begin) {
        struct http_request req;
        struct http_response resp;
        struct http_body_stream stream = {0};
        request_view(&req, server, st, method);
        http_response_init(&resp);
        enum http_begin_result result = st->route->begin(st->route->ctx, &req, &stream, &resp);
        if (result == HTTP_ANSWERED)
            return answer(connection, st, &resp);
        http_response_release(&resp);
        if (result == HTTP_BODY_STREAMED) {
            st->stream = stream;
            return MHD_YES;
        }
    }
    /* Refuse a declared body that is too large before reading any of it. */
    const char *cl = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Length");
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long declared = strtoull(cl, &end, 10);
        if (errno || *end || declared > server->config.max_body_bytes)
            return refuse(server, connection, st, 413, "RequestEntityTooLargeException",
                          "request body exceeds the limit of %zu bytes",
                          server->config.max_body_bytes);
    }
    return MHD_YES;
}

/* A piece of a streamed body. */
static void stream_body(struct request_state *st, const char *data, size_t len)
{
    if (st->stream_failed)
        return;
    if (st->stream.write(st->stream.state, data, len) < 0)
        st->stream_failed = true;
}

/* A piece of a body collected in memory, within the limits. */
static void buffer_body(struct httpd *server, struct request_state *st, const char *data,
                        size_t len)
{
    if (st->body_too_large || st->overloaded)
        return;
    if (atomic_fetch_add(&server->buffered, len) + len > server->body_budget) {
        atomic_fetch_sub(&server->buffered, len);
        st->overloaded = true;
        release_body(server, st);
        return;
    }
    st->counted += len;
    if (buf_try_add(&st->body, data, len) < 0) {
        st->body_too_large = true;
        release_body(server, st);
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)url;
    (void)version;
    struct httpd *server = cls;
    struct request_state *st = *con_cls;
    if (!st)
        return MHD_NO;
    if (!st->started) {
        st->started = true;
        return on_headers(server, connection, st, method);
    }

    /* An absolute deadline: a client trickling its body does not hold a
     * worker's memory for ever (the idle timeout alone would let it). A
     * streamed body holds no memory and may take as long as it needs. */
    if (!st->stream.write &&
        clock_mono_ns() - st->start_ns > (int64_t)server->config.request_seconds * 1000000000)
        return MHD_NO;

    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (st->stream.write)
            stream_body(st, upload_data, n);
        else
            buffer_body(server, st, upload_data, n);
        return MHD_YES;
    }

    if (st->body_too_large)
        return refuse(server, connection, st, 413, "RequestEntityTooLargeException",
                      "request body exceeds the limit of %zu bytes", server->config.max_body_bytes);
    if (st->overloaded)
        return refuse(server, connection, st, 503, "SlowDown",
                      "the server holds too many request bodies at once; retry later%s", "");

    struct http_response resp;
    http_response_init(&resp);
    if (st->route) {
        struct http_request req;
        request_view(&req, server, st, method);
        st->route->handle(st->route->ctx, &req, &resp);
    } else {
        static const char msg[] = "{\"message\":\"no route for this path\"}";
        http_response_set(&resp, 404, "application/json", msg, sizeof(msg) - 1);
    }
    return answer(connection, st, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)connection;
    struct httpd *server = cls;
    struct request_state *st = *con_cls;
    if (!st)
        return;
    atomic_fetch_sub(&server->in_flight, 1);
    if (log_enabled(LOG_INFO)) {
        /* The path only: a presigned URL's query is a credential. */
        double ms = (double)(clock_mono_ns() - st->start_ns) / 1e6;
        log_write(LOG_INFO, "http", st->request_id, "%.*s status=%d ms=%.3f%s",
                  (int)strcspn(st->target, "?"), st->target, st->status, ms,
                  toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed)");
    }
    release_body(server, st);
    if (st->stream.free)
        st->stream.free(st->stream.state);
    if (st->headers)
        free(st->headers->items);
    free(st->headers);
    free(st->path);
    free(st->target);
    free(st);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_write(LOG_DEBUG, "http", NULL, "%s", msg);
}

static int parse_listen(struct sockaddr_storage *ss, socklen_t *len, const char *listen)
{
    const char *colon = strrchr(listen, ':');
    if (!colon)
        return err_set(ERR_INVALID, "listen address '%s' must be ADDR:PORT", listen);
    char host[INET6_ADDRSTRLEN + 2];
    size_t hlen = (size_t)(colon - listen);
    if (hlen >= sizeof(host))
        return err_set(ERR_INVALID, "listen address '%s' is too long", listen);
    memcpy(host, listen, hlen);
    host[hlen] = '\0';
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
        return err_set(ERR_INVALID, "listen address '%s' has an invalid port", listen);

    memset(ss, 0, sizeof(*ss));
    if (host[0] == '[' && hlen >= 2 && host[hlen - 1] == ']') {
        host[hlen - 1] = '\0';
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
            return err_set(ERR_INVALID, "listen address '%s' is not an IPv6 address", listen);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*s6);
        return 0;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    if (strcmp(host, "localhost") == 0)
        memcpy(host, "127.0.0.1", sizeof("127.0.0.1"));
    if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
        return err_set(ERR_INVALID, "listen address '%s' is not an IPv4 address", listen);
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    *len = sizeof(*s4);
    return 0;
}

bool http_listen_is_loopback(const char *listen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (parse_listen(&ss, &len, listen) < 0)
        return false;
    if (ss.ss_family == AF_INET) {
        uint32_t a = ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr);
        return (a >> 24) == 127;
    }
    const struct in6_addr *a6 = &((struct sockaddr_in6 *)&ss)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(a6);
}

static int read_file(char **out, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set_errno(ERR_IO, "cannot open '%s'", path);
    struct buf b = BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len > (1u << 20)) {
            fclose(f);
            buf_release(&b);
            return err_set(ERR_LIMIT, "'%s' is larger than 1 MB", path);
        }
        buf_add(&b, chunk, n);
    }
    fclose(f);
    *out = buf_detach(&b, NULL);
    return 0;
}

static int bind_socket(struct httpd *server, const char *listen_addr)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int rc = parse_listen(&ss, &len, listen_addr);
    if (rc < 0)
        return rc;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return err_set_errno(ERR_IO, "socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        rc = err_set_errno(ERR_IO, "cannot listen on '%s'", listen_addr);
        close(fd);
        return rc;
    }
    if (listen(fd, 1024) < 0) {
        rc = err_set_errno(ERR_IO, "listen on '%s'", listen_addr);
        close(fd);
        return rc;
    }
    len = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &len);
    char host[INET6_ADDRSTRLEN];
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        snprintf(server->address, sizeof(server->address), "%s:%u", host, ntohs(s4->sin_port));
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        snprintf(server->address, sizeof(server->address), "[%s]:%u", host, ntohs(s6->sin6_port));
    }
    server->listen_fd = fd;
    return 0;
}

int httpd_start(struct httpd **out, const struct httpd_config *config)
{
    struct httpd *server = xcalloc(1, sizeof(*server));
    server->config = *config;
    server->listen_fd = -1;
    server->waker_epoll = -1;
    server->waker_stop = -1;
    server->routes = xmemdup(config->routes, config->route_count * sizeof(*config->routes));
    if (!server->config.request_seconds)
        server->config.request_seconds = 300;
    /* All bodies together may hold this much before new ones are refused. */
    server->body_budget = config->max_body_bytes * 8;
    server->config.routes = server->routes;
    int rc;

    pthread_mutex_init(&server->waiting_lock, NULL);
    server->waker_epoll = epoll_create1(EPOLL_CLOEXEC);
    server->waker_stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (server->waker_epoll < 0 || server->waker_stop < 0) {
        rc = err_set_errno(ERR_IO, "cannot create the response waker");
        goto fail;
    }
    struct epoll_event stop_ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(server->waker_epoll, EPOLL_CTL_ADD, server->waker_stop, &stop_ev);

    if ((rc = bind_socket(server, config->listen)) < 0)
        goto fail;

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME;
    bool tls = config->tls_cert_file && config->tls_key_file;
    if (tls) {
        if ((rc = read_file(&server->tls_cert, config->tls_cert_file)) < 0 ||
            (rc = read_file(&server->tls_key, config->tls_key_file)) < 0)
            goto fail;
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem opts[16];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, server->listen_fd, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
                                        config->workers ? config->workers : 1, NULL};
    /* The per-connection pool holds the request line, the headers and the
     * read buffer, whose size sets how much of a body one recv() takes: a
     * 48 KB pool made a 500 MB upload 20,000 recv() calls. The header limit
     * is checked on its own (on_headers). */
    size_t pool = config->max_header_bytes + 16384;
    if (pool < HTTPD_POOL_MIN)
        pool = HTTPD_POOL_MIN;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)pool, NULL};
    opts[n++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                config->timeout_seconds ? config->timeout_seconds : 60, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, server};
    opts[n++] =
        (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, server};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, 4096, NULL};
    if (tls) {
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, server->tls_cert};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, server->tls_key};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    server->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, server, MHD_OPTION_ARRAY,
                                      opts, MHD_OPTION_END);
    if (!server->daemon) {
        rc = err_set(ERR_IO, "cannot start the HTTP server on '%s'%s", config->listen,
                     tls ? " (check the TLS certificate and key)" : "");
        goto fail;
    }
    if (pthread_create(&server->waker, NULL, waker_main, server) != 0) {
        MHD_stop_daemon(server->daemon);
        server->listen_fd = -1; /* MHD closed it */
        rc = err_set(ERR_IO, "cannot start the response waker thread");
        goto fail;
    }
    server->waker_running = true;
    *out = server;
    return 0;
fail:
    if (server->listen_fd >= 0)
        close(server->listen_fd);
    if (server->waker_epoll >= 0)
        close(server->waker_epoll);
    if (server->waker_stop >= 0)
        close(server->waker_stop);
    pthread_mutex_destroy(&server->waiting_lock);
    free(server->tls_cert);
    free(server->tls_key);
    free(server->routes);
    free(server);
    return rc;
}

const char *httpd_address(const struct httpd *server)
{
    return server->address;
}

void httpd_stop(struct httpd *server, int grace_ms)
{
    if (!server)
        return;
    MHD_socket fd = MHD_quiesce_daemon(server->daemon);
    int64_t deadline = clock_mono_ns() + (int64_t)grace_ms * 1000000;
    while (atomic_load(&server->in_flight) > 0 && clock_mono_ns() < deadline)
        usleep(5000);
    /* MHD must not be stopped with a connection suspended: no source may
     * suspend one from now on, and the waker resumes those that are. */
    pthread_mutex_lock(&server->waiting_lock);
    server->stopping = true;
    pthread_mutex_unlock(&server->waiting_lock);
    uint64_t one = 1;
    if (write(server->waker_stop, &one, sizeof(one)) < 0)
        log_write(LOG_WARN, "http", NULL, "cannot wake the response waker: %s", strerror(errno));
    pthread_join(server->waker, NULL);
    MHD_stop_daemon(server->daemon);
    close(server->waker_epoll);
    close(server->waker_stop);
    pthread_mutex_destroy(&server->waiting_lock);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    free(server->tls_cert);
    free(server->tls_key);
    free(server->routes);
    free(server);
}
