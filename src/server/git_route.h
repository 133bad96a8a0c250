#ifndef SLIPWAY_SERVER_GIT_ROUTE_H
#define SLIPWAY_SERVER_GIT_ROUTE_H

#include <stdatomic.h>

#include "http/httpd.h"

struct store;

/*
 * CodeCommit's git transport: smart HTTP at /v1/repos/<name>/... (the
 * server's default region) and /<region>/v1/repos/<name>/..., answered by
 * git's own `git http-backend` run as CGI (http/cgi.h) over the bare
 * repositories under <data>/codecommit.
 *
 * Callers authenticate with HTTP Basic: an IAM service-specific credential
 * for codecommit.amazonaws.com, or what `aws codecommit credential-helper`
 * makes from an access key (user name: the key id, "%" and the session
 * token for temporary keys; password: "<YYYYMMDDTHHMMSS>Z" and a SigV4
 * signature of "GIT <repository path>" for service codecommit). Reads need
 * codecommit:GitPull on the repository, pushes codecommit:GitPush, asked
 * with codecommit:References (the refs the push changes, read from the
 * request before git sees it) so that policies can protect branches.
 */
struct git_route {
    struct store *store;
    const char *data_dir;
    const char *default_region;
    const char *default_account_id;
    bool auth_open; /* --auth open: any credentials are the admin's */
    /*
     * The most requests that may hold a git process (or a body being
     * spooled for one) at once; past it a request is answered 503 with
     * Retry-After, so a burst of clones cannot fork-bomb the machine or
     * fill its disk. 0: GIT_PROCESSES_PER_CPU per CPU, within
     * [GIT_PROCESSES_MIN, GIT_PROCESSES_MAX] (set by git_route_init).
     */
    unsigned processes_max;
    _Atomic unsigned processes; /* held now: from authorization to git's exit */
    /* Set by git_route_init. */
    char *backend;   /* <git exec path>/git-http-backend */
    char *repo_root; /* <data>/codecommit */
    char *tmp_dir;   /* <data>/tmp: request bodies, stderr, HOME */
    char *path_env;  /* "PATH=..." for git and its hooks */
};

#define GIT_PROCESSES_PER_CPU 4
#define GIT_PROCESSES_MIN     8
#define GIT_PROCESSES_MAX     256
/* What a 503 for too many git processes tells the client to wait, seconds. */
#define GIT_RETRY_AFTER_SECONDS 5

/*
 * Finds git-http-backend (`git --exec-path`, once) and makes the
 * directories the route uses. Returns 0 or a negative err (git missing:
 * the server still runs, the route then answers 503).
 */
int git_route_init(struct git_route *route);
void git_route_release(struct git_route *route);

/*
 * The route's prefixes: "/v1/repos/", and "/" with git_route_match, which
 * takes "/<region>/v1/repos/<name>" followed by one of the smart HTTP
 * paths (/info/refs, /git-upload-pack, /git-receive-pack) only, so that
 * S3 path-style requests under "/<bucket>/v1/repos/" still reach the API.
 */
#define GIT_ROUTE_PREFIX "/v1/repos/"
bool git_route_match(void *ctx, const char *path);

enum http_begin_result git_route_begin(void *ctx, const struct http_request *req,
                                       struct http_body_stream *stream, struct http_response *resp);
void git_route_handle(void *ctx, const struct http_request *req, struct http_response *resp);

/*
 * The refs a receive-pack request's commands name, read from the start of
 * its body: a parser fed the body piece by piece. Exposed for tests.
 */
struct git_push_commands {
    char **refs;
    size_t ref_count;
    size_t ref_alloc;
    bool done;    /* the flush-pkt that ends the commands was seen */
    bool failed;  /* malformed, or past the limits */
    bool in_cert; /* inside a signed push's certificate */
    /* The certificate's text since its last line end. */
    char *cert_line;
    size_t cert_line_len;
    size_t cert_line_alloc;
    char error[128];
    /* The pkt-line being read. */
    char pkt[65536];
    size_t pkt_len;
    size_t pkt_need; /* its length from its header, 0 until known */
    size_t total;    /* bytes of commands seen */
};

#define GIT_PUSH_REFS_MAX     10000
#define GIT_PUSH_COMMANDS_MAX (4 * 1024 * 1024)

void git_push_commands_init(struct git_push_commands *cmds);
void git_push_commands_release(struct git_push_commands *cmds);
/* Feeds body bytes; once `done` or `failed`, the rest is ignored. */
void git_push_commands_feed(struct git_push_commands *cmds, const char *data, size_t len);

/*
 * Checks a credential-helper password for `repo_path` ("/v1/repos/name")
 * on `host` (the Host header) against `secret` at `now_ms`: 0, or
 * ERR_DENIED (bad form, wrong signature, more than 15 minutes off).
 */
int git_sigv4_password_check(const char *password, const char *secret, const char *region,
                             const char *host, const char *repo_path, int64_t now_ms);

#endif
