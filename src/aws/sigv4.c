#include "base/common.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>

#include "aws/sigv4.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"

#define SCOPE_TERMINATOR "aws4_request"
/* Longest piece of untrusted input echoed back in an error message. */
#define ECHO_MAX 512

static int echo_len(size_t len)
{
    return len > ECHO_MAX ? ECHO_MAX : (int)len;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* RFC 7230 tchar: what a header name in SignedHeaders may contain. */
static bool is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool has_control(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return true;
    }
    return false;
}

static bool is_hex_hash(const char *s, size_t len)
{
    if (len != SIGV4_HEX_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (hex_digit_value(s[i]) < 0)
            return false;
    return true;
}

static void trim(const char **s, size_t *len)
{
    const char *p = *s, *end = *s + *len;
    while (p < end && is_space(*p))
        p++;
    while (end > p && is_space(end[-1]))
        end--;
    *s = p;
    *len = (size_t)(end - p);
}

/* Copy into a fixed field of `cap` bytes (terminator included); false if it does not fit. */
static bool copy_field(char *dst, size_t cap, const char *s, size_t len)
{
    if (len >= cap)
        return false;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return true;
}

/* AWS's URI encoding: everything but the unreserved set as upper-case %XX. */
static void uri_encode(struct buf *out, const void *data, size_t len)
{
    static const char digits[] = "0123456789ABCDEF";
    const unsigned char *s = data;
    buf_grow(out, len);
    for (size_t i = 0; i < len;) {
        size_t run = i;
        while (run < len && is_unreserved(s[run]))
            run++;
        if (run > i) {
            buf_add(out, s + i, run - i);
            i = run;
            continue;
        }
        char pct[3] = {'%', digits[s[i] >> 4], digits[s[i] & 15]};
        buf_add(out, pct, 3);
        i++;
    }
}

/*
 * Percent-decoding of untrusted text: a '%' not followed by two hex digits
 * stays literal, so every input has exactly one decoding.
 */
static size_t pct_decode_at(const char *s, size_t len, size_t i, unsigned char *c,
                            bool plus_is_space)
{
    if (s[i] == '%' && i + 2 < len) {
        int hi = hex_digit_value(s[i + 1]), lo = hex_digit_value(s[i + 2]);
        if (hi >= 0 && lo >= 0) {
            *c = (unsigned char)(hi << 4 | lo);
            return 3;
        }
    }
    *c = (plus_is_space && s[i] == '+') ? ' ' : (unsigned char)s[i];
    return 1;
}

static void pct_decode(struct buf *out, const char *s, size_t len, bool plus_is_space)
{
    buf_grow(out, len);
    for (size_t i = 0; i < len;) {
        unsigned char c;
        i += pct_decode_at(s, len, i, &c, plus_is_space);
        buf_addch(out, c);
    }
}

/* Decode into a fixed field; false if it does not fit. */
static bool pct_decode_fixed(char *dst, size_t cap, size_t *len_out, const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c;
        i += pct_decode_at(s, len, i, &c, true);
        if (n + 1 >= cap)
            return false;
        dst[n++] = (char)c;
    }
    dst[n] = '\0';
    *len_out = n;
    return true;
}

/* Splits a query string into its non-empty "key[=value]" pieces. */
struct query_iter {
    const char *p;
    const char *end;
};

static bool query_next(struct query_iter *it, const char **key, size_t *key_len, const char **value,
                       size_t *value_len)
{
    while (it->p < it->end) {
        const char *amp = memchr(it->p, '&', (size_t)(it->end - it->p));
        const char *piece_end = amp ? amp : it->end;
        const char *piece = it->p;
        it->p = amp ? amp + 1 : it->end;
        if (piece == piece_end)
            continue;
        const char *eq = memchr(piece, '=', (size_t)(piece_end - piece));
        *key = piece;
        *key_len = (size_t)((eq ? eq : piece_end) - piece);
        *value = eq ? eq + 1 : piece_end;
        *value_len = (size_t)(piece_end - *value);
        return true;
    }
    return false;
}

static const struct header_field *header_find(const struct sigv4_request *req, const char *name)
{
    return header_fields_find(req->headers, req->header_count, name);
}

/*
 * Per-thread scratch space, grown once and reused: verification runs on every
 * request and should not allocate in the steady state. A pthread key frees it
 * when a thread exits; an unusually large request does not pin its memory.
 */
struct query_param {
    size_t key_off, key_len, value_off, value_len;
    const char *key, *value;
};

struct sigv4_scratch {
    struct buf creq;
    struct buf sts;
    struct buf text;
    struct buf decoded;
    struct query_param *params;
    size_t params_alloc;
};

#define SCRATCH_KEEP_MAX (64 * 1024)

static _Thread_local struct sigv4_scratch thread_scratch;
static _Thread_local bool thread_scratch_registered;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_release(void *p)
{
    struct sigv4_scratch *s = p;
    buf_release(&s->creq);
    buf_release(&s->sts);
    buf_release(&s->text);
    buf_release(&s->decoded);
    free(s->params);
    s->params = NULL;
    s->params_alloc = 0;
}

static void scratch_key_create(void)
{
    if (pthread_key_create(&scratch_key, scratch_release) != 0)
        abort();
}

static struct sigv4_scratch *scratch_get(void)
{
    struct sigv4_scratch *s = &thread_scratch;
    if (!thread_scratch_registered) {
        buf_init(&s->creq);
        buf_init(&s->sts);
        buf_init(&s->text);
        buf_init(&s->decoded);
        pthread_once(&scratch_once, scratch_key_create);
        pthread_setspecific(scratch_key, s);
        thread_scratch_registered = true;
    }
    return s;
}

static void scratch_trim(struct buf *b)
{
    if (b->alloc > SCRATCH_KEEP_MAX)
        buf_release(b);
    else
        buf_reset(b);
}

static void scratch_done(struct sigv4_scratch *s)
{
    scratch_trim(&s->creq);
    scratch_trim(&s->sts);
    scratch_trim(&s->text);
    scratch_trim(&s->decoded);
    if (s->params_alloc * sizeof(*s->params) > SCRATCH_KEEP_MAX) {
        free(s->params);
        s->params = NULL;
        s->params_alloc = 0;
    }
}

/* Encode one path segment; S3 decodes it first so that it ends up encoded once. */
static void encode_segment(struct buf *out, const char *s, size_t len, bool decode_first)
{
    if (!decode_first) {
        uri_encode(out, s, len);
        return;
    }
    for (size_t i = 0; i < len;) {
        unsigned char c;
        i += pct_decode_at(s, len, i, &c, false);
        uri_encode(out, &c, 1);
    }
}

/*
 * The canonical URI. Normalising follows RFC 3986 remove_dot_segments on the
 * raw path, and also drops empty segments (duplicate slashes), as the AWS
 * SDKs do; a path ending in '/', "." or ".." keeps its trailing slash.
 */
static void canonical_uri(struct buf *out, const char *path, bool normalize, bool decode_first)
{
    size_t len = strlen(path);
    const char *p = path, *end = path + len;
    size_t base = out->len;

    if (p < end && *p == '/')
        p++;
    if (!normalize) {
        buf_addch(out, '/');
        while (p <= end) {
            const char *slash = memchr(p, '/', (size_t)(end - p));
            const char *seg_end = slash ? slash : end;
            encode_segment(out, p, (size_t)(seg_end - p), decode_first);
            if (!slash)
                break;
            buf_addch(out, '/');
            p = slash + 1;
        }
        return;
    }

    bool trailing = false;
    for (;;) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *seg_end = slash ? slash : end;
        size_t seg_len = (size_t)(seg_end - p);
        if (seg_len == 0 || slice_eq(p, seg_len, ".")) {
            trailing = true;
        } else if (slice_eq(p, seg_len, "..")) {
            size_t cut = out->len;
            while (cut > base && out->data[cut - 1] != '/')
                cut--;
            if (cut > base)
                buf_setlen(out, cut - 1);
            trailing = true;
        } else {
            buf_addch(out, '/');
            encode_segment(out, p, seg_len, decode_first);
            trailing = false;
        }
        if (!slash)
            break;
        p = slash + 1;
    }
    if (out->len == base || trailing)
        buf_addch(out, '/');
}

static int compare_params(const void *a, const void *b)
{
    const struct query_param *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c || x->key_len != y->key_len)
        return c ? c : (x->key_len < y->key_len ? -1 : 1);
    n = x->value_len < y->value_len ? x->value_len : y->value_len;
    c = memcmp(x->value, y->value, n);
    if (c || x->value_len != y->value_len)
        return c ? c : (x->value_len < y->value_len ? -1 : 1);
    return 0;
}

/*
 * The canonical query string: every parameter decoded ('+' is a space, as in
 * form encoding) and encoded again with AWS's unreserved set, sorted by
 * encoded name, then value. A presigned request leaves out its signature
 * (and the session token when it was added after signing).
 */
static void canonical_query(struct buf *out, struct sigv4_scratch *s, const char *query,
                            bool presigned, bool include_token)
{
    struct query_iter it = {query, query + strlen(query)};
    const char *key, *value;
    size_t key_len, value_len, count = 0;

    buf_reset(&s->text);
    while (query_next(&it, &key, &key_len, &value, &value_len)) {
        struct query_param param;

        buf_reset(&s->decoded);
        pct_decode(&s->decoded, key, key_len, true);
        if (presigned &&
            (slice_eq(s->decoded.data, s->decoded.len, "X-Amz-Signature") ||
             (!include_token && slice_eq(s->decoded.data, s->decoded.len, "X-Amz-Security-Token"))))
            continue;
        param.key_off = s->text.len;
        uri_encode(&s->text, s->decoded.data, s->decoded.len);
        param.key_len = s->text.len - param.key_off;

        buf_reset(&s->decoded);
        pct_decode(&s->decoded, value, value_len, true);
        param.value_off = s->text.len;
        uri_encode(&s->text, s->decoded.data, s->decoded.len);
        param.value_len = s->text.len - param.value_off;

        ALLOC_GROW(s->params, count + 1, s->params_alloc);
        s->params[count++] = param;
    }
    /* Offsets until here: the text buffer moves while it grows. */
    for (size_t i = 0; i < count; i++) {
        s->params[i].key = s->text.data + s->params[i].key_off;
        s->params[i].value = s->text.data + s->params[i].value_off;
    }
    if (count > 1)
        qsort(s->params, count, sizeof(*s->params), compare_params);
    for (size_t i = 0; i < count; i++) {
        if (i)
            buf_addch(out, '&');
        buf_add(out, s->params[i].key, s->params[i].key_len);
        buf_addch(out, '=');
        buf_add(out, s->params[i].value, s->params[i].value_len);
    }
}

/* A header value trimmed, with every run of whitespace inside it made one space. */
static void add_header_value(struct buf *out, const char *value, size_t len)
{
    trim(&value, &len);
    for (size_t i = 0; i < len;) {
        size_t run = i;
        while (run < len && !is_space(value[run]))
            run++;
        buf_add(out, value + i, run - i);
        if (run == len)
            break;
        buf_addch(out, ' ');
        while (run < len && is_space(value[run]))
            run++;
        i = run;
    }
}

/*
 * One "name:value\n" line per signed header, in SignedHeaders order (which a
 * correct client sends sorted). Repeated headers are joined with ',' in the
 * order received; a signed header the request lacks gets an empty value.
 */
static int canonical_headers(struct buf *out, const struct sigv4_request *req,
                             const struct sigv4_auth *auth)
{
    const char *p = auth->signed_headers;
    const char *end = p + strlen(p);

    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        size_t name_len = (size_t)((semi ? semi : end) - p);
        bool first = true;

        for (size_t i = 0; i < name_len; i++)
            buf_addch(out, tolower((unsigned char)p[i]));
        buf_addch(out, ':');
        for (size_t i = 0; i < req->header_count; i++) {
            const struct header_field *h = &req->headers[i];
            if (!h->name || h->name_len != name_len || strncasecmp(h->name, p, name_len) != 0)
                continue;
            if (h->value_len > SIGV4_HEADER_VALUE_MAX)
                return err_set(SIGV4_TOO_LARGE, "header '%.*s' is longer than %d bytes",
                               (int)name_len, p, SIGV4_HEADER_VALUE_MAX);
            if (!first)
                buf_addch(out, ',');
            add_header_value(out, h->value ? h->value : "", h->value ? h->value_len : 0);
            first = false;
        }
        buf_addch(out, '\n');
        p = semi ? semi + 1 : end;
    }
    return 0;
}

/*
 * What the request signed as its payload: the x-amz-content-sha256 header
 * when present (a hash, UNSIGNED-PAYLOAD or STREAMING-*), UNSIGNED-PAYLOAD
 * for a presigned S3 URL, else the hash the server computed.
 */
static int payload_signed(const char **out, size_t *len_out, const struct sigv4_request *req,
                          const struct sigv4_auth *auth)
{
    const struct header_field *h = header_find(req, "x-amz-content-sha256");

    if (h && h->value) {
        const char *v = h->value;
        size_t len = h->value_len;
        trim(&v, &len);
        if (len > SIGV4_HEADER_VALUE_MAX)
            return err_set(SIGV4_TOO_LARGE, "header 'x-amz-content-sha256' is longer than %d bytes",
                           SIGV4_HEADER_VALUE_MAX);
        *out = v;
        *len_out = len;
        return 0;
    }
    if (auth->presigned && req->s3) {
        *out = SIGV4_UNSIGNED_PAYLOAD;
        *len_out = strlen(SIGV4_UNSIGNED_PAYLOAD);
        return 0;
    }
    if (req->payload_hash) {
        *out = req->payload_hash;
        *len_out = strlen(req->payload_hash);
        return 0;
    }
    if (req->s3)
        return err_set(SIGV4_INCOMPLETE,
                       "Missing required header for this request: x-amz-content-sha256");
    return err_set(SIGV4_INCOMPLETE, "no payload hash for the request: the body was not hashed");
}

static int build_canonical_request(struct buf *out, struct sigv4_scratch *s,
                                   const struct sigv4_request *req, const struct sigv4_auth *auth,
                                   bool include_token)
{
    const char *path = req->path && req->path[0] ? req->path : "/";
    const char *query = req->query ? req->query : "";
    const char *payload = NULL;
    size_t payload_len = 0;
    int rc;

    if (strlen(path) > SIGV4_PATH_MAX)
        return err_set(SIGV4_TOO_LARGE, "request path is longer than %d bytes", SIGV4_PATH_MAX);
    if (strlen(query) > SIGV4_QUERY_MAX)
        return err_set(SIGV4_TOO_LARGE, "query string is longer than %d bytes", SIGV4_QUERY_MAX);
    if ((rc = payload_signed(&payload, &payload_len, req, auth)) < 0)
        return rc;

    buf_adds(out, req->method ? req->method : "");
    buf_addch(out, '\n');
    canonical_uri(out, path, !req->s3 && !req->no_normalize, req->s3);
    buf_addch(out, '\n');
    canonical_query(out, s, query, auth->presigned, include_token);
    buf_addch(out, '\n');
    if ((rc = canonical_headers(out, req, auth)) < 0)
        return rc;
    buf_addch(out, '\n');
    buf_adds(out, auth->signed_headers);
    buf_addch(out, '\n');
    buf_add(out, payload, payload_len);
    return 0;
}

int sigv4_canonical_request(struct buf *out, const struct sigv4_request *req,
                            const struct sigv4_auth *auth)
{
    struct sigv4_scratch *s = scratch_get();
    size_t start = out->len;
    int rc = build_canonical_request(out, s, req, auth, !auth->token_unsigned);
    if (rc < 0 && out->alloc)
        buf_setlen(out, start);
    scratch_done(s);
    return rc;
}

void sigv4_string_to_sign(struct buf *out, const struct sigv4_auth *auth,
                          const char *canonical_request, size_t len)
{
    uint8_t digest[SHA256_LEN];
    char hex[2 * SHA256_LEN + 1];

    sha256(digest, canonical_request, len);
    hex_encode(hex, digest, sizeof(digest));
    buf_addf(out, SIGV4_ALGORITHM "\n%s\n%s/%s/%s/" SCOPE_TERMINATOR "\n%s", auth->amz_date,
             auth->date, auth->region, auth->service, hex);
}

void sigv4_signing_key(uint8_t out[32], const char *secret_access_key, const char *date,
                       const char *region, const char *service)
{
    size_t secret_len = strlen(secret_access_key);
    char stack_key[4 + 256];
    char *key = secret_len <= 256 ? stack_key : xmalloc(4 + secret_len);
    uint8_t k[SHA256_LEN];

    memcpy(key, "AWS4", 4);
    memcpy(key + 4, secret_access_key, secret_len);
    hmac_sha256(k, key, 4 + secret_len, date, strlen(date));
    hmac_sha256(k, k, sizeof(k), region, strlen(region));
    hmac_sha256(k, k, sizeof(k), service, strlen(service));
    hmac_sha256(out, k, sizeof(k), SCOPE_TERMINATOR, strlen(SCOPE_TERMINATOR));
    explicit_bzero(key, 4 + secret_len);
    explicit_bzero(k, sizeof(k));
    if (key != stack_key)
        free(key);
}

/*
 * The signing-key cache. Deriving a key costs four HMACs; a lookup costs one
 * SHA-256 of the derivation inputs. Entries are found by that (salted) hash,
 * which includes the secret itself, so a rotated secret or a wrong one can
 * never hit a key derived from another. Direct-mapped: a collision evicts.
 */
#define KEY_CACHE_SLOTS 256

struct key_cache_slot {
    bool used;
    uint8_t id[SHA256_LEN];
    uint8_t key[SHA256_LEN];
};

static struct key_cache_slot key_cache[KEY_CACHE_SLOTS];
static pthread_mutex_t key_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t key_cache_salt[16];
static pthread_once_t key_cache_once = PTHREAD_ONCE_INIT;
static atomic_uint_fast64_t key_cache_hits, key_cache_misses;

static void key_cache_init(void)
{
    random_bytes(key_cache_salt, sizeof(key_cache_salt));
}

static void id_add(uint8_t *buf, size_t *len, const char *field)
{
    uint32_t n = (uint32_t)strlen(field);
    memcpy(buf + *len, &n, sizeof(n));
    memcpy(buf + *len + sizeof(n), field, n);
    *len += sizeof(n) + n;
}

/* False when the inputs are too long to cache (then the key is just derived). */
static bool key_cache_id(uint8_t id[SHA256_LEN], const char *secret, const struct sigv4_auth *auth)
{
    uint8_t buf[1024];
    size_t len = 0;
    const char *fields[] = {secret, auth->access_key_id, auth->date, auth->region, auth->service};
    size_t need = sizeof(key_cache_salt);

    for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
        need += sizeof(uint32_t) + strlen(fields[i]);
    if (need > sizeof(buf))
        return false;
    pthread_once(&key_cache_once, key_cache_init);
    memcpy(buf, key_cache_salt, sizeof(key_cache_salt));
    len = sizeof(key_cache_salt);
    for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
        id_add(buf, &len, fields[i]);
    sha256(id, buf, len);
    explicit_bzero(buf, len);
    return true;
}

static void signing_key_cached(uint8_t out[SHA256_LEN], const struct sigv4_auth *auth,
                               const char *secret)
{
    uint8_t id[SHA256_LEN];

    if (!key_cache_id(id, secret, auth)) {
        sigv4_signing_key(out, secret, auth->date, auth->region, auth->service);
        return;
    }
    struct key_cache_slot *slot = &key_cache[(id[0] | id[1] << 8) % KEY_CACHE_SLOTS];

    pthread_mutex_lock(&key_cache_lock);
    if (slot->used && memcmp(slot->id, id, sizeof(id)) == 0) {
        memcpy(out, slot->key, SHA256_LEN);
        pthread_mutex_unlock(&key_cache_lock);
        atomic_fetch_add_explicit(&key_cache_hits, 1, memory_order_relaxed);
        return;
    }
    pthread_mutex_unlock(&key_cache_lock);

    /* Derive outside the lock; two threads racing on a miss store the same key. */
    sigv4_signing_key(out, secret, auth->date, auth->region, auth->service);
    atomic_fetch_add_explicit(&key_cache_misses, 1, memory_order_relaxed);
    pthread_mutex_lock(&key_cache_lock);
    slot->used = true;
    memcpy(slot->id, id, sizeof(id));
    memcpy(slot->key, out, SHA256_LEN);
    pthread_mutex_unlock(&key_cache_lock);
}

void sigv4_cache_stats(struct sigv4_cache_stats *out)
{
    out->hits = atomic_load(&key_cache_hits);
    out->misses = atomic_load(&key_cache_misses);
}

void sigv4_cache_clear(void)
{
    pthread_mutex_lock(&key_cache_lock);
    explicit_bzero(key_cache, sizeof(key_cache));
    pthread_mutex_unlock(&key_cache_lock);
    atomic_store(&key_cache_hits, 0);
    atomic_store(&key_cache_misses, 0);
}

/* Parsing. */

static int parse_credential(struct sigv4_auth *a, const char *s, size_t len)
{
    const char *parts[5];
    size_t lens[5];
    size_t n = 0;
    const char *p = s, *end = s + len;

    for (;;) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        if (n == ARRAY_SIZE(parts)) {
            n++;
            break;
        }
        parts[n] = p;
        lens[n] = (size_t)((slash ? slash : end) - p);
        n++;
        if (!slash)
            break;
        p = slash + 1;
    }
    if (n != ARRAY_SIZE(parts))
        return err_set(SIGV4_INCOMPLETE,
                       "Credential must have exactly 5 slash-delimited elements, e.g. "
                       "keyid/date/region/service/term, got '%.*s'",
                       echo_len(len), s);
    if (has_control(s, len))
        return err_set(SIGV4_INCOMPLETE, "Credential contains a control character");
    if (!slice_eq(parts[4], lens[4], SCOPE_TERMINATOR))
        return err_set(SIGV4_INCOMPLETE,
                       "Credential should be scoped with a valid terminator: '" SCOPE_TERMINATOR
                       "', not '%.*s'. ",
                       echo_len(lens[4]), parts[4]);
    if (!copy_field(a->access_key_id, sizeof(a->access_key_id), parts[0], lens[0]) ||
        !copy_field(a->date, sizeof(a->date), parts[1], lens[1]) ||
        !copy_field(a->region, sizeof(a->region), parts[2], lens[2]) ||
        !copy_field(a->service, sizeof(a->service), parts[3], lens[3]))
        return err_set(SIGV4_INCOMPLETE,
                       "Credential is malformed: an element is too long in '%.*s'", echo_len(len),
                       s);
    return 0;
}

static int parse_signed_headers(struct sigv4_auth *a, const char *s, size_t len)
{
    const char *p = s, *end = s + len;
    size_t count = 0;
    bool host = false;

    if (len > SIGV4_SIGNED_HEADERS_LEN_MAX)
        return err_set(SIGV4_INCOMPLETE, "SignedHeaders is longer than %d characters",
                       SIGV4_SIGNED_HEADERS_LEN_MAX);
    while (p <= end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        size_t name_len = (size_t)((semi ? semi : end) - p);
        if (name_len == 0)
            return err_set(SIGV4_INCOMPLETE, "SignedHeaders has an empty header name: '%.*s'",
                           echo_len(len), s);
        for (size_t i = 0; i < name_len; i++)
            if (!is_tchar((unsigned char)p[i]))
                return err_set(SIGV4_INCOMPLETE, "SignedHeaders has an invalid header name: '%.*s'",
                               echo_len(name_len), p);
        if (++count > SIGV4_SIGNED_HEADERS_MAX)
            return err_set(SIGV4_INCOMPLETE, "SignedHeaders names more than %d headers",
                           SIGV4_SIGNED_HEADERS_MAX);
        if (slice_eq_nocase(p, name_len, "host"))
            host = true;
        if (!semi)
            break;
        p = semi + 1;
    }
    if (!host)
        return err_set(SIGV4_INCOMPLETE,
                       "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    copy_field(a->signed_headers, sizeof(a->signed_headers), s, len);
    a->signed_header_count = count;
    return 0;
}

/* A signature that is not 64 hex digits is kept as "": it can only fail to match. */
static void parse_signature(struct sigv4_auth *a, const char *s, size_t len)
{
    if (!is_hex_hash(s, len)) {
        a->signature[0] = '\0';
        return;
    }
    for (size_t i = 0; i < len; i++)
        a->signature[i] = (char)tolower((unsigned char)s[i]);
    a->signature[len] = '\0';
}

static int parse_token(struct sigv4_auth *a, const char *s, size_t len)
{
    if (len > SIGV4_TOKEN_MAX)
        return err_set(SIGV4_TOO_LARGE, "X-Amz-Security-Token is longer than %d bytes",
                       SIGV4_TOKEN_MAX);
    if (has_control(s, len))
        return err_set(SIGV4_INCOMPLETE, "X-Amz-Security-Token contains a control character");
    copy_field(a->security_token, sizeof(a->security_token), s, len);
    return 0;
}

/* The X-Amz-Date form of a time; false outside the years 0000 to 9999. */
static bool format_amz_date(char out[SIGV4_AMZ_DATE_LEN + 1], int64_t ms)
{
    char text[TIME_TEXT_MAX];

    time_format_amz(text, ms);
    return strlen(text) == SIGV4_AMZ_DATE_LEN &&
           copy_field(out, SIGV4_AMZ_DATE_LEN + 1, text, SIGV4_AMZ_DATE_LEN);
}

static const char iso8601_hint[] = "See http://en.wikipedia.org/wiki/ISO_8601";

/* Header form: the request time from X-Amz-Date, else from Date. 1 when neither is present. */
static int parse_request_date(struct sigv4_auth *a, const struct sigv4_request *req)
{
    const struct header_field *h = header_find(req, "x-amz-date");
    bool amz = h != NULL;

    if (!h)
        h = header_find(req, "date");
    if (!h || !h->value)
        return 1;

    const char *v = h->value;
    size_t len = h->value_len;
    int64_t ms;
    trim(&v, &len);
    if (time_parse_amz(&ms, v, len) == 0) {
        copy_field(a->amz_date, sizeof(a->amz_date), v, len);
    } else if (!amz && time_parse_http(&ms, v, len) == 0 && format_amz_date(a->amz_date, ms)) {
        /* The string to sign carries the Date header's time in the X-Amz-Date form. */
    } else {
        return err_set(SIGV4_INCOMPLETE, "Date must be in ISO-8601 'basic format'. Got '%.*s'. %s",
                       echo_len(len), v, iso8601_hint);
    }
    a->time_ms = ms;
    return 0;
}

static int parse_authorization(struct sigv4_auth *a, const struct sigv4_request *req,
                               const struct header_field *h)
{
    const char *value = h->value ? h->value : "";
    size_t len = h->value ? h->value_len : 0;

    if (len > SIGV4_AUTH_HEADER_MAX)
        return err_set(SIGV4_TOO_LARGE, "Authorization header is longer than %d bytes",
                       SIGV4_AUTH_HEADER_MAX);
    trim(&value, &len);
    if (has_control(value, len))
        return err_set(SIGV4_INCOMPLETE, "Authorization header contains a control character");

    const char *end = value + len, *p = value;
    while (p < end && !is_space(*p))
        p++;
    const char *algorithm = value;
    size_t algorithm_len = (size_t)(p - value);

    /* key=value components separated by ',', the way AWS reads them. */
    const char *cred = NULL, *signed_headers = NULL, *signature = NULL;
    size_t cred_len = 0, signed_headers_len = 0, signature_len = 0;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item = p;
        size_t item_len = (size_t)((comma ? comma : end) - p);
        p = comma ? comma + 1 : end;
        trim(&item, &item_len);
        if (item_len == 0)
            continue;
        const char *eq = memchr(item, '=', item_len);
        if (!eq)
            return err_set(SIGV4_INCOMPLETE,
                           "'%.*s' not a valid key=value pair (missing equal-sign) in "
                           "Authorization header: '%.*s'.",
                           echo_len(item_len), item, echo_len(len), value);
        const char *key = item, *val = eq + 1;
        size_t key_len = (size_t)(eq - item), val_len = (size_t)(item + item_len - val);
        trim(&key, &key_len);
        trim(&val, &val_len);

        const char **slot = NULL;
        size_t *slot_len = NULL;
        if (slice_eq(key, key_len, "Credential")) {
            slot = &cred;
            slot_len = &cred_len;
        } else if (slice_eq(key, key_len, "SignedHeaders")) {
            slot = &signed_headers;
            slot_len = &signed_headers_len;
        } else if (slice_eq(key, key_len, "Signature")) {
            slot = &signature;
            slot_len = &signature_len;
        }
        if (!slot)
            continue;
        if (*slot)
            return err_set(SIGV4_INCOMPLETE, "Authorization header has more than one '%.*s'",
                           (int)key_len, key);
        *slot = val;
        *slot_len = val_len;
    }

    int date_rc = parse_request_date(a, req);
    if (date_rc < 0)
        return date_rc;
    if (!cred_len || !signature_len || !signed_headers_len || date_rc > 0) {
        char message[1024];
        size_t n = 0;
        message[0] = '\0';
        if (!cred_len)
            n += (size_t)snprintf(message + n, sizeof(message) - n,
                                  "Authorization header requires 'Credential' parameter. ");
        if (!signature_len)
            n += (size_t)snprintf(message + n, sizeof(message) - n,
                                  "Authorization header requires 'Signature' parameter. ");
        if (!signed_headers_len)
            n += (size_t)snprintf(message + n, sizeof(message) - n,
                                  "Authorization header requires 'SignedHeaders' parameter. ");
        if (date_rc > 0)
            n += (size_t)snprintf(message + n, sizeof(message) - n,
                                  "Authorization header requires existence of either a "
                                  "'X-Amz-Date' or a 'Date' header. ");
        return err_set(SIGV4_INCOMPLETE, "%sAuthorization=%.*s", message, echo_len(len), value);
    }
    if (!slice_eq(algorithm, algorithm_len, SIGV4_ALGORITHM))
        return err_set(SIGV4_UNSUPPORTED, "The authorization mechanism you have provided is not "
                                          "supported. Please use " SIGV4_ALGORITHM ".");

    int rc;
    if ((rc = parse_credential(a, cred, cred_len)) < 0 ||
        (rc = parse_signed_headers(a, signed_headers, signed_headers_len)) < 0)
        return rc;
    parse_signature(a, signature, signature_len);

    const struct header_field *token = header_find(req, "x-amz-security-token");
    if (token && token->value) {
        const char *v = token->value;
        size_t token_len = token->value_len;
        trim(&v, &token_len);
        if ((rc = parse_token(a, v, token_len)) < 0)
            return rc;
    }
    a->presigned = false;
    return 0;
}

/* The presigned parameters, in the order AWS reports them missing. */
enum query_auth_param {
    Q_ALGORITHM,
    Q_CREDENTIAL,
    Q_SIGNATURE,
    Q_SIGNED_HEADERS,
    Q_DATE,
    Q_EXPIRES,
    Q_TOKEN,
    Q_COUNT,
};

static const char *const query_auth_names[Q_COUNT] = {
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",      "X-Amz-SignedHeaders",
    "X-Amz-Date",      "X-Amz-Expires",    "X-Amz-Security-Token",
};

/* Which auth parameter a raw query key names, decoded; -1 for any other. */
static int query_auth_param(const char *key, size_t key_len)
{
    char name[32];
    size_t len;

    if (key_len >= 3 * sizeof(name) || !pct_decode_fixed(name, sizeof(name), &len, key, key_len))
        return -1;
    for (int i = 0; i < Q_COUNT; i++)
        if (slice_eq(name, len, query_auth_names[i]))
            return i;
    return -1;
}

static int parse_expires(struct sigv4_auth *a, const char *s, size_t len)
{
    int64_t v = 0;

    if (len > 0 && s[0] == '-')
        return err_set(SIGV4_INCOMPLETE, "X-Amz-Expires must be non-negative");
    if (len == 0)
        return err_set(SIGV4_INCOMPLETE, "X-Amz-Expires should be a number");
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return err_set(SIGV4_INCOMPLETE, "X-Amz-Expires should be a number");
        if (v <= SIGV4_EXPIRES_MAX)
            v = v * 10 + (s[i] - '0');
    }
    if (v > SIGV4_EXPIRES_MAX)
        return err_set(SIGV4_INCOMPLETE,
                       "X-Amz-Expires must be less than a week (in seconds) that is 604800");
    if (v == 0)
        return err_set(SIGV4_INCOMPLETE, "X-Amz-Expires must be greater than 0");
    a->expires_s = v;
    return 0;
}

static int parse_presigned(struct sigv4_auth *a, const char *query)
{
    size_t query_len = strlen(query);
    struct query_iter it = {query, query + query_len};
    const char *key, *value;
    size_t key_len, value_len;
    const char *raw[Q_COUNT] = {0};
    size_t raw_len[Q_COUNT] = {0};
    char text[SIGV4_SIGNED_HEADERS_LEN_MAX + 1];
    size_t text_len;
    int rc;

    if (query_len > SIGV4_QUERY_MAX)
        return err_set(SIGV4_TOO_LARGE, "query string is longer than %d bytes", SIGV4_QUERY_MAX);
    while (query_next(&it, &key, &key_len, &value, &value_len)) {
        int param = query_auth_param(key, key_len);
        if (param < 0)
            continue;
        if (raw[param])
            return err_set(SIGV4_INCOMPLETE, "query parameter '%s' appears more than once",
                           query_auth_names[param]);
        raw[param] = value;
        raw_len[param] = value_len;
    }

    /* A parameter that is present but empty is as good as missing. */
    char message[1024];
    size_t n = 0;
    message[0] = '\0';
    for (int i = Q_ALGORITHM; i <= Q_DATE; i++)
        if (!raw_len[i])
            n += (size_t)snprintf(message + n, sizeof(message) - n,
                                  "AWS query-string parameters must include '%s'. ",
                                  query_auth_names[i]);
    if (n)
        return err_set(SIGV4_INCOMPLETE, "%sRe-examine the query-string parameters.", message);

    if (!pct_decode_fixed(text, sizeof(text), &text_len, raw[Q_ALGORITHM], raw_len[Q_ALGORITHM]) ||
        !slice_eq(text, text_len, SIGV4_ALGORITHM))
        return err_set(SIGV4_UNSUPPORTED, "X-Amz-Algorithm only supports \"" SIGV4_ALGORITHM "\"");

    if (!pct_decode_fixed(text, sizeof(text), &text_len, raw[Q_CREDENTIAL], raw_len[Q_CREDENTIAL]))
        return err_set(SIGV4_INCOMPLETE, "X-Amz-Credential is longer than %zu characters",
                       sizeof(text) - 1);
    if ((rc = parse_credential(a, text, text_len)) < 0)
        return rc;

    int64_t ms;
    if (!pct_decode_fixed(text, sizeof(text), &text_len, raw[Q_DATE], raw_len[Q_DATE]) ||
        time_parse_amz(&ms, text, text_len) < 0)
        return err_set(SIGV4_INCOMPLETE,
                       "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    copy_field(a->amz_date, sizeof(a->amz_date), text, text_len);
    a->time_ms = ms;

    if (raw[Q_EXPIRES]) {
        if (!pct_decode_fixed(text, sizeof(text), &text_len, raw[Q_EXPIRES], raw_len[Q_EXPIRES]))
            return err_set(SIGV4_INCOMPLETE, "X-Amz-Expires should be a number");
        if ((rc = parse_expires(a, text, text_len)) < 0)
            return rc;
    }

    if (!pct_decode_fixed(text, sizeof(text), &text_len, raw[Q_SIGNED_HEADERS],
                          raw_len[Q_SIGNED_HEADERS]))
        return err_set(SIGV4_INCOMPLETE, "SignedHeaders is longer than %d characters",
                       SIGV4_SIGNED_HEADERS_LEN_MAX);
    if ((rc = parse_signed_headers(a, text, text_len)) < 0)
        return rc;

    if (pct_decode_fixed(text, sizeof(text), &text_len, raw[Q_SIGNATURE], raw_len[Q_SIGNATURE]))
        parse_signature(a, text, text_len);

    if (raw[Q_TOKEN]) {
        if (!pct_decode_fixed(a->security_token, sizeof(a->security_token), &text_len, raw[Q_TOKEN],
                              raw_len[Q_TOKEN]))
            return err_set(SIGV4_TOO_LARGE, "X-Amz-Security-Token is longer than %d bytes",
                           SIGV4_TOKEN_MAX);
        if ((rc = parse_token(a, a->security_token, text_len)) < 0)
            return rc;
    }
    a->presigned = true;
    return 0;
}

/* Whether the query string carries presigned authentication at all. */
static bool query_has_auth(const char *query)
{
    struct query_iter it = {query, query + strlen(query)};
    const char *key, *value;
    size_t key_len, value_len;

    while (query_next(&it, &key, &key_len, &value, &value_len)) {
        int param = query_auth_param(key, key_len);
        if (param == Q_ALGORITHM || param == Q_CREDENTIAL || param == Q_SIGNATURE ||
            param == Q_SIGNED_HEADERS)
            return true;
    }
    return false;
}

int sigv4_auth_parse(struct sigv4_auth *out, const struct sigv4_request *req)
{
    const struct header_field *authorization = NULL;
    const char *query = req->query ? req->query : "";
    struct sigv4_auth auth;
    int rc;

    for (size_t i = 0; i < req->header_count; i++) {
        const struct header_field *h = &req->headers[i];
        if (!h->name || !slice_eq_nocase(h->name, h->name_len, "authorization"))
            continue;
        if (authorization)
            return err_set(SIGV4_INCOMPLETE, "request has more than one Authorization header");
        authorization = h;
    }
    if (strlen(query) > SIGV4_QUERY_MAX)
        return err_set(SIGV4_TOO_LARGE, "query string is longer than %d bytes", SIGV4_QUERY_MAX);
    bool presigned = query_has_auth(query);
    if (authorization && presigned)
        return err_set(SIGV4_INCOMPLETE,
                       "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                       "Signature query string parameter or the Authorization header should be "
                       "specified");
    if (!authorization && !presigned)
        return err_set(SIGV4_MISSING, "Missing Authentication Token");

    memset(&auth, 0, sizeof(auth));
    rc = authorization ? parse_authorization(&auth, req, authorization)
                       : parse_presigned(&auth, query);
    if (rc < 0)
        return rc;
    *out = auth;
    return 0;
}

int sigv4_auth_check_scope(const struct sigv4_auth *auth, const char *region, const char *service)
{
    if (strcmp(auth->region, region) != 0)
        return err_set(SIGV4_MISMATCH, "Credential should be scoped to a valid region, not '%s'. ",
                       auth->region);
    if (strcmp(auth->service, service) != 0)
        return err_set(SIGV4_MISMATCH, "Credential should be scoped to correct service: '%s'. ",
                       service);
    return 0;
}

/* Verification. */

static int check_scope_date(const struct sigv4_auth *auth)
{
    if (strlen(auth->date) != 8 || strncmp(auth->date, auth->amz_date, 8) != 0)
        return err_set(SIGV4_MISMATCH,
                       "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                       "date from HTTP: '%s' != '%.8s', from '%s'.",
                       auth->date, auth->amz_date, auth->amz_date);
    return 0;
}

static int check_time(const struct sigv4_auth *auth, int64_t now_ms)
{
    char limit[TIME_TEXT_MAX], now[TIME_TEXT_MAX];

    if (auth->presigned && auth->expires_s > 0) {
        if (auth->time_ms > now_ms + SIGV4_MAX_SKEW_MS)
            return err_set(SIGV4_EXPIRED, "Request is not valid yet");
        if (now_ms > auth->time_ms + auth->expires_s * 1000)
            return err_set(SIGV4_EXPIRED, "Request has expired");
        return 0;
    }
    time_format_amz(now, now_ms);
    if (auth->time_ms < now_ms - SIGV4_MAX_SKEW_MS) {
        time_format_amz(limit, now_ms - SIGV4_MAX_SKEW_MS);
        return err_set(SIGV4_EXPIRED, "Signature expired: %s is now earlier than %s (%s - 15 min.)",
                       auth->amz_date, limit, now);
    }
    if (auth->time_ms > now_ms + SIGV4_MAX_SKEW_MS) {
        time_format_amz(limit, now_ms + SIGV4_MAX_SKEW_MS);
        return err_set(SIGV4_EXPIRED,
                       "Signature not yet current: %s is still later than %s (%s + 15 min.)",
                       auth->amz_date, limit, now);
    }
    return 0;
}

/*
 * A signed x-amz-content-sha256 hash must be the body's: otherwise a captured
 * request could be replayed with another body under the same signature.
 */
static int check_payload(const struct sigv4_request *req)
{
    const struct header_field *h = header_find(req, "x-amz-content-sha256");

    if (!h || !h->value || !req->payload_hash)
        return 0;
    const char *v = h->value;
    size_t len = h->value_len;
    trim(&v, &len);
    if (!is_hex_hash(v, len))
        return 0;
    if (strlen(req->payload_hash) != len || strncasecmp(v, req->payload_hash, len) != 0)
        return err_set(SIGV4_PAYLOAD_MISMATCH,
                       "The provided 'x-amz-content-sha256' header does not match what was "
                       "computed.");
    return 0;
}

static bool signature_matches(const struct sigv4_auth *auth, const uint8_t key[SHA256_LEN],
                              struct sigv4_scratch *s)
{
    uint8_t mac[SHA256_LEN];
    char hex[2 * SHA256_LEN + 1];

    buf_reset(&s->sts);
    sigv4_string_to_sign(&s->sts, auth, s->creq.data, s->creq.len);
    hmac_sha256(mac, key, SHA256_LEN, s->sts.data, s->sts.len);
    hex_encode(hex, mac, sizeof(mac));
    return auth->signature[0] && secure_equal(hex, auth->signature, SIGV4_HEX_LEN);
}

int sigv4_verify(const struct sigv4_auth *auth, const struct sigv4_request *req,
                 const char *secret_access_key, int64_t now_ms)
{
    uint8_t key[SHA256_LEN];
    struct sigv4_scratch *s;
    int rc;

    if ((rc = check_scope_date(auth)) < 0 || (rc = check_time(auth, now_ms)) < 0 ||
        (rc = check_payload(req)) < 0)
        return rc;

    signing_key_cached(key, auth, secret_access_key);
    s = scratch_get();
    /*
     * A presigned token may have been added after signing; AWS services
     * differ, so a mismatch with the token signed is retried without it.
     */
    bool retry_without_token = auth->presigned && auth->security_token[0] && !auth->token_unsigned;
    for (int attempt = 0; attempt < (retry_without_token ? 2 : 1); attempt++) {
        buf_reset(&s->creq);
        rc = build_canonical_request(&s->creq, s, req, auth, attempt == 0 && !auth->token_unsigned);
        if (rc < 0)
            goto done;
        if (signature_matches(auth, key, s))
            goto done;
    }
    rc = err_set(SIGV4_MISMATCH,
                 "The request signature we calculated does not match the signature you provided. "
                 "Check your AWS Secret Access Key and signing method. Consult the service "
                 "documentation for details.");
done:
    explicit_bzero(key, sizeof(key));
    scratch_done(s);
    return rc;
}

/* Signing. */

void sigv4_signature_init(struct sigv4_signature *sig)
{
    memset(sig, 0, sizeof(*sig));
    buf_init(&sig->authorization);
    buf_init(&sig->query);
    buf_init(&sig->canonical_request);
    buf_init(&sig->string_to_sign);
}

void sigv4_signature_release(struct sigv4_signature *sig)
{
    if (!sig)
        return;
    buf_release(&sig->authorization);
    buf_release(&sig->query);
    buf_release(&sig->canonical_request);
    buf_release(&sig->string_to_sign);
    sig->amz_date[0] = '\0';
    sig->signature[0] = '\0';
}

/* Headers the SDKs leave unsigned: changed by proxies, or the signature itself. */
static const char *const unsigned_headers[] = {
    "authorization", "user-agent", "x-amzn-trace-id",     "expect",
    "connection",    "keep-alive", "proxy-authorization", "te",
    "trailer",       "upgrade",    "transfer-encoding",
};

static bool header_is_unsigned(const struct header_field *h)
{
    for (size_t i = 0; i < ARRAY_SIZE(unsigned_headers); i++)
        if (slice_eq_nocase(h->name, h->name_len, unsigned_headers[i]))
            return true;
    return false;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SignedHeaders for the headers about to be sent: lower-case, sorted, unique. */
static int signed_header_list(struct sigv4_auth *auth, const struct header_field *headers,
                              size_t count, const char *skip)
{
    char *names[SIGV4_SIGNED_HEADERS_MAX + 4];
    size_t n = 0;
    struct buf list = BUF_INIT;
    int rc = 0;

    for (size_t i = 0; i < count; i++) {
        if (skip && slice_eq_nocase(headers[i].name, headers[i].name_len, skip))
            continue;
        if (n == ARRAY_SIZE(names)) {
            rc = err_set(SIGV4_TOO_LARGE, "request has more than %d headers to sign",
                         SIGV4_SIGNED_HEADERS_MAX);
            goto done;
        }
        names[n] = xstrndup(headers[i].name, headers[i].name_len);
        for (char *c = names[n]; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        n++;
    }
    qsort(names, n, sizeof(*names), compare_names);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && strcmp(names[i], names[i - 1]) == 0)
            continue;
        if (unique++)
            buf_addch(&list, ';');
        buf_adds(&list, names[i]);
    }
    if (unique > SIGV4_SIGNED_HEADERS_MAX ||
        !copy_field(auth->signed_headers, sizeof(auth->signed_headers), list.data, list.len)) {
        rc = err_set(SIGV4_TOO_LARGE, "request has too many headers to sign");
        goto done;
    }
    auth->signed_header_count = unique;
done:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    buf_release(&list);
    return rc;
}

static int check_signer(const struct sigv4_signer *signer, bool presign)
{
    if (!signer->access_key_id || !signer->secret_access_key || !signer->region || !signer->service)
        return err_set(SIGV4_INCOMPLETE, "signer needs an access key, secret, region and service");
    if (strlen(signer->access_key_id) > SIGV4_ACCESS_KEY_MAX ||
        strlen(signer->region) > SIGV4_SCOPE_PART_MAX ||
        strlen(signer->service) > SIGV4_SCOPE_PART_MAX ||
        (signer->session_token && strlen(signer->session_token) > SIGV4_TOKEN_MAX))
        return err_set(SIGV4_INCOMPLETE, "signer field is too long");
    if (presign && (signer->expires_s < 1 || signer->expires_s > SIGV4_EXPIRES_MAX))
        return err_set(SIGV4_INCOMPLETE, "presigned URL expiry %" PRId64 "s is not within 1..%d",
                       signer->expires_s, SIGV4_EXPIRES_MAX);
    return 0;
}

static void add_query_param(struct buf *query, const char *name, const char *value)
{
    if (query->len)
        buf_addch(query, '&');
    buf_adds(query, name);
    buf_addch(query, '=');
    uri_encode(query, value, strlen(value));
}

/* The signature over a canonical request already in result->canonical_request. */
static void sign_canonical(struct sigv4_signature *result, const struct sigv4_auth *auth,
                           const char *secret)
{
    uint8_t key[SHA256_LEN], mac[SHA256_LEN];

    sigv4_string_to_sign(&result->string_to_sign, auth, result->canonical_request.data,
                         result->canonical_request.len);
    signing_key_cached(key, auth, secret);
    hmac_sha256(mac, key, sizeof(key), result->string_to_sign.data, result->string_to_sign.len);
    explicit_bzero(key, sizeof(key));
    hex_encode(result->signature, mac, sizeof(mac));
    memcpy(result->amz_date, auth->amz_date, sizeof(result->amz_date));
}

static int sign_request(struct sigv4_signature *out, const struct sigv4_signer *signer,
                        const struct sigv4_request *req, bool presign)
{
    struct sigv4_signature result;
    struct sigv4_auth auth;
    struct sigv4_request signed_req = *req;
    struct header_field *headers = NULL;
    struct sigv4_scratch *s;
    struct buf query = BUF_INIT;
    const char *token =
        signer->session_token && signer->session_token[0] ? signer->session_token : NULL;
    size_t count = 0;
    int rc;

    if ((rc = check_signer(signer, presign)) < 0)
        return rc;
    if (req->header_count > SIGV4_SIGNED_HEADERS_MAX)
        return err_set(SIGV4_TOO_LARGE, "request has more than %d headers to sign",
                       SIGV4_SIGNED_HEADERS_MAX);
    if (!header_find(req, "host"))
        return err_set(SIGV4_INCOMPLETE, "the request to sign has no 'Host' header");
    if (!presign && signer->sign_payload_header && !req->payload_hash)
        return err_set(SIGV4_INCOMPLETE, "x-amz-content-sha256 needs the request's payload hash");

    memset(&auth, 0, sizeof(auth));
    auth.presigned = presign;
    auth.time_ms = signer->time_ms;
    auth.expires_s = presign ? signer->expires_s : 0;
    auth.token_unsigned = signer->token_unsigned;
    if (!format_amz_date(auth.amz_date, signer->time_ms))
        return err_set(SIGV4_INCOMPLETE, "signing time %" PRId64 " is out of range",
                       signer->time_ms);
    copy_field(auth.date, sizeof(auth.date), auth.amz_date, 8);
    copy_field(auth.access_key_id, sizeof(auth.access_key_id), signer->access_key_id,
               strlen(signer->access_key_id));
    copy_field(auth.region, sizeof(auth.region), signer->region, strlen(signer->region));
    copy_field(auth.service, sizeof(auth.service), signer->service, strlen(signer->service));
    if (token)
        copy_field(auth.security_token, sizeof(auth.security_token), token, strlen(token));

    /* The headers as they will be sent, with the ones the signer sets replaced. */
    headers = xcalloc(req->header_count + 3, sizeof(*headers));
    for (size_t i = 0; i < req->header_count; i++) {
        const struct header_field *h = &req->headers[i];
        if (!h->name || header_is_unsigned(h))
            continue;
        if (!presign && (slice_eq_nocase(h->name, h->name_len, "x-amz-date") ||
                         (token && slice_eq_nocase(h->name, h->name_len, "x-amz-security-token")) ||
                         (signer->sign_payload_header &&
                          slice_eq_nocase(h->name, h->name_len, "x-amz-content-sha256"))))
            continue;
        headers[count++] = *h;
    }
    if (!presign) {
        headers[count++] =
            (struct header_field){"X-Amz-Date", 10, auth.amz_date, SIGV4_AMZ_DATE_LEN};
        if (token)
            headers[count++] =
                (struct header_field){"X-Amz-Security-Token", 20, token, strlen(token)};
        if (signer->sign_payload_header)
            headers[count++] = (struct header_field){"X-Amz-Content-Sha256", 20, req->payload_hash,
                                                     strlen(req->payload_hash)};
    }
    rc = signed_header_list(&auth, headers, count,
                            !presign && token && signer->token_unsigned ? "x-amz-security-token"
                                                                        : NULL);
    if (rc < 0) {
        free(headers);
        return rc;
    }
    signed_req.headers = headers;
    signed_req.header_count = count;

    if (presign) {
        char credential[SIGV4_ACCESS_KEY_MAX + 3 * SIGV4_SCOPE_PART_MAX + 32];
        char expires[24];
        snprintf(credential, sizeof(credential), "%s/%s/%s/%s/" SCOPE_TERMINATOR,
                 auth.access_key_id, auth.date, auth.region, auth.service);
        snprintf(expires, sizeof(expires), "%" PRId64, auth.expires_s);
        if (req->query)
            buf_adds(&query, req->query);
        add_query_param(&query, "X-Amz-Algorithm", SIGV4_ALGORITHM);
        add_query_param(&query, "X-Amz-Credential", credential);
        add_query_param(&query, "X-Amz-Date", auth.amz_date);
        add_query_param(&query, "X-Amz-Expires", expires);
        add_query_param(&query, "X-Amz-SignedHeaders", auth.signed_headers);
        if (token && !signer->token_unsigned)
            add_query_param(&query, "X-Amz-Security-Token", token);
        signed_req.query = query.data;
    }

    sigv4_signature_init(&result);
    s = scratch_get();
    rc = build_canonical_request(&result.canonical_request, s, &signed_req, &auth, true);
    scratch_done(s);
    free(headers);
    if (rc < 0) {
        sigv4_signature_release(&result);
        buf_release(&query);
        return rc;
    }
    sign_canonical(&result, &auth, signer->secret_access_key);

    if (presign) {
        result.query = query;
        if (token && signer->token_unsigned)
            add_query_param(&result.query, "X-Amz-Security-Token", token);
        add_query_param(&result.query, "X-Amz-Signature", result.signature);
    } else {
        buf_addf(&result.authorization,
                 SIGV4_ALGORITHM " Credential=%s/%s/%s/%s/" SCOPE_TERMINATOR
                                 ", SignedHeaders=%s, Signature=%s",
                 auth.access_key_id, auth.date, auth.region, auth.service, auth.signed_headers,
                 result.signature);
        buf_release(&query);
    }
    sigv4_signature_release(out);
    *out = result;
    return 0;
}

int sigv4_sign(struct sigv4_signature *out, const struct sigv4_signer *signer,
               const struct sigv4_request *req)
{
    return sign_request(out, signer, req, false);
}

int sigv4_presign(struct sigv4_signature *out, const struct sigv4_signer *signer,
                  const struct sigv4_request *req)
{
    return sign_request(out, signer, req, true);
}
