#include <jansson.h>

#include "base/common.h"
#include "aws/proto_rest.h"
#include "aws/protocol_impl.h"
#include "base/err.h"

/*
 * restJson: the REST bindings of proto_rest.c with JSON bodies
 * (proto_json.c's codec). Body members form one JSON object; a payload
 * member replaces it (raw bytes for blobs and strings, JSON otherwise).
 * Errors carry the code in X-Amzn-ErrorType, which botocore's
 * RestJSONParser reads first, and in the body's __type for clients that
 * look there.
 */

static const char *const json_content_type = "application/json";

static bool has_body_members(const struct model_shape *shape)
{
    for (uint32_t i = 0; shape && i < shape->member_count; i++)
        if (shape->members[i].location == LOC_BODY)
            return true;
    return false;
}

static int decode_payload(json_t *params, const struct model_member *payload,
                          const struct aws_request *req)
{
    if (rest_payload_is_raw(payload))
        return rest_decode_raw_payload(params, payload, req);
    if (req->body_len == 0)
        return 0;
    json_t *root, *value;
    int rc = json_body_parse(&root, req->body, req->body_len);
    if (rc < 0)
        return rc;
    rc = json_body_decode(&value, payload->shape, root, false, payload->name);
    json_decref(root);
    if (rc < 0)
        return rc;
    /* Clients send {} when the payload structure is unset. */
    if (payload->shape->type == SHAPE_STRUCTURE && !(payload->shape->flags & SHAPE_F_DOCUMENT) &&
        json_object_size(value) == 0) {
        json_decref(value);
        return 0;
    }
    json_object_set_new(params, payload->name, value);
    return 0;
}

static int decode_body_members(json_t *params, const struct model_shape *input,
                               const struct aws_request *req)
{
    if (req->body_len == 0 || !has_body_members(input))
        return 0;
    json_t *root, *body;
    int rc = json_body_parse(&root, req->body, req->body_len);
    if (rc < 0)
        return rc;
    if (!json_is_object(root)) {
        json_decref(root);
        return err_set(ERR_INVALID, "request body must be a JSON object");
    }
    rc = json_body_decode(&body, input, root, true, NULL);
    json_decref(root);
    if (rc < 0)
        return rc;
    json_object_update(params, body);
    json_decref(body);
    return 0;
}

int restjson_decode(json_t **params_out, const struct model_service *svc,
                    const struct model_operation *op, const struct aws_request *req)
{
    (void)svc;
    json_t *params = json_object();
    const struct model_member *payload = rest_payload_member(op->input);
    int rc = rest_decode_bindings(params, op, req);
    if (rc == 0 && op->input)
        rc = payload ? decode_payload(params, payload, req)
                     : decode_body_members(params, op->input, req);
    if (rc < 0) {
        json_decref(params);
        return rc;
    }
    *params_out = params;
    return 0;
}

static int encode_body(struct http_response *resp, const struct model_shape *shape, json_t *value)
{
    const struct model_member *payload = rest_payload_member(shape);
    if (payload && rest_payload_is_raw(payload))
        return rest_encode_raw_payload(resp, payload, value);
    if (payload) {
        json_t *item = json_object_get(value, payload->name);
        if (!item || json_is_null(item))
            return 0;
        int rc = json_body_encode(&resp->body, payload->shape, item, false);
        if (rc < 0)
            return rc;
    } else if (has_body_members(shape)) {
        int rc = json_body_encode(&resp->body, shape, value, true);
        if (rc < 0)
            return rc;
    } else {
        return 0;
    }
    if (!http_response_header(resp, "Content-Type"))
        http_response_add_header(resp, "Content-Type", json_content_type);
    return 0;
}

int restjson_encode(struct http_response *resp, const struct model_service *svc,
                    const struct model_operation *op, json_t *output, const char *request_id)
{
    (void)svc;
    buf_reset(&resp->body);
    resp->status = op->response_code ? op->response_code : 200;
    if (op->output && json_is_object(output)) {
        struct http_response staged;
        http_response_init(&staged);
        staged.status = resp->status;
        int rc = rest_encode_bindings(&staged, op->output, output);
        if (rc == 0)
            rc = encode_body(&staged, op->output, output);
        if (rc < 0) {
            http_response_release(&staged);
            return rc;
        }
        /* Staged so that a failure leaves `resp` as it was. */
        resp->status = staged.status;
        for (size_t i = 0; i < staged.header_count; i++)
            http_response_add_header(resp, staged.headers[i].name, staged.headers[i].value);
        buf_add(&resp->body, staged.body.data, staged.body.len);
        http_response_release(&staged);
    }
    if (request_id)
        http_response_add_header(resp, "x-amzn-RequestId", request_id);
    return 0;
}

void restjson_encode_error(struct http_response *resp, const struct model_service *svc,
                           const struct aws_error *err, const char *request_id)
{
    (void)svc;
    struct aws_error bare = *err;
    bare.shape = NULL;
    buf_reset(&resp->body);
    resp->status = err->status ? err->status : err->shape ? err->shape->error_status : 400;
    struct http_response staged;
    http_response_init(&staged);
    staged.status = resp->status;
    if (!err->shape || rest_encode_bindings(&staged, err->shape, err->fields) < 0 ||
        json_error_body(&staged.body, err) < 0) {
        /* A field that does not fit its model must not cost the client the
         * error itself: fall back to code and message. */
        http_response_release(&staged);
        http_response_init(&staged);
        staged.status = resp->status;
        json_error_body(&staged.body, &bare);
    }
    resp->status = staged.status;
    for (size_t i = 0; i < staged.header_count; i++)
        http_response_add_header(resp, staged.headers[i].name, staged.headers[i].value);
    buf_add(&resp->body, staged.body.data, staged.body.len);
    http_response_release(&staged);
    http_response_add_header(resp, "Content-Type", json_content_type);
    http_response_add_header(resp, "X-Amzn-ErrorType", err->code);
    if (request_id)
        http_response_add_header(resp, "x-amzn-RequestId", request_id);
}
