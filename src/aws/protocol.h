#ifndef SLIPWAY_AWS_PROTOCOL_H
#define SLIPWAY_AWS_PROTOCOL_H

#include <jansson.h>

#include "base/buf.h"
#include "base/header.h"
#include "base/response.h"
#include "aws/model.h"

/*
 * The wire protocols, driven by the service models. One decoder and one
 * encoder per protocol (awsJson 1.0/1.1, awsQuery, restXml, restJson); this
 * header is the protocol-neutral front that the server calls, and
 * protocol.c dispatches on the service's protocol.
 *
 * Handlers never see the wire: they get a decoded params object (see the
 * value conventions in model.h) and return an output object or an error.
 */

/* An HTTP request as the protocols see it. Nothing here is owned. */
struct aws_request {
    const char *method;
    const char *path;  /* raw request path, still percent-encoded, no query */
    const char *query; /* raw query string without '?', NULL when none */
    const struct header_field *headers;
    size_t header_count;
    const char *body;
    size_t body_len;
};

/* Case-insensitive header lookup; NULL when absent. */
const struct header_field *aws_request_header(const struct aws_request *req, const char *name);

/*
 * An error as the wire shows it. `code` is the AWS error code
 * ("NoSuchEntity", "ValidationException"); `shape`, when set, is the
 * modelled error shape, and `fields` its extra members (may be NULL).
 * `sender` distinguishes Sender/Receiver for query errors.
 */
struct aws_error {
    const char *code;
    const char *message;
    int status;
    bool sender;
    const struct model_shape *shape;
    json_t *fields;
};

/*
 * Which operation of `svc` a request addresses: X-Amz-Target for json,
 * the Action parameter for query, method + URI template for the REST
 * protocols. Returns 0, or ERR_NOT_FOUND with a message naming what was
 * asked for (the caller answers UnknownOperationException or the like).
 */
int protocol_match_operation(const struct model_operation **op_out, const struct model_service *svc,
                             const struct aws_request *req);

/*
 * Decodes a request into a params object for `op` (an empty object when
 * the operation has no input). Checks syntax and member types; constraint
 * validation (required, enums, lengths, ranges, patterns) is validate.h's.
 * Returns 0, or ERR_INVALID with a message saying what and where (the
 * caller answers SerializationException / MalformedInput / the like).
 */
int protocol_decode_request(json_t **params_out, const struct model_service *svc,
                            const struct model_operation *op, const struct aws_request *req);

/*
 * Encodes a handler's output for `op` into `resp` (status, headers, body).
 * `output` may be NULL for operations without output. `request_id` goes
 * where the protocol carries it (ResponseMetadata for query).
 */
int protocol_encode_response(struct http_response *resp, const struct model_service *svc,
                             const struct model_operation *op, json_t *output,
                             const char *request_id);

/* Encodes an error response the service's clients parse. */
void protocol_encode_error(struct http_response *resp, const struct model_service *svc,
                           const struct aws_error *err, const char *request_id);

#endif
