/*
 * protocol_vectors: runs protocol jobs for tests/protocol/test_vectors.py.
 *
 * Reads one JSON array of jobs on stdin and writes one JSON array of
 * results (same order) on stdout. Every job carries a botocore-style model
 * ({"metadata", "shapes", "operations"}) and one of:
 *
 *   "decode": {"method", "uri", "headers": [[name, value]...], "body_b64"}
 *       -> {"operation": NAME, "params": VALUE}
 *          or {"error": MESSAGE, "stage": "match" | "decode"}
 *   "encode": VALUE, "operation": NAME
 *       -> {"status": N, "headers": [[name, value]...], "body_b64": "..."}
 *   "encode_error": {"code", "message", "status", "sender", "shape", "fields"},
 *   "operation": NAME
 *       -> the same as "encode"
 *
 * Values follow model.h's conventions, except that blobs (and any other
 * string that is not valid UTF-8) travel as {"$blob": BASE64} so that the
 * JSON stays valid in both directions. A job that cannot run at all gives
 * {"error": MESSAGE, "stage": "job"}; the program itself fails only when
 * stdin is not a JSON array.
 */
#include <jansson.h>

#include "base/common.h"
#include "aws/model_load.h"
#include "aws/protocol.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/jsonw.h"

#define BLOB_MARKER "$blob"

static const char *const request_id = "00000000-0000-4000-8000-000000000000";

static json_t *blob_marker(const char *data, size_t len)
{
    struct buf b64 = BUF_INIT;
    base64_encode(&b64, data, len);
    json_t *marker = json_pack("{s:s%}", BLOB_MARKER, b64.data, b64.len);
    buf_release(&b64);
    return marker;
}

/* Decoded params -> printable JSON: blobs (by shape) and strings that are
 * not UTF-8 become markers. Returns a new reference. */
static json_t *params_to_wire(json_t *value, const struct model_shape *shape, int depth)
{
    if (depth > 200)
        return json_incref(value);
    if (json_is_string(value)) {
        const char *s = json_string_value(value);
        size_t len = json_string_length(value);
        if ((shape && shape->type == SHAPE_BLOB) || !utf8_valid(s, len))
            return blob_marker(s, len);
        return json_incref(value);
    }
    if (!shape || (shape->flags & SHAPE_F_DOCUMENT))
        return json_incref(value);
    if (json_is_array(value)) {
        json_t *out = json_array();
        size_t i;
        json_t *item;
        json_array_foreach(value, i, item)
        {
            json_array_append_new(
                out, params_to_wire(item, shape->type == SHAPE_LIST ? shape->member->shape : NULL,
                                    depth + 1));
        }
        return out;
    }
    if (json_is_object(value)) {
        json_t *out = json_object();
        const char *key;
        json_t *item;
        json_object_foreach(value, key, item)
        {
            const struct model_shape *item_shape = NULL;
            if (shape->type == SHAPE_MAP) {
                item_shape = shape->value->shape;
            } else if (shape->type == SHAPE_STRUCTURE) {
                const struct model_member *m = model_member_find(shape, key, strlen(key));
                item_shape = m ? m->shape : NULL;
            }
            json_object_set_new(out, key, params_to_wire(item, item_shape, depth + 1));
        }
        return out;
    }
    return json_incref(value);
}

/* Printable JSON -> values: markers become raw-byte strings. Returns a new
 * reference. */
static json_t *wire_to_value(json_t *value, int depth)
{
    if (depth > 200)
        return json_incref(value);
    if (json_is_object(value)) {
        json_t *marker = json_object_get(value, BLOB_MARKER);
        if (json_is_string(marker) && json_object_size(value) == 1) {
            struct buf raw = BUF_INIT;
            if (base64_decode(&raw, json_string_value(marker), json_string_length(marker)) < 0) {
                buf_release(&raw);
                return json_incref(value);
            }
            json_t *s = json_stringn_nocheck(raw.data, raw.len);
            buf_release(&raw);
            return s;
        }
        json_t *out = json_object();
        const char *key;
        json_t *item;
        json_object_foreach(value, key, item)
        {
            json_object_set_new(out, key, wire_to_value(item, depth + 1));
        }
        return out;
    }
    if (json_is_array(value)) {
        json_t *out = json_array();
        size_t i;
        json_t *item;
        json_array_foreach(value, i, item)
        {
            json_array_append_new(out, wire_to_value(item, depth + 1));
        }
        return out;
    }
    return json_incref(value);
}

static json_t *job_error(const char *stage, const char *message)
{
    /* Messages may quote input bytes; the result must stay valid JSON. */
    char *text = xstrdup(message);
    if (!utf8_valid(text, strlen(text)))
        for (char *p = text; *p; p++)
            if ((unsigned char)*p >= 0x80)
                *p = '?';
    json_t *result = json_pack("{s:s, s:s}", "stage", stage, "error", text);
    free(text);
    return result;
}

static json_t *run_decode(const struct model_service *svc, json_t *request)
{
    const char *method = json_string_value(json_object_get(request, "method"));
    const char *uri = json_string_value(json_object_get(request, "uri"));
    if (!method || !uri)
        return job_error("job", "'decode' needs 'method' and 'uri'");

    const char *qmark = strchr(uri, '?');
    _cleanup_free_ char *path = qmark ? xstrndup(uri, (size_t)(qmark - uri)) : xstrdup(uri);

    json_t *jheaders = json_object_get(request, "headers");
    size_t header_count = json_array_size(jheaders);
    _cleanup_free_ struct header_field *headers = xcalloc(header_count + 1, sizeof(*headers));
    for (size_t i = 0; i < header_count; i++) {
        json_t *pair = json_array_get(jheaders, i);
        json_t *name = json_array_get(pair, 0), *value = json_array_get(pair, 1);
        if (!json_is_string(name) || !json_is_string(value))
            return job_error("job", "'headers' must be a list of [name, value] strings");
        headers[i] = (struct header_field){json_string_value(name), json_string_length(name),
                                           json_string_value(value), json_string_length(value)};
    }

    struct buf body = BUF_INIT;
    json_t *body_b64 = json_object_get(request, "body_b64");
    if (json_is_string(body_b64) &&
        base64_decode(&body, json_string_value(body_b64), json_string_length(body_b64)) < 0) {
        buf_release(&body);
        return job_error("job", "'body_b64' is not base64");
    }

    struct aws_request req = {
        .method = method,
        .path = path,
        .query = qmark ? qmark + 1 : NULL,
        .headers = headers,
        .header_count = header_count,
        .body = body.data,
        .body_len = body.len,
    };
    json_t *result;
    const struct model_operation *op;
    json_t *params;
    if (protocol_match_operation(&op, svc, &req) < 0) {
        result = job_error("match", err_msg());
    } else if (protocol_decode_request(&params, svc, op, &req) < 0) {
        result = job_error("decode", err_msg());
        json_object_set_new(result, "operation", json_string(op->name));
    } else {
        result = json_pack("{s:s, s:o}", "operation", op->name, "params",
                           params_to_wire(params, op->input, 0));
        json_decref(params);
    }
    buf_release(&body);
    return result;
}

static json_t *response_to_json(const struct http_response *resp)
{
    json_t *headers = json_array();
    for (size_t i = 0; i < resp->header_count; i++)
        json_array_append_new(headers,
                              json_pack("[s, s]", resp->headers[i].name, resp->headers[i].value));
    struct buf b64 = BUF_INIT;
    base64_encode(&b64, resp->body.data, resp->body.len);
    json_t *out = json_pack("{s:i, s:o, s:s%}", "status", resp->status, "headers", headers,
                            "body_b64", b64.data, b64.len);
    buf_release(&b64);
    return out;
}

static json_t *run_encode(const struct model_service *svc, const struct model_operation *op,
                          json_t *wire_output)
{
    json_t *output =
        wire_output && !json_is_null(wire_output) ? wire_to_value(wire_output, 0) : NULL;
    struct http_response resp;
    http_response_init(&resp);
    json_t *result;
    if (protocol_encode_response(&resp, svc, op, output, request_id) < 0)
        result = job_error("encode", err_msg());
    else
        result = response_to_json(&resp);
    http_response_release(&resp);
    json_decref(output);
    return result;
}

static json_t *run_encode_error(const struct model_service *svc, json_t *spec)
{
    const char *shape_name = json_string_value(json_object_get(spec, "shape"));
    json_t *status = json_object_get(spec, "status");
    json_t *fields = json_object_get(spec, "fields");
    struct aws_error err = {
        .code = json_string_value(json_object_get(spec, "code")),
        .message = json_string_value(json_object_get(spec, "message")),
        .sender = json_is_true(json_object_get(spec, "sender")),
        .shape = shape_name ? model_shape_find(svc, shape_name) : NULL,
        .fields = json_is_object(fields) ? wire_to_value(fields, 0) : NULL,
    };
    if (!err.code)
        return job_error("job", "'encode_error' needs a 'code'");
    if (shape_name && !err.shape) {
        json_decref(err.fields);
        return job_error("job", "'encode_error' names an unknown shape");
    }
    err.status = json_is_integer(status) ? (int)json_integer_value(status)
                 : err.shape             ? err.shape->error_status
                                         : 400;
    struct http_response resp;
    http_response_init(&resp);
    protocol_encode_error(&resp, svc, &err, request_id);
    json_t *result = response_to_json(&resp);
    http_response_release(&resp);
    json_decref(err.fields);
    return result;
}

static json_t *run_job(json_t *job)
{
    struct model_service *svc;
    if (model_load(&svc, json_object_get(job, "model"), "vector") < 0)
        return job_error("job", err_msg());

    json_t *result;
    const char *op_name = json_string_value(json_object_get(job, "operation"));
    const struct model_operation *op =
        op_name ? model_operation_find(svc, op_name, strlen(op_name)) : NULL;
    if (json_object_get(job, "decode")) {
        result = run_decode(svc, json_object_get(job, "decode"));
    } else if (json_object_get(job, "encode_error")) {
        result = run_encode_error(svc, json_object_get(job, "encode_error"));
    } else if (json_object_get(job, "encode")) {
        result = op ? run_encode(svc, op, json_object_get(job, "encode"))
                    : job_error("job", "'encode' needs a known 'operation'");
    } else {
        result = job_error("job", "a job needs 'decode', 'encode' or 'encode_error'");
    }
    model_service_free(svc);
    return result;
}

int main(void)
{
    json_error_t jerr;
    json_t *jobs = json_loadf(stdin, 0, &jerr);
    if (!json_is_array(jobs)) {
        fprintf(stderr, "protocol_vectors: stdin:%d:%d: %s\n", jerr.line, jerr.column,
                jobs ? "expected an array of jobs" : jerr.text);
        json_decref(jobs);
        return 2;
    }
    json_t *results = json_array();
    size_t i;
    json_t *job;
    json_array_foreach(jobs, i, job)
    {
        err_clear();
        json_array_append_new(results, run_job(job));
    }
    int rc = json_dumpf(results, stdout, JSON_COMPACT) == 0 ? 0 : 1;
    fputc('\n', stdout);
    json_decref(results);
    json_decref(jobs);
    return rc;
}
