/*
 * libFuzzer target for the awsQuery request decoder (src/aws/proto_query.c):
 * arbitrary bytes as a form body, and as a GET query string, decoded
 * against IAM's compiled model for CreateRole (nested lists of
 * structures) and PutRolePolicy (long string values), and routed by their
 * Action. Failures must be ERR_INVALID or ERR_LIMIT with a message.
 */
#include <jansson.h>

#include "base/common.h"
#include "aws/protocol.h"
#include "aws/protocol_impl.h"
#include "base/alloc.h"
#include "base/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct header_field form_headers[] = {
    {"Content-Type", 12, "application/x-www-form-urlencoded", 33},
};

static void decode_as(const struct model_service *svc, const char *op_name,
                      const struct aws_request *req)
{
    const struct model_operation *op = model_operation_find(svc, op_name, strlen(op_name));
    if (!op)
        abort();
    json_t *params = NULL;
    int rc = query_protocol_decode(&params, svc, op, req);
    if (rc == 0) {
        if (!json_is_object(params))
            abort();
        json_decref(params);
    } else if (rc != ERR_INVALID && rc != ERR_LIMIT) {
        abort();
    } else if (err_msg()[0] == '\0') {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct model_service *iam = model_service_find("iam");
    if (!iam)
        abort();
    struct aws_request req = {
        .method = "POST",
        .path = "/",
        .headers = form_headers,
        .header_count = ARRAY_SIZE(form_headers),
        .body = (const char *)data,
        .body_len = size,
    };
    const struct model_operation *op;
    if (query_protocol_match(&op, iam, &req) == 0) {
        json_t *params = NULL;
        if (query_protocol_decode(&params, iam, op, &req) == 0)
            json_decref(params);
    }
    decode_as(iam, "CreateRole", &req);
    decode_as(iam, "PutRolePolicy", &req);

    /* The same bytes as a query string (which cannot hold a NUL). */
    char *query = xstrndup((const char *)data, size);
    struct aws_request get = {.method = "GET", .path = "/", .query = query};
    decode_as(iam, "CreateRole", &get);
    free(query);
    return 0;
}
