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
    /* The request as received, for the few operations that need more than
     * their params (streaming bodies, presigned URLs). */
    const struct aws_request *http;
    int64_t now_ms;

    /* The operation table entry's ctx (see struct api_operation). */
    const void *op_ctx;

    /* Set by api_error(): the AWS error code and modelled fields. */
    char error_code[128];
    json_t *error_fields;
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
