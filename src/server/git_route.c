#include <ctype.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/common.h"
#include "server/git_route.h"
#include "server/git_route_internal.h"
#include "aws/api.h"
#include "aws/model.h"
#include "aws/sigv4.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/log.h"
#include "http/cgi.h"
#include "services/codecommit/codecommit.h"
#include "services/iam/iam.h"

#define GIT_SERVICE_CREDENTIAL "codecommit.amazonaws.com"
/* How long one git request may run, pack and all. */
#define GIT_CGI_TIMEOUT_MS (30LL * 60 * 1000)
/* Bodies are spooled to disk before git reads them: at most this much. */
#define GIT_PUSH_BODY_MAX  (8ULL << 30)
#define GIT_FETCH_BODY_MAX (256ULL << 20)

/* Who asks, from where: what authorization needs of the request. */
struct git_caller {
    char request_id[64];
    char remote_addr[64];
    bool secure;
};

/* A request between its headers and its end (the stream state). */
struct git_request {
    struct git_route *route;
    struct git_target target;
    struct principal principal;
    int spool_fd; /* the body, -1 until its first byte */
    uint64_t spooled;
    uint64_t spool_max;
    bool spool_failed;
    bool too_large;
    struct git_push_commands *commands; /* receive-pack POSTs */
    bool slot;                          /* holds one of route->processes, until git runs */
    struct git_caller caller;
    /* A push is authorized as soon as its commands are in, before its
     * pack is spooled: 0 until then, then the answer. */
    bool authorized;
    int authz_rc;
    char authz_error[256];
};

/* --- The bound on git processes ------------------------------------------ */

static bool process_slot_take(struct git_route *route)
{
    unsigned held = atomic_fetch_add(&route->processes, 1);
    if (held >= route->processes_max) {
        atomic_fetch_sub(&route->processes, 1);
        return false;
    }
    return true;
}

static void process_slot_give(struct git_route *route)
{
    atomic_fetch_sub(&route->processes, 1);
}

/* --- The commands of a push --------------------------------------------- */

void git_push_commands_init(struct git_push_commands *cmds)
{
    memset(cmds, 0, sizeof(*cmds));
}

void git_push_commands_release(struct git_push_commands *cmds)
{
    for (size_t i = 0; i < cmds->ref_count; i++)
        free(cmds->refs[i]);
    free(cmds->refs);
    free(cmds->cert_line);
    git_push_commands_init(cmds);
}

static void commands_fail(struct git_push_commands *cmds, const char *why)
{
    cmds->failed = true;
    snprintf(cmds->error, sizeof(cmds->error), "%s", why);
}

static bool is_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (hex_digit_value((unsigned char)s[i]) < 0)
            return false;
    return true;
}

static void commands_add_ref(struct git_push_commands *cmds, const char *ref, size_t ref_len)
{
    if (ref_len == 0) {
        commands_fail(cmds, "a pushed ref name is malformed");
        return;
    }
    for (size_t i = 0; i < ref_len; i++)
        if ((unsigned char)ref[i] <= ' ' || ref[i] == 127) {
            commands_fail(cmds, "a pushed ref name is malformed");
            return;
        }
    if (cmds->ref_count >= GIT_PUSH_REFS_MAX) {
        commands_fail(cmds, "a push may change at most 10000 refs");
        return;
    }
    ALLOC_GROW(cmds->refs, cmds->ref_count + 1, cmds->ref_alloc);
    cmds->refs[cmds->ref_count++] = xstrndup(ref, ref_len);
}

/*
 * One line of a push certificate's text. git joins the payloads of the
 * certificate's pkt-lines into one text and takes each line between its
 * blank line and its signature for a command (refusing the push when one
 * is not), so a command may share a pkt-line with other lines or span
 * several: every line of the text that has a command's form counts here,
 * wherever it is.
 */
static void cert_text_line(struct git_push_commands *cmds, const char *line, size_t len)
{
    size_t oid = 0;
    if (len >= 82 && line[40] == ' ' && line[81] == ' ' && is_hex(line, 40) &&
        is_hex(line + 41, 40))
        oid = 40;
    else if (len >= 130 && line[64] == ' ' && line[129] == ' ' && is_hex(line, 64) &&
             is_hex(line + 65, 64))
        oid = 64;
    if (oid)
        commands_add_ref(cmds, line + 2 * oid + 2, len - 2 * oid - 2);
}

static void cert_text(struct git_push_commands *cmds, const char *text, size_t len)
{
    while (len && !cmds->failed) {
        const char *nl = memchr(text, '\n', len);
        size_t n = nl ? (size_t)(nl - text) : len;
        ALLOC_GROW(cmds->cert_line, cmds->cert_line_len + n + 1, cmds->cert_line_alloc);
        memcpy(cmds->cert_line + cmds->cert_line_len, text, n);
        cmds->cert_line_len += n;
        if (!nl)
            return;
        cert_text_line(cmds, cmds->cert_line, cmds->cert_line_len);
        cmds->cert_line_len = 0;
        text += n + 1;
        len -= n + 1;
    }
}

static void cert_end(struct git_push_commands *cmds)
{
    if (cmds->cert_line_len)
        cert_text_line(cmds, cmds->cert_line, cmds->cert_line_len);
    cmds->cert_line_len = 0;
    cmds->in_cert = false;
}

/* One pkt-line's payload: "<old> <new> <ref>[\0caps]", or a line that
 * may come with them (shallow, a push certificate's). */
static void commands_line(struct git_push_commands *cmds, const char *line, size_t len)
{
    const char *nul = memchr(line, '\0', len);
    if (nul)
        len = (size_t)(nul - line);
    if (cmds->in_cert) {
        /* As git reads it: the certificate ends at a pkt-line of exactly
         * "push-cert-end\n" (up to a NUL); what the others hold up to a
         * NUL is its text. */
        if (slice_eq(line, len, "push-cert-end\n"))
            cert_end(cmds);
        else
            cert_text(cmds, line, len);
        return;
    }
    if (len && line[len - 1] == '\n')
        len--;
    if (len >= 8 && memcmp(line, "shallow ", 8) == 0)
        return;
    /* A signed push carries its commands inside the certificate, among
     * lines of its own (version, pusher, nonce, the signature). */
    if (slice_eq(line, len, "push-cert")) {
        cmds->in_cert = true;
        return;
    }
    if (slice_eq(line, len, "push-cert-end"))
        return;
    size_t oid = 0;
    if (len > 83 && line[40] == ' ' && line[81] == ' ')
        oid = 40;
    else if (len > 131 && line[64] == ' ' && line[129] == ' ')
        oid = 64;
    if (!oid || !is_hex(line, oid) || !is_hex(line + oid + 1, oid)) {
        commands_fail(cmds, "a push command is malformed");
        return;
    }
    commands_add_ref(cmds, line + 2 * oid + 2, len - 2 * oid - 2);
}

void git_push_commands_feed(struct git_push_commands *cmds, const char *data, size_t len)
{
    while (len && !cmds->done && !cmds->failed) {
        size_t want = cmds->pkt_need ? cmds->pkt_need - cmds->pkt_len : 4 - cmds->pkt_len;
        size_t n = len < want ? len : want;
        memcpy(cmds->pkt + cmds->pkt_len, data, n);
        cmds->pkt_len += n;
        data += n;
        len -= n;
        cmds->total += n;
        if (cmds->total > GIT_PUSH_COMMANDS_MAX) {
            commands_fail(cmds, "the push commands are larger than 4 MB");
            return;
        }
        if (!cmds->pkt_need) {
            if (cmds->pkt_len < 4)
                continue;
            if (!is_hex(cmds->pkt, 4)) {
                commands_fail(cmds, "the push request is not in pkt-line form");
                return;
            }
            size_t size = 0;
            for (int i = 0; i < 4; i++)
                size = size * 16 + (size_t)hex_digit_value((unsigned char)cmds->pkt[i]);
            if (size == 0) {
                /* flush-pkt: the commands end, and an open certificate */
                if (cmds->in_cert)
                    cert_end(cmds);
                cmds->done = true;
                return;
            }
            if (size < 4 || size > 65520) {
                commands_fail(cmds, "the push request has a bad pkt-line length");
                return;
            }
            cmds->pkt_need = size;
        }
        if (cmds->pkt_len == cmds->pkt_need) {
            commands_line(cmds, cmds->pkt + 4, cmds->pkt_len - 4);
            cmds->pkt_len = 0;
            cmds->pkt_need = 0;
        }
    }
}

/* --- The credential helper's signature --------------------------------- */

int git_sigv4_password_check(const char *password, const char *secret, const char *region,
                             const char *host, const char *repo_path, int64_t now_ms)
{
    /* "20240102T030405Z" + 64 hex digits */
    if (strlen(password) != SIGV4_AMZ_DATE_LEN + SIGV4_HEX_LEN ||
        password[SIGV4_AMZ_DATE_LEN - 1] != 'Z' ||
        !is_hex(password + SIGV4_AMZ_DATE_LEN, SIGV4_HEX_LEN))
        return err_set(ERR_DENIED, "the password is not a codecommit signature");
    int64_t signed_ms;
    if (time_parse_amz(&signed_ms, password, SIGV4_AMZ_DATE_LEN) < 0)
        return err_set(ERR_DENIED, "the signature's time is malformed");
    if (signed_ms > now_ms + SIGV4_MAX_SKEW_MS || signed_ms < now_ms - SIGV4_MAX_SKEW_MS)
        return err_set(ERR_DENIED, "the signature is more than 15 minutes off the server's time");

    struct sigv4_auth auth;
    memset(&auth, 0, sizeof(auth));
    /* The helper signs its timestamp without the 'Z'. */
    memcpy(auth.amz_date, password, SIGV4_AMZ_DATE_LEN - 1);
    memcpy(auth.date, password, 8);
    snprintf(auth.region, sizeof(auth.region), "%s", region);
    snprintf(auth.service, sizeof(auth.service), "codecommit");
    /* As the helper does: the host up to its first ':'. */
    size_t host_len = strcspn(host, ":");
    struct buf creq = BUF_INIT, sts = BUF_INIT;
    buf_addf(&creq, "GIT\n%s\n\nhost:%.*s\n\nhost\n", repo_path, (int)host_len, host);
    sigv4_string_to_sign(&sts, &auth, creq.data, creq.len);
    uint8_t key[SHA256_LEN], mac[SHA256_LEN];
    sigv4_signing_key(key, secret, auth.date, auth.region, auth.service);
    hmac_sha256(mac, key, sizeof(key), sts.data, sts.len);
    char hex[2 * SHA256_LEN + 1];
    hex_encode(hex, mac, sizeof(mac));
    buf_release(&creq);
    buf_release(&sts);
    explicit_bzero(key, sizeof(key));
    char given[SIGV4_HEX_LEN + 1];
    for (size_t i = 0; i < SIGV4_HEX_LEN; i++)
        given[i] = (char)tolower((unsigned char)password[SIGV4_AMZ_DATE_LEN + i]);
    given[SIGV4_HEX_LEN] = '\0';
    if (!secure_equal(hex, given, SIGV4_HEX_LEN))
        return err_set(ERR_DENIED, "the signature does not match");
    return 0;
}

/* --- Set-up -------------------------------------------------------------- */

/* `git --exec-path`, with an environment of PATH alone. */
static int find_exec_path(char **out, const char *path_env)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return err_set_errno(ERR_IO, "pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    char *argv[] = {(char *)"git", (char *)"--exec-path", NULL};
    char *envp[] = {(char *)path_env, NULL};
    pid_t pid;
    /* posix_spawnp searches the server's PATH; the child gets `envp`. */
    int rc = posix_spawnp(&pid, "git", &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        errno = rc;
        return err_set_errno(ERR_NOT_FOUND, "cannot run 'git --exec-path'");
    }
    char text[4096];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(text) - 1 &&
           ((n = read(pipefd[0], text + len, sizeof(text) - 1 - len)) > 0 ||
            (n < 0 && errno == EINTR)))
        if (n > 0)
            len += (size_t)n;
    close(pipefd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    text[len] = '\0';
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text[0] != '/')
        return err_set(ERR_NOT_FOUND, "'git --exec-path' failed");
    *out = xstrdup(text);
    return 0;
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return err_set_errno(ERR_IO, "cannot create '%s'", path);
    return 0;
}

int git_route_init(struct git_route *route)
{
    route->repo_root = xasprintf("%s/codecommit", route->data_dir);
    route->tmp_dir = xasprintf("%s/tmp", route->data_dir);
    const char *path = getenv("PATH");
    route->path_env = xasprintf("PATH=%s", path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    if (!route->processes_max) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        long max = (cpus > 0 ? cpus : 1) * GIT_PROCESSES_PER_CPU;
        route->processes_max = (unsigned)(max < GIT_PROCESSES_MIN   ? GIT_PROCESSES_MIN
                                          : max > GIT_PROCESSES_MAX ? GIT_PROCESSES_MAX
                                                                    : max);
    }
    int rc;
    if ((rc = make_dir(route->repo_root)) < 0 || (rc = make_dir(route->tmp_dir)) < 0)
        return rc;
    char *exec_path = NULL;
    if ((rc = find_exec_path(&exec_path, route->path_env)) < 0)
        return rc;
    route->backend = xasprintf("%s/git-http-backend", exec_path);
    free(exec_path);
    if (access(route->backend, X_OK) != 0) {
        rc = err_set_errno(ERR_NOT_FOUND, "cannot run '%s'", route->backend);
        free(route->backend);
        route->backend = NULL;
        return rc;
    }
    return 0;
}

void git_route_release(struct git_route *route)
{
    free(route->backend);
    free(route->repo_root);
    free(route->tmp_dir);
    free(route->path_env);
    route->backend = route->repo_root = route->tmp_dir = route->path_env = NULL;
}

/* --- Paths --------------------------------------------------------------- */

static bool region_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

bool git_target_parse(struct git_target *t, const char *path, const char *default_region)
{
    memset(t, 0, sizeof(*t));
    const char *p = path;
    if (strncmp(p, GIT_ROUTE_PREFIX, strlen(GIT_ROUTE_PREFIX)) != 0) {
        size_t n = 0;
        if (*p++ != '/')
            return false;
        while (region_char((unsigned char)p[n]))
            n++;
        if (n == 0 || n > GIT_REGION_MAX || strncmp(p + n, GIT_ROUTE_PREFIX, 10) != 0)
            return false;
        memcpy(t->region, p, n);
        t->region_in_path = true;
        p += n;
    } else {
        snprintf(t->region, sizeof(t->region), "%s", default_region);
    }
    const char *name = p + strlen(GIT_ROUTE_PREFIX);
    size_t n = 0;
    while (name_char((unsigned char)name[n]))
        n++;
    if (n == 0 || n > GIT_NAME_MAX || (name[n] && name[n] != '/'))
        return false;
    memcpy(t->name, name, n);
    snprintf(t->repo_path, sizeof(t->repo_path), "%.*s", (int)(name + n - path), path);
    t->rest = name + n;
    return true;
}

bool git_route_match(void *ctx, const char *path)
{
    struct git_route *route = ctx;
    struct git_target t;
    if (!git_target_parse(&t, path, route->default_region))
        return false;
    /* The region form shares "/" with the API, where an S3 path-style
     * request can look the same ("/<bucket>/v1/repos/<key>"): it is git's
     * only on the smart HTTP protocol's own paths. */
    return !t.region_in_path || strcmp(t.rest, "/info/refs") == 0 ||
           strcmp(t.rest, "/git-upload-pack") == 0 || strcmp(t.rest, "/git-receive-pack") == 0;
}

bool git_target_classify(struct git_target *t, const char *method, const char *query)
{
    if (strcmp(t->rest, "/info/refs") == 0 && strcmp(method, "GET") == 0 && query) {
        t->advertisement = true;
        if (strcmp(query, "service=git-upload-pack") == 0) {
            t->service = GIT_UPLOAD_PACK;
            return true;
        }
        if (strcmp(query, "service=git-receive-pack") == 0) {
            t->service = GIT_RECEIVE_PACK;
            return true;
        }
        return false;
    }
    if (strcmp(method, "POST") != 0)
        return false;
    if (strcmp(t->rest, "/git-upload-pack") == 0) {
        t->service = GIT_UPLOAD_PACK;
        return true;
    }
    if (strcmp(t->rest, "/git-receive-pack") == 0) {
        t->service = GIT_RECEIVE_PACK;
        return true;
    }
    return false;
}

/* --- Answers ------------------------------------------------------------- */

static void answer(struct http_response *resp, int status, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void answer(struct http_response *resp, int status, const char *fmt, ...)
{
    http_response_release(resp);
    resp->status = status;
    http_response_add_header(resp, "Content-Type", "text/plain; charset=utf-8");
    http_response_add_header(resp, "Cache-Control", "no-cache");
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&resp->body, fmt, ap);
    va_end(ap);
    buf_addch(&resp->body, '\n');
}

static void answer_unauthorized(struct http_response *resp)
{
    answer(resp, 401,
           "authentication required: use an IAM service-specific credential for "
           "CodeCommit or 'aws codecommit credential-helper'");
    http_response_add_header(resp, "WWW-Authenticate", "Basic realm=\"slipway\"");
}

/* --- Authentication ------------------------------------------------------ */

bool git_basic_credentials_parse(struct buf *decoded, const char **user, const char **password,
                                 const char *value, size_t value_len)
{
    if (value_len < 6 || strncasecmp(value, "Basic ", 6) != 0 || value_len > 16384)
        return false;
    const char *b64 = value + 6;
    size_t len = value_len - 6;
    while (len && *b64 == ' ') {
        b64++;
        len--;
    }
    if (base64_decode(decoded, b64, len) < 0 || memchr(decoded->data, '\0', decoded->len))
        return false;
    char *colon = strchr(decoded->data, ':');
    if (!colon)
        return false;
    *colon = '\0';
    *user = decoded->data;
    *password = colon + 1;
    return true;
}

/* "Basic <base64 user:password>" -> user and password, or false. */
static bool basic_credentials(struct buf *decoded, const char **user, const char **password,
                              const struct http_request *req)
{
    const struct header_field *h = http_request_header(req, "Authorization");
    return h && git_basic_credentials_parse(decoded, user, password, h->value, h->value_len);
}

bool git_password_is_signature(const char *password)
{
    return strlen(password) == SIGV4_AMZ_DATE_LEN + SIGV4_HEX_LEN &&
           password[SIGV4_AMZ_DATE_LEN - 1] == 'Z' && password[8] == 'T';
}

int git_helper_user_parse(char key_id[SIGV4_ACCESS_KEY_MAX + 1], const char **token,
                          const char *user)
{
    const char *pct = strchr(user, '%');
    size_t key_len = pct ? (size_t)(pct - user) : strlen(user);
    if (key_len == 0 || key_len > SIGV4_ACCESS_KEY_MAX)
        return err_set(ERR_DENIED, "no such access key");
    memcpy(key_id, user, key_len);
    key_id[key_len] = '\0';
    *token = pct ? pct + 1 : "";
    return 0;
}

/* The credential helper's form: an access key id (and "%" its session
 * token) signed for the repository's path. */
static int authenticate_sigv4(struct principal *out, struct git_route *route,
                              const struct git_target *t, const struct http_request *req,
                              const char *user, const char *password)
{
    char key_id[SIGV4_ACCESS_KEY_MAX + 1];
    const char *token;
    int rc = git_helper_user_parse(key_id, &token, user);
    if (rc < 0)
        return rc;
    const struct header_field *host = http_request_header(req, "Host");
    if (!host || host->value_len > 1024)
        return err_set(ERR_DENIED, "the request has no Host header");
    char host_text[1025];
    snprintf(host_text, sizeof(host_text), "%.*s", (int)host->value_len, host->value);

    struct iam_credential cred;
    rc = iam_credential_lookup(&cred, route->store, key_id);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !cred.active))
        rc = err_set(ERR_DENIED, "no such access key");
    if (rc < 0)
        goto done;
    if (!cred.session_token[0] && token[0]) {
        rc = err_set(ERR_DENIED, "a long-term key carries no session token");
        goto done;
    }
    int64_t now = clock_now_ms();
    if ((rc = git_sigv4_password_check(password, cred.secret_access_key, t->region, host_text,
                                       t->repo_path, now)) < 0)
        goto done;
    if (cred.session_token[0]) {
        size_t len = strlen(cred.session_token);
        if (strlen(token) != len || !secure_equal(cred.session_token, token, len)) {
            rc = err_set(ERR_DENIED, "the session token is wrong");
            goto done;
        }
        if (cred.expires_ms <= now) {
            rc = err_set(ERR_DENIED, "the session token is expired");
            goto done;
        }
    }
    *out = cred.principal;
done:
    explicit_bzero(&cred, sizeof(cred));
    return rc;
}

static int authenticate(struct principal *out, struct git_route *route, const struct git_target *t,
                        const struct http_request *req)
{
    struct buf decoded = BUF_INIT;
    const char *user, *password;
    int rc;
    if (!basic_credentials(&decoded, &user, &password, req)) {
        rc = err_set(ERR_DENIED, "no Basic credentials");
        goto done;
    }
    if (route->auth_open) {
        rc = iam_admin_principal(out, route->store, route->default_account_id);
        goto done;
    }
    /* A credential-helper password has one exact form, which a service
     * password (letters, digits and symbols, 40+ long) never takes. */
    if (git_password_is_signature(password))
        rc = authenticate_sigv4(out, route, t, req, user, password);
    else
        rc = iam_service_credential_authenticate(out, route->store, user, password,
                                                 GIT_SERVICE_CREDENTIAL);
done:
    if (decoded.data)
        explicit_bzero(decoded.data, decoded.len);
    buf_release(&decoded);
    return rc;
}

/* --- Authorization ------------------------------------------------------- */

static void git_caller_set(struct git_caller *c, const struct http_request *req)
{
    snprintf(c->request_id, sizeof(c->request_id), "%s", req->request_id ? req->request_id : "");
    snprintf(c->remote_addr, sizeof(c->remote_addr), "%s",
             req->remote_addr ? req->remote_addr : "");
    c->secure = req->secure;
}

static int authorize(struct git_route *route, const struct git_target *t,
                     const struct principal *principal, const struct git_caller *req,
                     char *const *refs, size_t ref_count)
{
    const struct model_service *codecommit =
        model_service_by_signing_name("codecommit", strlen("codecommit"));
    if (!codecommit)
        return err_set(ERR_INTERNAL, "the codecommit model is missing");
    char arn[256];
    snprintf(arn, sizeof(arn), "arn:aws:codecommit:%s:%s:%s", t->region, principal->account_id,
             t->name);
    struct api_call call = {
        .request_id = req->request_id,
        .service = codecommit,
        .principal = principal,
        .account_id = principal->account_id,
        .region = t->region,
        .partition = "aws",
        .store = route->store,
        .now_ms = clock_now_ms(),
        .source_ip = req->remote_addr,
        .secure_transport = req->secure,
        .data_dir = route->data_dir,
        .default_region = route->default_region,
        .download = {.fd = -1},
    };
    struct api_condition *conditions = NULL;
    if (ref_count) {
        conditions = xcalloc(ref_count, sizeof(*conditions));
        for (size_t i = 0; i < ref_count; i++)
            conditions[i] = (struct api_condition){"codecommit:References", refs[i]};
    }
    struct api_authz authz = {
        .action = t->service == GIT_RECEIVE_PACK ? "codecommit:GitPush" : "codecommit:GitPull",
        .resource = arn,
        .conditions = conditions,
        .condition_count = ref_count,
    };
    int rc = api_authorize_request(&call, &authz);
    free(conditions);
    json_decref(call.error_fields);
    json_decref(call.response_headers);
    return rc;
}

/* --- The body ------------------------------------------------------------ */

static int open_spool(const char *dir)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    char *path = xasprintf("%s/git-body-XXXXXX", dir);
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    free(path);
    return fd;
}

/* Authorizes a push with the refs its commands name, once. */
static int git_push_authorize(struct git_request *g)
{
    if (!g->authorized) {
        g->authorized = true;
        g->authz_rc = authorize(g->route, &g->target, &g->principal, &g->caller, g->commands->refs,
                                g->commands->ref_count);
        if (g->authz_rc < 0)
            snprintf(g->authz_error, sizeof(g->authz_error), "%s", err_msg());
    }
    return g->authz_rc;
}

static int git_stream_write(void *state, const void *data, size_t len)
{
    struct git_request *g = state;
    if (g->spool_failed)
        return -1;
    if (g->spooled + len > g->spool_max) {
        g->spool_failed = g->too_large = true;
        return -1;
    }
    if (g->spool_fd < 0 && (g->spool_fd = open_spool(g->route->tmp_dir)) < 0) {
        log_write(LOG_ERROR, "git", NULL, "cannot create a file for a request body in '%s': %s",
                  g->route->tmp_dir, strerror(errno));
        g->spool_failed = true;
        return -1;
    }
    if (g->commands) {
        git_push_commands_feed(g->commands, data, len);
        /* A malformed or unauthorized push stops here: nothing more of
         * it is stored (a user who may only read cannot fill the disk). */
        if (g->commands->failed)
            return -1;
        if (g->commands->done && git_push_authorize(g) < 0)
            return -1;
    }
    for (const char *p = data; len;) {
        ssize_t n = write(g->spool_fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_write(LOG_ERROR, "git", NULL, "cannot spool a request body: %s", strerror(errno));
            g->spool_failed = true;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        g->spooled += (uint64_t)n;
    }
    return 0;
}

static void git_request_free(void *state)
{
    struct git_request *g = state;
    if (!g)
        return;
    if (g->spool_fd >= 0)
        close(g->spool_fd);
    if (g->slot)
        process_slot_give(g->route);
    if (g->commands) {
        git_push_commands_release(g->commands);
        free(g->commands);
    }
    explicit_bzero(&g->principal, sizeof(g->principal));
    free(g);
}

enum http_begin_result git_route_begin(void *ctx, const struct http_request *req,
                                       struct http_body_stream *stream, struct http_response *resp)
{
    struct git_route *route = ctx;
    struct git_target t;
    if (!git_target_parse(&t, req->path, route->default_region)) {
        answer(resp, 404, "not a repository path");
        return HTTP_ANSWERED;
    }
    if (!route->backend) {
        answer(resp, 503, "git http-backend is not available on this server");
        return HTTP_ANSWERED;
    }
    struct principal principal;
    int rc = authenticate(&principal, route, &t, req);
    if (rc == ERR_DENIED || rc == ERR_NOT_FOUND) {
        log_write(LOG_INFO, "git", req->request_id, "authentication failed: %s", err_msg());
        answer_unauthorized(resp);
        return HTTP_ANSWERED;
    }
    if (rc < 0) {
        log_write(LOG_ERROR, "git", req->request_id, "authentication failed: %s", err_msg());
        answer(resp, 500, "internal error");
        return HTTP_ANSWERED;
    }
    if (!git_target_classify(&t, req->method, req->query)) {
        answer(resp, 404, "only git's smart HTTP protocol is served here");
        return HTTP_ANSWERED;
    }
    bool push = t.service == GIT_RECEIVE_PACK && !t.advertisement;
    struct git_caller caller;
    git_caller_set(&caller, req);
    if (push) {
        const struct header_field *enc = http_request_header(req, "Content-Encoding");
        if (enc && !slice_eq_nocase(enc->value, enc->value_len, "identity")) {
            answer(resp, 415, "compressed push requests are not supported");
            return HTTP_ANSWERED;
        }
    } else if ((rc = authorize(route, &t, &principal, &caller, NULL, 0)) < 0) {
        /* A push is authorized once its commands are in, with the refs. */
        answer(resp, rc == ERR_DENIED ? 403 : 500, "%s", err_msg());
        return HTTP_ANSWERED;
    }
    if (!process_slot_take(route)) {
        log_write(LOG_WARN, "git", req->request_id, "%u git processes are running: answered 503",
                  route->processes_max);
        answer(resp, 503, "the server runs too many git processes; retry later");
        char retry[16];
        snprintf(retry, sizeof(retry), "%d", GIT_RETRY_AFTER_SECONDS);
        http_response_add_header(resp, "Retry-After", retry);
        return HTTP_ANSWERED;
    }

    struct git_request *g = xcalloc(1, sizeof(*g));
    g->slot = true;
    g->caller = caller;
    g->route = route;
    g->target = t;
    g->principal = principal;
    g->spool_fd = -1;
    g->spool_max = push ? GIT_PUSH_BODY_MAX : GIT_FETCH_BODY_MAX;
    if (push) {
        g->commands = xmalloc(sizeof(*g->commands));
        git_push_commands_init(g->commands);
    }
    *stream =
        (struct http_body_stream){.write = git_stream_write, .free = git_request_free, .state = g};
    return HTTP_BODY_STREAMED;
}

/* --- Running git --------------------------------------------------------- */

/* What is left to do once git has exited: give its process slot back,
 * and after a push record the refs it moved. */
struct git_exit {
    struct git_route *route;
    bool push;
    struct codecommit_repo repo;
    char caller_arn[PRINCIPAL_ARN_MAX];
    char request_id[64];
};

static void git_exit_run(void *ctx, int wait_status)
{
    (void)wait_status;
    struct git_exit *d = ctx;
    if (d->push && codecommit_refs_record(d->route->store, &d->repo, d->caller_arn) < 0)
        log_write(LOG_ERROR, "git", d->request_id,
                  "cannot record the refs of '%s' after a push: %s", d->repo.name, err_msg());
}

static void git_exit_free(void *ctx)
{
    struct git_exit *d = ctx;
    process_slot_give(d->route);
    free(d);
}

/* A header's value as an environment variable, when present and sane. */
static void env_from_header(char ***env, size_t *count, const struct http_request *req,
                            const char *header, const char *var)
{
    const struct header_field *h = http_request_header(req, header);
    if (!h || h->value_len > 1024)
        return;
    for (size_t i = 0; i < h->value_len; i++)
        if ((unsigned char)h->value[i] < 32 || h->value[i] == 127)
            return;
    (*env)[(*count)++] = xasprintf("%s=%.*s", var, (int)h->value_len, h->value);
}

void git_route_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
    struct git_route *route = ctx;
    struct git_request *g = req->stream;
    if (!g) {
        answer(resp, 500, "internal error");
        return;
    }
    if (g->too_large) {
        answer(resp, 413, "the request body is too large");
        return;
    }
    if (g->spool_failed) {
        answer(resp, 500, "the request body could not be stored");
        return;
    }
    if (g->commands) {
        const struct git_push_commands *cmds = g->commands;
        if (cmds->failed || (!cmds->done && cmds->total > 0)) {
            answer(resp, 400, "%s",
                   cmds->failed ? cmds->error : "the push commands are incomplete");
            return;
        }
        /* Done while the body came in, or now for an empty body. */
        if (git_push_authorize(g) < 0) {
            answer(resp, g->authz_rc == ERR_DENIED ? 403 : 500, "%s", g->authz_error);
            return;
        }
    }
    const struct git_target *t = &g->target;
    int rc;
    struct codecommit_repo repo;
    rc = codecommit_repo_find(&repo, route->store, route->data_dir, g->principal.account_id,
                              t->region, t->name);
    if (rc == ERR_NOT_FOUND) {
        answer(resp, 404, "repository '%s' does not exist in %s", t->name, t->region);
        return;
    }
    if (rc < 0) {
        log_write(LOG_ERROR, "git", req->request_id, "cannot find repository '%s': %s", t->name,
                  err_msg());
        answer(resp, 500, "internal error");
        return;
    }
    const char *base = strrchr(repo.path, '/');
    base = base ? base + 1 : repo.path;

    char *env[32];
    char **envp = env;
    size_t n = 0;
    env[n++] = xstrdup(route->path_env);
    env[n++] = xasprintf("HOME=%s", route->tmp_dir);
    env[n++] = xasprintf("GIT_PROJECT_ROOT=%s", route->repo_root);
    env[n++] = xstrdup("GIT_HTTP_EXPORT_ALL=1");
    env[n++] = xstrdup("GIT_CONFIG_NOSYSTEM=1");
    env[n++] = xstrdup("GATEWAY_INTERFACE=CGI/1.1");
    env[n++] = xstrdup("SERVER_PROTOCOL=HTTP/1.1");
    env[n++] = xstrdup("SERVER_SOFTWARE=slipway");
    env[n++] = xasprintf("REQUEST_METHOD=%s", req->method);
    env[n++] = xasprintf("PATH_INFO=/%s%s", base, t->rest);
    env[n++] = xasprintf("QUERY_STRING=%s", req->query ? req->query : "");
    env[n++] = xasprintf("REMOTE_USER=%s", g->principal.name[0] ? g->principal.name : "unknown");
    env[n++] = xasprintf("REMOTE_ADDR=%s", req->remote_addr ? req->remote_addr : "");
    if (strcmp(req->method, "POST") == 0)
        env[n++] = xasprintf("CONTENT_LENGTH=%" PRIu64, g->spooled);
    env_from_header(&envp, &n, req, "Content-Type", "CONTENT_TYPE");
    env_from_header(&envp, &n, req, "Content-Encoding", "HTTP_CONTENT_ENCODING");
    env_from_header(&envp, &n, req, "Git-Protocol", "GIT_PROTOCOL");
    env[n] = NULL;

    if (g->spool_fd >= 0)
        lseek(g->spool_fd, 0, SEEK_SET);
    /* The process slot goes with the process: cgi_run takes exit_ctx. */
    struct git_exit *done = xcalloc(1, sizeof(*done));
    done->route = route;
    done->push = t->service == GIT_RECEIVE_PACK && !t->advertisement;
    done->repo = repo;
    snprintf(done->caller_arn, sizeof(done->caller_arn), "%s", g->principal.arn);
    snprintf(done->request_id, sizeof(done->request_id), "%s", req->request_id);
    g->slot = false;
    struct cgi_spec spec = {
        .program = route->backend,
        .env = (const char *const *)env,
        .dir = route->tmp_dir,
        .stdin_fd = g->spool_fd,
        .tmp_dir = route->tmp_dir,
        .timeout_ms = GIT_CGI_TIMEOUT_MS,
        .request_id = req->request_id,
        .name = "git-http-backend",
        .on_exit = git_exit_run,
        .exit_ctx = done,
        .exit_free = git_exit_free,
    };
    rc = cgi_run(resp, &spec);
    for (size_t i = 0; i < n; i++)
        free(env[i]);
    if (rc < 0) {
        log_write(LOG_ERROR, "git", req->request_id, "%s", err_msg());
        answer(resp, 502, "git http-backend failed");
    }
}
