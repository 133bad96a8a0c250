/*
 * Fuzzes awsJson request decoding: arbitrary bytes as the body of a
 * CodeBuild CreateProject call (nested structures, lists, maps, enums,
 * timestamps). Whatever decodes must also encode against the same shape,
 * and decoding that encoding must give the same params back: the encoder
 * and decoder agree on every value the decoder can produce.
 */
#include <jansson.h>

#include "base/common.h"
#include "aws/proto_rest.h"
#include "aws/protocol_impl.h"
#include "base/buf.h"
#include "base/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *body, size_t len)
{
    fprintf(stderr, "fuzz_json_decode: %s: %s\n  body: %.*s\n", what, err_msg(),
            (int)(len > 2000 ? 2000 : len), body);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct model_service *svc;
    static const struct model_operation *op;
    if (!svc) {
        svc = model_service_find("codebuild");
        op = svc ? model_operation_find(svc, "CreateProject", 13) : NULL;
        if (!op) {
            fprintf(stderr, "fuzz_json_decode: no codebuild CreateProject model\n");
            abort();
        }
    }
    struct header_field target = {"X-Amz-Target", 12, "CodeBuild_20161006.CreateProject", 32};
    struct aws_request req = {.method = "POST",
                              .path = "/",
                              .headers = &target,
                              .header_count = 1,
                              .body = (const char *)data,
                              .body_len = size};
    json_t *params;
    if (json_protocol_decode(&params, svc, op, &req) < 0)
        return 0;

    struct buf encoded = BUF_INIT;
    if (json_body_encode(&encoded, op->input, params, false) < 0)
        fail("decoded params do not encode", req.body, size);
    struct aws_request again = req;
    again.body = encoded.data;
    again.body_len = encoded.len;
    json_t *params2;
    if (json_protocol_decode(&params2, svc, op, &again) < 0)
        fail("the encoding does not decode", encoded.data, encoded.len);
    if (!json_equal(params, params2))
        fail("the round trip changed the params", encoded.data, encoded.len);
    json_decref(params2);
    json_decref(params);
    buf_release(&encoded);
    return 0;
}
