/*
 * SigV4: the three AWS test-vector suites in ../shared/vectors/sigv4 (every
 * case is one test), then the behaviour the vectors do not cover: clock
 * skew, presigned expiry, scope, malformed input, session tokens, S3 rules
 * and the signing-key cache.
 *
 * The vectors are read at run time from $SLIPWAY_SOURCE_DIR/../shared.
 */
#include "base/common.h"

#include <ctype.h>
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "aws/sigv4.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"

static const char example_secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/*
 * The secret behind the ANOTREAL signatures that smithy-rs added to its copy
 * of the suite: aws-sigv4's Credentials::for_tests() in smithy-rs.
 */
static const char notreal_secret[] = "notrealrnrELgWzOk3IfjzDKtFBhDby";
static const char wrong_secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ";

/* 2015-08-30T12:36:00Z, the time of (almost) every vector. */
#define T0     INT64_C(1440938160000)
#define MINUTE INT64_C(60000)

static const char *secret_for(const char *access_key_id)
{
    if (strcmp(access_key_id, "AKIDEXAMPLE") == 0)
        return example_secret;
    if (strcmp(access_key_id, "ANOTREAL") == 0)
        return notreal_secret;
    fail_msg("no secret for access key '%s'", access_key_id);
    return NULL;
}

static char *read_text(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    struct buf b = BUF_INIT;
    char chunk[4096];
    size_t n;

    if (!f)
        return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_add(&b, chunk, n);
    fclose(f);
    if (len_out)
        *len_out = b.len;
    if (!b.alloc)
        return xstrdup("");
    return buf_detach(&b, NULL);
}

/* The expected-output files end with or without a newline; compare without. */
static char *read_expected(const char *dir, const char *name, const char *ext)
{
    char *path = xasprintf("%s/%s%s", dir, name, ext);
    char *text = read_text(path, NULL);
    free(path);
    if (text) {
        size_t len = strlen(text);
        while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
            text[--len] = '\0';
    }
    return text;
}

static void hex_sha256(char out[65], const void *data, size_t len)
{
    uint8_t digest[SHA256_LEN];
    sha256(digest, data, len);
    hex_encode(out, digest, sizeof(digest));
}

/*
 * A raw HTTP/1.1 request as the vector files write it. Continuation lines
 * (obs-fold) are unfolded into the previous value as RFC 7230 3.2.4 says, or,
 * for the original AWS publication of get-header-value-multiline, kept as
 * separate values of the same header.
 */
enum fold_mode {
    FOLD_RFC7230,
    FOLD_SEPARATE_VALUES,
};

#define TEST_HEADERS_MAX 64

struct http_req {
    char *method;
    char *path;
    char *query;
    struct header_field headers[TEST_HEADERS_MAX];
    size_t header_count;
    char *body;
    size_t body_len;
    char payload_hash[65];
};

static void http_req_add(struct http_req *r, const char *name, size_t name_len, const char *value,
                         size_t value_len)
{
    assert_true(r->header_count < TEST_HEADERS_MAX);
    struct header_field *h = &r->headers[r->header_count++];
    h->name = xstrndup(name, name_len);
    h->name_len = name_len;
    h->value = xstrndup(value, value_len);
    h->value_len = value_len;
}

static void http_req_remove(struct http_req *r, const char *name)
{
    size_t kept = 0;
    for (size_t i = 0; i < r->header_count; i++) {
        struct header_field *h = &r->headers[i];
        if (h->name_len == strlen(name) && strncasecmp(h->name, name, h->name_len) == 0) {
            free((char *)h->name);
            free((char *)h->value);
            continue;
        }
        r->headers[kept++] = *h;
    }
    r->header_count = kept;
}

static const char *http_req_header(const struct http_req *r, const char *name)
{
    for (size_t i = 0; i < r->header_count; i++)
        if (r->headers[i].name_len == strlen(name) &&
            strncasecmp(r->headers[i].name, name, r->headers[i].name_len) == 0)
            return r->headers[i].value;
    return NULL;
}

static void http_req_set_body(struct http_req *r, const char *body, size_t len)
{
    free(r->body);
    r->body = xmemdup(body, len + 1);
    r->body[len] = '\0';
    r->body_len = len;
    hex_sha256(r->payload_hash, r->body, r->body_len);
}

static void http_req_parse(struct http_req *r, const char *text, size_t len, enum fold_mode fold)
{
    const char *p = text, *end = text + len;

    memset(r, 0, sizeof(*r));
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *line_end = eol ? eol : end;
    if (line_end > p && line_end[-1] == '\r')
        line_end--;
    /* "METHOD TARGET HTTP/1.1"; the target may itself contain spaces (get-space). */
    const char *sp = memchr(p, ' ', (size_t)(line_end - p));
    assert_non_null(sp);
    r->method = xstrndup(p, (size_t)(sp - p));
    const char *target = sp + 1, *target_end = line_end;
    for (const char *v = target_end; v > target; v--) {
        if ((size_t)(target_end - v) >= 6 && strncmp(v - 1, " HTTP/", 6) == 0) {
            target_end = v - 1;
            break;
        }
    }
    const char *qmark = memchr(target, '?', (size_t)(target_end - target));
    r->path = xstrndup(target, (size_t)((qmark ? qmark : target_end) - target));
    r->query = qmark ? xstrndup(qmark + 1, (size_t)(target_end - qmark - 1)) : NULL;
    p = eol ? eol + 1 : end;

    while (p < end) {
        eol = memchr(p, '\n', (size_t)(end - p));
        line_end = eol ? eol : end;
        const char *next = eol ? eol + 1 : end;
        if (line_end > p && line_end[-1] == '\r')
            line_end--;
        if (line_end == p) {
            p = next;
            http_req_set_body(r, p, (size_t)(end - p));
            return;
        }
        if (*p == ' ' || *p == '\t') {
            assert_true(r->header_count > 0);
            const char *v = p;
            while (v < line_end && (*v == ' ' || *v == '\t'))
                v++;
            struct header_field *prev = &r->headers[r->header_count - 1];
            if (fold == FOLD_SEPARATE_VALUES) {
                http_req_add(r, prev->name, prev->name_len, v, (size_t)(line_end - v));
            } else {
                char *joined = xasprintf("%s %.*s", prev->value, (int)(line_end - v), v);
                free((char *)prev->value);
                prev->value = joined;
                prev->value_len = strlen(joined);
            }
        } else {
            const char *colon = memchr(p, ':', (size_t)(line_end - p));
            assert_non_null(colon);
            http_req_add(r, p, (size_t)(colon - p), colon + 1, (size_t)(line_end - colon - 1));
        }
        p = next;
    }
    http_req_set_body(r, "", 0);
}

static bool http_req_load(struct http_req *r, const char *path, enum fold_mode fold)
{
    size_t len;
    char *text = read_text(path, &len);
    if (!text)
        return false;
    http_req_parse(r, text, len, fold);
    free(text);
    return true;
}

static void http_req_free(struct http_req *r)
{
    for (size_t i = 0; i < r->header_count; i++) {
        free((char *)r->headers[i].name);
        free((char *)r->headers[i].value);
    }
    free(r->method);
    free(r->path);
    free(r->query);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static struct sigv4_request http_req_view(const struct http_req *r)
{
    return (struct sigv4_request){
        .method = r->method,
        .path = r->path,
        .query = r->query,
        .headers = r->headers,
        .header_count = r->header_count,
        .payload_hash = r->payload_hash,
    };
}

/* The request time a signed request carries (X-Amz-Date header or parameter). */
static int64_t request_time(const struct http_req *r)
{
    struct sigv4_request req = http_req_view(r);
    struct sigv4_auth auth;
    if (sigv4_auth_parse(&auth, &req) < 0)
        fail_msg("cannot parse signed request: %s", err_msg());
    return auth.time_ms;
}

/* Parse and verify; also checks a wrong secret is refused the same way. */
static int verify_request(const struct sigv4_request *req, int64_t now_ms)
{
    struct sigv4_auth auth;
    int rc = sigv4_auth_parse(&auth, req);
    if (rc < 0)
        return rc;
    rc = sigv4_verify(&auth, req, secret_for(auth.access_key_id), now_ms);
    if (rc == 0)
        assert_int_equal(sigv4_verify(&auth, req, wrong_secret, now_ms), SIGV4_MISMATCH);
    return rc;
}

static void assert_verifies(const struct sigv4_request *req, int64_t now_ms)
{
    int rc = verify_request(req, now_ms);
    if (rc != 0)
        fail_msg("verification failed (%d): %s", rc, err_msg());
}

static char *canonical_of(const struct sigv4_request *req, bool token_unsigned)
{
    struct sigv4_auth auth;
    struct buf creq = BUF_INIT;
    if (sigv4_auth_parse(&auth, req) < 0)
        fail_msg("cannot parse signed request: %s", err_msg());
    auth.token_unsigned = token_unsigned;
    if (sigv4_canonical_request(&creq, req, &auth) < 0)
        fail_msg("canonical request: %s", err_msg());
    return buf_detach(&creq, NULL);
}

/* The vector suites. */

enum suite {
    SUITE_BOTOCORE,
    SUITE_SMITHY,
    SUITE_SIGNING,
};

static const char *const suite_dirs[] = {
    [SUITE_BOTOCORE] = "botocore-aws4_testsuite",
    [SUITE_SMITHY] = "aws-sig-v4-test-suite",
    [SUITE_SIGNING] = "aws-signing-test-suite/v4",
};

/* Cases per suite, as ../shared/vectors/README.md counts them: none may go missing. */
static const size_t suite_case_counts[] = {
    [SUITE_BOTOCORE] = 34,
    [SUITE_SMITHY] = 34,
    [SUITE_SIGNING] = 38,
};

/*
 * Vector files that contradict SigV4 or themselves. Each is still run: the
 * test asserts the defect exists (so a fixed upstream copy is noticed) and
 * checks the part that is consistent. The first two are the known errors of
 * the original AWS publication (botocore's copy carries corrected files).
 */
enum erratum {
    ERRATUM_NONE,
    /*
     * aws-sig-v4-test-suite/get-header-value-multiline expects the folded
     * lines joined with ',' as separate values; RFC 7230 (and botocore's and
     * the current suite's copies) unfold them into one value with spaces.
     */
    ERRATUM_SEPARATE_FOLDED_VALUES,
    /*
     * aws-sig-v4-test-suite/post-x-www-form-urlencoded: the .creq says
     * SignedHeaders "host;x-amz-date" under a content-type header line; its
     * hash is not the one in the .sts, which (like the .authz) is for
     * "content-type;host;x-amz-date". The .sreq drops the signed Content-Type.
     */
    ERRATUM_CREQ_SIGNED_HEADERS,
    /*
     * aws-sig-v4-test-suite/post-x-www-form-urlencoded-parameters: the
     * expected canonical request signs the form body as the query string with
     * the empty payload hash, while the request sends it as the body.
     */
    ERRATUM_BODY_AS_QUERY,
    /*
     * botocore-aws4_testsuite/get-vanilla-with-session-token: the .sreq
     * carries get-vanilla's signature instead of the one in the .authz.
     */
    ERRATUM_SREQ_SIGNATURE,
};

struct erratum_entry {
    enum suite suite;
    const char *name;
    enum erratum erratum;
};

static const struct erratum_entry errata[] = {
    {SUITE_SMITHY, "get-header-value-multiline", ERRATUM_SEPARATE_FOLDED_VALUES},
    {SUITE_SMITHY, "post-x-www-form-urlencoded", ERRATUM_CREQ_SIGNED_HEADERS},
    {SUITE_SMITHY, "post-x-www-form-urlencoded-parameters", ERRATUM_BODY_AS_QUERY},
    {SUITE_BOTOCORE, "get-vanilla-with-session-token", ERRATUM_SREQ_SIGNATURE},
};

struct vector_case {
    enum suite suite;
    char *dir;
    char *name;
    char *test_name;
};

static enum erratum erratum_of(const struct vector_case *vc)
{
    for (size_t i = 0; i < ARRAY_SIZE(errata); i++)
        if (errata[i].suite == vc->suite && strcmp(errata[i].name, vc->name) == 0)
            return errata[i].erratum;
    return ERRATUM_NONE;
}

static char *vector_root(void)
{
    const char *source = getenv("SLIPWAY_SOURCE_DIR");
    if (!source || !*source)
        return NULL;
    return xasprintf("%s/../shared/vectors/sigv4", source);
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void free_cases(struct vector_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(cases[i].dir);
        free(cases[i].name);
        free(cases[i].test_name);
    }
    free(cases);
}

static int compare_cases(const void *a, const void *b)
{
    const struct vector_case *x = a, *y = b;
    return x->suite != y->suite ? (int)x->suite - (int)y->suite : strcmp(x->name, y->name);
}

static void collect_cases(struct vector_case **cases, size_t *count, size_t *alloc,
                          enum suite suite, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *sub = xasprintf("%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(sub, &st) != 0 || !S_ISDIR(st.st_mode)) {
            free(sub);
            continue;
        }
        char *marker = suite == SUITE_SIGNING ? xasprintf("%s/context.json", sub)
                                              : xasprintf("%s/%s.creq", sub, de->d_name);
        if (file_exists(marker)) {
            ALLOC_GROW(*cases, *count + 1, *alloc);
            struct vector_case *vc = &(*cases)[(*count)++];
            vc->suite = suite;
            vc->dir = sub;
            vc->name = xstrdup(de->d_name);
            vc->test_name = xasprintf("%s/%s", suite_dirs[suite], de->d_name);
            sub = NULL;
        } else {
            collect_cases(cases, count, alloc, suite, sub);
        }
        free(marker);
        free(sub);
    }
    closedir(d);
}

/* The Authorization header value a file's request carries. */
static const char *authorization_of(const struct http_req *r)
{
    const char *v = http_req_header(r, "authorization");
    assert_non_null(v);
    while (*v == ' ')
        v++;
    return v;
}

/* Scope fields of an Authorization value, via the parser under test. */
static void scope_of(const char *authorization, struct sigv4_auth *auth)
{
    struct header_field headers[] = {
        {"Host", 4, "example.amazonaws.com", 21},
        {"Authorization", 13, authorization, strlen(authorization)},
        {"X-Amz-Date", 10, "20150830T123600Z", 16},
    };
    struct sigv4_request req = {"GET", "/", NULL, headers, ARRAY_SIZE(headers), NULL, false, false};
    if (sigv4_auth_parse(auth, &req) < 0)
        fail_msg("cannot parse '%s': %s", authorization, err_msg());
}

static int64_t creq_time(const char *creq)
{
    const char *line = strstr(creq, "\nx-amz-date:");
    int64_t ms;
    assert_non_null(line);
    assert_int_equal(time_parse_amz(&ms, line + 12, 16), 0);
    return ms;
}

/* smithy-rs's iam "creq" is a string to sign; its signature is from smithy-rs's test. */
static void legacy_iam_case(const struct vector_case *vc)
{
    char *sts = read_expected(vc->dir, vc->name, ".creq");
    uint8_t key[32], mac[32];
    char hex[65];

    assert_non_null(sts);
    assert_non_null(strstr(sts, "\n20150830/us-east-1/iam/aws4_request\n"));
    sigv4_signing_key(key, example_secret, "20150830", "us-east-1", "iam");
    hex_encode(hex, key, sizeof(key));
    /* The signing key of AWS's "derive a signing key" example. */
    assert_string_equal(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
    hmac_sha256(mac, key, sizeof(key), sts, strlen(sts));
    hex_encode(hex, mac, sizeof(mac));
    assert_string_equal(hex, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
    free(sts);
}

/*
 * The original suite format: .req, .creq, .sts, .authz, .sreq (plus
 * smithy-rs's .qpsreq). Signing the .req must give the .creq, .sts and
 * .authz; the .sreq must verify with the right secret and not a wrong one.
 */
static void test_legacy_vector(void **state)
{
    const struct vector_case *vc = *state;
    enum erratum erratum = erratum_of(vc);
    enum fold_mode fold =
        erratum == ERRATUM_SEPARATE_FOLDED_VALUES ? FOLD_SEPARATE_VALUES : FOLD_RFC7230;

    if (strcmp(vc->name, "iam") == 0) {
        legacy_iam_case(vc);
        return;
    }

    char *path;
    char *creq = read_expected(vc->dir, vc->name, ".creq");
    char *sts = read_expected(vc->dir, vc->name, ".sts");
    char *authz = read_expected(vc->dir, vc->name, ".authz");
    struct http_req raw, sreq, qpsreq;
    bool have_sreq, have_qpsreq;

    path = xasprintf("%s/%s.req", vc->dir, vc->name);
    assert_true(http_req_load(&raw, path, fold));
    free(path);
    path = xasprintf("%s/%s.sreq", vc->dir, vc->name);
    have_sreq = http_req_load(&sreq, path, fold);
    free(path);
    path = xasprintf("%s/%s.qpsreq", vc->dir, vc->name);
    have_qpsreq = http_req_load(&qpsreq, path, fold);
    free(path);
    assert_non_null(creq);
    assert_true(have_sreq);

    if (erratum == ERRATUM_BODY_AS_QUERY) {
        /* Present the request the way its expected canonical request signed it. */
        assert_null(raw.query);
        raw.query = xstrdup(raw.body);
        http_req_set_body(&raw, "", 0);
    }

    /* Sign the raw request at the time its canonical request shows. */
    struct sigv4_auth scope;
    scope_of(authz ? authz : authorization_of(&sreq), &scope);
    struct sigv4_signer signer = {
        .access_key_id = scope.access_key_id,
        .secret_access_key = secret_for(scope.access_key_id),
        .region = scope.region,
        .service = scope.service,
        .time_ms = creq_time(creq),
    };
    if (strstr(scope.signed_headers, "x-amz-security-token") &&
        !http_req_header(&raw, "x-amz-security-token"))
        signer.session_token = http_req_header(&sreq, "x-amz-security-token");

    struct sigv4_signature sig;
    struct sigv4_request req = http_req_view(&raw);
    sigv4_signature_init(&sig);
    if (sigv4_sign(&sig, &signer, &req) < 0)
        fail_msg("signing failed: %s", err_msg());

    if (erratum == ERRATUM_CREQ_SIGNED_HEADERS) {
        char file_hash[65];
        hex_sha256(file_hash, creq, strlen(creq));
        assert_non_null(sts);
        assert_null(strstr(sts, file_hash));
        char *fixed = strstr(creq, "\nhost;x-amz-date\n");
        assert_non_null(fixed);
        char *corrected = xasprintf("%.*s\ncontent-type;host;x-amz-date\n%s", (int)(fixed - creq),
                                    creq, fixed + strlen("\nhost;x-amz-date\n"));
        free(creq);
        creq = corrected;
    }
    assert_string_equal(sig.canonical_request.data, creq);
    if (sts)
        assert_string_equal(sig.string_to_sign.data, sts);
    if (authz)
        assert_string_equal(sig.authorization.data, authz);

    /* Verify the signed request at its own time. */
    struct sigv4_request signed_req = http_req_view(&sreq);
    int64_t now = request_time(&sreq);
    switch (erratum) {
    case ERRATUM_SREQ_SIGNATURE:
        assert_int_equal(verify_request(&signed_req, now), SIGV4_MISMATCH);
        assert_string_not_equal(authorization_of(&sreq), authz);
        http_req_remove(&sreq, "authorization");
        http_req_add(&sreq, "Authorization", 13, authz, strlen(authz));
        signed_req = http_req_view(&sreq);
        break;
    case ERRATUM_CREQ_SIGNED_HEADERS:
    case ERRATUM_BODY_AS_QUERY:
        /* As transmitted the .sreq cannot verify; the request that was signed does. */
        assert_int_equal(verify_request(&signed_req, now), SIGV4_MISMATCH);
        http_req_add(&raw, "Authorization", 13, authz, strlen(authz));
        signed_req = http_req_view(&raw);
        break;
    default:
        break;
    }
    assert_verifies(&signed_req, now);
    if (now == signer.time_ms) {
        char *verified_creq = canonical_of(&signed_req, false);
        assert_string_equal(verified_creq, creq);
        free(verified_creq);
    }

    if (have_qpsreq) {
        struct sigv4_request presigned = http_req_view(&qpsreq);
        assert_verifies(&presigned, request_time(&qpsreq));
        http_req_free(&qpsreq);
    }

    sigv4_signature_release(&sig);
    http_req_free(&raw);
    http_req_free(&sreq);
    free(creq);
    free(sts);
    free(authz);
}

/* A flat context.json value: a string without escapes, or a literal. */
static char *json_value(const char *json, const char *key)
{
    char *quoted = xasprintf("\"%s\"", key);
    const char *p = strstr(json, quoted);
    free(quoted);
    if (!p)
        return NULL;
    p = strchr(p + strlen(key) + 2, ':');
    assert_non_null(p);
    p++;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (*p == '"') {
        const char *close = strchr(p + 1, '"');
        assert_non_null(close);
        return xstrndup(p + 1, (size_t)(close - p - 1));
    }
    size_t n = strcspn(p, ",}\n \t");
    return xstrndup(p, n);
}

static bool json_true(const char *json, const char *key)
{
    char *v = json_value(json, key);
    bool t = v && strcmp(v, "true") == 0;
    free(v);
    return t;
}

static void check_file(const struct vector_case *vc, const char *file, const char *actual)
{
    char *expected = read_expected(vc->dir, file, "");
    assert_non_null(expected);
    assert_string_equal(actual, expected);
    free(expected);
}

/*
 * The current format (aws-c-auth): context.json + request.txt, and for both
 * the header and the query (presigned) form the canonical request, string to
 * sign, signature and signed request.
 */
static void test_signing_vector(void **state)
{
    const struct vector_case *vc = *state;
    char *path = xasprintf("%s/context.json", vc->dir);
    char *context = read_text(path, NULL);
    free(path);
    assert_non_null(context);

    char *access_key = json_value(context, "access_key_id");
    char *secret = json_value(context, "secret_access_key");
    char *token = json_value(context, "token");
    char *region = json_value(context, "region");
    char *service = json_value(context, "service");
    char *timestamp = json_value(context, "timestamp");
    char *expiration = json_value(context, "expiration_in_seconds");
    bool normalize = json_true(context, "normalize");
    bool sign_body = json_true(context, "sign_body");
    bool omit_token = json_true(context, "omit_session_token");
    int64_t now;
    assert_int_equal(time_parse_iso8601(&now, timestamp, strlen(timestamp)), 0);
    assert_string_equal(secret, example_secret);

    struct http_req raw, header_signed, query_signed;
    path = xasprintf("%s/request.txt", vc->dir);
    assert_true(http_req_load(&raw, path, FOLD_RFC7230));
    free(path);
    path = xasprintf("%s/header-signed-request.txt", vc->dir);
    assert_true(http_req_load(&header_signed, path, FOLD_RFC7230));
    free(path);
    path = xasprintf("%s/query-signed-request.txt", vc->dir);
    assert_true(http_req_load(&query_signed, path, FOLD_RFC7230));
    free(path);

    struct sigv4_signer signer = {
        .access_key_id = access_key,
        .secret_access_key = secret,
        .session_token = token,
        .region = region,
        .service = service,
        .time_ms = now,
        .expires_s = strtoll(expiration, NULL, 10),
        .sign_payload_header = sign_body,
        .token_unsigned = omit_token,
    };
    struct sigv4_request req = http_req_view(&raw);
    req.no_normalize = !normalize;

    /* Header form. */
    struct sigv4_signature sig;
    sigv4_signature_init(&sig);
    if (sigv4_sign(&sig, &signer, &req) < 0)
        fail_msg("signing failed: %s", err_msg());
    check_file(vc, "header-canonical-request.txt", sig.canonical_request.data);
    check_file(vc, "header-string-to-sign.txt", sig.string_to_sign.data);
    check_file(vc, "header-signature.txt", sig.signature);
    assert_string_equal(sig.authorization.data, authorization_of(&header_signed));

    struct sigv4_request signed_req = http_req_view(&header_signed);
    signed_req.no_normalize = !normalize;
    assert_verifies(&signed_req, now);
    char *creq = canonical_of(&signed_req, false);
    check_file(vc, "header-canonical-request.txt", creq);
    free(creq);

    /* Query form: presign, then verify the vector's URL and our own. */
    if (sigv4_presign(&sig, &signer, &req) < 0)
        fail_msg("presigning failed: %s", err_msg());
    check_file(vc, "query-canonical-request.txt", sig.canonical_request.data);
    check_file(vc, "query-string-to-sign.txt", sig.string_to_sign.data);
    check_file(vc, "query-signature.txt", sig.signature);

    signed_req = http_req_view(&query_signed);
    signed_req.no_normalize = !normalize;
    assert_verifies(&signed_req, now);
    creq = canonical_of(&signed_req, omit_token);
    check_file(vc, "query-canonical-request.txt", creq);
    free(creq);

    struct sigv4_request ours = req;
    ours.query = sig.query.data;
    assert_verifies(&ours, now);

    sigv4_signature_release(&sig);
    http_req_free(&raw);
    http_req_free(&header_signed);
    http_req_free(&query_signed);
    free(context);
    free(access_key);
    free(secret);
    free(token);
    free(region);
    free(service);
    free(timestamp);
    free(expiration);
}

/* Requests built in code for the behaviour tests. */

struct simple {
    struct header_field headers[TEST_HEADERS_MAX];
    size_t count;
    struct sigv4_request req;
    struct sigv4_signature sig;
    char payload_hash[65];
};

static void simple_init(struct simple *s, const char *method, const char *path, const char *query)
{
    memset(s, 0, sizeof(*s));
    s->headers[s->count++] = (struct header_field){"Host", 4, "example.amazonaws.com", 21};
    hex_sha256(s->payload_hash, "", 0);
    s->req = (struct sigv4_request){.method = method,
                                    .path = path,
                                    .query = query,
                                    .headers = s->headers,
                                    .payload_hash = s->payload_hash};
    s->req.header_count = s->count;
    sigv4_signature_init(&s->sig);
}

static void simple_add(struct simple *s, const char *name, const char *value)
{
    assert_true(s->count < TEST_HEADERS_MAX);
    s->headers[s->count++] = (struct header_field){name, strlen(name), value, strlen(value)};
    s->req.header_count = s->count;
}

static void simple_remove(struct simple *s, const char *name)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->count; i++)
        if (strcasecmp(s->headers[i].name, name) != 0)
            s->headers[kept++] = s->headers[i];
    s->count = kept;
    s->req.header_count = kept;
}

static struct sigv4_signer simple_signer(int64_t time_ms)
{
    return (struct sigv4_signer){
        .access_key_id = "AKIDEXAMPLE",
        .secret_access_key = example_secret,
        .region = "us-east-1",
        .service = "service",
        .time_ms = time_ms,
        .expires_s = 60,
    };
}

/* Sign in the header form and add the headers the caller must send. */
static void simple_sign(struct simple *s, const struct sigv4_signer *signer)
{
    if (sigv4_sign(&s->sig, signer, &s->req) < 0)
        fail_msg("signing failed: %s", err_msg());
    simple_add(s, "X-Amz-Date", s->sig.amz_date);
    if (signer->session_token)
        simple_add(s, "X-Amz-Security-Token", signer->session_token);
    if (signer->sign_payload_header)
        simple_add(s, "X-Amz-Content-Sha256", s->req.payload_hash);
    simple_add(s, "Authorization", s->sig.authorization.data);
}

static void simple_presign(struct simple *s, const struct sigv4_signer *signer)
{
    if (sigv4_presign(&s->sig, signer, &s->req) < 0)
        fail_msg("presigning failed: %s", err_msg());
    s->req.query = s->sig.query.data;
}

static int simple_verify(const struct simple *s, const char *secret, int64_t now_ms)
{
    struct sigv4_auth auth;
    int rc = sigv4_auth_parse(&auth, &s->req);
    return rc < 0 ? rc : sigv4_verify(&auth, &s->req, secret, now_ms);
}

static void simple_release(struct simple *s)
{
    sigv4_signature_release(&s->sig);
}

static void test_clock_skew(void **state)
{
    (void)state;
    struct simple s;
    struct sigv4_signer signer = simple_signer(T0);

    simple_init(&s, "GET", "/", NULL);
    simple_sign(&s, &signer);
    assert_int_equal(simple_verify(&s, example_secret, T0), 0);
    assert_int_equal(simple_verify(&s, example_secret, T0 + 15 * MINUTE), 0);
    assert_int_equal(simple_verify(&s, example_secret, T0 - 15 * MINUTE), 0);

    assert_int_equal(simple_verify(&s, example_secret, T0 + 15 * MINUTE + 1000), SIGV4_EXPIRED);
    assert_string_equal(err_msg(), "Signature expired: 20150830T123600Z is now earlier than "
                                   "20150830T123601Z (20150830T125101Z - 15 min.)");
    assert_int_equal(simple_verify(&s, example_secret, T0 - 16 * MINUTE), SIGV4_EXPIRED);
    assert_string_equal(err_msg(), "Signature not yet current: 20150830T123600Z is still later "
                                   "than 20150830T123500Z (20150830T122000Z + 15 min.)");
    /* Checked before the signature: the wrong secret changes nothing. */
    assert_int_equal(simple_verify(&s, wrong_secret, T0 + 20 * MINUTE), SIGV4_EXPIRED);
    simple_release(&s);

    /* The Date header stands in for X-Amz-Date; build that request by hand. */
    simple_init(&s, "GET", "/", NULL);
    simple_add(&s, "Date", "Sun, 30 Aug 2015 12:36:00 GMT");
    simple_add(&s, "Authorization",
               "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
               "SignedHeaders=date;host, Signature=0000000000000000000000000000000000000000000000"
               "000000000000000000");
    struct sigv4_auth auth;
    struct buf creq = BUF_INIT, sts = BUF_INIT;
    assert_int_equal(sigv4_auth_parse(&auth, &s.req), 0);
    assert_string_equal(auth.amz_date, "20150830T123600Z");
    assert_int_equal(auth.time_ms, T0);
    assert_int_equal(sigv4_canonical_request(&creq, &s.req, &auth), 0);
    assert_string_equal(creq.data,
                        "GET\n/\n\ndate:Sun, 30 Aug 2015 12:36:00 GMT\n"
                        "host:example.amazonaws.com\n\ndate;host\n"
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sigv4_string_to_sign(&sts, &auth, creq.data, creq.len);
    uint8_t key[32], mac[32];
    char authorization[512];
    sigv4_signing_key(key, example_secret, "20150830", "us-east-1", "service");
    hmac_sha256(mac, key, sizeof(key), sts.data, sts.len);
    snprintf(authorization, sizeof(authorization),
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
             "SignedHeaders=date;host, Signature=");
    hex_encode(authorization + strlen(authorization), mac, sizeof(mac));
    simple_remove(&s, "Authorization");
    simple_add(&s, "Authorization", authorization);
    assert_int_equal(simple_verify(&s, example_secret, T0 + 5 * MINUTE), 0);
    assert_int_equal(simple_verify(&s, example_secret, T0 + 16 * MINUTE), SIGV4_EXPIRED);
    buf_release(&creq);
    buf_release(&sts);
    simple_release(&s);
}

static void test_presigned_expiry(void **state)
{
    (void)state;
    struct simple s;
    struct sigv4_signer signer = simple_signer(T0);

    simple_init(&s, "GET", "/object", "list-type=2");
    simple_presign(&s, &signer);
    assert_non_null(strstr(s.req.query, "X-Amz-Expires=60&"));
    assert_int_equal(simple_verify(&s, example_secret, T0), 0);
    assert_int_equal(simple_verify(&s, example_secret, T0 + 60 * 1000), 0);
    assert_int_equal(simple_verify(&s, example_secret, T0 + 61 * 1000), SIGV4_EXPIRED);
    assert_string_equal(err_msg(), "Request has expired");
    assert_int_equal(simple_verify(&s, example_secret, T0 - 16 * MINUTE), SIGV4_EXPIRED);
    assert_string_equal(err_msg(), "Request is not valid yet");
    simple_release(&s);

    /* A week is the longest; the signer refuses more. */
    signer.expires_s = SIGV4_EXPIRES_MAX;
    simple_init(&s, "GET", "/object", NULL);
    simple_presign(&s, &signer);
    assert_int_equal(simple_verify(&s, example_secret, T0 + (SIGV4_EXPIRES_MAX - 1) * 1000LL), 0);
    assert_int_equal(simple_verify(&s, example_secret, T0 + (SIGV4_EXPIRES_MAX + 1) * 1000LL),
                     SIGV4_EXPIRED);
    simple_release(&s);
    signer.expires_s = SIGV4_EXPIRES_MAX + 1;
    simple_init(&s, "GET", "/object", NULL);
    assert_int_equal(sigv4_presign(&s.sig, &signer, &s.req), SIGV4_INCOMPLETE);
    assert_int_equal(s.sig.query.len, 0);
    simple_release(&s);

    static const struct {
        const char *expires;
        const char *message;
    } bad[] = {
        {"604801", "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
        {"99999999999999999999",
         "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
        {"0", "X-Amz-Expires must be greater than 0"},
        {"-5", "X-Amz-Expires must be non-negative"},
        {"abc", "X-Amz-Expires should be a number"},
        {"", "X-Amz-Expires should be a number"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char *query = xasprintf(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%%2F20150830%%2Fus-east-1"
            "%%2Fservice%%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=%s"
            "&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
            bad[i].expires);
        struct sigv4_auth auth;
        simple_init(&s, "GET", "/", query);
        assert_int_equal(sigv4_auth_parse(&auth, &s.req), SIGV4_INCOMPLETE);
        assert_string_equal(err_msg(), bad[i].message);
        simple_release(&s);
        free(query);
    }

    /* Without X-Amz-Expires, query authentication gets the header form's 15 minutes. */
    simple_init(&s, "GET", "/", NULL);
    s.req.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2F"
                  "us-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z"
                  "&X-Amz-SignedHeaders=host&X-Amz-Signature=abc";
    assert_int_equal(simple_verify(&s, example_secret, T0 + 16 * MINUTE), SIGV4_EXPIRED);
    assert_non_null(strstr(err_msg(), "Signature expired: 20150830T123600Z"));
    assert_int_equal(simple_verify(&s, example_secret, T0), SIGV4_MISMATCH);
    simple_release(&s);
}

static void test_scope(void **state)
{
    (void)state;
    struct simple s;
    struct sigv4_auth auth;
    struct sigv4_signer signer = simple_signer(T0);

    /* A scope date other than the request's is refused before the signature. */
    signer.time_ms = T0 + 24 * 60 * MINUTE;
    simple_init(&s, "GET", "/", NULL);
    simple_sign(&s, &signer);
    simple_remove(&s, "X-Amz-Date");
    simple_add(&s, "X-Amz-Date", "20150830T123600Z");
    assert_int_equal(sigv4_auth_parse(&auth, &s.req), 0);
    assert_string_equal(auth.date, "20150831");
    assert_int_equal(sigv4_verify(&auth, &s.req, example_secret, T0), SIGV4_MISMATCH);
    assert_string_equal(err_msg(), "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                                   "version of date from HTTP: '20150831' != '20150830', from "
                                   "'20150830T123600Z'.");
    simple_release(&s);

    simple_init(&s, "GET", "/", NULL);
    signer.time_ms = T0;
    simple_sign(&s, &signer);
    assert_int_equal(sigv4_auth_parse(&auth, &s.req), 0);
    assert_string_equal(auth.access_key_id, "AKIDEXAMPLE");
    assert_false(auth.presigned);
    assert_int_equal(sigv4_auth_check_scope(&auth, "us-east-1", "service"), 0);
    assert_int_equal(sigv4_auth_check_scope(&auth, "eu-west-1", "service"), SIGV4_MISMATCH);
    assert_string_equal(err_msg(),
                        "Credential should be scoped to a valid region, not 'us-east-1'. ");
    assert_int_equal(sigv4_auth_check_scope(&auth, "us-east-1", "codebuild"), SIGV4_MISMATCH);
    assert_string_equal(err_msg(), "Credential should be scoped to correct service: 'codebuild'. ");
    simple_release(&s);
}

static const char good_credential[] =
    "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
static const char good_signature[] =
    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

static int parse_authorization_value(const char *value, bool with_date)
{
    struct simple s;
    struct sigv4_auth auth;
    simple_init(&s, "GET", "/", NULL);
    if (with_date)
        simple_add(&s, "X-Amz-Date", "20150830T123600Z");
    simple_add(&s, "Authorization", value);
    int rc = sigv4_auth_parse(&auth, &s.req);
    simple_release(&s);
    return rc;
}

static void test_malformed_authorization(void **state)
{
    (void)state;
    char *v;

    v = xasprintf("AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, %s", good_signature);
    assert_int_equal(parse_authorization_value(v, true), SIGV4_INCOMPLETE);
    char *expect = xasprintf("Authorization header requires 'Credential' parameter. "
                             "Authorization=%s",
                             v);
    assert_string_equal(err_msg(), expect);
    free(expect);
    free(v);

    assert_int_equal(parse_authorization_value("AWS4-HMAC-SHA256", false), SIGV4_INCOMPLETE);
    assert_string_equal(err_msg(), "Authorization header requires 'Credential' parameter. "
                                   "Authorization header requires 'Signature' parameter. "
                                   "Authorization header requires 'SignedHeaders' parameter. "
                                   "Authorization header requires existence of either a "
                                   "'X-Amz-Date' or a 'Date' header. "
                                   "Authorization=AWS4-HMAC-SHA256");

    assert_int_equal(parse_authorization_value("Bearer abc", true), SIGV4_INCOMPLETE);
    assert_string_equal(err_msg(), "'abc' not a valid key=value pair (missing equal-sign) in "
                                   "Authorization header: 'Bearer abc'.");

    static const struct {
        const char *value;
        int rc;
        const char *message; /* a prefix of err_msg() */
    } cases[] = {
        {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service, "
         "SignedHeaders=host, Signature=x",
         SIGV4_INCOMPLETE,
         "Credential must have exactly 5 slash-delimited elements, e.g. "
         "keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/service'"},
        {"AWS4-HMAC-SHA256 Credential=A/B/C/D/E/F, SignedHeaders=host, Signature=x",
         SIGV4_INCOMPLETE, "Credential must have exactly 5 slash-delimited elements"},
        {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws5_request, "
         "SignedHeaders=host, Signature=x",
         SIGV4_INCOMPLETE,
         "Credential should be scoped with a valid terminator: 'aws4_request', not "
         "'aws5_request'. "},
        {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;;x-amz-date, Signature=x",
         SIGV4_INCOMPLETE, "SignedHeaders has an empty header name"},
        {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x y, Signature=x",
         SIGV4_INCOMPLETE, "SignedHeaders has an invalid header name"},
        {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=x-amz-date, Signature=x",
         SIGV4_INCOMPLETE,
         "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
        {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host, Signature=x",
         SIGV4_INCOMPLETE, "Authorization header has more than one 'Credential'"},
        {"AWS4-HMAC-SHA512 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host, Signature=x",
         SIGV4_UNSUPPORTED,
         "The authorization mechanism you have provided is not supported. Please use "
         "AWS4-HMAC-SHA256."},
        /* Signature Version 2: its base64 '=' makes it read as one unknown pair. */
        {"AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", SIGV4_INCOMPLETE,
         "Authorization header requires 'Credential' parameter. Authorization header requires "
         "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
         "Authorization=AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="},
        {"AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo", SIGV4_INCOMPLETE,
         "'AKIDEXAMPLE:frJIUN8DYpKDtOLCwo' not a valid key=value pair"},
        {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2015\x01"
         "0830/us-east-1/service/aws4_request, "
         "SignedHeaders=host, Signature=x",
         SIGV4_INCOMPLETE, "Authorization header contains a control character"},
        {"AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=x", SIGV4_INCOMPLETE,
         "Authorization header requires 'Credential' parameter. Authorization="},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int rc = parse_authorization_value(cases[i].value, true);
        if (rc != cases[i].rc || strncmp(err_msg(), cases[i].message, strlen(cases[i].message)))
            fail_msg("case %zu: got %d '%s', want %d '%s'", i, rc, err_msg(), cases[i].rc,
                     cases[i].message);
    }

    /* Bounds: 65 signed headers, an over-long access key, an 8 KB header. */
    struct buf b = BUF_INIT;
    buf_addf(&b, "AWS4-HMAC-SHA256 %s, SignedHeaders=host", good_credential);
    for (int i = 0; i < SIGV4_SIGNED_HEADERS_MAX; i++)
        buf_addf(&b, ";x-h%d", i);
    buf_addf(&b, ", %s", good_signature);
    assert_int_equal(parse_authorization_value(b.data, true), SIGV4_INCOMPLETE);
    assert_string_equal(err_msg(), "SignedHeaders names more than 64 headers");
    buf_reset(&b);
    buf_adds(&b, "AWS4-HMAC-SHA256 Credential=");
    for (int i = 0; i <= SIGV4_ACCESS_KEY_MAX; i++)
        buf_addch(&b, 'A');
    buf_addf(&b, "/20150830/us-east-1/service/aws4_request, SignedHeaders=host, %s",
             good_signature);
    assert_int_equal(parse_authorization_value(b.data, true), SIGV4_INCOMPLETE);
    assert_non_null(strstr(err_msg(), "Credential is malformed"));
    buf_reset(&b);
    buf_addf(&b, "AWS4-HMAC-SHA256 %s, SignedHeaders=host, %s, Padding=", good_credential,
             good_signature);
    while (b.len <= SIGV4_AUTH_HEADER_MAX)
        buf_addch(&b, 'x');
    assert_int_equal(parse_authorization_value(b.data, true), SIGV4_TOO_LARGE);
    buf_release(&b);

    /* The request time must be a time. */
    struct simple s;
    struct sigv4_auth auth;
    v = xasprintf("AWS4-HMAC-SHA256 %s, SignedHeaders=host, %s", good_credential, good_signature);
    simple_init(&s, "GET", "/", NULL);
    simple_add(&s, "X-Amz-Date", "2015-08-30T12:36:00Z");
    simple_add(&s, "Authorization", v);
    assert_int_equal(sigv4_auth_parse(&auth, &s.req), SIGV4_INCOMPLETE);
    assert_string_equal(err_msg(),
                        "Date must be in ISO-8601 'basic format'. Got "
                        "'2015-08-30T12:36:00Z'. See http://en.wikipedia.org/wiki/ISO_8601");
    simple_release(&s);

    /* One Authorization header, and not together with query authentication. */
    simple_init(&s, "GET", "/", NULL);
    simple_add(&s, "X-Amz-Date", "20150830T123600Z");
    simple_add(&s, "Authorization", v);
    simple_add(&s, "authorization", v);
    assert_int_equal(sigv4_auth_parse(&auth, &s.req), SIGV4_INCOMPLETE);
    simple_release(&s);
    simple_init(&s, "GET", "/", "X-Amz-Signature=abc");
    simple_add(&s, "X-Amz-Date", "20150830T123600Z");
    simple_add(&s, "Authorization", v);
    assert_int_equal(sigv4_auth_parse(&auth, &s.req), SIGV4_INCOMPLETE);
    assert_non_null(strstr(err_msg(), "Only one auth mechanism allowed"));
    simple_release(&s);

    /* A signature that is not 64 hex digits parses, and never matches. */
    free(v);
    v = xasprintf("AWS4-HMAC-SHA256 %s, SignedHeaders=host;x-amz-date, Signature=zz",
                  good_credential);
    simple_init(&s, "GET", "/", NULL);
    simple_add(&s, "X-Amz-Date", "20150830T123600Z");
    simple_add(&s, "Authorization", v);
    assert_int_equal(sigv4_auth_parse(&auth, &s.req), 0);
    assert_string_equal(auth.signature, "");
    assert_int_equal(sigv4_verify(&auth, &s.req, example_secret, T0), SIGV4_MISMATCH);
    assert_string_equal(err_msg(),
                        "The request signature we calculated does not match the "
                        "signature you provided. Check your AWS Secret Access Key and "
                        "signing method. Consult the service documentation for details.");
    simple_release(&s);
    free(v);
}

static void test_malformed_presigned(void **state)
{
    (void)state;
    static const struct {
        const char *query;
        int rc;
        const char *message;
    } cases[] = {
        {"X-Amz-Signature=abc", SIGV4_INCOMPLETE,
         "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string "
         "parameters must include 'X-Amz-Credential'. AWS query-string parameters must include "
         "'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. "
         "Re-examine the query-string parameters."},
        {"X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2F"
         "us-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60"
         "&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
         SIGV4_UNSUPPORTED, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""},
        {"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2F"
         "us-east-1%2Fservice%2Faws4_request&X-Amz-Date=2015-08-30&X-Amz-Expires=60"
         "&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
         SIGV4_INCOMPLETE,
         "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""},
        {"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830&"
         "X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
         SIGV4_INCOMPLETE, "Credential must have exactly 5 slash-delimited elements"},
        {"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2F"
         "us-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Signature=a"
         "&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
         SIGV4_INCOMPLETE, "query parameter 'X-Amz-Signature' appears more than once"},
        {"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2F"
         "us-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z"
         "&X-Amz-SignedHeaders=x-amz-date&X-Amz-Signature=abc",
         SIGV4_INCOMPLETE,
         "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct simple s;
        struct sigv4_auth auth;
        simple_init(&s, "GET", "/", cases[i].query);
        int rc = sigv4_auth_parse(&auth, &s.req);
        if (rc != cases[i].rc || strncmp(err_msg(), cases[i].message, strlen(cases[i].message)))
            fail_msg("case %zu: got %d '%s', want %d '%s'", i, rc, err_msg(), cases[i].rc,
                     cases[i].message);
        simple_release(&s);
    }
}

static void test_missing_authentication(void **state)
{
    (void)state;
    struct simple s;
    struct sigv4_auth auth;

    simple_init(&s, "GET", "/", NULL);
    simple_add(&s, "X-Amz-Date", "20150830T123600Z");
    assert_int_equal(sigv4_auth_parse(&auth, &s.req), SIGV4_MISSING);
    assert_string_equal(err_msg(), "Missing Authentication Token");
    s.req.query = "Action=ListUsers&X-Amz-Date=20150830T123600Z";
    assert_int_equal(sigv4_auth_parse(&auth, &s.req), SIGV4_MISSING);
    simple_release(&s);
}

static void test_session_token(void **state)
{
    (void)state;
    /* Base64 with '/', '+' and '=', which the query form has to encode. */
    static const char token[] = "AQoDYXdzEPT//////////wEXAMPLE+tc764/bNrC9==";
    struct simple s;
    struct sigv4_auth auth;
    struct sigv4_signer signer = simple_signer(T0);
    signer.session_token = token;

    simple_init(&s, "POST", "/", NULL);
    simple_sign(&s, &signer);
    assert_int_equal(sigv4_auth_parse(&auth, &s.req), 0);
    assert_string_equal(auth.security_token, token);
    assert_string_equal(auth.signed_headers, "host;x-amz-date;x-amz-security-token");
    assert_int_equal(sigv4_verify(&auth, &s.req, example_secret, T0), 0);
    simple_release(&s);

    /* Token added after signing: carried, not signed. */
    signer.token_unsigned = true;
    simple_init(&s, "POST", "/", NULL);
    simple_sign(&s, &signer);
    assert_int_equal(sigv4_auth_parse(&auth, &s.req), 0);
    assert_string_equal(auth.security_token, token);
    assert_string_equal(auth.signed_headers, "host;x-amz-date");
    assert_int_equal(sigv4_verify(&auth, &s.req, example_secret, T0), 0);
    simple_release(&s);

    /* Presigned, signed token: decoded back, and tampering with it breaks the signature. */
    signer.token_unsigned = false;
    simple_init(&s, "GET", "/", "a=1");
    simple_presign(&s, &signer);
    assert_non_null(strstr(s.req.query, "X-Amz-Security-Token=AQoDYXdzEPT%2F%2F"));
    assert_int_equal(sigv4_auth_parse(&auth, &s.req), 0);
    assert_true(auth.presigned);
    assert_string_equal(auth.security_token, token);
    assert_int_equal(sigv4_verify(&auth, &s.req, example_secret, T0), 0);
    char *tampered = xstrdup(s.req.query);
    char *t = strstr(tampered, "X-Amz-Security-Token=AQ");
    t[strlen("X-Amz-Security-Token=A")] = 'X';
    s.req.query = tampered;
    assert_int_equal(sigv4_auth_parse(&auth, &s.req), 0);
    assert_int_equal(sigv4_verify(&auth, &s.req, example_secret, T0), SIGV4_MISMATCH);
    free(tampered);
    simple_release(&s);

    /* Presigned, token appended after signing: verification finds that form too. */
    signer.token_unsigned = true;
    simple_init(&s, "GET", "/", NULL);
    simple_presign(&s, &signer);
    assert_int_equal(sigv4_auth_parse(&auth, &s.req), 0);
    assert_string_equal(auth.security_token, token);
    assert_false(auth.token_unsigned);
    assert_int_equal(sigv4_verify(&auth, &s.req, example_secret, T0), 0);
    simple_release(&s);
}

/* Line `n` (0-based) of a canonical request. */
static char *creq_line(const char *creq, int n)
{
    for (int i = 0; i < n; i++) {
        creq = strchr(creq, '\n');
        assert_non_null(creq);
        creq++;
    }
    return xstrndup(creq, strcspn(creq, "\n"));
}

static char *canonical_line(const char *path, const char *query, bool s3, bool presigned,
                            const char *content_sha, int line)
{
    struct simple s;
    struct sigv4_auth auth;
    struct buf creq = BUF_INIT;

    simple_init(&s, "GET", path, query);
    s.req.s3 = s3;
    if (content_sha)
        simple_add(&s, "X-Amz-Content-Sha256", content_sha);
    memset(&auth, 0, sizeof(auth));
    auth.presigned = presigned;
    snprintf(auth.signed_headers, sizeof(auth.signed_headers), "host");
    int rc = sigv4_canonical_request(&creq, &s.req, &auth);
    if (rc < 0)
        fail_msg("canonical request: %s", err_msg());
    char *result = creq_line(creq.data, line);
    buf_release(&creq);
    simple_release(&s);
    return result;
}

static void assert_line(char *actual, const char *expected)
{
    assert_string_equal(actual, expected);
    free(actual);
}

static void test_canonical_uri(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        const char *normalized; /* every service but S3 */
        const char *s3;
    } cases[] = {
        {"/bucket/my-object//example//photo.user", "/bucket/my-object/example/photo.user",
         "/bucket/my-object//example//photo.user"},
        {"/bucket/a%2Fb%20c~%7e", "/bucket/a%252Fb%2520c~%257e", "/bucket/a%2Fb%20c~~"},
        {"/bucket/./x/../y", "/bucket/y", "/bucket/./x/../y"},
        {"/a/b/..", "/a/", "/a/b/.."},
        {"/a/b/.", "/a/b/", "/a/b/."},
        {"/../..", "/", "/../.."},
        {"", "/", "/"},
        {"/", "/", "/"},
        {"/%zz%4", "/%25zz%254", "/%25zz%254"},
        {"/\xe1\x88\xb4 $", "/%E1%88%B4%20%24", "/%E1%88%B4%20%24"},
        {"/a+b=c", "/a%2Bb%3Dc", "/a%2Bb%3Dc"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        assert_line(canonical_line(cases[i].path, NULL, false, false, NULL, 1),
                    cases[i].normalized);
        assert_line(canonical_line(cases[i].path, NULL, true, false, NULL, 1), cases[i].s3);
    }
}

static void test_canonical_query(void **state)
{
    (void)state;
    static const struct {
        const char *query;
        const char *canonical;
    } cases[] = {
        {"b=2&a=1", "a=1&b=2"},
        {"a=2&a=1&a=10", "a=1&a=10&a=2"},
        {"acl", "acl="},
        {"&&x=1&&", "x=1"},
        {"q=a+b%20c", "q=a%20b%20c"},
        {"q=%zz&r=%4", "q=%25zz&r=%254"},
        {"k%3d=v%2fw", "k%3D=v%2Fw"},
        {"=v", "=v"},
        {"a-._~=~", "a-._~=~"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_line(canonical_line("/", cases[i].query, false, false, NULL, 2), cases[i].canonical);
    /* A presigned request leaves its own signature out. */
    assert_line(canonical_line("/", "X-Amz-Signature=abc&b=1", false, true, NULL, 2), "b=1");
    assert_line(canonical_line("/", "X-Amz-Signature=abc&b=1", false, false, NULL, 2),
                "X-Amz-Signature=abc&b=1");
}

static void test_s3_mode(void **state)
{
    (void)state;
    struct simple s;
    struct sigv4_auth auth;
    struct buf creq = BUF_INIT;

    /* Payload: presigned S3 signs UNSIGNED-PAYLOAD; the header wins when present. */
    assert_line(canonical_line("/b/k", NULL, true, true, NULL, 6), "UNSIGNED-PAYLOAD");
    assert_line(canonical_line("/b/k", NULL, false, true, NULL, 6),
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_line(canonical_line("/b/k", NULL, true, false, "UNSIGNED-PAYLOAD", 6),
                "UNSIGNED-PAYLOAD");
    assert_line(canonical_line("/b/k", NULL, true, false, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", 6),
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");

    simple_init(&s, "PUT", "/b/k", NULL);
    s.req.s3 = true;
    s.req.payload_hash = NULL;
    memset(&auth, 0, sizeof(auth));
    snprintf(auth.signed_headers, sizeof(auth.signed_headers), "host");
    assert_int_equal(sigv4_canonical_request(&creq, &s.req, &auth), SIGV4_INCOMPLETE);
    assert_string_equal(err_msg(),
                        "Missing required header for this request: x-amz-content-sha256");
    assert_int_equal(creq.len, 0);
    simple_release(&s);
    buf_release(&creq);

    /* End to end: a key with doubled slashes and escapes, header form and presigned. */
    struct sigv4_signer signer = simple_signer(T0);
    signer.service = "s3";
    signer.sign_payload_header = true;
    simple_init(&s, "PUT", "/bucket/my-object//example//photo%20%2B.user", NULL);
    s.req.s3 = true;
    simple_sign(&s, &signer);
    assert_int_equal(simple_verify(&s, example_secret, T0), 0);
    assert_non_null(
        strstr(s.sig.canonical_request.data, "\n/bucket/my-object//example//photo%20%2B.user\n"));
    /* The same request read with the other services' rules does not verify. */
    s.req.s3 = false;
    assert_int_equal(simple_verify(&s, example_secret, T0), SIGV4_MISMATCH);
    simple_release(&s);

    simple_init(&s, "GET", "/bucket/key", NULL);
    s.req.s3 = true;
    s.req.payload_hash = NULL;
    simple_presign(&s, &signer);
    assert_int_equal(simple_verify(&s, example_secret, T0 + 30 * 1000), 0);
    simple_release(&s);
}

static void test_payload_hash(void **state)
{
    (void)state;
    struct simple s;
    struct sigv4_signer signer = simple_signer(T0);
    char other[65];

    signer.sign_payload_header = true;
    simple_init(&s, "PUT", "/bucket/key", NULL);
    s.req.s3 = true;
    simple_sign(&s, &signer);
    assert_int_equal(simple_verify(&s, example_secret, T0), 0);
    /* The same signed headers with another body. */
    hex_sha256(other, "tampered", 8);
    s.req.payload_hash = other;
    assert_int_equal(simple_verify(&s, example_secret, T0), SIGV4_PAYLOAD_MISMATCH);
    assert_string_equal(err_msg(), "The provided 'x-amz-content-sha256' header does not match "
                                   "what was computed.");
    /* Not computed (a streamed body): the header is what was signed. */
    s.req.payload_hash = NULL;
    assert_int_equal(simple_verify(&s, example_secret, T0), 0);
    simple_release(&s);
}

struct cache_thread {
    int rc;
    const char *secret;
    int expect;
};

static void *cache_thread_main(void *arg)
{
    struct cache_thread *t = arg;
    struct simple s;
    struct sigv4_signer signer = simple_signer(T0);

    t->rc = 0;
    simple_init(&s, "GET", "/", "x=1");
    simple_sign(&s, &signer);
    for (int i = 0; i < 200 && t->rc == 0; i++)
        if (simple_verify(&s, t->secret, T0) != t->expect)
            t->rc = -1;
    simple_release(&s);
    return NULL;
}

static void test_key_cache(void **state)
{
    (void)state;
    struct simple s;
    struct sigv4_signer signer = simple_signer(T0);
    struct sigv4_cache_stats stats;

    simple_init(&s, "GET", "/", NULL);
    simple_sign(&s, &signer);
    sigv4_cache_clear();
    assert_int_equal(simple_verify(&s, example_secret, T0), 0);
    sigv4_cache_stats(&stats);
    assert_int_equal(stats.hits, 0);
    assert_int_equal(stats.misses, 1);
    assert_int_equal(simple_verify(&s, example_secret, T0 + MINUTE), 0);
    sigv4_cache_stats(&stats);
    assert_int_equal(stats.hits, 1);
    assert_int_equal(stats.misses, 1);
    /* Same access key, other secret: a miss, never the cached key. */
    assert_int_equal(simple_verify(&s, wrong_secret, T0), SIGV4_MISMATCH);
    sigv4_cache_stats(&stats);
    assert_int_equal(stats.hits, 1);
    assert_int_equal(stats.misses, 2);
    assert_int_equal(simple_verify(&s, example_secret, T0), 0);
    sigv4_cache_stats(&stats);
    assert_int_equal(stats.hits, 2);
    simple_release(&s);

    /* Threads sharing the cache with two secrets each get their own answer. */
    pthread_t threads[6];
    struct cache_thread args[6];
    for (size_t i = 0; i < ARRAY_SIZE(threads); i++) {
        args[i].secret = i % 2 ? wrong_secret : example_secret;
        args[i].expect = i % 2 ? SIGV4_MISMATCH : 0;
        assert_int_equal(pthread_create(&threads[i], NULL, cache_thread_main, &args[i]), 0);
    }
    for (size_t i = 0; i < ARRAY_SIZE(threads); i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(args[i].rc, 0);
    }
}

static void test_header_values(void **state)
{
    (void)state;
    struct simple s;
    struct sigv4_auth auth;
    struct buf creq = BUF_INIT;

    simple_init(&s, "GET", "/", NULL);
    simple_add(&s, "My-Header", "  a \t  b  ");
    simple_add(&s, "my-header", "c");
    simple_add(&s, "X-Empty", "");
    memset(&auth, 0, sizeof(auth));
    snprintf(auth.signed_headers, sizeof(auth.signed_headers), "host;my-header;x-absent;x-empty");
    assert_int_equal(sigv4_canonical_request(&creq, &s.req, &auth), 0);
    assert_string_equal(creq.data,
                        "GET\n/\n\nhost:example.amazonaws.com\nmy-header:a b,c\n"
                        "x-absent:\nx-empty:\n\nhost;my-header;x-absent;x-empty\n"
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    buf_release(&creq);
    simple_release(&s);

    /* Upper-case hex in the signature is accepted. */
    struct sigv4_signer signer = simple_signer(T0);
    simple_init(&s, "GET", "/", NULL);
    simple_sign(&s, &signer);
    char *upper = xstrdup(s.sig.authorization.data);
    for (char *c = strstr(upper, "Signature=") + 10; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    simple_remove(&s, "Authorization");
    simple_add(&s, "Authorization", upper);
    assert_int_equal(simple_verify(&s, example_secret, T0), 0);
    free(upper);
    simple_release(&s);
}

int main(void)
{
    static const struct CMUnitTest unit_tests[] = {
        cmocka_unit_test(test_clock_skew),
        cmocka_unit_test(test_presigned_expiry),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_malformed_authorization),
        cmocka_unit_test(test_malformed_presigned),
        cmocka_unit_test(test_missing_authentication),
        cmocka_unit_test(test_session_token),
        cmocka_unit_test(test_canonical_uri),
        cmocka_unit_test(test_canonical_query),
        cmocka_unit_test(test_s3_mode),
        cmocka_unit_test(test_payload_hash),
        cmocka_unit_test(test_key_cache),
        cmocka_unit_test(test_header_values),
    };
    struct vector_case *cases = NULL;
    size_t count = 0, alloc = 0;
    char *root = vector_root();

    if (!root) {
        fprintf(stderr, "error: SLIPWAY_SOURCE_DIR is not set; the SigV4 vectors are needed\n");
        return 1;
    }
    for (size_t i = 0; i < ARRAY_SIZE(suite_dirs); i++) {
        char *dir = xasprintf("%s/%s", root, suite_dirs[i]);
        size_t before = count;
        collect_cases(&cases, &count, &alloc, (enum suite)i, dir);
        if (count - before != suite_case_counts[i]) {
            fprintf(stderr, "error: %zu SigV4 cases in '%s', expected %zu\n", count - before, dir,
                    suite_case_counts[i]);
            free(dir);
            free(root);
            free_cases(cases, count);
            return 1;
        }
        free(dir);
    }
    free(root);
    qsort(cases, count, sizeof(*cases), compare_cases);

    size_t total = ARRAY_SIZE(unit_tests) + count;
    struct CMUnitTest *tests = xcalloc(total, sizeof(*tests));
    memcpy(tests, unit_tests, sizeof(unit_tests));
    for (size_t i = 0; i < count; i++) {
        struct CMUnitTest *t = &tests[ARRAY_SIZE(unit_tests) + i];
        t->name = cases[i].test_name;
        t->test_func = cases[i].suite == SUITE_SIGNING ? test_signing_vector : test_legacy_vector;
        t->initial_state = &cases[i];
    }
    int failed = _cmocka_run_group_tests("sigv4", tests, total, NULL, NULL);

    free_cases(cases, count);
    free(tests);
    return failed ? 1 : 0;
}
