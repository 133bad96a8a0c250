/*
 * The CGI bridge (src/http/cgi.c): header blocks, status, a body streamed
 * from the program in pieces, stdin from a file, a clean environment, a
 * program that dies or overruns its deadline, a client that goes away;
 * and the HTTP server sending a source body chunked, suspended between
 * pieces (src/http/httpd.c).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/common.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "http/cgi.h"
#include "http/httpd.h"

#include <cmocka.h>

static char dir[] = "/tmp/slipway-cgi-XXXXXX";

static const char *const clean_env[] = {"PATH=/usr/bin:/bin", "CGI_TEST=yes", NULL};

/* A shell script in the test directory; returns its path (static). */
static const char *script(const char *name, const char *body)
{
    static char path[4][256];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, 256, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    chmod(p, 0755);
    return p;
}

struct exit_record {
    int calls;
    int status;
    int freed;
};

static void record_exit(void *ctx, int status)
{
    struct exit_record *r = ctx;
    r->calls++;
    r->status = status;
}

static void record_free(void *ctx)
{
    struct exit_record *r = ctx;
    r->freed++;
}

static struct cgi_spec spec_for(const char *program, struct exit_record *rec)
{
    return (struct cgi_spec){
        .program = program,
        .env = clean_env,
        .dir = dir,
        .stdin_fd = -1,
        .tmp_dir = dir,
        .timeout_ms = 10000,
        .name = "test",
        .on_exit = record_exit,
        .exit_ctx = rec,
        .exit_free = record_free,
    };
}

/* Reads the whole body, waiting on the source's fd as the server does. */
static ssize_t drain(struct http_response *resp, struct buf *out)
{
    char chunk[65536];
    for (;;) {
        ssize_t n = resp->source.read(resp->source.state, chunk, sizeof(chunk));
        if (n > 0) {
            buf_add(out, chunk, (size_t)n);
            continue;
        }
        if (n == HTTP_SOURCE_WAIT) {
            struct pollfd pfd = {.fd = resp->source.wait_fd, .events = POLLIN};
            poll(&pfd, 1, 1000);
            continue;
        }
        return n;
    }
}

static void assert_no_children(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void test_header_end(void **state)
{
    (void)state;
    assert_int_equal(cgi_header_end("A: b\r\n\r\nbody", 12), 8);
    assert_int_equal(cgi_header_end("A: b\n\nbody", 10), 6);
    assert_int_equal(cgi_header_end("A: b\r\nC: d\r\n", 12), 0);
    assert_int_equal(cgi_header_end("\r\nbody", 6), 2);
    assert_int_equal(cgi_header_end("\nbody", 5), 1);
    assert_int_equal(cgi_header_end("A: b\r\n\r", 7), 0);
}

static void test_parse_headers(void **state)
{
    (void)state;
    struct http_response resp;
    http_response_init(&resp);
    const char block[] = "Status: 404 Not Found\r\nContent-Type: text/plain\r\n"
                         "Content-Length: 12\r\nX-Thing:  spaced  \r\n";
    assert_int_equal(cgi_parse_headers(&resp, block, sizeof(block) - 1), 0);
    assert_int_equal(resp.status, 404);
    assert_string_equal(http_response_header(&resp, "content-type"), "text/plain");
    assert_string_equal(http_response_header(&resp, "X-Thing"), "spaced");
    /* The server frames the body itself. */
    assert_null(http_response_header(&resp, "Content-Length"));
    http_response_release(&resp);

    const char redirect[] = "Location: /elsewhere\n";
    assert_int_equal(cgi_parse_headers(&resp, redirect, sizeof(redirect) - 1), 0);
    assert_int_equal(resp.status, 302);
    http_response_release(&resp);

    const char plain[] = "Content-Type: a/b\n";
    assert_int_equal(cgi_parse_headers(&resp, plain, sizeof(plain) - 1), 0);
    assert_int_equal(resp.status, 200);
    http_response_release(&resp);

    static const char *const bad[] = {
        "no colon here\r\n",
        ": no name\r\n",
        "Bad Name: x\r\n",
        "Status: abc\r\n",
        "Status: 999 x\r\n",
        "X: a\001b\r\n",
        "Status: 20\r\n",
        "Status: 2000 x\r\n",
        /* Interim statuses: as a final one, the body would read as the
         * next response. */
        "Status: 100 Continue\r\n",
        "Status: 101 Switching Protocols\r\n",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_int_equal(cgi_parse_headers(&resp, bad[i], strlen(bad[i])), ERR_INVALID);
        http_response_release(&resp);
    }
    struct buf many = BUF_INIT;
    for (int i = 0; i <= CGI_HEADERS_MAX; i++)
        buf_addf(&many, "X-%d: v\n", i);
    assert_int_equal(cgi_parse_headers(&resp, many.data, many.len), ERR_INVALID);
    http_response_release(&resp);
    buf_release(&many);
}

static void test_run_streams_a_large_body(void **state)
{
    (void)state;
    struct exit_record rec = {0};
    const char *prog =
        script("big.sh", "printf 'Status: 201 Created\\r\\nContent-Type: x/y\\r\\n\\r\\n'\n"
                         "head -c 3000000 /dev/zero\nsleep 0.1\nprintf end");
    struct cgi_spec spec = spec_for(prog, &rec);
    struct http_response resp;
    http_response_init(&resp);
    assert_int_equal(cgi_run(&resp, &spec), 0);
    assert_int_equal(resp.status, 201);
    assert_string_equal(http_response_header(&resp, "Content-Type"), "x/y");
    assert_non_null(resp.source.read);
    struct buf body = BUF_INIT;
    assert_int_equal(drain(&resp, &body), 0);
    assert_int_equal(body.len, 3000003);
    assert_memory_equal(body.data + 3000000, "end", 3);
    assert_int_equal(rec.calls, 1);
    assert_true(WIFEXITED(rec.status) && WEXITSTATUS(rec.status) == 0);
    http_response_release(&resp);
    assert_int_equal(rec.freed, 1);
    assert_no_children();
    buf_release(&body);
}

static void test_stdin_and_clean_environment(void **state)
{
    (void)state;
    setenv("SLIPWAY_MASTER_KEY", "must-not-leak", 1);
    struct exit_record rec = {0};
    const char *prog = script("echo.sh", "printf 'Content-Type: text/plain\\n\\n'\n"
                                         "cat\necho\nenv | sort\npwd");
    char body_path[300];
    snprintf(body_path, sizeof(body_path), "%s/body", dir);
    int fd = open(body_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "request body", 12), 12);
    lseek(fd, 0, SEEK_SET);
    struct cgi_spec spec = spec_for(prog, &rec);
    spec.stdin_fd = fd;
    struct http_response resp;
    http_response_init(&resp);
    assert_int_equal(cgi_run(&resp, &spec), 0);
    struct buf body = BUF_INIT;
    assert_int_equal(drain(&resp, &body), 0);
    assert_non_null(strstr(body.data, "request body\n"));
    assert_non_null(strstr(body.data, "CGI_TEST=yes"));
    assert_null(strstr(body.data, "SLIPWAY_MASTER_KEY"));
    assert_null(strstr(body.data, "must-not-leak"));
    assert_non_null(strstr(body.data, dir)); /* pwd: the working directory */
    http_response_release(&resp);
    close(fd);
    buf_release(&body);
    unsetenv("SLIPWAY_MASTER_KEY");
    assert_no_children();
}

static void test_program_without_headers_fails(void **state)
{
    (void)state;
    struct exit_record rec = {0};
    const char *prog = script("silent.sh", "echo oops >&2\nexit 3");
    struct cgi_spec spec = spec_for(prog, &rec);
    struct http_response resp;
    http_response_init(&resp);
    http_response_add_header(&resp, "Kept", "yes");
    assert_int_equal(cgi_run(&resp, &spec), ERR_INVALID);
    assert_string_equal(http_response_header(&resp, "Kept"), "yes"); /* untouched */
    assert_int_equal(rec.calls, 1);
    assert_true(WIFEXITED(rec.status) && WEXITSTATUS(rec.status) == 3);
    assert_int_equal(rec.freed, 1);
    http_response_release(&resp);
    assert_no_children();

    /* A program that cannot start: exit_ctx is still freed. */
    struct exit_record rec2 = {0};
    spec = spec_for("/nonexistent/program", &rec2);
    http_response_init(&resp);
    assert_int_equal(cgi_run(&resp, &spec), ERR_IO);
    assert_int_equal(rec2.calls, 0);
    assert_int_equal(rec2.freed, 1);
    http_response_release(&resp);
}

static void test_program_dying_mid_body(void **state)
{
    (void)state;
    struct exit_record rec = {0};
    const char *prog = script("dies.sh", "printf 'Content-Type: a/b\\r\\n\\r\\npart'\nkill -9 $$");
    struct cgi_spec spec = spec_for(prog, &rec);
    struct http_response resp;
    http_response_init(&resp);
    assert_int_equal(cgi_run(&resp, &spec), 0);
    struct buf body = BUF_INIT;
    assert_int_equal(drain(&resp, &body), 0);
    assert_string_equal(body.data, "part");
    assert_int_equal(rec.calls, 1);
    assert_true(WIFSIGNALED(rec.status) && WTERMSIG(rec.status) == SIGKILL);
    http_response_release(&resp);
    buf_release(&body);
    assert_no_children();
}

static void test_deadline_kills_the_group(void **state)
{
    (void)state;
    struct exit_record rec = {0};
    /* The grandchild holds stdout too: only killing the group ends it. */
    const char *prog = script("slow.sh", "printf 'Content-Type: a/b\\n\\n'\nsleep 30 &\nsleep 30");
    struct cgi_spec spec = spec_for(prog, &rec);
    spec.timeout_ms = 300;
    struct http_response resp;
    http_response_init(&resp);
    int64_t start = clock_mono_ns();
    assert_int_equal(cgi_run(&resp, &spec), 0);
    struct buf body = BUF_INIT;
    assert_int_equal(drain(&resp, &body), -1);
    assert_true(clock_mono_ns() - start < 5000000000LL);
    assert_int_equal(rec.calls, 1);
    assert_true(WIFSIGNALED(rec.status));
    http_response_release(&resp);
    buf_release(&body);
    assert_no_children();
}

static void test_client_gone_kills(void **state)
{
    (void)state;
    struct exit_record rec = {0};
    const char *prog = script("forever.sh", "printf 'Content-Type: a/b\\n\\nx'\nexec sleep 30");
    struct cgi_spec spec = spec_for(prog, &rec);
    struct http_response resp;
    http_response_init(&resp);
    int64_t start = clock_mono_ns();
    assert_int_equal(cgi_run(&resp, &spec), 0);
    /* The response is dropped unsent, as when the connection closes. */
    http_response_release(&resp);
    assert_true(clock_mono_ns() - start < 5000000000LL);
    assert_int_equal(rec.calls, 1);
    assert_true(WIFSIGNALED(rec.status) && WTERMSIG(rec.status) == SIGKILL);
    assert_int_equal(rec.freed, 1);
    assert_no_children();
}

static void test_stale_errno_does_not_cut_the_grace(void **state)
{
    (void)state;
    struct exit_record rec = {0};
    /* Closes its stdout, then takes a moment to exit cleanly. */
    const char *prog =
        script("linger.sh", "printf 'Content-Type: a/b\\n\\nbody'\nexec 1>&-\nsleep 0.3\nexit 0");
    struct cgi_spec spec = spec_for(prog, &rec);
    struct http_response resp;
    http_response_init(&resp);
    assert_int_equal(cgi_run(&resp, &spec), 0);
    char chunk[256];
    ssize_t n;
    /* Whatever errno the thread had before (an earlier waitpid's ECHILD)
     * must not be taken for the program having gone. */
    do {
        errno = ECHILD;
        n = resp.source.read(resp.source.state, chunk, sizeof(chunk));
        if (n == HTTP_SOURCE_WAIT) {
            struct pollfd pfd = {.fd = resp.source.wait_fd, .events = POLLIN};
            poll(&pfd, 1, 1000);
        }
    } while (n != 0 && n != -1);
    assert_int_equal(n, 0);
    assert_int_equal(rec.calls, 1);
    assert_true(WIFEXITED(rec.status) && WEXITSTATUS(rec.status) == 0);
    http_response_release(&resp);
    assert_no_children();
}

static void test_server_with_stdio_closed(void **state)
{
    (void)state;
    struct exit_record rec = {0};
    const char *prog = script("stdio.sh", "printf 'Content-Type: a/b\\n\\n'\ncat\necho oops >&2");
    char body_path[300];
    snprintf(body_path, sizeof(body_path), "%s/stdio-body", dir);
    int body = open(body_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(body > 2);
    assert_int_equal(write(body, "request body", 12), 12);
    lseek(body, 0, SEEK_SET);
    int saved = fcntl(0, F_DUPFD_CLOEXEC, 10);
    assert_true(saved >= 0);
    /* fd 0 closed, as in a server started with it closed: the next
     * descriptor the bridge makes (its stderr file) gets number 0. */
    close(0);
    struct cgi_spec spec = spec_for(prog, &rec);
    spec.stdin_fd = body;
    struct http_response resp;
    http_response_init(&resp);
    int rc = cgi_run(&resp, &spec);
    struct buf out = BUF_INIT;
    ssize_t drained = rc == 0 ? drain(&resp, &out) : -1;
    http_response_release(&resp);
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    assert_int_equal(rc, 0);
    assert_int_equal(drained, 0);
    /* The program read the body on its stdin, and its stderr went to its
     * own file, not into the body. */
    assert_string_equal(out.data, "request body");
    struct stat st;
    assert_int_equal(fstat(body, &st), 0);
    assert_int_equal(st.st_size, 12);
    close(body);
    buf_release(&out);
    assert_no_children();
}

/* --- Through the HTTP server -------------------------------------------- */

static const char *served_program;

static void cgi_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
    (void)ctx;
    (void)req;
    struct cgi_spec spec = {
        .program = served_program,
        .env = clean_env,
        .stdin_fd = -1,
        .tmp_dir = dir,
        .timeout_ms = 10000,
        .name = "served",
    };
    if (cgi_run(resp, &spec) < 0)
        http_response_set(resp, 502, "text/plain", "bad", 3);
}

static void test_httpd_sends_source_chunked(void **state)
{
    (void)state;
    served_program =
        script("served.sh", "printf 'Status: 202 Accepted\\r\\nX-From: cgi\\r\\n\\r\\n'\n"
                            "printf first\nsleep 0.3\nprintf second\nsleep 1.2\n"
                            "head -c 200000 /dev/zero | tr '\\0' z");
    const struct http_route routes[] = {{"/", cgi_handle, NULL, NULL, NULL}};
    struct httpd_config cfg = {
        .listen = "127.0.0.1:0",
        .workers = 1,
        .max_header_bytes = 16384,
        .max_body_bytes = 1 << 20,
        .timeout_seconds = 10,
        .routes = routes,
        .route_count = 1,
    };
    struct httpd *server;
    assert_int_equal(httpd_start(&server, &cfg), 0);
    const char *addr = httpd_address(server);
    int port = (int)strtol(strrchr(addr, ':') + 1, NULL, 10);

    /* Two clients at once on the one worker thread: the second is served
     * while the first one's program sleeps (its connection is suspended,
     * not blocking the thread). */
    int fds[2];
    for (int i = 0; i < 2; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
        assert_int_equal(connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
        const char req[] = "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        assert_int_equal(write(fds[i], req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
    }
    int64_t start = clock_mono_ns();
    for (int i = 0; i < 2; i++) {
        struct buf got = BUF_INIT;
        char chunk[65536];
        ssize_t n;
        while ((n = read(fds[i], chunk, sizeof(chunk))) > 0)
            buf_add(&got, chunk, (size_t)n);
        close(fds[i]);
        assert_non_null(strstr(got.data, "HTTP/1.1 202"));
        assert_non_null(strcasestr(got.data, "Transfer-Encoding: chunked"));
        assert_non_null(strcasestr(got.data, "X-From: cgi"));
        assert_non_null(strstr(got.data, "first"));
        assert_non_null(strstr(got.data, "second"));
        /* 200,000 z's arrive, in chunks. */
        size_t zs = 0;
        const char *body = strstr(got.data, "\r\n\r\n");
        assert_non_null(body);
        for (size_t k = (size_t)(body - got.data); k < got.len; k++)
            zs += got.data[k] == 'z';
        assert_int_equal(zs, 200000);
        assert_non_null(strstr(got.data, "\r\n0\r\n\r\n"));
        buf_release(&got);
    }
    /* Both ran side by side: about 1.5 s, not 3. */
    assert_true(clock_mono_ns() - start < 2800000000LL);
    httpd_stop(server, 1000);
    assert_no_children();
}

static int remove_tree(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd);
}

static int group_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    return mkdtemp(dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    return remove_tree() == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_end),
        cmocka_unit_test(test_parse_headers),
        cmocka_unit_test(test_run_streams_a_large_body),
        cmocka_unit_test(test_stdin_and_clean_environment),
        cmocka_unit_test(test_program_without_headers_fails),
        cmocka_unit_test(test_program_dying_mid_body),
        cmocka_unit_test(test_deadline_kills_the_group),
        cmocka_unit_test(test_client_gone_kills),
        cmocka_unit_test(test_stale_errno_does_not_cut_the_grace),
        cmocka_unit_test(test_server_with_stdio_closed),
        cmocka_unit_test(test_httpd_sends_source_chunked),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
