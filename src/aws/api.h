#ifndef SLIPWAY_AWS_API_H
#define SLIPWAY_AWS_API_H

#include <jansson.h>

#include "aws/model.h"
#include "aws/principal.h"
#include "aws/protocol.h"

/*
 * What an operation handler sees and returns. The server decodes and
 * validates the request, resolves the principal, calls the handler with
 * the params object, and encodes what it returns; a handler never sees
 * the wire.
 *
 * A handler returns 0 and sets *output (an object, or NULL for operations
 * without output), or returns a negative err kind. The error's message is
 * err_msg(); its AWS code is the one set with api_error(), else the
 * operation's modelled error that fits the kind (see api_error_map).
 */

struct store;
struct blob_store;
struct blob_writer;
struct master_key;

/*
 * A request body streamed to the blob store instead of memory: the input of
 * an operation whose payload member is a streaming blob (S3's PutObject and
 * UploadPart). The server decodes aws-chunked framing, verifies what the
 * signature covers and hashes the bytes while they arrive; by the time the
 * handler runs, the body is complete, on disk and synced, but not yet a
 * blob: the handler commits `writer` (blob_writer_commit, which then costs
 * a rename, and frees it: set `writer` to NULL) or leaves it, and the
 * server aborts whatever writer is left.
 */
struct api_upload {
    struct blob_writer *writer;
    /* Decoded payload bytes (without aws-chunked framing). */
    uint64_t size;
    /* SHA-256 of the payload, lower-case hex: the blob's digest. */
    char digest[65];
    uint8_t md5[16];
    /*
     * The flexible checksum the request named (an x-amz-checksum-* header
     * or trailer, x-amz-sdk-checksum-algorithm, x-amz-trailer), computed
     * over the payload: "CRC32", "CRC32C", "CRC64NVME", "SHA1" or "SHA256",
     * and its value in base64 as S3 writes it; both "" when none was named.
     * Trailers reach the handler as params, as if they had been headers.
     */
    char checksum_algorithm[16];
    char checksum[64];
};

/*
 * A response body served from a file instead of memory (S3's GetObject):
 * the handler opens the blob, sets `fd` (the call owns it from then on and
 * the server closes it or hands it to the HTTP layer), the byte range to
 * send, and leaves the payload member out of its output.
 */
struct api_download {
    int fd; /* -1 when the body is in the output as usual */
    uint64_t offset;
    uint64_t length;
};

/* Allow decisions remembered per call. */
#define API_DECISIONS_CACHED 8

struct api_call {
    const char *request_id;
    const struct model_service *service;
    const struct model_operation *op;
    const struct principal *principal;
    /* The caller's account and the request's region (from the SigV4 scope). */
    const char *account_id;
    const char *region;
    const char *partition; /* "aws" */
    struct store *store;
    struct blob_store *blobs;
    /* Seals secret values at rest (store/master_key.h). */
    const struct master_key *master_key;
    /* The server's data directory (CodeCommit keeps its repositories under
     * it) and its default region; NULL in calls made without a server. */
    const char *data_dir;
    const char *default_region;
    /* The request as received, for the few operations that need more than
     * their params (streaming bodies, presigned URLs). */
    const struct aws_request *http;
    int64_t now_ms;

    /* The operation table entry's ctx (see struct api_operation). */
    const void *op_ctx;

    /* The streamed request body, NULL unless the operation streams one. */
    struct api_upload *upload;
    /* A streamed response body; fd -1 when none. */
    struct api_download download;

    /* Set by api_error(): the AWS error code and modelled fields. */
    char error_code[128];
    json_t *error_fields;
    /* A status for the error other than its kind's or its shape's (S3's
     * 304, 412, 416, 503 ...); 0 for that default. */
    int error_status;
    /* A success status other than the operation's (GetObject's 206); 0
     * for the model's. */
    int response_status;
    /* Headers added to the response, success or error, beyond what the
     * model encodes (S3's Content-Range on a 416, x-amz-delete-marker on a
     * 404): an object of name -> string, NULL when none. Owned by the call. */
    json_t *response_headers;
    /* Set by api_authorize(); the dispatcher refuses a handler's success
     * when it never asked, so no operation can skip authorization. */
    bool authorized;

    /* Facts about the request that conditions can test. */
    const char *source_ip; /* the client's address, "" when unknown */
    bool secure_transport; /* it came over TLS */

    /* Allowed (action, resource) pairs of this call, so a handler asking
     * twice (a batch over one resource, say) is evaluated once. */
    uint64_t allowed[API_DECISIONS_CACHED];
    unsigned allowed_count;
};

typedef int (*api_handler_fn)(struct api_call *call, json_t *input, json_t **output);

/*
 * Pre-encoded JSON, for bulk outputs of the JSON protocols: a handler that
 * writes a large member straight from its rows with base/jsonw.h
 * (GetLogEvents' 10,000 events) puts the text where that member's tree
 * would go, and the awsJson / restJson body encoder appends it as is
 * instead of walking a tree of 10,000 objects.
 *
 * The text must be what the encoder writes for the equivalent tree:
 * compact, members in model order under their wire names, strings as
 * jsonw_string() writes them, numbers and timestamps as the encoder does
 * (integers in decimal, timestamps in the member's body format). Builds
 * without NDEBUG check every raw value they encode: the text is parsed,
 * decoded against the member's shape, encoded the model-driven way into a
 * scratch buffer and compared, so a raw value that does not fit its member
 * fails the tests as a wrong tree would.
 *
 * Representation: a jansson object whose only key is API_JSON_RAW_KEY,
 * holding the text as a string. The key begins with byte 0xff, which is
 * never valid UTF-8, so no model member, decoded input, map key or stored
 * record can spell it: no data passes for a raw value. Only the JSON body
 * encoders accept one; the XML, query and HTTP-binding encoders fail with
 * ERR_INTERNAL naming the member. A handler returns raw values only when
 * api_call_takes_raw_json() says the output goes to a JSON encoder.
 */
#define API_JSON_RAW_KEY "\377slipway.raw" /* \377: byte 0xff */

/* A raw value holding (a copy of) the text of `encoded`, which is released.
 * It is an ordinary jansson value: whoever holds the output tree owns it. */
json_t *api_json_raw(struct buf *encoded);

/* The text of raw value `v` and its length, or NULL when `v` is not one. */
const char *api_json_raw_text(json_t *v, size_t *len_out);

/*
 * True when the call's output is encoded by a JSON body encoder: it came
 * over the wire (call->http is set) to an awsJson or restJson service. A
 * call made in process (tests, another service) reads its output itself
 * and gets plain trees.
 */
bool api_call_takes_raw_json(const struct api_call *call);

/*
 * One entry of a service's operation table. `ctx`, when set, reaches the
 * handler as call->op_ctx, so one handler can serve operations that differ
 * only in what they act on (AttachUserPolicy / AttachRolePolicy ...).
 */
struct api_operation {
    const char *name;
    api_handler_fn handler;
    const void *ctx;
};

/* A service implementation: its model name and its handlers. */
struct api_service {
    const char *name; /* as in models/: "iam", "sts", ... */
    const struct api_operation *operations;
    size_t operation_count;
};

/*
 * Fails the call with a specific AWS error code ("NoSuchEntity") and a
 * message; returns `kind` for `return api_error(...)`.
 */
int api_error(struct api_call *call, int kind, const char *code, const char *fmt, ...)
    PRINTF_LIKE(4, 5);

/*
 * Asks whether the caller may perform `action` ("iam:GetUser") on
 * `resource` (an ARN or "*"). Returns 0, or ERR_DENIED with AWS's message
 * (the handler returns it unchanged).
 */
int api_authorize(struct api_call *call, const char *action, const char *resource);

/* One condition key the service supplies for a request. */
struct api_condition {
    const char *key;   /* "aws:ResourceTag/team", "iam:PassedToService" ... */
    const char *value; /* several entries with one key make it multi-valued */
};

/* An authorization question with everything a service may add. */
struct api_authz {
    const char *action;
    const char *resource;
    /* The account owning the resource; NULL when it is the caller's. */
    const char *resource_account;
    /* The resource's policy (a bucket policy, a role's trust policy ...),
     * NULL when it has none; `resource_policy_id`, when set, names it
     * stably (equal ids, equal texts) so its compiled form is reused. */
    const char *resource_policy;
    const char *resource_policy_id;
    bool resource_policy_is_trust; /* a role trust policy (AssumeRole) */
    const struct api_condition *conditions;
    size_t condition_count;
};

int api_authorize_request(struct api_call *call, const struct api_authz *req);

/* The action name of the call's operation, "iam:GetUser". */
void api_action_name(char *out, size_t size, const struct api_call *call);

/*
 * The authorization rule, set once at start-up by the server (policy
 * evaluation over the caller's IAM policies). Until one is set, only
 * principals flagged admin are allowed. Returns 0 or ERR_DENIED with the
 * message set with err_set().
 */
typedef int (*authorize_fn)(struct api_call *call, const struct api_authz *req);
void api_set_authorizer(authorize_fn fn);

/*
 * Turns a failed call into the wire error: the code set by api_error(), or
 * the operation's modelled error that fits `kind`, or the protocol's
 * generic code. Fills `out` (whose strings point into `call` or the model
 * or static storage) with message `message`.
 */
void api_error_map(struct aws_error *out, const struct api_call *call, int kind,
                   const char *message);

#endif
