#include <ctype.h>
#include <jansson.h>
#include <math.h>

#include "base/common.h"
#include "aws/api.h"
#include "aws/proto_rest.h"
#include "aws/protocol_impl.h"
#include "base/alloc.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/jsonw.h"

/*
 * REST routing and HTTP bindings shared by restJson and restXml.
 *
 * A request URI template is "/seg/{Label}/{Greedy+}?literal&key=value":
 * literal segments, whole-segment labels, at most one greedy label, and
 * query keys (optionally with a value) that must be present for the
 * template to match. Templates are walked in place on every match, without
 * compiling them: a service has at most a few hundred operations and a
 * template is a few dozen bytes.
 */

#define TEMPLATE_MAX_SEGMENTS 32
#define TEMPLATE_MAX_LABELS   16

/*
 * Timestamps and scalars as text.
 */

enum timestamp_format rest_timestamp_format(const struct model_member *m,
                                            enum timestamp_format dflt)
{
    if (m && m->timestamp_format != TS_DEFAULT)
        return m->timestamp_format;
    if (m && m->shape->timestamp_format != TS_DEFAULT)
        return m->shape->timestamp_format;
    return dflt;
}

static void epoch_seconds_text(char out[TIME_TEXT_MAX], int64_t ms)
{
    int64_t frac = ms % 1000;
    if (frac == 0) {
        snprintf(out, TIME_TEXT_MAX, "%" PRId64, ms / 1000);
        return;
    }
    if (frac < 0)
        frac = -frac;
    int n = snprintf(out, TIME_TEXT_MAX, "%s%" PRId64 ".%03" PRId64, ms < 0 ? "-" : "",
                     (ms < 0 ? -(ms / 1000) : ms / 1000), frac);
    while (n > 0 && out[n - 1] == '0')
        out[--n] = '\0';
}

void rest_timestamp_text(char out[TIME_TEXT_MAX], int64_t ms, enum timestamp_format format)
{
    switch (format) {
    case TS_RFC822:
        time_format_http(out, ms);
        break;
    case TS_UNIX:
        epoch_seconds_text(out, ms);
        break;
    default:
        time_format_iso8601(out, ms);
        break;
    }
}

/* "-?digits(.digits)?" */
static bool is_decimal(const char *s, size_t len)
{
    size_t i = 0, digits = 0;
    if (i < len && s[i] == '-')
        i++;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (!digits)
        return false;
    if (i < len && s[i] == '.') {
        i++;
        size_t frac = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, frac++;
        if (!frac)
            return false;
    }
    return i == len;
}

int rest_timestamp_parse(int64_t *ms_out, const char *s, size_t len)
{
    if (len > 0 && len < 32 && is_decimal(s, len)) {
        char tmp[32];
        memcpy(tmp, s, len);
        tmp[len] = '\0';
        double secs = strtod(tmp, NULL);
        /* ~ year 5000: past any real date, and milliseconds stay exact in a
         * double, so a timestamp survives a round trip through text. */
        if (!isfinite(secs) || fabs(secs) > 1e11)
            return err_set(ERR_INVALID, "'%s' is out of range for a timestamp", tmp);
        *ms_out = (int64_t)llround(secs * 1000.0);
        return 0;
    }
    if (memchr(s, ',', len))
        return time_parse_http(ms_out, s, len);
    return time_parse_iso8601(ms_out, s, len);
}

static int bad_text(const char *where, const char *s, size_t len, const char *what)
{
    int shown = (int)(len > 64 ? 64 : len);
    if (!utf8_valid(s, (size_t)shown))
        return err_set(ERR_INVALID, "%s: value is not %s", where, what);
    return err_set(ERR_INVALID, "%s: '%.*s'%s is not %s", where, shown, s, len > 64 ? "..." : "",
                   what);
}

static bool parse_int64(int64_t *out, const char *s, size_t len)
{
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == len)
        return false;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static bool is_float_keyword(const char *s, size_t len)
{
    return (len == 3 && memcmp(s, "NaN", 3) == 0) || (len == 8 && memcmp(s, "Infinity", 8) == 0) ||
           (len == 9 && memcmp(s, "-Infinity", 9) == 0);
}

static bool parse_double(double *out, const char *s, size_t len)
{
    char tmp[64];
    if (len == 0 || len >= sizeof(tmp))
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    /* strtod also takes hex, "inf" and "nan": numbers on the wire are decimal. */
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789+-.eE", tmp[i]))
            return false;
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    if (end != tmp + len || errno == ERANGE || !isfinite(d))
        return false;
    *out = d;
    return true;
}

int rest_scalar_parse(json_t **value_out, const struct model_shape *shape, const char *s,
                      size_t len, const char *where)
{
    switch (shape->type) {
    case SHAPE_STRING:
        if (!utf8_valid(s, len))
            return err_set(ERR_INVALID, "%s: value is not valid UTF-8", where);
        /* As in JSON bodies: a NUL would cut the string short for C code. */
        if (memchr(s, '\0', len))
            return err_set(ERR_INVALID, "%s: value holds a NUL character", where);
        *value_out = json_stringn_nocheck(s, len);
        return 0;
    case SHAPE_BOOLEAN:
        if (len == 4 && memcmp(s, "true", 4) == 0)
            *value_out = json_true();
        else if (len == 5 && memcmp(s, "false", 5) == 0)
            *value_out = json_false();
        else
            return bad_text(where, s, len, "a boolean");
        return 0;
    case SHAPE_INTEGER:
    case SHAPE_LONG: {
        int64_t v;
        if (!parse_int64(&v, s, len) ||
            (shape->type == SHAPE_INTEGER && (v > INT32_MAX || v < INT32_MIN)))
            return bad_text(where, s, len,
                            shape->type == SHAPE_INTEGER ? "a 32-bit integer" : "an integer");
        *value_out = json_integer(v);
        return 0;
    }
    case SHAPE_BIGINTEGER: {
        int64_t v;
        if (!parse_int64(&v, s, len))
            return bad_text(where, s, len, "an integer");
        *value_out = json_integer(v);
        return 0;
    }
    case SHAPE_FLOAT:
    case SHAPE_DOUBLE:
    case SHAPE_BIGDECIMAL: {
        if (is_float_keyword(s, len)) {
            *value_out = json_stringn_nocheck(s, len);
            return 0;
        }
        double d;
        if (!parse_double(&d, s, len))
            return bad_text(where, s, len, "a number");
        *value_out = json_real(d);
        return 0;
    }
    case SHAPE_TIMESTAMP: {
        int64_t ms;
        if (rest_timestamp_parse(&ms, s, len) < 0)
            return bad_text(where, s, len, "a timestamp");
        *value_out = json_integer(ms);
        return 0;
    }
    case SHAPE_BLOB: {
        struct buf raw = BUF_INIT;
        if (base64_decode(&raw, s, len) < 0) {
            buf_release(&raw);
            return bad_text(where, s, len, "base64");
        }
        *value_out = json_stringn_nocheck(raw.data, raw.len);
        buf_release(&raw);
        return 0;
    }
    default:
        return err_set(ERR_INVALID, "%s: a %s cannot be sent as text", where,
                       shape_type_name(shape->type));
    }
}

static void double_text(struct buf *out, double v)
{
    if (isnan(v)) {
        buf_adds(out, "NaN");
        return;
    }
    if (isinf(v)) {
        buf_adds(out, v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    char tmp[DOUBLE_TEXT_MAX];
    double_shortest(tmp, v);
    buf_adds(out, tmp);
}

static int value_error(const char *where, const char *what)
{
    return err_set(ERR_INTERNAL, "%s must be %s", where, what);
}

int rest_scalar_text(struct buf *out, const struct model_shape *shape, enum timestamp_format format,
                     json_t *value, const char *where)
{
    switch (shape->type) {
    case SHAPE_STRING:
        if (!json_is_string(value))
            return value_error(where, "a string");
        buf_add(out, json_string_value(value), json_string_length(value));
        return 0;
    case SHAPE_BOOLEAN:
        if (!json_is_boolean(value))
            return value_error(where, "a boolean");
        buf_adds(out, json_is_true(value) ? "true" : "false");
        return 0;
    case SHAPE_INTEGER:
    case SHAPE_LONG:
    case SHAPE_BIGINTEGER:
        if (!json_is_integer(value))
            return value_error(where, "an integer");
        buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        return 0;
    case SHAPE_FLOAT:
    case SHAPE_DOUBLE:
    case SHAPE_BIGDECIMAL:
        if (json_is_integer(value)) {
            buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        } else if (json_is_real(value)) {
            double_text(out, json_real_value(value));
        } else if (json_is_string(value) &&
                   is_float_keyword(json_string_value(value), json_string_length(value))) {
            buf_adds(out, json_string_value(value));
        } else {
            return value_error(where, "a number");
        }
        return 0;
    case SHAPE_TIMESTAMP: {
        if (!json_is_number(value))
            return value_error(where, "a timestamp in epoch milliseconds");
        int64_t ms =
            json_is_integer(value) ? json_integer_value(value) : llround(json_real_value(value));
        char text[TIME_TEXT_MAX];
        rest_timestamp_text(text, ms, format);
        buf_adds(out, text);
        return 0;
    }
    case SHAPE_BLOB:
        if (!json_is_string(value))
            return value_error(where, "a string of bytes");
        base64_encode(out, json_string_value(value), json_string_length(value));
        return 0;
    default:
        return err_set(ERR_INTERNAL, "%s: a %s cannot be sent as text", where,
                       shape_type_name(shape->type));
    }
}

/*
 * Percent-encoding.
 */

int rest_percent_decode(struct buf *out, const char *s, size_t len, bool plus_is_space)
{
    buf_grow(out, len);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c != '%' && !(c == '+' && plus_is_space)) {
            run++;
            continue;
        }
        buf_add(out, s + i - run, run);
        run = 0;
        if (c == '+') {
            buf_addch(out, ' ');
            continue;
        }
        int hi = i + 2 < len ? hex_digit_value(s[i + 1]) : -1;
        int lo = hi >= 0 ? hex_digit_value(s[i + 2]) : -1;
        if (lo < 0)
            return err_set(ERR_INVALID, "bad percent-escape at offset %zu", i);
        buf_addch(out, hi << 4 | lo);
        i += 2;
    }
    buf_add(out, s + len - run, run);
    return 0;
}

void rest_percent_encode(struct buf *out, const char *s, size_t len, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && keep_slash)) {
            buf_addch(out, c);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_add(out, esc, 3);
        }
    }
}

/*
 * Query strings.
 */

struct query_param {
    char *key;
    char *value;
    size_t value_len;
    bool has_value; /* "key=..." rather than a bare "key" */
};

struct query_params {
    struct query_param *items;
    size_t count;
    size_t alloc;
};

static void query_params_release(struct query_params *qp)
{
    for (size_t i = 0; i < qp->count; i++) {
        free(qp->items[i].key);
        free(qp->items[i].value);
    }
    free(qp->items);
    memset(qp, 0, sizeof(*qp));
}

static int query_params_parse(struct query_params *qp, const char *query)
{
    memset(qp, 0, sizeof(*qp));
    if (!query)
        return 0;
    const char *p = query;
    while (*p) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            if (qp->count >= REST_MAX_QUERY_PARAMS) {
                query_params_release(qp);
                return err_set(ERR_INVALID, "query string has more than %d parameters",
                               REST_MAX_QUERY_PARAMS);
            }
            const char *eq = memchr(p, '=', len);
            size_t key_len = eq ? (size_t)(eq - p) : len;
            struct buf key = BUF_INIT, value = BUF_INIT;
            if (rest_percent_decode(&key, p, key_len, true) < 0 ||
                (eq && rest_percent_decode(&value, eq + 1, len - key_len - 1, true) < 0)) {
                buf_release(&key);
                buf_release(&value);
                query_params_release(qp);
                return err_set(ERR_INVALID, "query string: bad percent-escape in '%.*s'",
                               (int)(len > 64 ? 64 : len), p);
            }
            ALLOC_GROW(qp->items, qp->count + 1, qp->alloc);
            struct query_param *item = &qp->items[qp->count++];
            item->key = buf_detach(&key, NULL);
            item->value = buf_detach(&value, &item->value_len);
            item->has_value = eq != NULL;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

static const struct query_param *query_params_find(const struct query_params *qp, const char *key,
                                                   size_t key_len, size_t *from)
{
    for (size_t i = from ? *from : 0; i < qp->count; i++) {
        if (strlen(qp->items[i].key) == key_len && memcmp(qp->items[i].key, key, key_len) == 0) {
            if (from)
                *from = i + 1;
            return &qp->items[i];
        }
    }
    return NULL;
}

/*
 * URI templates.
 */

struct segment {
    const char *ptr;
    size_t len;
};

/* Splits "/a/b" (after the leading '/') at '/'; "/" has no segments. */
static size_t split_segments(struct segment *segs, size_t max, const char *s, size_t len)
{
    if (len && s[0] == '/')
        s++, len--;
    if (!len)
        return 0;
    size_t n = 0;
    for (;;) {
        const char *slash = memchr(s, '/', len);
        size_t seg_len = slash ? (size_t)(slash - s) : len;
        if (n < max)
            segs[n] = (struct segment){s, seg_len};
        n++;
        if (!slash)
            break;
        len -= seg_len + 1;
        s = slash + 1;
    }
    return n;
}

static bool is_label(struct segment seg)
{
    return seg.len >= 2 && seg.ptr[0] == '{' && seg.ptr[seg.len - 1] == '}';
}

static bool is_greedy(struct segment seg)
{
    return is_label(seg) && seg.len >= 3 && seg.ptr[seg.len - 2] == '+';
}

struct label {
    const char *name; /* in the template, not NUL-terminated */
    size_t name_len;
    const char *raw; /* in the request path, still percent-encoded */
    size_t raw_len;
};

struct route {
    struct label labels[TEMPLATE_MAX_LABELS];
    size_t label_count;
};

static bool literal_equals(struct segment tmpl, struct segment path)
{
    if (!memchr(path.ptr, '%', path.len))
        return tmpl.len == path.len && memcmp(tmpl.ptr, path.ptr, path.len) == 0;
    struct buf decoded = BUF_INIT;
    bool eq = rest_percent_decode(&decoded, path.ptr, path.len, false) == 0 &&
              decoded.len == tmpl.len && memcmp(decoded.data, tmpl.ptr, tmpl.len) == 0;
    buf_release(&decoded);
    return eq;
}

static bool add_label(struct route *route, struct segment tmpl, const char *raw, size_t raw_len)
{
    if (raw_len == 0 || route->label_count >= TEMPLATE_MAX_LABELS)
        return false;
    size_t name_len = tmpl.len - 2 - (is_greedy(tmpl) ? 1 : 0);
    route->labels[route->label_count++] = (struct label){tmpl.ptr + 1, name_len, raw, raw_len};
    return true;
}

static bool header_present(const struct aws_request *req, const char *name)
{
    return aws_request_header(req, name) != NULL;
}

/*
 * Matches `op`'s method and template against the request. Returns a score
 * (higher is more specific) and fills `route`, or -1. The score orders
 * literal path segments first, then literal query keys and the required
 * query and header members the operation declares (S3's PutObject and
 * CopyObject share a template and differ by a required header), then a
 * template without a greedy label, then an exact trailing slash.
 */
static long route_match(struct route *route, const struct model_operation *op,
                        const struct aws_request *req, const struct query_params *qp)
{
    if (strcmp(op->http_method, req->method) != 0)
        return -1;
    const char *tmpl = op->request_uri;
    const char *qmark = strchr(tmpl, '?');
    size_t tmpl_path_len = qmark ? (size_t)(qmark - tmpl) : strlen(tmpl);

    struct segment tsegs[TEMPLATE_MAX_SEGMENTS];
    size_t tcount = split_segments(tsegs, TEMPLATE_MAX_SEGMENTS, tmpl, tmpl_path_len);
    if (tcount > TEMPLATE_MAX_SEGMENTS)
        return -1;
    size_t greedy = SIZE_MAX;
    for (size_t i = 0; i < tcount; i++)
        if (is_greedy(tsegs[i]))
            greedy = i;

    /* Path segments are found one at a time: a greedy key may have many. */
    const char *path = req->path;
    size_t path_len = strlen(path);
    size_t pcount = 0;
    if (path_len > 1 || (path_len == 1 && path[0] != '/')) {
        pcount = 1;
        for (size_t i = 1; i < path_len; i++)
            pcount += path[i] == '/';
    }
    bool trailing_slash = false;
    if (greedy == SIZE_MAX && pcount == tcount + 1 && path_len > 1 && path[path_len - 1] == '/' &&
        !(tcount > 0 && tsegs[tcount - 1].len == 0)) {
        /* "/bucket/" for "/{Bucket}": some clients add the slash. */
        trailing_slash = true;
        pcount--;
        path_len--;
    }
    if (greedy == SIZE_MAX ? pcount != tcount : pcount < tcount)
        return -1;

    route->label_count = 0;
    long literals = 0;
    const char *p = path_len && path[0] == '/' ? path + 1 : path;
    const char *end = path + path_len;
    for (size_t i = 0; i < tcount; i++) {
        size_t take = i == greedy ? pcount - tcount + 1 : 1;
        const char *seg_start = p;
        for (size_t k = 0; k < take; k++) {
            const char *slash = memchr(p, '/', (size_t)(end - p));
            if (k + 1 < take || !slash)
                p = slash ? slash + 1 : end;
            else
                p = slash;
        }
        const char *seg_end = p;
        if (p < end && *p == '/')
            p++;
        struct segment pseg = {seg_start, (size_t)(seg_end - seg_start)};
        if (is_label(tsegs[i])) {
            if (!add_label(route, tsegs[i], pseg.ptr, pseg.len))
                return -1;
        } else {
            if (!literal_equals(tsegs[i], pseg))
                return -1;
            literals++;
        }
    }

    long bindings = 0;
    if (qmark) {
        const char *q = qmark + 1;
        while (*q) {
            const char *amp = strchr(q, '&');
            size_t len = amp ? (size_t)(amp - q) : strlen(q);
            const char *eq = memchr(q, '=', len);
            size_t key_len = eq ? (size_t)(eq - q) : len;
            if (len) {
                size_t from = 0;
                const struct query_param *param;
                bool found = false;
                while ((param = query_params_find(qp, q, key_len, &from))) {
                    if (!eq || (param->value_len == len - key_len - 1 &&
                                memcmp(param->value, eq + 1, param->value_len) == 0)) {
                        found = true;
                        break;
                    }
                }
                if (!found)
                    return -1;
                bindings++;
            }
            if (!amp)
                break;
            q = amp + 1;
        }
    }
    const struct model_shape *input = op->input;
    for (uint32_t i = 0; input && i < input->member_count; i++) {
        const struct model_member *m = &input->members[i];
        if (!(m->flags & MEMBER_F_REQUIRED))
            continue;
        const char *name = model_member_wire_name(m);
        if (m->location == LOC_HEADER) {
            if (!header_present(req, name))
                return -1;
            bindings++;
        } else if (m->location == LOC_QUERYSTRING && m->shape->type != SHAPE_MAP) {
            if (!query_params_find(qp, name, strlen(name), NULL))
                return -1;
            bindings++;
        }
    }
    return literals * 100000 + bindings * 100 + (greedy == SIZE_MAX ? 10 : 0) +
           (trailing_slash ? 0 : 1);
}

/*
 * Operations that botocore marks deprecated and whose successors share
 * their method and URI (S3's PutBucketLifecycle and
 * PutBucketLifecycleConfiguration both PUT /{Bucket}?lifecycle). The
 * stripped models drop the deprecated flag, so they are named here: they
 * lose a tie, since today's clients send the successors' requests.
 */
static bool superseded(const struct model_service *svc, const struct model_operation *op)
{
    static const char *const s3_superseded[] = {"GetBucketLifecycle", "GetBucketNotification",
                                                "PutBucketLifecycle", "PutBucketNotification"};
    if (!svc->endpoint_prefix || strcmp(svc->endpoint_prefix, "s3") != 0)
        return false;
    for (size_t i = 0; i < ARRAY_SIZE(s3_superseded); i++)
        if (strcmp(op->name, s3_superseded[i]) == 0)
            return true;
    return false;
}

int rest_match(const struct model_operation **op_out, const struct model_service *svc,
               const struct aws_request *req)
{
    struct query_params qp;
    int rc = query_params_parse(&qp, req->query);
    if (rc < 0)
        return rc;
    const struct model_operation *best = NULL;
    long best_score = -1;
    struct route route;
    for (uint32_t i = 0; i < svc->operation_count; i++) {
        long score = route_match(&route, &svc->operations[i], req, &qp);
        if (score >= 0)
            score = score * 2 + (superseded(svc, &svc->operations[i]) ? 0 : 1);
        if (score > best_score) {
            best_score = score;
            best = &svc->operations[i];
        }
    }
    query_params_release(&qp);
    if (!best) {
        size_t len = strlen(req->path);
        return err_set(ERR_NOT_FOUND, "no operation of service '%s' matches '%s %.*s'", svc->name,
                       req->method, (int)(len > 200 ? 200 : len), req->path);
    }
    *op_out = best;
    return 0;
}

/*
 * Request bindings.
 */

static const struct label *route_label(const struct route *route, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < route->label_count; i++)
        if (route->labels[i].name_len == len && memcmp(route->labels[i].name, name, len) == 0)
            return &route->labels[i];
    return NULL;
}

/* Whether `key` is fixed by the template's query part ("?tagging", "?list-type=2"). */
static bool template_query_key(const struct model_operation *op, const char *key)
{
    const char *q = strchr(op->request_uri, '?');
    if (!q)
        return false;
    size_t key_len = strlen(key);
    q++;
    while (*q) {
        size_t len = strcspn(q, "&=");
        if (len == key_len && memcmp(q, key, len) == 0)
            return true;
        q += strcspn(q, "&");
        if (*q)
            q++;
    }
    return false;
}

static int bind_label(json_t *params, const struct model_member *m, const struct route *route)
{
    const char *name = model_member_wire_name(m);
    const struct label *label = route_label(route, name);
    if (!label)
        return 0;
    char where[160];
    snprintf(where, sizeof(where), "URI label '%s'", name);
    struct buf decoded = BUF_INIT;
    int rc = rest_percent_decode(&decoded, label->raw, label->raw_len, false);
    if (rc < 0) {
        buf_release(&decoded);
        return err_set(ERR_INVALID, "%s: bad percent-escape", where);
    }
    json_t *value;
    rc = rest_scalar_parse(&value, m->shape, decoded.data, decoded.len, where);
    buf_release(&decoded);
    if (rc < 0)
        return rc;
    json_object_set_new(params, m->name, value);
    return 0;
}

static int bind_query_map(json_t *params, const struct model_member *m,
                          const struct model_operation *op, const struct query_params *qp)
{
    const struct model_shape *value_shape = m->shape->value->shape;
    json_t *map = json_object();
    for (size_t i = 0; i < qp->count; i++) {
        const struct query_param *param = &qp->items[i];
        if (template_query_key(op, param->key) || !utf8_valid(param->key, strlen(param->key)))
            continue;
        char where[160];
        snprintf(where, sizeof(where), "query parameter '%.64s'", param->key);
        json_t *value;
        const struct model_shape *item_shape =
            value_shape->type == SHAPE_LIST ? value_shape->member->shape : value_shape;
        int rc = rest_scalar_parse(&value, item_shape, param->value, param->value_len, where);
        if (rc < 0) {
            json_decref(map);
            return rc;
        }
        if (value_shape->type == SHAPE_LIST) {
            json_t *list = json_object_get(map, param->key);
            if (!list) {
                list = json_array();
                json_object_set_new(map, param->key, list);
            }
            json_array_append_new(list, value);
        } else if (json_object_get(map, param->key)) {
            json_decref(value); /* the first one wins, as for named parameters */
        } else {
            json_object_set_new(map, param->key, value);
        }
    }
    if (json_object_size(map) == 0) {
        json_decref(map);
        return 0;
    }
    json_object_set_new(params, m->name, map);
    return 0;
}

static int bind_query(json_t *params, const struct model_member *m,
                      const struct model_operation *op, const struct query_params *qp)
{
    if (m->shape->type == SHAPE_MAP)
        return bind_query_map(params, m, op, qp);
    const char *name = model_member_wire_name(m);
    char where[160];
    snprintf(where, sizeof(where), "query parameter '%s'", name);
    size_t from = 0;
    const struct query_param *param;
    if (m->shape->type != SHAPE_LIST) {
        if (!(param = query_params_find(qp, name, strlen(name), NULL)))
            return 0;
        json_t *value;
        int rc = rest_scalar_parse(&value, m->shape, param->value, param->value_len, where);
        if (rc < 0)
            return rc;
        json_object_set_new(params, m->name, value);
        return 0;
    }
    json_t *list = NULL;
    while ((param = query_params_find(qp, name, strlen(name), &from))) {
        json_t *value;
        int rc = rest_scalar_parse(&value, m->shape->member->shape, param->value, param->value_len,
                                   where);
        if (rc < 0) {
            json_decref(list);
            return rc;
        }
        if (!list)
            list = json_array();
        json_array_append_new(list, value);
    }
    if (list)
        json_object_set_new(params, m->name, list);
    return 0;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * Splits a header list: items separated by commas, optionally quoted with
 * backslash escapes inside ("b,c", "\"def\"", a). Unquoted items are
 * trimmed.
 */
static int split_header_list(json_t *items, const char *s, size_t len, const char *where)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && is_ows(s[i]))
            i++;
        struct buf item = BUF_INIT;
        if (i < len && s[i] == '"') {
            i++;
            bool closed = false;
            while (i < len) {
                if (s[i] == '\\' && i + 1 < len) {
                    buf_addch(&item, s[i + 1]);
                    i += 2;
                } else if (s[i] == '"') {
                    closed = true;
                    i++;
                    break;
                } else {
                    buf_addch(&item, s[i++]);
                }
            }
            while (i < len && is_ows(s[i]))
                i++;
            if (!closed || (i < len && s[i] != ',')) {
                buf_release(&item);
                return err_set(ERR_INVALID, "%s: unterminated quoted item", where);
            }
        } else {
            size_t start = i;
            while (i < len && s[i] != ',')
                i++;
            size_t stop = i;
            while (stop > start && is_ows(s[stop - 1]))
                stop--;
            buf_add(&item, s + start, stop - start);
        }
        if (json_array_size(items) >= REST_MAX_HEADER_LIST) {
            buf_release(&item);
            return err_set(ERR_INVALID, "%s: more than %d items", where, REST_MAX_HEADER_LIST);
        }
        json_array_append_new(items, json_stringn_nocheck(item.data, item.len));
        buf_release(&item);
        if (i < len && s[i] == ',')
            i++;
    }
    return 0;
}

static int bind_header_list(json_t **value_out, const struct model_member *m, const char *value,
                            size_t len, const char *where)
{
    const struct model_shape *item_shape = m->shape->member->shape;
    _cleanup_buf_ struct buf joined = BUF_INIT;
    json_t *texts = json_array();
    int rc = split_header_list(texts, value, len, where);
    /* An HTTP date has a comma of its own: "Mon, 16 Dec 2019 ..., Tue, ..." */
    if (rc == 0 && item_shape->type == SHAPE_TIMESTAMP &&
        rest_timestamp_format(m->shape->member, TS_RFC822) == TS_RFC822) {
        json_t *dates = json_array();
        for (size_t i = 0; i + 1 < json_array_size(texts); i += 2) {
            buf_reset(&joined);
            buf_adds(&joined, json_string_value(json_array_get(texts, i)));
            buf_adds(&joined, ", ");
            buf_adds(&joined, json_string_value(json_array_get(texts, i + 1)));
            json_array_append_new(dates, json_stringn_nocheck(joined.data, joined.len));
        }
        if (json_array_size(texts) % 2)
            rc = err_set(ERR_INVALID, "%s: not a list of HTTP dates", where);
        json_decref(texts);
        texts = dates;
    }
    json_t *list = json_array();
    size_t i;
    json_t *text;
    json_array_foreach(texts, i, text)
    {
        if (rc < 0)
            break;
        json_t *item;
        rc = rest_scalar_parse(&item, item_shape, json_string_value(text), json_string_length(text),
                               where);
        if (rc == 0)
            json_array_append_new(list, item);
    }
    json_decref(texts);
    if (rc < 0) {
        json_decref(list);
        return rc;
    }
    *value_out = list;
    return 0;
}

static int bind_header(json_t *params, const struct model_member *m, const struct aws_request *req)
{
    const char *name = model_member_wire_name(m);
    const struct header_field *h = aws_request_header(req, name);
    if (!h)
        return 0;
    char where[160];
    snprintf(where, sizeof(where), "header '%s'", name);
    json_t *value;
    int rc;
    if (m->shape->type == SHAPE_LIST) {
        /* A list may also arrive as several headers of the same name. */
        _cleanup_buf_ struct buf joined = BUF_INIT;
        size_t name_len = strlen(name);
        for (size_t i = 0; i < req->header_count; i++) {
            const struct header_field *each = &req->headers[i];
            if (each->name_len != name_len || strncasecmp(each->name, name, name_len) != 0)
                continue;
            if (joined.len)
                buf_adds(&joined, ", ");
            buf_add(&joined, each->value, each->value_len);
        }
        rc = bind_header_list(&value, m, joined.data, joined.len, where);
    } else if ((m->flags & MEMBER_F_JSONVALUE) && m->shape->type == SHAPE_STRING) {
        struct buf raw = BUF_INIT;
        value = NULL;
        rc = base64_decode(&raw, h->value, h->value_len);
        if (rc == 0)
            rc = json_body_parse(&value, raw.data, raw.len);
        buf_release(&raw);
        if (rc < 0)
            rc = err_set(ERR_INVALID, "%s: value is not base64-encoded JSON", where);
    } else {
        rc = rest_scalar_parse(&value, m->shape, h->value, h->value_len, where);
    }
    if (rc < 0)
        return rc;
    json_object_set_new(params, m->name, value);
    return 0;
}

static int bind_prefix_headers(json_t *params, const struct model_member *m,
                               const struct aws_request *req)
{
    const char *prefix = m->location_name ? m->location_name : "";
    size_t prefix_len = strlen(prefix);
    const struct model_shape *value_shape =
        m->shape->type == SHAPE_MAP ? m->shape->value->shape : NULL;
    if (!value_shape)
        return 0;
    json_t *map = json_object();
    for (size_t i = 0; i < req->header_count; i++) {
        const struct header_field *h = &req->headers[i];
        if (h->name_len <= prefix_len || strncasecmp(h->name, prefix, prefix_len) != 0)
            continue;
        char key[256];
        size_t key_len = h->name_len - prefix_len;
        if (key_len >= sizeof(key) || memchr(h->name + prefix_len, '\0', key_len))
            continue;
        for (size_t k = 0; k < key_len; k++)
            key[k] = (char)tolower((unsigned char)h->name[prefix_len + k]);
        key[key_len] = '\0';
        char where[320];
        snprintf(where, sizeof(where), "header '%s%s'", prefix, key);
        json_t *value;
        int rc = rest_scalar_parse(&value, value_shape, h->value, h->value_len, where);
        if (rc < 0) {
            json_decref(map);
            return rc;
        }
        json_object_set_new(map, key, value);
    }
    /* Present even when empty: the client did address the map. */
    json_object_set_new(params, m->name, map);
    return 0;
}

int rest_decode_bindings(json_t *params, const struct model_operation *op,
                         const struct aws_request *req)
{
    const struct model_shape *input = op->input;
    if (!input || input->type != SHAPE_STRUCTURE)
        return 0;
    struct query_params qp;
    int rc = query_params_parse(&qp, req->query);
    if (rc < 0)
        return rc;
    struct route route;
    if (route_match(&route, op, req, &qp) < 0) {
        query_params_release(&qp);
        return err_set(ERR_INVALID, "request '%s %.200s' does not match '%s %s' of '%s'",
                       req->method, req->path, op->http_method, op->request_uri, op->name);
    }
    for (uint32_t i = 0; rc == 0 && i < input->member_count; i++) {
        const struct model_member *m = &input->members[i];
        switch (m->location) {
        case LOC_URI:
            rc = bind_label(params, m, &route);
            break;
        case LOC_QUERYSTRING:
            rc = bind_query(params, m, op, &qp);
            break;
        case LOC_HEADER:
            rc = bind_header(params, m, req);
            break;
        case LOC_HEADERS:
            rc = bind_prefix_headers(params, m, req);
            break;
        default:
            break;
        }
    }
    query_params_release(&qp);
    return rc;
}

const struct model_member *rest_payload_member(const struct model_shape *shape)
{
    if (!shape || !shape->payload)
        return NULL;
    return model_member_find(shape, shape->payload, strlen(shape->payload));
}

bool rest_payload_is_raw(const struct model_member *payload)
{
    return payload->shape->type == SHAPE_BLOB || payload->shape->type == SHAPE_STRING;
}

int rest_decode_raw_payload(json_t *params, const struct model_member *payload,
                            const struct aws_request *req)
{
    if (req->body_len == 0)
        return 0;
    if (payload->shape->type == SHAPE_STRING &&
        (!utf8_valid(req->body, req->body_len) || memchr(req->body, '\0', req->body_len)))
        return err_set(ERR_INVALID, "request body for '%s' is not valid UTF-8 text", payload->name);
    json_object_set_new(params, payload->name, json_stringn_nocheck(req->body, req->body_len));
    return 0;
}

/*
 * Response bindings.
 */

static bool header_value_safe(const char *s, size_t len)
{
    return !memchr(s, '\r', len) && !memchr(s, '\n', len) && !memchr(s, '\0', len);
}

static int header_list_text(struct buf *out, const struct model_member *m, json_t *list,
                            const char *where)
{
    if (!json_is_array(list))
        return value_error(where, "a list");
    const struct model_member *item_member = m->shape->member;
    enum timestamp_format format = rest_timestamp_format(item_member, TS_RFC822);
    struct buf item = BUF_INIT;
    size_t i;
    json_t *value;
    json_array_foreach(list, i, value)
    {
        buf_reset(&item);
        int rc = rest_scalar_text(&item, item_member->shape, format, value, where);
        if (rc < 0) {
            buf_release(&item);
            return rc;
        }
        if (i)
            buf_adds(out, ", ");
        bool quote = item_member->shape->type == SHAPE_STRING &&
                     (memchr(item.data, ',', item.len) || memchr(item.data, '"', item.len));
        if (!quote) {
            buf_add(out, item.data, item.len);
            continue;
        }
        buf_addch(out, '"');
        for (size_t k = 0; k < item.len; k++) {
            if (item.data[k] == '"' || item.data[k] == '\\')
                buf_addch(out, '\\');
            buf_addch(out, item.data[k]);
        }
        buf_addch(out, '"');
    }
    buf_release(&item);
    return 0;
}

static int add_header(struct http_response *resp, const char *name, struct buf *value,
                      const char *where)
{
    if (!header_value_safe(value->data, value->len))
        return err_set(ERR_INTERNAL, "%s must not hold line breaks", where);
    http_response_add_header(resp, name, value->data);
    return 0;
}

static int encode_header(struct http_response *resp, const struct model_member *m, json_t *value)
{
    const char *name = model_member_wire_name(m);
    char where[160];
    snprintf(where, sizeof(where), "header '%s'", name);
    _cleanup_buf_ struct buf text = BUF_INIT;
    int rc;
    if (m->shape->type == SHAPE_LIST) {
        rc = header_list_text(&text, m, value, where);
    } else if ((m->flags & MEMBER_F_JSONVALUE) && m->shape->type == SHAPE_STRING) {
        char *json = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!json)
            return err_set(ERR_INTERNAL, "%s: value cannot be written as JSON", where);
        base64_encode(&text, json, strlen(json));
        free(json);
        rc = 0;
    } else {
        rc = rest_scalar_text(&text, m->shape, rest_timestamp_format(m, TS_RFC822), value, where);
    }
    if (rc < 0)
        return rc;
    return add_header(resp, name, &text, where);
}

static int encode_prefix_headers(struct http_response *resp, const struct model_member *m,
                                 json_t *map)
{
    const char *prefix = m->location_name ? m->location_name : "";
    if (!json_is_object(map) || m->shape->type != SHAPE_MAP)
        return err_set(ERR_INTERNAL, "headers '%s*' must be a map", prefix);
    const char *key;
    json_t *value;
    _cleanup_buf_ struct buf name = BUF_INIT;
    _cleanup_buf_ struct buf text = BUF_INIT;
    json_object_foreach(map, key, value)
    {
        buf_reset(&name);
        buf_adds(&name, prefix);
        buf_adds(&name, key);
        char where[320];
        snprintf(where, sizeof(where), "header '%.300s'", name.data);
        if (!header_value_safe(name.data, name.len) || strpbrk(name.data, " :"))
            return err_set(ERR_INTERNAL, "%s is not a valid header name", where);
        buf_reset(&text);
        int rc = rest_scalar_text(&text, m->shape->value->shape,
                                  rest_timestamp_format(m->shape->value, TS_RFC822), value, where);
        if (rc < 0 || (rc = add_header(resp, name.data, &text, where)) < 0)
            return rc;
    }
    return 0;
}

int rest_encode_bindings(struct http_response *resp, const struct model_shape *shape, json_t *value)
{
    if (!shape || shape->type != SHAPE_STRUCTURE || !json_is_object(value))
        return 0;
    for (uint32_t i = 0; i < shape->member_count; i++) {
        const struct model_member *m = &shape->members[i];
        if (m->location == LOC_BODY || m->location == LOC_URI || m->location == LOC_QUERYSTRING)
            continue;
        json_t *item = json_object_get(value, m->name);
        if (!item || json_is_null(item))
            continue;
        size_t raw_len;
        /* Pre-encoded JSON (api.h) belongs in JSON bodies only. */
        if (api_json_raw_text(item, &raw_len))
            return err_set(ERR_INTERNAL,
                           "output '%s' is pre-encoded JSON, which only JSON bodies take", m->name);
        int rc = 0;
        switch (m->location) {
        case LOC_HEADER:
            rc = encode_header(resp, m, item);
            break;
        case LOC_HEADERS:
            rc = encode_prefix_headers(resp, m, item);
            break;
        case LOC_STATUSCODE:
            if (!json_is_integer(item) || json_integer_value(item) < 100 ||
                json_integer_value(item) > 599)
                return err_set(ERR_INTERNAL, "status code member '%s' must be 100..599", m->name);
            resp->status = (int)json_integer_value(item);
            break;
        default:
            break;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

int rest_encode_raw_payload(struct http_response *resp, const struct model_member *payload,
                            json_t *output)
{
    json_t *value = json_is_object(output) ? json_object_get(output, payload->name) : NULL;
    if (!value || json_is_null(value))
        return 0;
    if (!json_is_string(value))
        return err_set(ERR_INTERNAL, "payload '%s' must be a string", payload->name);
    buf_add(&resp->body, json_string_value(value), json_string_length(value));
    if (!http_response_header(resp, "Content-Type"))
        http_response_add_header(resp, "Content-Type",
                                 payload->shape->type == SHAPE_BLOB ? "application/octet-stream"
                                                                    : "text/plain");
    return 0;
}
