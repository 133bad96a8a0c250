#ifndef SLIPWAY_SERVER_GIT_ROUTE_INTERNAL_H
#define SLIPWAY_SERVER_GIT_ROUTE_INTERNAL_H

/*
 * The git route's parsers of client input, for tests and fuzzing only
 * (tests/unit/test_git_route.c, tests/fuzz/fuzz_git_*.c); nothing else in
 * the server includes this. The push-command parser and the
 * credential-helper check are in git_route.h.
 */

#include "aws/sigv4.h"
#include "base/buf.h"

#define GIT_NAME_MAX   100
#define GIT_REGION_MAX 32

enum git_service { GIT_UPLOAD_PACK, GIT_RECEIVE_PACK };

/* What a request's path says. */
struct git_target {
    char region[GIT_REGION_MAX + 1];
    bool region_in_path;
    char name[GIT_NAME_MAX + 1];
    /* "/v1/repos/<name>" or "/<region>/v1/repos/<name>": what the credential
     * helper signs. */
    char repo_path[GIT_REGION_MAX + GIT_NAME_MAX + 16];
    /* What follows the name: "/info/refs", "/git-upload-pack" ... Points
     * into the path given to git_target_parse. */
    const char *rest;
    enum git_service service;
    bool advertisement; /* GET info/refs */
};

/*
 * Splits "/v1/repos/<name><rest>" (region: `default_region`) or
 * "/<region>/v1/repos/<name><rest>". Returns false when the path has
 * neither form.
 */
bool git_target_parse(struct git_target *t, const char *path, const char *default_region);

/*
 * Which git service a parsed target is for, from the request's method and
 * query (NULL: none): sets t->service and t->advertisement. Returns false
 * when it is none that is served.
 */
bool git_target_classify(struct git_target *t, const char *method, const char *query);

/*
 * An Authorization header's value, "Basic <base64 user:password>": the
 * decoded text goes to `decoded` (the caller releases it, and clears it:
 * it holds a password), with `user` and `password` pointing into it.
 * Returns false when the value is not Basic credentials (`decoded` may
 * then hold part of the text).
 */
bool git_basic_credentials_parse(struct buf *decoded, const char **user, const char **password,
                                 const char *value, size_t value_len);

/*
 * Whether a Basic password has the credential helper's form
 * ("YYYYMMDDTHHMMSSZ" and 64 characters), which a service-specific
 * password never takes.
 */
bool git_password_is_signature(const char *password);

/*
 * Splits a credential-helper user name, "<access key id>" or
 * "<access key id>%<session token>": the key id is copied into `key_id`,
 * `token` points into `user` ("" when none). Returns 0 or ERR_DENIED (no
 * key id, or a key id longer than SIGV4_ACCESS_KEY_MAX).
 */
int git_helper_user_parse(char key_id[SIGV4_ACCESS_KEY_MAX + 1], const char **token,
                          const char *user);

#endif
