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
 * awsJson 1.0 / 1.1, and the JSON body codec restJson shares with it.
 *
 * Requests are parsed with jansson into a DOM and then walked once, driven
 * by the input shape, into the params object. Responses are written
 * straight into the response buffer from the output shape and value,
 * without building a second DOM: this is the hot path of every JSON
 * service.
 */

static inline void json_releasep(json_t **v)
{
    json_decref(*v);
}
#define _cleanup_json_ __attribute__((cleanup(json_releasep)))

/* Deeper than any model nests, shallow enough that recursion is safe. */
#define ENCODE_MAX_DEPTH  128
#define PATH_MAX_SEGMENTS (ENCODE_MAX_DEPTH + 2)

/* Where a decoder or encoder is, for messages: 'Tags[2].Value'. Segments
 * are only formatted when an error is reported. */
struct json_path_segment {
    const char *name; /* NULL for a list index */
    size_t index;
};

struct json_path {
    const char *root;
    struct json_path_segment segments[PATH_MAX_SEGMENTS];
    size_t depth;
};

static void path_push_name(struct json_path *path, const char *name)
{
    if (path->depth < PATH_MAX_SEGMENTS)
        path->segments[path->depth] = (struct json_path_segment){name, 0};
    path->depth++;
}

static void path_push_index(struct json_path *path, size_t index)
{
    if (path->depth < PATH_MAX_SEGMENTS)
        path->segments[path->depth] = (struct json_path_segment){NULL, index};
    path->depth++;
}

static void path_pop(struct json_path *path)
{
    path->depth--;
}

static void path_format(struct buf *out, const struct json_path *path)
{
    if (path->root)
        buf_adds(out, path->root);
    size_t n = path->depth < PATH_MAX_SEGMENTS ? path->depth : PATH_MAX_SEGMENTS;
    for (size_t i = 0; i < n; i++) {
        const struct json_path_segment *seg = &path->segments[i];
        if (!seg->name) {
            buf_addf(out, "[%zu]", seg->index);
        } else {
            if (out->len)
                buf_addch(out, '.');
            /* Map keys come from input: keep the message readable. */
            size_t len = strnlen(seg->name, 128);
            buf_add(out, seg->name, len);
        }
    }
}

static int path_error(int kind, const struct json_path *path, const char *what)
{
    struct buf where = BUF_INIT;
    path_format(&where, path);
    int rc;
    if (where.len == 0)
        rc = err_set(kind, "%s %s", kind == ERR_INVALID ? "request body" : "output", what);
    else if (utf8_valid(where.data, where.len))
        rc = err_set(kind, "'%s' %s", where.data, what);
    else
        rc = err_set(kind, "a member %s", what);
    buf_release(&where);
    return rc;
}

/*
 * Parsing.
 */

/* One pass over the body before jansson sees it: UTF-8 validity (so the
 * message can say where) and the nesting limit (jansson's own is 2048). */
static int json_body_scan(const char *body, size_t len)
{
    const unsigned char *p = (const unsigned char *)body;
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t n = utf8_sequence_len(p + i, len - i);
            if (!n)
                return err_set(ERR_INVALID, "request body is not valid UTF-8 at byte %zu", i);
            i += n - 1;
            continue;
        }
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > JSON_MAX_DEPTH)
                return err_set(ERR_INVALID, "request body nests deeper than %d levels at byte %zu",
                               JSON_MAX_DEPTH, i);
        } else if (c == '}' || c == ']') {
            if (depth)
                depth--;
        }
    }
    return 0;
}

int json_body_parse(json_t **root_out, const char *body, size_t len)
{
    int rc = json_body_scan(body, len);
    if (rc < 0)
        return rc;
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
    if (!root)
        return err_set(ERR_INVALID, "request body is not valid JSON: line %d column %d: %s",
                       jerr.line, jerr.column, jerr.text);
    *root_out = root;
    return 0;
}

/*
 * Decoding.
 */

static bool is_float_keyword(const char *s)
{
    return strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0;
}

/* Epoch seconds (integer or fraction) to milliseconds; false if out of range. */
static bool seconds_to_ms(int64_t *ms_out, json_t *v)
{
    /* ~ year 5000: past any real date, and milliseconds stay exact in a
     * double, so a timestamp survives a round trip through text. */
    const double limit = 1e11;
    if (json_is_integer(v)) {
        json_int_t s = json_integer_value(v);
        if (s > (json_int_t)limit || s < -(json_int_t)limit)
            return false;
        *ms_out = (int64_t)s * 1000;
        return true;
    }
    double d = json_real_value(v);
    if (!isfinite(d) || d > limit || d < -limit)
        return false;
    *ms_out = (int64_t)llround(d * 1000.0);
    return true;
}

static const struct model_member *member_by_wire_name(const struct model_shape *shape,
                                                      const char *key, bool body_only)
{
    for (uint32_t i = 0; i < shape->member_count; i++) {
        const struct model_member *m = &shape->members[i];
        if (strcmp(model_member_wire_name(m), key) == 0) {
            if (body_only && m->location != LOC_BODY)
                return NULL;
            return m;
        }
    }
    return NULL;
}

static int decode_value(json_t **out, const struct model_shape *shape, json_t *in,
                        struct json_path *path, bool body_only);

static int decode_structure(json_t **out, const struct model_shape *shape, json_t *in,
                            struct json_path *path, bool body_only)
{
    if (!json_is_object(in))
        return path_error(ERR_INVALID, path, "must be an object");
    json_t *obj = json_object();
    const char *key;
    json_t *item;
    json_object_foreach(in, key, item)
    {
        if (json_is_null(item))
            continue;
        /* Unknown members are ignored, as AWS does, so newer clients work. */
        const struct model_member *m = member_by_wire_name(shape, key, body_only);
        if (!m)
            continue;
        json_t *value;
        path_push_name(path, m->name);
        int rc = decode_value(&value, m->shape, item, path, false);
        path_pop(path);
        if (rc < 0) {
            json_decref(obj);
            return rc;
        }
        json_object_set_new_nocheck(obj, m->name, value);
    }
    *out = obj;
    return 0;
}

static int decode_list(json_t **out, const struct model_shape *shape, json_t *in,
                       struct json_path *path)
{
    if (!json_is_array(in))
        return path_error(ERR_INVALID, path, "must be a list");
    json_t *arr = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(in, i, item)
    {
        if (json_is_null(item))
            continue;
        json_t *value;
        path_push_index(path, i);
        int rc = decode_value(&value, shape->member->shape, item, path, false);
        path_pop(path);
        if (rc < 0) {
            json_decref(arr);
            return rc;
        }
        json_array_append_new(arr, value);
    }
    *out = arr;
    return 0;
}

static int decode_map(json_t **out, const struct model_shape *shape, json_t *in,
                      struct json_path *path)
{
    if (!json_is_object(in))
        return path_error(ERR_INVALID, path, "must be an object");
    json_t *obj = json_object();
    const char *key;
    json_t *item;
    json_object_foreach(in, key, item)
    {
        if (json_is_null(item))
            continue;
        json_t *value;
        path_push_name(path, key);
        int rc = decode_value(&value, shape->value->shape, item, path, false);
        path_pop(path);
        if (rc < 0) {
            json_decref(obj);
            return rc;
        }
        json_object_set_new(obj, key, value);
    }
    *out = obj;
    return 0;
}

static int decode_value(json_t **out, const struct model_shape *shape, json_t *in,
                        struct json_path *path, bool body_only)
{
    switch (shape->type) {
    case SHAPE_STRUCTURE:
        if (shape->flags & SHAPE_F_DOCUMENT) {
            *out = json_incref(in);
            return 0;
        }
        return decode_structure(out, shape, in, path, body_only);
    case SHAPE_LIST:
        return decode_list(out, shape, in, path);
    case SHAPE_MAP:
        return decode_map(out, shape, in, path);
    case SHAPE_STRING:
        if (!json_is_string(in))
            return path_error(ERR_INVALID, path, "must be a string");
        *out = json_incref(in);
        return 0;
    case SHAPE_BOOLEAN:
        if (!json_is_boolean(in))
            return path_error(ERR_INVALID, path, "must be a boolean");
        *out = json_incref(in);
        return 0;
    case SHAPE_INTEGER:
        if (!json_is_integer(in))
            return path_error(ERR_INVALID, path, "must be an integer");
        if (json_integer_value(in) > INT32_MAX || json_integer_value(in) < INT32_MIN)
            return path_error(ERR_INVALID, path, "must be a 32-bit integer");
        *out = json_incref(in);
        return 0;
    case SHAPE_LONG:
        if (!json_is_integer(in))
            return path_error(ERR_INVALID, path, "must be an integer");
        *out = json_incref(in);
        return 0;
    case SHAPE_FLOAT:
    case SHAPE_DOUBLE:
        if (json_is_integer(in)) {
            *out = json_real((double)json_integer_value(in));
            return 0;
        }
        if (json_is_real(in) || (json_is_string(in) && is_float_keyword(json_string_value(in)))) {
            *out = json_incref(in);
            return 0;
        }
        return path_error(ERR_INVALID, path, "must be a number");
    case SHAPE_BIGINTEGER:
    case SHAPE_BIGDECIMAL:
        if (!json_is_number(in))
            return path_error(ERR_INVALID, path, "must be a number");
        *out = json_incref(in);
        return 0;
    case SHAPE_TIMESTAMP: {
        int64_t ms;
        if (json_is_number(in)) {
            if (!seconds_to_ms(&ms, in))
                return path_error(ERR_INVALID, path, "must be a timestamp in range");
        } else if (!json_is_string(in) ||
                   rest_timestamp_parse(&ms, json_string_value(in), json_string_length(in)) < 0) {
            return path_error(ERR_INVALID, path, "must be a timestamp");
        }
        *out = json_integer(ms);
        return 0;
    }
    case SHAPE_BLOB: {
        if (!json_is_string(in))
            return path_error(ERR_INVALID, path, "must be a base64-encoded string");
        struct buf raw = BUF_INIT;
        if (base64_decode(&raw, json_string_value(in), json_string_length(in)) < 0) {
            buf_release(&raw);
            return path_error(ERR_INVALID, path, "must be a base64-encoded string");
        }
        *out = json_stringn_nocheck(raw.data, raw.len);
        buf_release(&raw);
        return 0;
    }
    default:
        return path_error(ERR_INVALID, path, "has a type the model does not support");
    }
}

int json_body_decode(json_t **value_out, const struct model_shape *shape, json_t *in,
                     bool body_only, const char *root)
{
    struct json_path path = {.root = root};
    return decode_value(value_out, shape, in, &path, body_only);
}

/*
 * Encoding.
 */

static void write_int64(struct buf *out, int64_t v)
{
    char tmp[24];
    size_t n = sizeof(tmp);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--n] = '-';
    buf_add(out, tmp + n, sizeof(tmp) - n);
}

/* Epoch seconds from milliseconds, with a fraction only when needed. */
static void write_epoch_seconds(struct buf *out, int64_t ms)
{
    int64_t secs = ms / 1000;
    int64_t frac = ms % 1000;
    if (frac == 0) {
        write_int64(out, secs);
        return;
    }
    if (ms < 0) {
        buf_addch(out, '-');
        secs = -secs;
        frac = -frac;
    }
    write_int64(out, secs);
    char digits[5] = {'.', (char)('0' + frac / 100), (char)('0' + frac / 10 % 10),
                      (char)('0' + frac % 10), 0};
    size_t n = 4;
    while (digits[n - 1] == '0')
        n--;
    buf_add(out, digits, n);
}

/* Any JSON value as is (documents). */
static int write_any(struct buf *out, json_t *v, struct json_path *path)
{
    if (path->depth > ENCODE_MAX_DEPTH)
        return path_error(ERR_INTERNAL, path, "nests too deep");
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        buf_addch(out, '{');
        const char *key;
        json_t *item;
        bool first = true;
        json_object_foreach(v, key, item)
        {
            if (!first)
                buf_addch(out, ',');
            first = false;
            jsonw_cstr(out, key);
            buf_addch(out, ':');
            path_push_name(path, key);
            int rc = write_any(out, item, path);
            path_pop(path);
            if (rc < 0)
                return rc;
        }
        buf_addch(out, '}');
        return 0;
    }
    case JSON_ARRAY: {
        buf_addch(out, '[');
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            if (i)
                buf_addch(out, ',');
            path_push_index(path, i);
            int rc = write_any(out, item, path);
            path_pop(path);
            if (rc < 0)
                return rc;
        }
        buf_addch(out, ']');
        return 0;
    }
    case JSON_STRING:
        jsonw_string(out, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        write_int64(out, json_integer_value(v));
        return 0;
    case JSON_REAL:
        jsonw_double(out, json_real_value(v));
        return 0;
    case JSON_TRUE:
        buf_adds(out, "true");
        return 0;
    case JSON_FALSE:
        buf_adds(out, "false");
        return 0;
    case JSON_NULL:
        buf_adds(out, "null");
        return 0;
    }
    return 0;
}

static enum timestamp_format body_timestamp_format(const struct model_member *m,
                                                   const struct model_shape *shape)
{
    if (m && m->timestamp_format != TS_DEFAULT)
        return m->timestamp_format;
    if (shape->timestamp_format != TS_DEFAULT)
        return shape->timestamp_format;
    return TS_UNIX;
}

static int encode_value(struct buf *out, const struct model_member *m,
                        const struct model_shape *shape, json_t *v, struct json_path *path,
                        bool body_only);

static int encode_structure(struct buf *out, const struct model_shape *shape, json_t *v,
                            struct json_path *path, bool body_only)
{
    if (!json_is_object(v))
        return path_error(ERR_INTERNAL, path, "must be an object");
    buf_addch(out, '{');
    bool first = true;
    for (uint32_t i = 0; i < shape->member_count; i++) {
        const struct model_member *m = &shape->members[i];
        if (body_only && m->location != LOC_BODY)
            continue;
        json_t *item = json_object_get(v, m->name);
        if (!item || json_is_null(item))
            continue;
        if (!first)
            buf_addch(out, ',');
        first = false;
        jsonw_cstr(out, model_member_wire_name(m));
        buf_addch(out, ':');
        path_push_name(path, m->name);
        int rc = encode_value(out, m, m->shape, item, path, false);
        path_pop(path);
        if (rc < 0)
            return rc;
    }
    buf_addch(out, '}');
    return 0;
}

#ifndef NDEBUG
/*
 * Debug builds check a raw value (api.h) against what the model-driven
 * encoder would write for it: the text is parsed, decoded against the
 * member's shape (type errors as for a request, but reported as internal),
 * and encoded again; the two texts must be the same bytes. Unknown or
 * misordered members, stray nulls and numbers written differently all
 * show as a difference.
 */
static int raw_check(const struct model_member *m, const struct model_shape *shape,
                     const char *text, size_t len, struct json_path *path)
{
    json_error_t jerr;
    _cleanup_json_ json_t *parsed = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!parsed) {
        char what[256];
        snprintf(what, sizeof(what), "is pre-encoded JSON that does not parse: %s at byte %d",
                 jerr.text, jerr.position);
        return path_error(ERR_INTERNAL, path, what);
    }
    _cleanup_json_ json_t *decoded = NULL;
    int rc = decode_value(&decoded, shape, parsed, path, false);
    if (rc < 0) {
        char message[512]; /* err_msg() is the slot err_set() writes */
        snprintf(message, sizeof(message), "%s", err_msg());
        return err_set(ERR_INTERNAL, "pre-encoded output: %s", message);
    }
    _cleanup_buf_ struct buf again = BUF_INIT;
    if ((rc = encode_value(&again, m, shape, decoded, path, false)) < 0)
        return rc;
    if (again.len == len && memcmp(again.data, text, len) == 0)
        return 0;
    size_t at = 0;
    while (at < len && at < again.len && again.data[at] == text[at])
        at++;
    char what[256];
    snprintf(what, sizeof(what),
             "is pre-encoded JSON that differs from its model encoding at byte %zu: "
             "'%.24s' where the encoder writes '%.24s'",
             at, text + at, again.data + at);
    return path_error(ERR_INTERNAL, path, what);
}
#endif

/* A raw value: its text goes out as is (see api.h). */
static int encode_raw(struct buf *out, const struct model_member *m,
                      const struct model_shape *shape, const char *text, size_t len,
                      struct json_path *path, bool body_only)
{
    /* With body_only the value stands for a whole restJson output, whose
     * members bound to headers or the URI must stay out of the body. */
    if (body_only)
        return path_error(ERR_INTERNAL, path, "cannot be pre-encoded JSON");
#ifndef NDEBUG
    int rc = raw_check(m, shape, text, len, path);
    if (rc < 0)
        return rc;
#else
    (void)m;
    (void)shape;
#endif
    buf_add(out, text, len);
    return 0;
}

static int encode_value(struct buf *out, const struct model_member *m,
                        const struct model_shape *shape, json_t *v, struct json_path *path,
                        bool body_only)
{
    if (path->depth > ENCODE_MAX_DEPTH)
        return path_error(ERR_INTERNAL, path, "nests too deep");
    size_t raw_len;
    const char *raw = api_json_raw_text(v, &raw_len);
    if (raw)
        return encode_raw(out, m, shape, raw, raw_len, path, body_only);
    switch (shape->type) {
    case SHAPE_STRUCTURE:
        if (shape->flags & SHAPE_F_DOCUMENT)
            return write_any(out, v, path);
        return encode_structure(out, shape, v, path, body_only);
    case SHAPE_LIST: {
        if (!json_is_array(v))
            return path_error(ERR_INTERNAL, path, "must be a list");
        buf_addch(out, '[');
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            if (i)
                buf_addch(out, ',');
            if (json_is_null(item)) {
                buf_adds(out, "null");
                continue;
            }
            path_push_index(path, i);
            int rc = encode_value(out, shape->member, shape->member->shape, item, path, false);
            path_pop(path);
            if (rc < 0)
                return rc;
        }
        buf_addch(out, ']');
        return 0;
    }
    case SHAPE_MAP: {
        if (!json_is_object(v))
            return path_error(ERR_INTERNAL, path, "must be an object");
        buf_addch(out, '{');
        const char *key;
        json_t *item;
        bool first = true;
        json_object_foreach(v, key, item)
        {
            if (json_is_null(item))
                continue;
            if (!first)
                buf_addch(out, ',');
            first = false;
            jsonw_cstr(out, key);
            buf_addch(out, ':');
            path_push_name(path, key);
            int rc = encode_value(out, shape->value, shape->value->shape, item, path, false);
            path_pop(path);
            if (rc < 0)
                return rc;
        }
        buf_addch(out, '}');
        return 0;
    }
    case SHAPE_STRING:
        if (!json_is_string(v))
            return path_error(ERR_INTERNAL, path, "must be a string");
        jsonw_string(out, json_string_value(v), json_string_length(v));
        return 0;
    case SHAPE_BOOLEAN:
        if (!json_is_boolean(v))
            return path_error(ERR_INTERNAL, path, "must be a boolean");
        buf_adds(out, json_is_true(v) ? "true" : "false");
        return 0;
    case SHAPE_INTEGER:
    case SHAPE_LONG:
        if (json_is_integer(v)) {
            write_int64(out, json_integer_value(v));
            return 0;
        }
        if (json_is_real(v) && json_real_value(v) == trunc(json_real_value(v)) &&
            fabs(json_real_value(v)) < 9e18) {
            write_int64(out, (int64_t)json_real_value(v));
            return 0;
        }
        return path_error(ERR_INTERNAL, path, "must be an integer");
    case SHAPE_FLOAT:
    case SHAPE_DOUBLE:
    case SHAPE_BIGINTEGER:
    case SHAPE_BIGDECIMAL:
        if (json_is_integer(v)) {
            write_int64(out, json_integer_value(v));
            return 0;
        }
        if (json_is_real(v)) {
            jsonw_double(out, json_real_value(v));
            return 0;
        }
        if (json_is_string(v) && is_float_keyword(json_string_value(v))) {
            jsonw_cstr(out, json_string_value(v));
            return 0;
        }
        return path_error(ERR_INTERNAL, path, "must be a number");
    case SHAPE_TIMESTAMP: {
        if (!json_is_number(v))
            return path_error(ERR_INTERNAL, path, "must be a timestamp in epoch milliseconds");
        int64_t ms = json_is_integer(v) ? json_integer_value(v) : llround(json_real_value(v));
        enum timestamp_format format = body_timestamp_format(m, shape);
        if (format == TS_UNIX) {
            write_epoch_seconds(out, ms);
        } else {
            char text[TIME_TEXT_MAX];
            rest_timestamp_text(text, ms, format);
            jsonw_cstr(out, text);
        }
        return 0;
    }
    case SHAPE_BLOB: {
        if (!json_is_string(v))
            return path_error(ERR_INTERNAL, path, "must be a string of bytes");
        buf_addch(out, '"');
        base64_encode(out, json_string_value(v), json_string_length(v));
        buf_addch(out, '"');
        return 0;
    }
    default:
        return path_error(ERR_INTERNAL, path, "has a type the model does not support");
    }
}

int json_body_encode(struct buf *out, const struct model_shape *shape, json_t *value,
                     bool body_only)
{
    struct json_path path = {.root = NULL};
    size_t start = out->len;
    int rc = encode_value(out, NULL, shape, value, &path, body_only);
    if (rc < 0 && out->alloc)
        buf_setlen(out, start);
    return rc;
}

/*
 * awsJson.
 */

static const char *content_type(const struct model_service *svc)
{
    return svc->json_version && strcmp(svc->json_version, "1.1") == 0
               ? "application/x-amz-json-1.1"
               : "application/x-amz-json-1.0";
}

int json_protocol_match(const struct model_operation **op_out, const struct model_service *svc,
                        const struct aws_request *req)
{
    const struct header_field *target = aws_request_header(req, "X-Amz-Target");
    if (!target)
        return err_set(ERR_NOT_FOUND, "missing 'X-Amz-Target' header");
    /* awsJson is POST only, as every AWS service that speaks it. */
    if (strcmp(req->method, "POST") != 0)
        return err_set(ERR_NOT_FOUND, "method '%.16s' is not allowed: awsJson requests are POST",
                       req->method);
    const char *dot = memrchr(target->value, '.', target->value_len);
    size_t shown = target->value_len > 128 ? 128 : target->value_len;
    if (!dot)
        return err_set(ERR_NOT_FOUND, "'X-Amz-Target' header '%.*s' is not '<service>.<operation>'",
                       (int)shown, target->value);
    size_t prefix_len = (size_t)(dot - target->value);
    if (!svc->target_prefix || strlen(svc->target_prefix) != prefix_len ||
        memcmp(svc->target_prefix, target->value, prefix_len) != 0)
        return err_set(ERR_NOT_FOUND, "'X-Amz-Target' header '%.*s' does not address service '%s'",
                       (int)shown, target->value, svc->name);
    size_t name_len = target->value_len - prefix_len - 1;
    const struct model_operation *op = model_operation_find(svc, dot + 1, name_len);
    if (!op)
        return err_set(ERR_NOT_FOUND, "operation '%.*s' is not an operation of service '%s'",
                       (int)(name_len > 128 ? 128 : name_len), dot + 1, svc->name);
    *op_out = op;
    return 0;
}

int json_protocol_decode(json_t **params_out, const struct model_service *svc,
                         const struct model_operation *op, const struct aws_request *req)
{
    (void)svc;
    if (!op->input) {
        *params_out = json_object();
        return 0;
    }
    /* AWS services answer an empty body as if it were {}. */
    if (req->body_len == 0) {
        *params_out = json_object();
        return 0;
    }
    json_t *root;
    int rc = json_body_parse(&root, req->body, req->body_len);
    if (rc < 0)
        return rc;
    if (!json_is_object(root)) {
        json_decref(root);
        return err_set(ERR_INVALID, "request body must be a JSON object");
    }
    json_t *params;
    rc = json_body_decode(&params, op->input, root, false, NULL);
    json_decref(root);
    if (rc < 0)
        return rc;
    *params_out = params;
    return 0;
}

int json_protocol_encode(struct http_response *resp, const struct model_service *svc,
                         const struct model_operation *op, json_t *output, const char *request_id)
{
    buf_reset(&resp->body);
    if (op->output && output) {
        int rc = json_body_encode(&resp->body, op->output, output, false);
        if (rc < 0)
            return rc;
    } else {
        buf_adds(&resp->body, "{}");
    }
    resp->status = 200;
    http_response_add_header(resp, "Content-Type", content_type(svc));
    if (request_id)
        http_response_add_header(resp, "x-amzn-RequestId", request_id);
    return 0;
}

static bool is_message_member(const struct model_member *m)
{
    return strcasecmp(model_member_wire_name(m), "message") == 0;
}

/*
 * An error body: {"__type": code, "message": ..., modelled fields}. botocore
 * reads the code from __type and the message from "message" or "Message";
 * when the error shape models its own message member, the message is
 * written there (once) under the model's spelling.
 */
int json_error_body(struct buf *out, const struct aws_error *err)
{
    buf_adds(out, "{\"__type\":");
    jsonw_cstr(out, err->code);
    const struct model_shape *shape = err->shape;
    bool message_member = false;
    if (shape && shape->type == SHAPE_STRUCTURE)
        for (uint32_t i = 0; i < shape->member_count; i++)
            if (shape->members[i].location == LOC_BODY && is_message_member(&shape->members[i]))
                message_member = true;
    if (!message_member && err->message) {
        buf_adds(out, ",\"message\":");
        jsonw_cstr(out, err->message);
    }
    if (!shape || shape->type != SHAPE_STRUCTURE) {
        buf_addch(out, '}');
        return 0;
    }
    struct json_path path = {.root = NULL};
    for (uint32_t i = 0; i < shape->member_count; i++) {
        const struct model_member *m = &shape->members[i];
        if (m->location != LOC_BODY)
            continue;
        json_t *item = err->fields ? json_object_get(err->fields, m->name) : NULL;
        _cleanup_json_ json_t *message = NULL;
        if ((!item || json_is_null(item)) && is_message_member(m) && err->message)
            item = message = json_string(err->message);
        if (!item || json_is_null(item))
            continue;
        buf_addch(out, ',');
        jsonw_cstr(out, model_member_wire_name(m));
        buf_addch(out, ':');
        path_push_name(&path, m->name);
        int rc = encode_value(out, m, m->shape, item, &path, false);
        path_pop(&path);
        if (rc < 0)
            return rc;
    }
    buf_addch(out, '}');
    return 0;
}

void json_protocol_encode_error(struct http_response *resp, const struct model_service *svc,
                                const struct aws_error *err, const char *request_id)
{
    buf_reset(&resp->body);
    if (json_error_body(&resp->body, err) < 0) {
        /* A field that does not fit its model must not cost the client the
         * error itself: fall back to code and message. */
        struct aws_error bare = *err;
        bare.shape = NULL;
        buf_reset(&resp->body);
        json_error_body(&resp->body, &bare);
    }
    resp->status = err->status ? err->status : err->shape ? err->shape->error_status : 400;
    http_response_add_header(resp, "Content-Type", content_type(svc));
    http_response_add_header(resp, "X-Amzn-ErrorType", err->code);
    if (request_id)
        http_response_add_header(resp, "x-amzn-RequestId", request_id);
}
