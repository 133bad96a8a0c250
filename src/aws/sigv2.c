#include "base/common.h"

#include "aws/sigv2.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"

/*
 * The sub-resources a SigV2 CanonicalizedResource includes: the list of the
 * S3 API Reference's "Constructing the CanonicalizedResource element" (with
 * the response-* overrides and ?delete) joined with the one botocore's
 * HmacV1Auth signs (QSAOfInterest), since a name signed by the client but
 * left out here, or the reverse, would fail every such request. Sorted.
 */
static const char *const subresources[] = {
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
};

static const char mismatch_message[] =
    "The request signature we calculated does not match the signature you provided. Check your "
    "key and signing method.";

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
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

bool sigv2_is_subresource(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(subresources); i++)
        if (slice_eq(name, len, subresources[i]))
            return true;
    return false;
}

/* %XX decoding only: '+' stays '+', as botocore's unquote() leaves it and base64 needs it. */
static void pct_decode(struct buf *out, const char *s, size_t len)
{
    buf_grow(out, len);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len) {
            int hi = hex_digit_value((unsigned char)s[i + 1]);
            int lo = hex_digit_value((unsigned char)s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                buf_addch(out, hi << 4 | lo);
                i += 2;
                continue;
            }
        }
        buf_addch(out, s[i]);
    }
}

/* The query string's "key[=value]" pieces. */
struct query_param {
    const char *key;
    size_t key_len;
    const char *value; /* NULL when there is no '=' */
    size_t value_len;
};

static bool query_next(const char **cursor, const char *end, struct query_param *p)
{
    while (*cursor < end) {
        const char *piece = *cursor;
        const char *amp = memchr(piece, '&', (size_t)(end - piece));
        const char *piece_end = amp ? amp : end;
        *cursor = amp ? amp + 1 : end;
        if (piece == piece_end)
            continue;
        const char *eq = memchr(piece, '=', (size_t)(piece_end - piece));
        p->key = piece;
        p->key_len = (size_t)((eq ? eq : piece_end) - piece);
        p->value = eq ? eq + 1 : NULL;
        p->value_len = eq ? (size_t)(piece_end - eq - 1) : 0;
        return true;
    }
    return false;
}

/* A query parameter by exact name; false when absent. */
static bool query_find(const char *query, const char *name, struct query_param *out)
{
    const char *cursor = query, *end = query + strlen(query);
    struct query_param p;
    bool found = false;

    while (query_next(&cursor, end, &p)) {
        if (slice_eq(p.key, p.key_len, name) && !found) {
            *out = p;
            found = true;
        }
    }
    return found;
}

static const struct header_field *header_find(const struct sigv2_request *req, const char *name)
{
    return header_fields_find(req->headers, req->header_count, name);
}

/* A header's value, trimmed; "" when absent. */
static void header_value(const struct sigv2_request *req, const char *name, const char **v,
                         size_t *len)
{
    const struct header_field *h = header_find(req, name);
    *v = h && h->value ? h->value : "";
    *len = h && h->value ? h->value_len : 0;
    trim(v, len);
}

/* Parsing. */

static int parse_signature(struct sigv2_auth *a, const char *s, size_t len)
{
    struct buf raw = BUF_INIT;

    a->signature_valid = false;
    if (len == SIGV2_SIGNATURE_LEN && base64_decode(&raw, s, len) == 0 &&
        raw.len == SIGV2_MAC_LEN) {
        memcpy(a->signature, raw.data, SIGV2_MAC_LEN);
        a->signature_valid = true;
    }
    buf_release(&raw);
    err_clear();
    return 0;
}

static int parse_token(struct sigv2_auth *a, const char *s, size_t len)
{
    if (len > SIGV4_TOKEN_MAX)
        return err_set(SIGV4_TOO_LARGE, "x-amz-security-token is longer than %d bytes",
                       SIGV4_TOKEN_MAX);
    memcpy(a->security_token, s, len);
    a->security_token[len] = '\0';
    return 0;
}

/* "Www, DD Mon YYYY HH:MM:SS GMT|UTC|+hhmm|-hhmm" (RFC 1123 with RFC 822 zones). */
static int parse_rfc1123(int64_t *ms_out, const char *s, size_t len)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char text[SIGV2_DATE_MAX + 1];
    int day, year, hour, min, sec, consumed = 0;
    char mon[4], zone[8];

    if (len > SIGV2_DATE_MAX)
        return -1;
    memcpy(text, s, len);
    text[len] = '\0';
    const char *p = text;
    const char *comma = strchr(p, ',');
    if (comma)
        p = comma + 1;
    if (sscanf(p, " %2d %3s %4d %2d:%2d:%2d %7s%n", &day, mon, &year, &hour, &min, &sec, zone,
               &consumed) != 7 ||
        p[consumed] != '\0')
        return -1;
    const char *m = strstr(months, mon);
    if (strlen(mon) != 3 || !m || (m - months) % 3 != 0)
        return -1;
    int offset_min = 0;
    if (strcmp(zone, "GMT") == 0 || strcmp(zone, "UTC") == 0 || strcmp(zone, "Z") == 0) {
        offset_min = 0;
    } else if ((zone[0] == '+' || zone[0] == '-') && strlen(zone) == 5 &&
               strspn(zone + 1, "0123456789") == 4) {
        offset_min =
            ((zone[1] - '0') * 10 + (zone[2] - '0')) * 60 + (zone[3] - '0') * 10 + (zone[4] - '0');
        if (zone[0] == '-')
            offset_min = -offset_min;
    } else {
        return -1;
    }
    if (day < 1 || day > 31 || year < 1970 || year > 9999 || hour > 23 || min > 59 || sec > 60 ||
        hour < 0 || min < 0 || sec < 0)
        return -1;
    struct tm tm = {
        .tm_year = year - 1900,
        .tm_mon = (int)((m - months) / 3),
        .tm_mday = day,
        .tm_hour = hour,
        .tm_min = min,
        .tm_sec = sec,
    };
    time_t t = timegm(&tm);
    if (tm.tm_mday != day)
        return -1; /* 31 Feb and the like */
    *ms_out = ((int64_t)t - (int64_t)offset_min * 60) * 1000;
    return 0;
}

static int parse_request_time(int64_t *ms_out, const char *s, size_t len)
{
    if (len > SIGV2_DATE_MAX)
        return -1;
    if (parse_rfc1123(ms_out, s, len) == 0 || time_parse_amz(ms_out, s, len) == 0 ||
        time_parse_iso8601(ms_out, s, len) == 0) {
        err_clear();
        return 0;
    }
    return -1;
}

static int parse_header_form(struct sigv2_auth *a, const struct sigv2_request *req,
                             const struct header_field *h)
{
    const char *v = h->value ? h->value : "";
    size_t len = h->value ? h->value_len : 0;
    static const char invalid[] =
        "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature";

    if (len > SIGV4_AUTH_HEADER_MAX)
        return err_set(SIGV4_TOO_LARGE, "Authorization header is longer than %d bytes",
                       SIGV4_AUTH_HEADER_MAX);
    trim(&v, &len);
    if (len <= strlen(SIGV2_HEADER_PREFIX))
        return err_set(SIGV4_INCOMPLETE, "%s", invalid);
    v += strlen(SIGV2_HEADER_PREFIX);
    len -= strlen(SIGV2_HEADER_PREFIX);
    trim(&v, &len);
    const char *colon = memchr(v, ':', len);
    if (!colon || colon == v || colon == v + len - 1)
        return err_set(SIGV4_INCOMPLETE, "%s", invalid);
    size_t key_len = (size_t)(colon - v);
    const char *sig = colon + 1;
    size_t sig_len = len - key_len - 1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
            return err_set(SIGV4_INCOMPLETE, "%s", invalid);
    if (key_len > SIGV4_ACCESS_KEY_MAX)
        return err_set(SIGV4_INCOMPLETE, "%s", invalid);
    memcpy(a->access_key_id, v, key_len);
    a->access_key_id[key_len] = '\0';
    parse_signature(a, sig, sig_len);

    /* The request time: x-amz-date wins over Date, as it does in the string to sign. */
    const char *date;
    size_t date_len;
    header_value(req, "x-amz-date", &date, &date_len);
    if (!header_find(req, "x-amz-date"))
        header_value(req, "date", &date, &date_len);
    if (date_len == 0 || parse_request_time(&a->time_ms, date, date_len) < 0)
        return err_set(SIGV4_INCOMPLETE,
                       "AWS authentication requires a valid Date or x-amz-date header");

    const struct header_field *token = header_find(req, "x-amz-security-token");
    if (token && token->value) {
        const char *t = token->value;
        size_t t_len = token->value_len;
        trim(&t, &t_len);
        int rc = parse_token(a, t, t_len);
        if (rc < 0)
            return rc;
    }
    a->presigned = false;
    return 0;
}

static int parse_query_form(struct sigv2_auth *a, const char *query)
{
    struct query_param key, sig, expires, token;
    struct buf text = BUF_INIT;
    int rc = 0;

    if (!query_find(query, "AWSAccessKeyId", &key) || !key.value_len ||
        !query_find(query, "Signature", &sig) || !sig.value_len ||
        !query_find(query, "Expires", &expires) || !expires.value_len)
        return err_set(SIGV4_INCOMPLETE, "Query-string authentication requires the Signature, "
                                         "Expires and AWSAccessKeyId parameters");

    if (key.value_len > 3 * SIGV4_ACCESS_KEY_MAX)
        goto bad_key;
    pct_decode(&text, key.value, key.value_len);
    if (text.len > SIGV4_ACCESS_KEY_MAX || memchr(text.data, '\0', text.len))
        goto bad_key;
    memcpy(a->access_key_id, text.data, text.len + 1);

    buf_reset(&text);
    if (sig.value_len <= 3 * SIGV2_SIGNATURE_LEN)
        pct_decode(&text, sig.value, sig.value_len);
    parse_signature(a, text.data, text.len);

    buf_reset(&text);
    if (expires.value_len <= 3 * 20)
        pct_decode(&text, expires.value, expires.value_len);
    int64_t e = 0;
    bool digits = text.len > 0 && text.len <= 12;
    for (size_t i = 0; digits && i < text.len; i++) {
        if (text.data[i] < '0' || text.data[i] > '9')
            digits = false;
        else
            e = e * 10 + (text.data[i] - '0');
    }
    if (!digits) {
        rc = err_set(SIGV4_INCOMPLETE, "Invalid date (should be seconds since epoch): %.*s",
                     expires.value_len > 64 ? 64 : (int)expires.value_len, expires.value);
        goto done;
    }
    a->expires_s = e;
    a->time_ms = e * 1000;

    if (query_find(query, "x-amz-security-token", &token) && token.value) {
        buf_reset(&text);
        if (token.value_len > 3 * SIGV4_TOKEN_MAX) {
            rc = err_set(SIGV4_TOO_LARGE, "x-amz-security-token is longer than %d bytes",
                         SIGV4_TOKEN_MAX);
            goto done;
        }
        pct_decode(&text, token.value, token.value_len);
        if ((rc = parse_token(a, text.data, text.len)) < 0)
            goto done;
    }
    a->presigned = true;
    goto done;

bad_key:
    rc = err_set(SIGV4_INCOMPLETE, "AWSAccessKeyId is not a valid access key id");
done:
    buf_release(&text);
    return rc;
}

int sigv2_auth_parse(struct sigv2_auth *out, const struct sigv2_request *req)
{
    const struct header_field *authorization = NULL;
    const char *query = req->query ? req->query : "";
    struct query_param p;
    struct sigv2_auth auth;
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

    bool header_v2 = false;
    if (authorization && authorization->value) {
        const char *v = authorization->value;
        size_t len = authorization->value_len;
        trim(&v, &len);
        /* "AWS" alone is a malformed SigV2 header, not a missing one. */
        header_v2 = slice_eq(v, len, "AWS") ||
                    (len >= strlen(SIGV2_HEADER_PREFIX) &&
                     memcmp(v, SIGV2_HEADER_PREFIX, strlen(SIGV2_HEADER_PREFIX)) == 0);
    }
    bool query_v2 = query_find(query, "AWSAccessKeyId", &p) || query_find(query, "Signature", &p);
    if (authorization && query_v2)
        return err_set(SIGV4_INCOMPLETE,
                       "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                       "Signature query string parameter or the Authorization header should be "
                       "specified");
    if (!header_v2 && !query_v2)
        return err_set(SIGV4_MISSING, "the request carries no Signature Version 2 authentication");

    memset(&auth, 0, sizeof(auth));
    rc = header_v2 ? parse_header_form(&auth, req, authorization) : parse_query_form(&auth, query);
    if (rc < 0)
        return rc;
    *out = auth;
    return 0;
}

/* The string to sign. */

struct amz_header {
    char name[128];
    size_t name_len;
    const char *value;
    size_t value_len;
    bool from_query; /* value still percent-encoded */
    size_t order;    /* position received, so equal names keep their order */
};

static int compare_amz(const void *a, const void *b)
{
    const struct amz_header *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c == 0)
        return x->order < y->order ? -1 : x->order > y->order;
    return c;
}

/* Values are trimmed and unfolded: a line break and the whitespace around it become one space. */
static void add_amz_value(struct buf *out, const char *v, size_t len)
{
    trim(&v, &len);
    for (size_t i = 0; i < len; i++) {
        if (v[i] == '\r' || v[i] == '\n') {
            while (out->len && (out->data[out->len - 1] == ' ' || out->data[out->len - 1] == '\t'))
                buf_setlen(out, out->len - 1);
            while (i + 1 < len && is_space(v[i + 1]))
                i++;
            buf_addch(out, ' ');
            continue;
        }
        buf_addch(out, v[i]);
    }
}

static int canonical_amz_headers(struct buf *out, const struct sigv2_request *req,
                                 const struct sigv2_auth *auth, bool skip_amz_date)
{
    struct amz_header *list = NULL;
    size_t count = 0, alloc = 0;
    int rc = 0;
    struct buf decoded = BUF_INIT;

    for (size_t i = 0; i < req->header_count; i++) {
        const struct header_field *h = &req->headers[i];
        if (!h->name || h->name_len < 6 || strncasecmp(h->name, "x-amz-", 6) != 0)
            continue;
        if (skip_amz_date && slice_eq_nocase(h->name, h->name_len, "x-amz-date"))
            continue;
        if (h->name_len >= sizeof(list[0].name) ||
            (h->value && h->value_len > SIGV4_HEADER_VALUE_MAX)) {
            rc = err_set(SIGV4_TOO_LARGE, "header '%.*s' is too long to sign",
                         h->name_len > 64 ? 64 : (int)h->name_len, h->name);
            goto done;
        }
        if (count == SIGV2_AMZ_HEADERS_MAX) {
            rc = err_set(SIGV4_TOO_LARGE, "more than %d x-amz- headers to sign",
                         SIGV2_AMZ_HEADERS_MAX);
            goto done;
        }
        ALLOC_GROW(list, count + 1, alloc);
        struct amz_header *a = &list[count++];
        for (size_t j = 0; j < h->name_len; j++)
            a->name[j] =
                (char)((h->name[j] >= 'A' && h->name[j] <= 'Z') ? h->name[j] + 32 : h->name[j]);
        a->name[h->name_len] = '\0';
        a->name_len = h->name_len;
        a->value = h->value ? h->value : "";
        a->value_len = h->value ? h->value_len : 0;
        a->from_query = false;
        a->order = count;
    }
    if (auth->presigned && req->query) {
        const char *cursor = req->query, *end = req->query + strlen(req->query);
        struct query_param p;
        while (query_next(&cursor, end, &p)) {
            if (p.key_len < 6 || strncasecmp(p.key, "x-amz-", 6) != 0)
                continue;
            if (p.key_len >= sizeof(list[0].name)) {
                rc = err_set(SIGV4_TOO_LARGE, "query parameter '%.64s' is too long to sign", p.key);
                goto done;
            }
            if (count == SIGV2_AMZ_HEADERS_MAX) {
                rc = err_set(SIGV4_TOO_LARGE, "more than %d x-amz- headers to sign",
                             SIGV2_AMZ_HEADERS_MAX);
                goto done;
            }
            ALLOC_GROW(list, count + 1, alloc);
            struct amz_header *a = &list[count++];
            for (size_t j = 0; j < p.key_len; j++)
                a->name[j] =
                    (char)((p.key[j] >= 'A' && p.key[j] <= 'Z') ? p.key[j] + 32 : p.key[j]);
            a->name[p.key_len] = '\0';
            a->name_len = p.key_len;
            a->value = p.value ? p.value : "";
            a->value_len = p.value_len;
            a->from_query = true;
            a->order = count;
        }
    }
    if (count)
        qsort(list, count, sizeof(list[0]), compare_amz);
    for (size_t i = 0; i < count; i++) {
        bool same_as_previous = i > 0 && strcmp(list[i].name, list[i - 1].name) == 0;
        if (same_as_previous) {
            buf_setlen(out, out->len - 1); /* the '\n' */
            buf_addch(out, ',');
        } else {
            buf_add(out, list[i].name, list[i].name_len);
            buf_addch(out, ':');
        }
        if (list[i].from_query) {
            buf_reset(&decoded);
            pct_decode(&decoded, list[i].value, list[i].value_len);
            add_amz_value(out, decoded.data, decoded.len);
        } else {
            add_amz_value(out, list[i].value, list[i].value_len);
        }
        buf_addch(out, '\n');
    }
done:
    buf_release(&decoded);
    free(list);
    return rc;
}

struct subresource {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
    size_t order;
};

static int compare_subresources(const void *a, const void *b)
{
    const struct subresource *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* A path-style request for the bucket itself: "/bucket" with no '/' after the name. */
static bool is_bucket_root(const struct sigv2_request *req)
{
    return !req->bucket && req->path && req->path[0] == '/' && req->path[1] &&
           !strchr(req->path + 1, '/');
}

static int canonical_resource(struct buf *out, const struct sigv2_request *req, bool root_slash)
{
    const char *path = req->path && req->path[0] ? req->path : "/";
    struct subresource list[SIGV2_SUBRESOURCES_MAX];
    size_t count = 0;

    if (strlen(path) > SIGV4_PATH_MAX)
        return err_set(SIGV4_TOO_LARGE, "path is longer than %d bytes", SIGV4_PATH_MAX);
    if (req->bucket) {
        buf_addch(out, '/');
        buf_adds(out, req->bucket);
    }
    buf_adds(out, path);
    if (root_slash && is_bucket_root(req))
        buf_addch(out, '/');

    if (req->query) {
        const char *cursor = req->query, *end = req->query + strlen(req->query);
        struct query_param p;
        while (query_next(&cursor, end, &p)) {
            if (!sigv2_is_subresource(p.key, p.key_len))
                continue;
            if (count == SIGV2_SUBRESOURCES_MAX)
                return err_set(SIGV4_TOO_LARGE, "more than %d sub-resources",
                               SIGV2_SUBRESOURCES_MAX);
            list[count] = (struct subresource){p.key, p.key_len, p.value, p.value_len, count};
            count++;
        }
    }
    qsort(list, count, sizeof(list[0]), compare_subresources);
    for (size_t i = 0; i < count; i++) {
        buf_addch(out, i == 0 ? '?' : '&');
        buf_add(out, list[i].key, list[i].key_len);
        if (list[i].value) {
            buf_addch(out, '=');
            pct_decode(out, list[i].value, list[i].value_len);
        }
    }
    return 0;
}

/* Content-MD5 or Content-Type: the header, or for a presigned URL the parameter botocore moves it
 * to. */
static void standard_value(struct buf *out, const struct sigv2_request *req,
                           const struct sigv2_auth *auth, const char *name)
{
    struct query_param p;
    const char *v;
    size_t len;

    if (auth->presigned && req->query && query_find(req->query, name, &p) && p.value) {
        struct buf decoded = BUF_INIT;
        pct_decode(&decoded, p.value, p.value_len);
        v = decoded.data;
        len = decoded.len;
        trim(&v, &len);
        buf_add(out, v, len);
        buf_release(&decoded);
        return;
    }
    header_value(req, name, &v, &len);
    buf_add(out, v, len);
}

/*
 * The forms a client may have signed. Besides the documented one:
 * FORM_DOC_DATE, the x-amz-date value as Date and x-amz-date not among the
 * x-amz- headers (AWS's worked DELETE example); FORM_NO_ROOT_SLASH, a
 * path-style request for a bucket itself as "/bucket", where botocore
 * signs "/bucket/".
 */
enum {
    FORM_DOC_DATE = 1 << 0,
    FORM_NO_ROOT_SLASH = 1 << 1,
};

static int build_string_to_sign(struct buf *out, const struct sigv2_request *req,
                                const struct sigv2_auth *auth, unsigned form)
{
    bool doc_example_form = form & FORM_DOC_DATE;
    const char *v;
    size_t len;
    int rc;

    buf_adds(out, req->method ? req->method : "");
    buf_addch(out, '\n');
    standard_value(out, req, auth, "content-md5");
    buf_addch(out, '\n');
    standard_value(out, req, auth, "content-type");
    buf_addch(out, '\n');
    if (auth->presigned) {
        buf_addf(out, "%" PRId64, auth->expires_s);
    } else if (header_find(req, "x-amz-date")) {
        if (doc_example_form) {
            header_value(req, "x-amz-date", &v, &len);
            buf_add(out, v, len);
        }
    } else {
        header_value(req, "date", &v, &len);
        buf_add(out, v, len);
    }
    buf_addch(out, '\n');
    if ((rc = canonical_amz_headers(out, req, auth, doc_example_form)) < 0 ||
        (rc = canonical_resource(out, req, !(form & FORM_NO_ROOT_SLASH))) < 0)
        return rc;
    return 0;
}

int sigv2_string_to_sign(struct buf *out, const struct sigv2_request *req,
                         const struct sigv2_auth *auth)
{
    return build_string_to_sign(out, req, auth, 0);
}

void sigv2_sign(char out[SIGV2_SIGNATURE_LEN + 1], const char *secret_access_key,
                const char *string_to_sign, size_t len)
{
    uint8_t mac[SIGV2_MAC_LEN];
    struct buf b64 = BUF_INIT;

    hmac_sha1(mac, secret_access_key, strlen(secret_access_key), string_to_sign, len);
    base64_encode(&b64, mac, sizeof(mac));
    memcpy(out, b64.data, SIGV2_SIGNATURE_LEN + 1);
    buf_release(&b64);
}

static int check_time(const struct sigv2_auth *auth, int64_t now_ms)
{
    if (auth->presigned) {
        if (now_ms > auth->time_ms)
            return err_set(SIGV4_EXPIRED, "Request has expired");
        return 0;
    }
    if (auth->time_ms < now_ms - SIGV2_MAX_SKEW_MS || auth->time_ms > now_ms + SIGV2_MAX_SKEW_MS)
        return err_set(SIGV4_EXPIRED,
                       "The difference between the request time and the current time is too "
                       "large.");
    return 0;
}

int sigv2_verify(const struct sigv2_auth *auth, const struct sigv2_request *req,
                 const char *secret_access_key, int64_t now_ms)
{
    struct buf sts = BUF_INIT;
    uint8_t mac[SIGV2_MAC_LEN];
    int rc;

    if ((rc = check_time(auth, now_ms)) < 0)
        return rc;
    unsigned forms = 0;
    if (!auth->presigned && header_find(req, "x-amz-date"))
        forms |= FORM_DOC_DATE;
    if (is_bucket_root(req))
        forms |= FORM_NO_ROOT_SLASH;
    for (unsigned form = 0; form <= forms; form++) {
        if (form & ~forms)
            continue;
        buf_reset(&sts);
        if ((rc = build_string_to_sign(&sts, req, auth, form)) < 0)
            goto done;
        hmac_sha1(mac, secret_access_key, strlen(secret_access_key), sts.data, sts.len);
        if (auth->signature_valid && secure_equal(mac, auth->signature, SIGV2_MAC_LEN))
            goto done;
    }
    rc = err_set(SIGV4_MISMATCH, "%s", mismatch_message);
done:
    explicit_bzero(mac, sizeof(mac));
    buf_release(&sts);
    return rc;
}
