#ifndef SLIPWAY_AWS_PROTOCOL_IMPL_H
#define SLIPWAY_AWS_PROTOCOL_IMPL_H

#include "aws/protocol.h"

/*
 * The per-protocol implementations behind protocol.h. Each has the
 * semantics documented there for its protocol_* counterpart. Only
 * protocol.c and tests include this header.
 */

/* awsJson 1.0 / 1.1: src/aws/proto_json.c */
int json_protocol_match(const struct model_operation **op_out, const struct model_service *svc,
                        const struct aws_request *req);
int json_protocol_decode(json_t **params_out, const struct model_service *svc,
                         const struct model_operation *op, const struct aws_request *req);
int json_protocol_encode(struct http_response *resp, const struct model_service *svc,
                         const struct model_operation *op, json_t *output, const char *request_id);
void json_protocol_encode_error(struct http_response *resp, const struct model_service *svc,
                                const struct aws_error *err, const char *request_id);

/* awsQuery: src/aws/proto_query.c */
int query_protocol_match(const struct model_operation **op_out, const struct model_service *svc,
                         const struct aws_request *req);
int query_protocol_decode(json_t **params_out, const struct model_service *svc,
                          const struct model_operation *op, const struct aws_request *req);
int query_protocol_encode(struct http_response *resp, const struct model_service *svc,
                          const struct model_operation *op, json_t *output, const char *request_id);
void query_protocol_encode_error(struct http_response *resp, const struct model_service *svc,
                                 const struct aws_error *err, const char *request_id);

/* REST request routing and HTTP bindings shared by restXml and restJson:
 * src/aws/proto_rest.c */
int rest_match(const struct model_operation **op_out, const struct model_service *svc,
               const struct aws_request *req);

/* restXml: src/aws/proto_restxml.c */
int restxml_decode(json_t **params_out, const struct model_service *svc,
                   const struct model_operation *op, const struct aws_request *req);
int restxml_encode(struct http_response *resp, const struct model_service *svc,
                   const struct model_operation *op, json_t *output, const char *request_id);
void restxml_encode_error(struct http_response *resp, const struct model_service *svc,
                          const struct aws_error *err, const char *request_id);

/* restJson: src/aws/proto_restjson.c */
int restjson_decode(json_t **params_out, const struct model_service *svc,
                    const struct model_operation *op, const struct aws_request *req);
int restjson_encode(struct http_response *resp, const struct model_service *svc,
                    const struct model_operation *op, json_t *output, const char *request_id);
void restjson_encode_error(struct http_response *resp, const struct model_service *svc,
                           const struct aws_error *err, const char *request_id);

#endif
