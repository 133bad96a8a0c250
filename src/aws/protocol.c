#include "base/common.h"
#include "aws/protocol.h"
#include "aws/protocol_impl.h"
#include "base/alloc.h"
#include "base/err.h"

const struct header_field *aws_request_header(const struct aws_request *req, const char *name)
{
    return header_fields_find(req->headers, req->header_count, name);
}

int protocol_match_operation(const struct model_operation **op_out, const struct model_service *svc,
                             const struct aws_request *req)
{
    switch (svc->protocol) {
    case PROTO_JSON:
        return json_protocol_match(op_out, svc, req);
    case PROTO_QUERY:
        return query_protocol_match(op_out, svc, req);
    case PROTO_REST_XML:
    case PROTO_REST_JSON:
        return rest_match(op_out, svc, req);
    default:
        return err_set(ERR_UNSUPPORTED, "protocol of service '%s' is not supported", svc->name);
    }
}

int protocol_decode_request(json_t **params_out, const struct model_service *svc,
                            const struct model_operation *op, const struct aws_request *req)
{
    switch (svc->protocol) {
    case PROTO_JSON:
        return json_protocol_decode(params_out, svc, op, req);
    case PROTO_QUERY:
        return query_protocol_decode(params_out, svc, op, req);
    case PROTO_REST_XML:
        return restxml_decode(params_out, svc, op, req);
    case PROTO_REST_JSON:
        return restjson_decode(params_out, svc, op, req);
    default:
        return err_set(ERR_UNSUPPORTED, "protocol of service '%s' is not supported", svc->name);
    }
}

int protocol_encode_response(struct http_response *resp, const struct model_service *svc,
                             const struct model_operation *op, json_t *output,
                             const char *request_id)
{
    switch (svc->protocol) {
    case PROTO_JSON:
        return json_protocol_encode(resp, svc, op, output, request_id);
    case PROTO_QUERY:
        return query_protocol_encode(resp, svc, op, output, request_id);
    case PROTO_REST_XML:
        return restxml_encode(resp, svc, op, output, request_id);
    case PROTO_REST_JSON:
        return restjson_encode(resp, svc, op, output, request_id);
    default:
        return err_set(ERR_UNSUPPORTED, "protocol of service '%s' is not supported", svc->name);
    }
}

void protocol_encode_error(struct http_response *resp, const struct model_service *svc,
                           const struct aws_error *err, const char *request_id)
{
    switch (svc->protocol) {
    case PROTO_QUERY:
        query_protocol_encode_error(resp, svc, err, request_id);
        break;
    case PROTO_REST_XML:
        restxml_encode_error(resp, svc, err, request_id);
        break;
    case PROTO_REST_JSON:
        restjson_encode_error(resp, svc, err, request_id);
        break;
    default:
        json_protocol_encode_error(resp, svc, err, request_id);
        break;
    }
}
