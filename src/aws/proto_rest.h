#ifndef SLIPWAY_AWS_PROTO_REST_H
#define SLIPWAY_AWS_PROTO_REST_H

#include <jansson.h>

#include "aws/protocol.h"
#include "base/buf.h"
#include "base/clock.h"

/*
 * What restJson and restXml share (src/aws/proto_rest.c): routing a request
 * to an operation by method and URI template (rest_match, declared in
 * protocol_impl.h), and the HTTP bindings of members outside the body —
 * URI labels, query parameters, headers, prefix headers, the status code —
 * in both directions, plus raw (blob and string) payloads. A REST codec
 * adds only its body format: it calls rest_decode_bindings() and then
 * decodes the body members or the payload member itself, and on the way out
 * calls rest_encode_bindings() and writes the body.
 *
 * The JSON body codec that restJson shares with awsJson (src/aws/proto_json.c)
 * is declared at the end.
 *
 * All functions follow model.h's value conventions. Errors are ERR_INVALID
 * (request side: the client sent something malformed; the message names
 * the header, query parameter or label and the value) or ERR_INTERNAL
 * (response side: a handler returned a value that does not fit the model).
 */

/* Limits on what a request may carry, so input cannot grow work unbounded. */
#define REST_MAX_QUERY_PARAMS 1000
#define REST_MAX_HEADER_LIST  1000 /* items in one comma-separated header */

/*
 * The timestamp format of member `m`: the member's timestampFormat, else its
 * shape's, else `dflt` (the location's default: TS_RFC822 in headers,
 * TS_ISO8601 in URIs and query strings, the protocol's in bodies).
 */
enum timestamp_format rest_timestamp_format(const struct model_member *m,
                                            enum timestamp_format dflt);

/*
 * Timestamp text in `format` (TS_UNIX: epoch seconds, with a fraction when
 * needed, "1576540098" / "1576540098.5"). Parsing is lenient the way AWS
 * is: whatever the format, any of epoch seconds, ISO 8601 and HTTP date is
 * accepted. Returns 0 and epoch milliseconds, or ERR_INVALID.
 */
void rest_timestamp_text(char out[TIME_TEXT_MAX], int64_t ms, enum timestamp_format format);
int rest_timestamp_parse(int64_t *ms_out, const char *s, size_t len);

/*
 * Scalars as text (labels, query values, headers, and XML text too): parses
 * `s` as a value of scalar `shape` — string, boolean ("true"/"false"),
 * integer/long (range-checked), float/double (incl. "NaN", "Infinity",
 * "-Infinity"), timestamp (see rest_timestamp_parse), blob (base64) —
 * into a new value. `where` names the place for the error message, e.g.
 * "header 'X-Count'". Returns 0, or ERR_INVALID.
 */
int rest_scalar_parse(json_t **value_out, const struct model_shape *shape, const char *s,
                      size_t len, const char *where);
/*
 * Appends the text of scalar `value` of `shape`; timestamps in `format`,
 * blobs base64. Returns 0, or ERR_INTERNAL when the value does not fit the
 * shape (the message names `where`).
 */
int rest_scalar_text(struct buf *out, const struct model_shape *shape, enum timestamp_format format,
                     json_t *value, const char *where);

/*
 * Percent-decoding of one URI component. `plus_is_space` for query strings
 * (form encoding), not for paths. Appends to `out`. Returns 0, or
 * ERR_INVALID on a bad escape, with part of the text appended.
 */
int rest_percent_decode(struct buf *out, const char *s, size_t len, bool plus_is_space);
/* Percent-encodes everything but RFC 3986 unreserved characters (and '/'
 * when `keep_slash`). Appends to `out`. */
void rest_percent_encode(struct buf *out, const char *s, size_t len, bool keep_slash);

/*
 * Request side: adds to `params` (an object) every member of `op`'s input
 * bound to the URI (labels of op->request_uri matched against req->path),
 * the query string (named parameters; a map member gets every parameter
 * the URI template does not fix), headers (lists comma-separated with
 * quoted items; jsonvalue strings as base64 JSON) and prefix headers (map
 * keys lower-cased, the prefix removed). Body and payload members are left
 * to the caller. Returns 0, or ERR_INVALID; `params` may then hold some
 * members already, and the caller discards it.
 */
int rest_decode_bindings(json_t *params, const struct model_operation *op,
                         const struct aws_request *req);

/* The payload member of structure `shape` (shape->payload), NULL if none. */
const struct model_member *rest_payload_member(const struct model_shape *shape);

/* True when `shape` is a blob or string: a payload sent as the raw body. */
bool rest_payload_is_raw(const struct model_member *payload);

/*
 * A raw payload from the request body: a blob holds the bytes, a string
 * must be UTF-8. An empty body leaves the member absent. Returns 0, or
 * ERR_INVALID.
 */
int rest_decode_raw_payload(json_t *params, const struct model_member *payload,
                            const struct aws_request *req);

/*
 * Response side: adds a header for every header and prefix-header member of
 * structure `shape` set in `value` (which may be NULL), and sets
 * resp->status from a statusCode member when one is set; the caller sets
 * the default status first (op->response_code or 200, or the error's).
 * Timestamps in headers default to HTTP dates, lists are joined with ", "
 * (items holding commas or quotes are quoted), jsonvalue strings are
 * base64 JSON. Returns 0, or ERR_INTERNAL with some headers possibly added
 * already: encode into a staging response and copy it over on success.
 */
int rest_encode_bindings(struct http_response *resp, const struct model_shape *shape,
                         json_t *value);

/*
 * Writes a raw payload member's value (blob bytes or string) as the body,
 * with a Content-Type (application/octet-stream or text/plain) unless one
 * is set already. Absent value: empty body. Returns 0, or ERR_INTERNAL.
 */
int rest_encode_raw_payload(struct http_response *resp, const struct model_member *payload,
                            json_t *output);

/*
 * JSON bodies, shared by awsJson and restJson (src/aws/proto_json.c).
 */
#define JSON_MAX_DEPTH 64

/*
 * Parses a request body: valid UTF-8, nesting at most JSON_MAX_DEPTH, JSON
 * syntax; any JSON value at the top. Duplicate keys: the last one wins, as
 * with the JSON parsers AWS services use. Returns 0 and a new value, or
 * ERR_INVALID with the position.
 */
int json_body_parse(json_t **root_out, const char *body, size_t len);

/*
 * Decodes parsed JSON `in` as a value of `shape` (type checks, base64
 * blobs, timestamps, member names from wire names, unknown members
 * dropped, nulls treated as absent). With `body_only`, members of the
 * top-level structure bound elsewhere (headers, URI ...) are skipped.
 * `root` prefixes member paths in messages (NULL at the top). Returns 0 and
 * a new value, or ERR_INVALID naming the member path:
 * "'Tags[2].Value' must be a string".
 */
int json_body_decode(json_t **value_out, const struct model_shape *shape, json_t *in,
                     bool body_only, const char *root);

/*
 * Appends `value` as JSON text for `shape`: model member order, absent and
 * null members omitted, timestamps as epoch seconds (or the shape's format),
 * blobs base64. With `body_only`, top-level members bound elsewhere are
 * skipped. Returns 0, or ERR_INTERNAL naming the member path.
 */
int json_body_encode(struct buf *out, const struct model_shape *shape, json_t *value,
                     bool body_only);

/*
 * Appends an error body: {"__type": code, "message": ..., the error shape's
 * body members from err->fields}. When the shape models a message member
 * ("message" or "Message") the message goes there, once. Returns 0, or
 * ERR_INTERNAL when a field does not fit its model.
 */
int json_error_body(struct buf *out, const struct aws_error *err);

#endif
