/*
 * CloudWatch Logs load: PutLogEvents ingest in 10,000-event batches,
 * GetLogEvents page latency over a large stream, and a wrk script for
 * DescribeLogGroups. The client speaks HTTP/1.1 with keep-alive over a
 * plain socket and signs with slipway's own SigV4 signer; every request
 * of a timed run is built and signed before the clock starts, so what is
 * timed is the server (run by bench/logs_run.sh against slipway and
 * moto_server alike).
 *
 *   logs_bench put    HOST PORT KEY SECRET GROUP BATCHES CONNECTIONS
 *   logs_bench fill   HOST PORT KEY SECRET GROUP STREAM EVENTS
 *   logs_bench scan   HOST PORT KEY SECRET GROUP STREAM MAX_PAGES
 *   logs_bench seek   HOST PORT KEY SECRET GROUP STREAM REQUESTS LIMIT
 *   logs_bench groups HOST PORT KEY SECRET COUNT
 *   logs_bench wrk    HOST PORT KEY SECRET OUT.lua
 */
#include "base/common.h"
#include "aws/sigv4.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/header.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>

#define BATCH_EVENTS 10000
#define TARGET       "Logs_20140328."

struct endpoint {
    const char *host;
    const char *port;
    const char *key;
    const char *secret;
};

static NORETURN void die(const char *what)
{
    fprintf(stderr, "logs_bench: %s\n", what);
    exit(1);
}

/* ---- HTTP -------------------------------------------------------------------------- */

struct conn {
    const struct endpoint *ep;
    int fd;        /* -1 after a "Connection: close" (moto's server): reopened on the next send */
    struct buf in; /* bytes read past the last response */
};

static void conn_connect(struct conn *c)
{
    const struct endpoint *ep = c->ep;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(ep->host, ep->port, &hints, &res) != 0)
        die("cannot resolve the host");
    c->fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, res->ai_addr, res->ai_addrlen) < 0)
        die("cannot connect");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    freeaddrinfo(res);
}

static void conn_open(struct conn *c, const struct endpoint *ep)
{
    c->ep = ep;
    buf_init(&c->in);
    conn_connect(c);
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    buf_release(&c->in);
}

static void send_all(struct conn *c, const char *data, size_t len)
{
    if (c->fd < 0)
        conn_connect(c);
    while (len) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            die("send failed");
        data += n;
        len -= (size_t)n;
    }
}

static void fill(struct conn *c)
{
    buf_grow(&c->in, 65536);
    ssize_t n = recv(c->fd, c->in.data + c->in.len, 65536, 0);
    if (n <= 0)
        die("the server closed the connection");
    buf_setlen(&c->in, c->in.len + (size_t)n);
}

static const char *header_value(const char *head, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':')
            return p + 3 + n;
    return NULL;
}

/* Reads one response; returns its status and leaves the body in `body`. */
static int read_response(struct conn *c, struct buf *body)
{
    char *end;
    while (!(end = memmem(c->in.data, c->in.len, "\r\n\r\n", 4)))
        fill(c);
    size_t head_len = (size_t)(end - c->in.data) + 4;
    char *head = xstrndup(c->in.data, head_len);
    int status = (int)strtol(head + 9, NULL, 10); /* "HTTP/1.1 200" */
    buf_reset(body);
    const char *cl = header_value(head, "Content-Length");
    const char *te = header_value(head, "Transfer-Encoding");
    size_t at = head_len;
    if (cl) {
        size_t len = (size_t)strtoull(cl, NULL, 10);
        while (c->in.len < at + len)
            fill(c);
        buf_add(body, c->in.data + at, len);
        at += len;
    } else if (te && strstr(te, "chunked")) {
        for (;;) {
            char *eol;
            while (!(eol = memmem(c->in.data + at, c->in.len - at, "\r\n", 2)))
                fill(c);
            size_t len = (size_t)strtoull(c->in.data + at, NULL, 16);
            at = (size_t)(eol - c->in.data) + 2;
            while (c->in.len < at + len + 2)
                fill(c);
            buf_add(body, c->in.data + at, len);
            at += len + 2;
            if (len == 0)
                break;
        }
    } else {
        die("a response without a length");
    }
    const char *connection = header_value(head, "Connection");
    if (connection && strncasecmp(connection + strspn(connection, " "), "close", 5) == 0) {
        close(c->fd);
        c->fd = -1;
    }
    free(head);
    memmove(c->in.data, c->in.data + at, c->in.len - at);
    buf_setlen(&c->in, c->in.len - at);
    return status;
}

/* A complete signed request for operation `op` with a JSON body. */
static void build_request(struct buf *out, const struct endpoint *ep, const char *op,
                          const char *body, size_t len)
{
    char host[256], target[128], hash[2 * SHA256_LEN + 1];
    uint8_t digest[SHA256_LEN];
    snprintf(host, sizeof(host), "%s:%s", ep->host, ep->port);
    snprintf(target, sizeof(target), TARGET "%s", op);
    sha256(digest, body, len);
    hex_encode(hash, digest, SHA256_LEN);
    const char *type = "application/x-amz-json-1.1";
    struct header_field headers[] = {
        {"Host", 4, host, strlen(host)},
        {"Content-Type", 12, type, strlen(type)},
        {"X-Amz-Target", 12, target, strlen(target)},
    };
    struct sigv4_request req = {.method = "POST",
                                .path = "/",
                                .headers = headers,
                                .header_count = ARRAY_SIZE(headers),
                                .payload_hash = hash};
    struct sigv4_signer signer = {.access_key_id = ep->key,
                                  .secret_access_key = ep->secret,
                                  .region = "us-east-1",
                                  .service = "logs",
                                  .time_ms = clock_now_ms()};
    struct sigv4_signature sig;
    sigv4_signature_init(&sig);
    if (sigv4_sign(&sig, &signer, &req) < 0)
        die("cannot sign");
    buf_reset(out);
    buf_addf(out,
             "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nX-Amz-Target: %s\r\n"
             "X-Amz-Date: %s\r\nAuthorization: %s\r\nContent-Length: %zu\r\n\r\n",
             host, type, target, sig.amz_date, sig.authorization.data, len);
    buf_add(out, body, len);
    sigv4_signature_release(&sig);
}

/* Sends a request and checks its status; the response body is left in `body`. */
static int call(struct conn *c, const struct endpoint *ep, const char *op, const char *body,
                struct buf *resp)
{
    struct buf req = BUF_INIT;
    build_request(&req, ep, op, body, strlen(body));
    send_all(c, req.data, req.len);
    buf_release(&req);
    return read_response(c, resp);
}

static void call_ok(struct conn *c, const struct endpoint *ep, const char *op, const char *body,
                    bool exists_ok)
{
    struct buf resp = BUF_INIT;
    int status = call(c, ep, op, body, &resp);
    if (status != 200 && !(exists_ok && strstr(resp.data, "AlreadyExists"))) {
        fprintf(stderr, "logs_bench: %s answered %d: %.300s\n", op, status, resp.data);
        exit(1);
    }
    buf_release(&resp);
}

static void make_stream(const struct endpoint *ep, const char *group, const char *stream)
{
    struct conn c;
    struct buf body = BUF_INIT;
    conn_open(&c, ep);
    buf_addf(&body, "{\"logGroupName\":\"%s\"}", group);
    call_ok(&c, ep, "CreateLogGroup", body.data, true);
    buf_reset(&body);
    buf_addf(&body, "{\"logGroupName\":\"%s\",\"logStreamName\":\"%s\"}", group, stream);
    call_ok(&c, ep, "CreateLogStream", body.data, true);
    buf_release(&body);
    conn_close(&c);
}

/* ---- PutLogEvents ------------------------------------------------------------------ */

/* A batch of 10,000 build-output-like lines (about 70 bytes: 10,000 of them must
 * fit AWS's 1 MB batch with 26 bytes each), one ms apart. */
static void put_body(struct buf *out, const char *group, const char *stream, int64_t ts0,
                     unsigned seq)
{
    buf_reset(out);
    buf_addf(out, "{\"logGroupName\":\"%s\",\"logStreamName\":\"%s\",\"logEvents\":[", group,
             stream);
    for (unsigned i = 0; i < BATCH_EVENTS; i++)
        buf_addf(out,
                 "%s{\"timestamp\":%" PRId64 ",\"message\":\"[Container] %u/%05u gcc -O2 -c "
                 "src/module_%02u.c -o build/m%02u.o (%u ms)\"}",
                 i ? "," : "", ts0 + i, seq, i, i % 97, i % 97, (i * 7) % 300);
    buf_adds(out, "]}");
}

static double percentile(double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct put_worker {
    const struct endpoint *ep;
    struct buf *requests;
    size_t count;
    double *latency_ms;
};

static void *put_run(void *arg)
{
    struct put_worker *w = arg;
    struct conn c;
    struct buf resp = BUF_INIT;
    conn_open(&c, w->ep);
    for (size_t i = 0; i < w->count; i++) {
        int64_t t = clock_mono_ns();
        send_all(&c, w->requests[i].data, w->requests[i].len);
        int status = read_response(&c, &resp);
        w->latency_ms[i] = (double)(clock_mono_ns() - t) / 1e6;
        if (status != 200) {
            fprintf(stderr, "logs_bench: PutLogEvents answered %d: %.300s\n", status, resp.data);
            exit(1);
        }
    }
    buf_release(&resp);
    conn_close(&c);
    return NULL;
}

static void bench_put(const struct endpoint *ep, const char *group, size_t batches, size_t conns)
{
    if (conns == 0 || conns > 16 || batches < conns)
        die("put: 1..16 connections, at least one batch each");
    struct put_worker workers[16];
    pthread_t threads[16];
    struct buf body = BUF_INIT;
    int64_t now = clock_now_ms();
    size_t per = batches / conns;
    for (size_t w = 0; w < conns; w++) {
        char stream[64];
        snprintf(stream, sizeof(stream), "ingest-%zu", w);
        make_stream(ep, group, stream);
        workers[w] = (struct put_worker){ep, xcalloc(per, sizeof(struct buf)), per,
                                         xcalloc(per, sizeof(double))};
        for (size_t i = 0; i < per; i++) {
            /* Batches march forward in time, within the 14-day window. */
            put_body(&body, group, stream, now - 12 * 3600000LL + (int64_t)i * BATCH_EVENTS,
                     (unsigned)i);
            buf_init(&workers[w].requests[i]);
            build_request(&workers[w].requests[i], ep, "PutLogEvents", body.data, body.len);
        }
    }
    size_t body_bytes = body.len;
    buf_release(&body);

    int64_t start = clock_mono_ns();
    for (size_t w = 0; w < conns; w++)
        pthread_create(&threads[w], NULL, put_run, &workers[w]);
    for (size_t w = 0; w < conns; w++)
        pthread_join(threads[w], NULL);
    double secs = (double)(clock_mono_ns() - start) / 1e9;

    double *all = xcalloc(per * conns, sizeof(double));
    for (size_t w = 0; w < conns; w++) {
        memcpy(all + w * per, workers[w].latency_ms, per * sizeof(double));
        for (size_t i = 0; i < per; i++)
            buf_release(&workers[w].requests[i]);
        free(workers[w].requests);
        free(workers[w].latency_ms);
    }
    qsort(all, per * conns, sizeof(double), compare_doubles);
    size_t events = per * conns * BATCH_EVENTS;
    printf("put: %zu events in %zu batches of %d (%.0f KB each) over %zu connection(s): "
           "%.2f s, %.0f events/s, batch p50 %.1f ms, p99 %.1f ms\n",
           events, per * conns, BATCH_EVENTS, (double)body_bytes / 1024, conns, secs,
           (double)events / secs, percentile(all, per * conns, 0.5),
           percentile(all, per * conns, 0.99));
    free(all);
}

static void bench_fill(const struct endpoint *ep, const char *group, const char *stream,
                       size_t events)
{
    make_stream(ep, group, stream);
    struct conn c;
    struct buf body = BUF_INIT, req = BUF_INIT, resp = BUF_INIT;
    conn_open(&c, ep);
    /* The stream spans events milliseconds, ending now. */
    int64_t ts0 = clock_now_ms() - (int64_t)events;
    for (size_t i = 0; i * BATCH_EVENTS < events; i++) {
        put_body(&body, group, stream, ts0 + (int64_t)(i * BATCH_EVENTS), (unsigned)i);
        build_request(&req, ep, "PutLogEvents", body.data, body.len);
        send_all(&c, req.data, req.len);
        if (read_response(&c, &resp) != 200) {
            fprintf(stderr, "logs_bench: fill failed: %.300s\n", resp.data);
            exit(1);
        }
    }
    printf("fill: %zu events in %s/%s\n", events, group, stream);
    buf_release(&body);
    buf_release(&req);
    buf_release(&resp);
    conn_close(&c);
}

/* ---- GetLogEvents ------------------------------------------------------------------ */

static size_t count_events(const char *json)
{
    size_t n = 0;
    for (const char *p = json; (p = strstr(p, "\"ingestionTime\"")); p++)
        n++;
    return n;
}

static void report_latency(const char *what, double *ms, size_t n, size_t events, size_t bytes)
{
    qsort(ms, n, sizeof(double), compare_doubles);
    printf("%s: %zu requests, %zu events (%.1f MB): p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, "
           "max %.2f ms\n",
           what, n, events, (double)bytes / 1048576, percentile(ms, n, 0.5), percentile(ms, n, 0.9),
           percentile(ms, n, 0.99), ms[n - 1]);
}

/* Pages forward through the whole stream with default pages (1 MB / 10,000 events). */
static void bench_scan(const struct endpoint *ep, const char *group, const char *stream,
                       size_t max_pages)
{
    struct conn c;
    struct buf body = BUF_INIT, req = BUF_INIT, resp = BUF_INIT;
    double *ms = xcalloc(max_pages, sizeof(double));
    char token[256] = "";
    size_t n = 0, events = 0, bytes = 0;
    conn_open(&c, ep);
    while (n < max_pages) {
        buf_reset(&body);
        buf_addf(&body, "{\"logGroupName\":\"%s\",\"logStreamName\":\"%s\",\"startFromHead\":true",
                 group, stream);
        if (token[0])
            buf_addf(&body, ",\"nextToken\":\"%s\"", token);
        buf_adds(&body, "}");
        build_request(&req, ep, "GetLogEvents", body.data, body.len);
        int64_t t = clock_mono_ns();
        send_all(&c, req.data, req.len);
        int status = read_response(&c, &resp);
        ms[n] = (double)(clock_mono_ns() - t) / 1e6;
        if (status != 200)
            die("GetLogEvents failed");
        size_t got = count_events(resp.data);
        const char *next = strstr(resp.data, "\"nextForwardToken\"");
        if (!next || got == 0)
            break; /* the page at the end: not counted */
        next = strchr(next + 18, '"');
        const char *close = next ? strchr(next + 1, '"') : NULL;
        if (!close || (size_t)(close - next) >= sizeof(token))
            die("no forward token");
        memcpy(token, next + 1, (size_t)(close - next - 1));
        token[close - next - 1] = '\0';
        events += got;
        bytes += resp.len;
        n++;
    }
    report_latency("get (forward scan, default pages)", ms, n, events, bytes);
    free(ms);
    buf_release(&body);
    buf_release(&req);
    buf_release(&resp);
    conn_close(&c);
}

/* Pages of `limit` events from random points of the stream. */
static void bench_seek(const struct endpoint *ep, const char *group, const char *stream,
                       size_t requests, size_t limit, size_t span)
{
    struct conn c;
    struct buf body = BUF_INIT, resp = BUF_INIT;
    struct buf *reqs = xcalloc(requests, sizeof(*reqs));
    double *ms = xcalloc(requests, sizeof(double));
    int64_t now = clock_now_ms();
    uint64_t seed = 42;
    for (size_t i = 0; i < requests; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t start = now - (int64_t)span + (int64_t)((seed >> 33) % span);
        buf_reset(&body);
        buf_addf(&body,
                 "{\"logGroupName\":\"%s\",\"logStreamName\":\"%s\",\"startFromHead\":true,"
                 "\"startTime\":%" PRId64 ",\"limit\":%zu}",
                 group, stream, start, limit);
        buf_init(&reqs[i]);
        build_request(&reqs[i], ep, "GetLogEvents", body.data, body.len);
    }
    size_t events = 0, bytes = 0;
    conn_open(&c, ep);
    for (size_t i = 0; i < requests; i++) {
        int64_t t = clock_mono_ns();
        send_all(&c, reqs[i].data, reqs[i].len);
        int status = read_response(&c, &resp);
        ms[i] = (double)(clock_mono_ns() - t) / 1e6;
        if (status != 200)
            die("GetLogEvents failed");
        events += count_events(resp.data);
        bytes += resp.len;
        buf_release(&reqs[i]);
    }
    char what[96];
    snprintf(what, sizeof(what), "get (random start, limit %zu)", limit);
    report_latency(what, ms, requests, events, bytes);
    free(reqs);
    free(ms);
    buf_release(&body);
    buf_release(&resp);
    conn_close(&c);
}

/* ---- DescribeLogGroups ------------------------------------------------------------- */

static void bench_groups(const struct endpoint *ep, size_t count)
{
    struct conn c;
    struct buf body = BUF_INIT;
    conn_open(&c, ep);
    for (size_t i = 0; i < count; i++) {
        buf_reset(&body);
        buf_addf(&body, "{\"logGroupName\":\"/bench/service-%03zu\"}", i);
        call_ok(&c, ep, "CreateLogGroup", body.data, true);
    }
    buf_release(&body);
    conn_close(&c);
    printf("groups: %zu created\n", count);
}

/* A wrk script replaying one signed DescribeLogGroups (a page of 50). */
static void write_wrk(const struct endpoint *ep, const char *path)
{
    const char *body = "{\"logGroupNamePrefix\":\"/bench/\",\"limit\":50}";
    struct buf req = BUF_INIT;
    build_request(&req, ep, "DescribeLogGroups", body, strlen(body));
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot write the wrk script");
    fprintf(f, "wrk.method = \"POST\"\nwrk.body = '%s'\n", body);
    /* The headers of the signed request, one per line after the request line. */
    char *line = strstr(req.data, "\r\n") + 2;
    while (strncmp(line, "\r\n", 2) != 0) {
        char *end = strstr(line, "\r\n");
        char *colon = memchr(line, ':', (size_t)(end - line));
        if (strncasecmp(line, "Content-Length", 14) != 0 && strncasecmp(line, "Host", 4) != 0)
            fprintf(f, "wrk.headers[\"%.*s\"] = \"%.*s\"\n", (int)(colon - line), line,
                    (int)(end - colon - 2), colon + 2);
        line = end + 2;
    }
    fclose(f);
    buf_release(&req);
}

static size_t number(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || end == s)
        die("a count is not a number");
    return (size_t)v;
}

int main(int argc, char **argv)
{
    if (argc < 6)
        die("usage: logs_bench put|fill|scan|seek|groups|wrk HOST PORT KEY SECRET ...");
    struct endpoint ep = {argv[2], argv[3], argv[4], argv[5]};
    const char *mode = argv[1];
    if (strcmp(mode, "put") == 0 && argc == 9)
        bench_put(&ep, argv[6], number(argv[7]), number(argv[8]));
    else if (strcmp(mode, "fill") == 0 && argc == 9)
        bench_fill(&ep, argv[6], argv[7], number(argv[8]));
    else if (strcmp(mode, "scan") == 0 && argc == 9)
        bench_scan(&ep, argv[6], argv[7], number(argv[8]));
    else if (strcmp(mode, "seek") == 0 && argc == 11)
        bench_seek(&ep, argv[6], argv[7], number(argv[8]), number(argv[9]), number(argv[10]));
    else if (strcmp(mode, "groups") == 0 && argc == 7)
        bench_groups(&ep, number(argv[6]));
    else if (strcmp(mode, "wrk") == 0 && argc == 7)
        write_wrk(&ep, argv[6]);
    else
        die("bad arguments (see the comment at the top of bench/logs_bench.c)");
    return 0;
}
