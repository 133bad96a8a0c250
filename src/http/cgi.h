#ifndef SLIPWAY_HTTP_CGI_H
#define SLIPWAY_HTTP_CGI_H

#include "base/response.h"

/*
 * The CGI bridge (RFC 3875): runs a program for one request and answers
 * with what it writes. The program gets exactly the environment it is
 * given (never the server's own, which may hold secrets), the request body
 * on its stdin, and its stdout is parsed as a CGI response: header lines
 * (Status: among them) up to a blank line, then the body, which is passed
 * on to the client as the program writes it, in bounded memory (chunked,
 * through http_response_set_source). Its stderr is kept in a temporary
 * file and written to the server log, bounded, when it ends.
 *
 * The program runs in a process group of its own; the whole group is
 * killed when the client goes away before the body ends, when the server
 * stops, or at the deadline. It is always reaped.
 *
 * cgi_run blocks until the program has written its header block (git
 * http-backend writes it before any work): a thread serving other
 * connections waits that long, and no longer than the deadline.
 */

/* Limits on what a program may write before its body. */
#define CGI_HEADER_BLOCK_MAX (64 * 1024)
#define CGI_HEADERS_MAX      100
/* How much of a program's stderr reaches the log. */
#define CGI_STDERR_LOG_MAX 4096

struct cgi_spec {
    const char *program; /* absolute path */
    /* The child's whole environment: "NAME=value" strings, NULL-terminated. */
    const char *const *env;
    const char *dir; /* working directory; NULL: "/" */
    /* The request body, read from the fd's current offset to its end; -1
     * for none (/dev/null). Borrowed: the caller closes it when it likes. */
    int stdin_fd;
    /* A directory for the stderr file (unlinked at once); NULL: /tmp. */
    const char *tmp_dir;
    /* The longest the program may run, headers and body; 0: 1 hour. */
    int64_t timeout_ms;
    /* For log lines: the request and a short name for the program. */
    const char *request_id;
    const char *name;
    /*
     * Called once, when the program has exited (whatever the reason:
     * finished, killed at the deadline, the client gone), with its wait
     * status, on whichever thread saw it end; then exit_free(exit_ctx).
     * Both may be NULL.
     */
    void (*on_exit)(void *ctx, int wait_status);
    void *exit_ctx;
    void (*exit_free)(void *ctx);
};

/*
 * Starts `spec->program` and fills `resp` from its output: status (Status:,
 * else 302 with a Location:, else 200), headers and a body source. Returns
 * 0, or a negative err with err_msg() set and `resp` untouched when the
 * program cannot be started (ERR_IO) or its output does not start with a
 * valid header block (ERR_INVALID) or not before the deadline
 * (ERR_TIMEOUT); the program has then been killed and reaped, and on_exit
 * has run. exit_ctx is taken in every case.
 */
int cgi_run(struct http_response *resp, const struct cgi_spec *spec);

/*
 * Parses a CGI header block (`len` bytes, the blank line excluded) into
 * `resp`'s status and headers. Lines end with LF or CRLF. Content-Length,
 * Transfer-Encoding and Connection are the server's and are dropped.
 * Returns 0 or ERR_INVALID (a malformed line, a bad status, too many
 * headers) with `resp` then partly filled.
 */
int cgi_parse_headers(struct http_response *resp, const char *block, size_t len);

/*
 * Where the header block ends in `data`: the offset of the body (after the
 * blank line), or 0 when the blank line has not come yet.
 */
size_t cgi_header_end(const char *data, size_t len);

#endif
