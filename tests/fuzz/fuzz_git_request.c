/*
 * What a git smart-HTTP request brings before its body
 * (src/server/git_route.c): the path (/v1/repos/<name>/... or
 * /<region>/v1/repos/<name>/...) and the service it asks for, the Basic
 * Authorization header, the credential helper's user name and its signed
 * password, checked against the Host header.
 *
 * The input is lines: the path, the Authorization value, the Host value;
 * the first byte picks the method and query (bits 0-2) before them. Each
 * value is copied into a buffer of its own exact size, so a read past its
 * end is seen.
 */
#include "base/common.h"

#include "base/buf.h"
#include "base/err.h"
#include "server/git_route.h"
#include "server/git_route_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_MS 1704164645000LL /* 2024-01-02T03:04:05Z */

/* The next line of the input, as a C string of its own (freed by the
 * caller). */
static char *next_line(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, *p, n);
    s[n] = '\0';
    *p += n + (nl != NULL);
    return s;
}

static void check_target(const char *path, uint8_t mode)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "HEAD"};
    static const char *const queries[] = {"service=git-upload-pack", "service=git-receive-pack"};
    struct git_target t;
    if (!git_target_parse(&t, path, "us-east-1"))
        return;
    size_t name_len = strlen(t.name), region_len = strlen(t.region);
    size_t repo_len = strlen(t.repo_path);
    if (name_len == 0 || name_len > GIT_NAME_MAX || region_len == 0 || region_len > GIT_REGION_MAX)
        abort();
    /* repo_path is the path up to the end of the name, rest what follows. */
    if (strncmp(path, t.repo_path, repo_len) != 0 || t.rest != path + repo_len)
        abort();
    if (t.rest[0] && t.rest[0] != '/')
        abort();
    if (t.region_in_path != (strncmp(path, GIT_ROUTE_PREFIX, strlen(GIT_ROUTE_PREFIX)) != 0))
        abort();
    const char *query = (mode & 4) ? NULL : queries[(mode >> 1) & 1];
    if (git_target_classify(&t, methods[mode & 3], query)) {
        bool info = strcmp(t.rest, "/info/refs") == 0;
        if (t.advertisement != info)
            abort();
    }
}

static void check_credentials(const char *value, size_t value_len, const char *host,
                              const char *repo_path)
{
    /* Exactly the value's bytes, no terminator: the header is a slice. */
    char *slice = malloc(value_len ? value_len : 1);
    if (!slice)
        abort();
    memcpy(slice, value, value_len);
    struct buf decoded = BUF_INIT;
    const char *user, *password;
    if (git_basic_credentials_parse(&decoded, &user, &password, slice, value_len)) {
        if (user != decoded.data || password < user || password > decoded.data + decoded.len ||
            strchr(user, ':'))
            abort();
        if (git_password_is_signature(password)) {
            char key_id[SIGV4_ACCESS_KEY_MAX + 1];
            const char *token;
            if (git_helper_user_parse(key_id, &token, user) == 0) {
                size_t key_len = strlen(key_id);
                if (key_len == 0 || key_len > SIGV4_ACCESS_KEY_MAX ||
                    strncmp(key_id, user, key_len) != 0 || strchr(key_id, '%'))
                    abort();
            }
            int rc = git_sigv4_password_check(password, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                              "us-east-1", host, repo_path, NOW_MS);
            if (rc != 0 && rc != ERR_DENIED)
                abort();
        }
    }
    buf_release(&decoded);
    free(slice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 64 * 1024)
        return 0;
    uint8_t mode = data[0];
    const uint8_t *p = data + 1, *end = data + size;
    char *path = next_line(&p, end);
    const uint8_t *auth_start = p;
    const uint8_t *auth_nl = memchr(p, '\n', (size_t)(end - p));
    size_t auth_len = auth_nl ? (size_t)(auth_nl - p) : (size_t)(end - p);
    p += auth_len + (auth_nl != NULL);
    char *host = next_line(&p, end);

    check_target(path, mode);
    struct git_target t;
    const char *repo_path = git_target_parse(&t, path, "us-east-1") ? t.repo_path : "/v1/repos/r";
    check_credentials((const char *)auth_start, auth_len, host, repo_path);

    /* Whatever is left is one more password to check, as it is. */
    char *rest = next_line(&p, end);
    git_sigv4_password_check(rest, "secret", t.region[0] ? t.region : "us-east-1", host, repo_path,
                             NOW_MS);
    free(rest);
    free(path);
    free(host);
    return 0;
}
