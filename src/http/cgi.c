#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/common.h"
#include "http/cgi.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/header.h"
#include "base/log.h"

#define CGI_DEFAULT_TIMEOUT_MS (60LL * 60 * 1000)
/* How long a program that closed its stdout may take to exit. */
#define CGI_EXIT_GRACE_MS 5000

/* A running program and the body still to come from it. */
struct cgi_process {
    pid_t pid;
    int out_fd; /* the read end of its stdout, non-blocking */
    int err_fd; /* its stderr, an unlinked file */
    int64_t deadline_ns;
    /* Body bytes that came with the header block. */
    char *pending;
    size_t pending_len;
    size_t pending_off;
    bool ended; /* reaped, on_exit called */
    char request_id[64];
    char name[64];
    void (*on_exit)(void *ctx, int wait_status);
    void *exit_ctx;
    void (*exit_free)(void *ctx);
};

size_t cgi_header_end(const char *data, size_t len)
{
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        if (!nl)
            return 0;
        size_t line_len = (size_t)(nl - (data + pos));
        if (line_len == 0 || (line_len == 1 && data[pos] == '\r'))
            return (size_t)(nl - data) + 1;
        pos += line_len + 1;
    }
    return 0;
}

static bool is_token_char(int c)
{
    return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

static int parse_status(int *out, const char *value, size_t len)
{
    if (len < 3 || !isdigit((unsigned char)value[0]) || !isdigit((unsigned char)value[1]) ||
        !isdigit((unsigned char)value[2]) || (len > 3 && value[3] != ' '))
        return err_set(ERR_INVALID, "CGI status '%.*s' is not a 3-digit code", (int)len, value);
    int status = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
    /* A 1xx is interim: sent as the final status, the client would read
     * the body that follows as the next response. */
    if (status < 200 || status > 599)
        return err_set(ERR_INVALID, "CGI status %d is out of range", status);
    *out = status;
    return 0;
}

int cgi_parse_headers(struct http_response *resp, const char *block, size_t len)
{
    int status = 0;
    bool location = false;
    size_t count = 0;
    for (size_t pos = 0; pos < len;) {
        const char *line = block + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - line) : len - pos;
        pos += line_len + (nl != NULL);
        if (line_len && line[line_len - 1] == '\r')
            line_len--;
        if (line_len == 0)
            continue;
        const char *colon = memchr(line, ':', line_len);
        if (!colon || colon == line)
            return err_set(ERR_INVALID, "CGI header line '%.*s' has no name", (int)line_len, line);
        size_t name_len = (size_t)(colon - line);
        for (size_t i = 0; i < name_len; i++)
            if (!is_token_char((unsigned char)line[i]))
                return err_set(ERR_INVALID, "CGI header name '%.*s' is not a token", (int)name_len,
                               line);
        const char *value = colon + 1;
        size_t value_len = line_len - name_len - 1;
        while (value_len && (*value == ' ' || *value == '\t')) {
            value++;
            value_len--;
        }
        while (value_len && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t'))
            value_len--;
        for (size_t i = 0; i < value_len; i++)
            if ((unsigned char)value[i] < 32 && value[i] != '\t')
                return err_set(ERR_INVALID, "CGI header '%.*s' has a control character",
                               (int)name_len, line);
        if (++count > CGI_HEADERS_MAX)
            return err_set(ERR_INVALID, "more than %d CGI headers", CGI_HEADERS_MAX);
        if (slice_eq_nocase(line, name_len, "Status")) {
            if (parse_status(&status, value, value_len) < 0)
                return ERR_INVALID;
            continue;
        }
        if (slice_eq_nocase(line, name_len, "Content-Length") ||
            slice_eq_nocase(line, name_len, "Transfer-Encoding") ||
            slice_eq_nocase(line, name_len, "Connection"))
            continue;
        if (slice_eq_nocase(line, name_len, "Location"))
            location = true;
        char *name = xstrndup(line, name_len);
        char *val = xstrndup(value, value_len);
        http_response_add_header(resp, name, val);
        free(name);
        free(val);
    }
    resp->status = status ? status : location ? 302 : 200;
    return 0;
}

/* Writes what the program said on stderr to the log, bounded. */
static void log_stderr(struct cgi_process *p, int wait_status, bool killed)
{
    char text[CGI_STDERR_LOG_MAX + 1];
    ssize_t n = pread(p->err_fd, text, CGI_STDERR_LOG_MAX, 0);
    if (n < 0)
        n = 0;
    text[n] = '\0';
    struct stat st;
    bool truncated = fstat(p->err_fd, &st) == 0 && st.st_size > (off_t)n;
    bool failed = killed || !WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0;
    if (n == 0 && !failed)
        return;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    char how[64];
    if (killed)
        snprintf(how, sizeof(how), "was killed");
    else if (WIFEXITED(wait_status))
        snprintf(how, sizeof(how), "exited with %d", WEXITSTATUS(wait_status));
    else
        snprintf(how, sizeof(how), "died of signal %d", WTERMSIG(wait_status));
    log_write(failed ? LOG_WARN : LOG_INFO, "cgi", p->request_id[0] ? p->request_id : NULL,
              "'%s' %s%s%s%s", p->name, how, n ? ": " : "", text,
              truncated ? " (stderr truncated)" : "");
}

/*
 * Ends the program: kills its group when `kill_group` (or when it does not
 * exit within the grace after closing its stdout), reaps it, logs its
 * stderr and runs on_exit. Idempotent.
 */
static void cgi_end(struct cgi_process *p, bool kill_group)
{
    if (p->ended)
        return;
    p->ended = true;
    int wait_status = 0;
    if (kill_group)
        kill(-p->pid, SIGKILL);
    /* Wait without reaping, so the group id stays reserved while what is
     * left of the group (a hook's stray child) is killed. */
    int64_t deadline = clock_mono_ns() + (int64_t)CGI_EXIT_GRACE_MS * 1000000;
    for (;;) {
        siginfo_t info = {0};
        /* With WNOHANG and the child still running, waitid returns 0 and
         * leaves errno as it was: a stale ECHILD must not end the wait. */
        errno = 0;
        if (waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOWAIT | WNOHANG) == 0 &&
            info.si_pid == p->pid)
            break;
        if (errno == ECHILD)
            break;
        if (clock_mono_ns() > deadline) {
            kill_group = true;
            kill(-p->pid, SIGKILL);
            deadline = INT64_MAX;
        }
        usleep(1000);
    }
    kill(-p->pid, SIGKILL);
    while (waitpid(p->pid, &wait_status, 0) < 0 && errno == EINTR)
        ;
    log_stderr(p, wait_status, kill_group);
    if (p->on_exit)
        p->on_exit(p->exit_ctx, wait_status);
    if (p->exit_free)
        p->exit_free(p->exit_ctx);
    p->exit_ctx = NULL;
}

static void cgi_process_free(struct cgi_process *p)
{
    if (!p)
        return;
    cgi_end(p, true);
    if (p->out_fd >= 0)
        close(p->out_fd);
    if (p->err_fd >= 0)
        close(p->err_fd);
    free(p->pending);
    free(p);
}

static ssize_t cgi_body_read(void *state, char *buf, size_t max)
{
    struct cgi_process *p = state;
    if (p->pending_off < p->pending_len) {
        size_t n = p->pending_len - p->pending_off;
        if (n > max)
            n = max;
        memcpy(buf, p->pending + p->pending_off, n);
        p->pending_off += n;
        return (ssize_t)n;
    }
    if (p->ended)
        return 0;
    for (;;) {
        ssize_t n = read(p->out_fd, buf, max);
        if (n > 0)
            return n;
        if (n == 0) {
            cgi_end(p, false);
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) {
            log_write(LOG_WARN, "cgi", p->request_id, "cannot read from '%s': %s", p->name,
                      strerror(errno));
            cgi_end(p, true);
            return -1;
        }
        break;
    }
    if (clock_mono_ns() > p->deadline_ns) {
        log_write(LOG_WARN, "cgi", p->request_id, "'%s' passed its deadline: killed", p->name);
        cgi_end(p, true);
        return -1;
    }
    return HTTP_SOURCE_WAIT;
}

static void cgi_body_free(void *state)
{
    cgi_process_free(state);
}

static int open_stderr_file(const char *dir)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    char *path = xasprintf("%s/cgi-stderr-XXXXXX", dir);
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    free(path);
    return fd;
}

/*
 * A descriptor the child gets as 0, 1 or 2 must not itself be 0-2 (a
 * server started with one of them closed hands those numbers out): the
 * dup2 of one could overwrite another before it is duplicated. Returns a
 * copy at 3 or above (O_CLOEXEC) in *moved, to close after the spawn.
 */
static int fd_above_stdio(int *moved, int fd)
{
    *moved = -1;
    if (fd > 2)
        return fd;
    *moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    return *moved;
}

static int spawn(struct cgi_process *p, const struct cgi_spec *spec, int out_w)
{
    static const int default_signals[] = {SIGPIPE, SIGHUP,  SIGINT,  SIGQUIT,
                                          SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2};
    int null_fd = -1;
    int in_fd = spec->stdin_fd;
    if (in_fd < 0) {
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0)
            return err_set_errno(ERR_IO, "cannot open /dev/null");
        in_fd = null_fd;
    }
    int moved[3];
    in_fd = fd_above_stdio(&moved[0], in_fd);
    out_w = fd_above_stdio(&moved[1], out_w);
    int err_fd = fd_above_stdio(&moved[2], p->err_fd);
    if (in_fd < 0 || out_w < 0 || err_fd < 0) {
        int rc = err_set_errno(ERR_IO, "cannot move a descriptor above 2");
        for (int i = 0; i < 3; i++)
            if (moved[i] >= 0)
                close(moved[i]);
        if (null_fd >= 0)
            close(null_fd);
        return rc;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    /* None of the sources is 0-2 (fd_above_stdio), so no dup2 overwrites
     * a source still to be duplicated. */
    posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    posix_spawn_file_actions_adddup2(&fa, out_w, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    /* Every descriptor is O_CLOEXEC already; this is the second lock. */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawn_file_actions_addchdir_np(&fa, spec->dir ? spec->dir : "/");
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (size_t i = 0; i < ARRAY_SIZE(default_signals); i++)
        sigaddset(&defaults, default_signals[i]);
    /* The server blocks SIGTERM/SIGINT in every thread and ignores
     * SIGPIPE; the program starts with neither. */
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    char *argv[] = {(char *)spec->program, NULL};
    int rc = posix_spawn(&p->pid, spec->program, &fa, &attr, argv, (char *const *)spec->env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (null_fd >= 0)
        close(null_fd);
    for (int i = 0; i < 3; i++)
        if (moved[i] >= 0)
            close(moved[i]);
    if (rc != 0) {
        errno = rc;
        return err_set_errno(ERR_IO, "cannot run '%s'", spec->program);
    }
    return 0;
}

/* Reads until the header block is in; the body bytes after it are kept. */
static int read_header_block(struct buf *out, size_t *body_at, struct cgi_process *p)
{
    char chunk[16384];
    for (;;) {
        size_t end = cgi_header_end(out->data, out->len);
        if (end) {
            *body_at = end;
            return 0;
        }
        if (out->len > CGI_HEADER_BLOCK_MAX)
            return err_set(ERR_INVALID, "'%s' wrote more than %d bytes without ending its headers",
                           p->name, CGI_HEADER_BLOCK_MAX);
        int64_t left_ms = (p->deadline_ns - clock_mono_ns()) / 1000000;
        if (left_ms <= 0)
            return err_set(ERR_TIMEOUT, "'%s' wrote no headers before its deadline", p->name);
        struct pollfd pfd = {.fd = p->out_fd, .events = POLLIN};
        int n = poll(&pfd, 1, left_ms > INT_MAX ? INT_MAX : (int)left_ms);
        if (n < 0 && errno != EINTR)
            return err_set_errno(ERR_IO, "poll");
        if (n <= 0)
            continue;
        ssize_t got = read(p->out_fd, chunk, sizeof(chunk));
        if (got < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (got < 0)
            return err_set_errno(ERR_IO, "cannot read from '%s'", p->name);
        if (got == 0)
            return err_set(ERR_INVALID, "'%s' ended without writing a CGI header block", p->name);
        buf_add(out, chunk, (size_t)got);
    }
}

int cgi_run(struct http_response *resp, const struct cgi_spec *spec)
{
    struct cgi_process *p = xcalloc(1, sizeof(*p));
    p->pid = -1;
    p->out_fd = -1;
    p->err_fd = -1;
    p->ended = true; /* until it runs */
    p->on_exit = spec->on_exit;
    p->exit_ctx = spec->exit_ctx;
    p->exit_free = spec->exit_free;
    snprintf(p->request_id, sizeof(p->request_id), "%s", spec->request_id ? spec->request_id : "");
    snprintf(p->name, sizeof(p->name), "%s", spec->name ? spec->name : spec->program);
    int64_t timeout_ms = spec->timeout_ms > 0 ? spec->timeout_ms : CGI_DEFAULT_TIMEOUT_MS;
    p->deadline_ns = clock_mono_ns() + timeout_ms * 1000000;

    int rc;
    int pipefd[2] = {-1, -1};
    struct buf head = BUF_INIT;
    struct http_response parsed;
    http_response_init(&parsed);
    p->err_fd = open_stderr_file(spec->tmp_dir ? spec->tmp_dir : "/tmp");
    if (p->err_fd < 0) {
        rc = err_set_errno(ERR_IO, "cannot create a file for the stderr of '%s'", p->name);
        goto fail;
    }
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        rc = err_set_errno(ERR_IO, "pipe");
        goto fail;
    }
    /* A larger pipe: fewer wake-ups for a large body. */
    fcntl(pipefd[0], F_SETPIPE_SZ, 1 << 20);
    if ((rc = spawn(p, spec, pipefd[1])) < 0)
        goto fail;
    p->ended = false;
    close(pipefd[1]);
    pipefd[1] = -1;
    p->out_fd = pipefd[0];
    pipefd[0] = -1;
    fcntl(p->out_fd, F_SETFL, fcntl(p->out_fd, F_GETFL) | O_NONBLOCK);

    size_t body_at = 0;
    if ((rc = read_header_block(&head, &body_at, p)) < 0)
        goto fail;
    if ((rc = cgi_parse_headers(&parsed, head.data, body_at)) < 0) {
        rc = err_set(ERR_INVALID, "'%s' wrote a bad CGI header block: %s", p->name, err_msg());
        goto fail;
    }
    if (body_at < head.len) {
        p->pending_len = head.len - body_at;
        p->pending = xmemdup(head.data + body_at, p->pending_len);
    }
    buf_release(&head);

    http_response_release(resp);
    *resp = parsed;
    struct http_body_source source = {
        .read = cgi_body_read, .free = cgi_body_free, .state = p, .wait_fd = p->out_fd};
    http_response_set_source(resp, &source);
    return 0;

fail:
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    buf_release(&head);
    http_response_release(&parsed);
    if (p->ended && p->exit_free) {
        /* Never started: on_exit has nothing to report, but the context
         * is still the caller's to free through us. */
        p->exit_free(p->exit_ctx);
        p->exit_ctx = NULL;
        p->exit_free = NULL;
    }
    {
        char message[512];
        snprintf(message, sizeof(message), "%s", err_msg());
        cgi_process_free(p);
        err_set(rc, "%s", message);
    }
    return rc;
}
