#include <stdatomic.h>

#include "base/common.h"
#include "base/alloc.h"
#include "server/api_route.h"
#include "aws/api.h"
#include "aws/protocol.h"
#include "aws/sigv2.h"
#include "aws/sigv4.h"
#include "aws/validate.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "server/services.h"
#include "services/cloudtrail/cloudtrail.h"
#include "services/iam/iam.h"
#include "server/upload_sink.h"
#include "store/blob.h"
#include "aws/proto_rest.h"

/* Everything one API request carries through the pipeline. */
struct api_request {
    struct api_route *route;
    const struct http_request *http;
    struct aws_request aws;
    const struct model_service *service;
    /* The response being built, owned by the HTTP server. */
    struct http_response *out;
    /* A virtual-hosted S3 request's path with its bucket put in front
     * ("/bucket/key"), which is what operations are matched on; the
     * signature covers the path as sent. */
    struct buf folded_path;
    /* The bucket a virtual-hosted request's Host names, "" when none. */
    char host_bucket[64];
    /* Signed with S3's SigV2 rather than SigV4: `v2` holds its claims. */
    bool sigv2;
    struct sigv2_auth v2;
    /* What CloudTrail records of the call: set along the way, handed to the
     * recorder by api_request_end() once the call reached authentication. */
    struct {
        bool authenticating;
        const char *access_key_id; /* claimed by the signature */
        const char *region;
        const struct principal *principal;
        const struct model_operation *op;
        json_t *params; /* references of their own */
        json_t *output;
        char error_code[128]; /* "" on success */
        char error_message[1024];
    } trail;
};

/*
 * A request whose body streams into the blob store: authenticated when its
 * headers arrived, completed when its body has.
 */
struct api_stream {
    struct principal principal;
    char region[SIGV4_SCOPE_PART_MAX + 1];
    /* x-amz-content-sha256 when it names the body's hash, else "". */
    char payload_hash[2 * SHA256_LEN + 1];
    struct upload_sink *sink;
};

static bool is_json_protocol(const struct model_service *svc)
{
    return svc->protocol == PROTO_JSON || svc->protocol == PROTO_REST_JSON;
}

/* An error before or outside any handler, in the service's protocol. */
static void fail(struct api_request *r, int status, const char *code, const char *message)
{
    struct aws_error e = {
        .code = code, .message = message, .status = status, .sender = status < 500};
    snprintf(r->trail.error_code, sizeof(r->trail.error_code), "%s", code);
    snprintf(r->trail.error_message, sizeof(r->trail.error_message), "%s", message);
    http_response_release(r->out);
    if (r->service) {
        protocol_encode_error(r->out, r->service, &e, r->http->request_id);
        return;
    }
    /* No service identified: answer in JSON, which every SDK reads. The
     * message may quote input: jsonw writes valid JSON whatever it holds. */
    r->out->status = status;
    http_response_add_header(r->out, "Content-Type", "application/x-amz-json-1.1");
    http_response_add_header(r->out, "x-amzn-ErrorType", code);
    buf_adds(&r->out->body, "{\"__type\":");
    jsonw_cstr(&r->out->body, code);
    buf_adds(&r->out->body, ",\"message\":");
    jsonw_cstr(&r->out->body, message);
    buf_addch(&r->out->body, '}');
}

/* Which service a request is for: X-Amz-Target, else the SigV4 scope. */
static const struct model_service *identify_service(const struct api_request *r,
                                                    const struct sigv4_auth *auth, bool have_auth)
{
    const struct header_field *target = aws_request_header(&r->aws, "X-Amz-Target");
    if (target) {
        /* Some prefixes hold dots themselves (CloudTrail's); the operation
         * follows the last one. */
        const char *dot = memrchr(target->value, '.', target->value_len);
        if (dot) {
            const struct model_service *svc =
                model_service_by_target_prefix(target->value, (size_t)(dot - target->value));
            if (svc)
                return svc;
        }
    }
    if (have_auth)
        return model_service_by_signing_name(auth->service, strlen(auth->service));
    return NULL;
}

/* S3's names for the SigV4 failures (aws/sigv4.h lists them). */
static const char *s3_auth_error_code(int kind, bool presigned)
{
    switch (kind) {
    case SIGV4_MISSING:
        return "AccessDenied";
    case SIGV4_MISMATCH:
        return "SignatureDoesNotMatch";
    case SIGV4_EXPIRED:
        return presigned ? "AccessDenied" : "RequestTimeTooSkewed";
    case SIGV4_PAYLOAD_MISMATCH:
        return "XAmzContentSHA256Mismatch";
    case SIGV4_UNSUPPORTED:
        return "InvalidRequest";
    default:
        return presigned ? "AuthorizationQueryParametersError" : "AuthorizationHeaderMalformed";
    }
}

static const char *auth_error_code(const struct model_service *svc, int kind)
{
    bool json = svc && is_json_protocol(svc);
    switch (kind) {
    case SIGV4_MISSING:
        return json ? "MissingAuthenticationTokenException" : "MissingAuthenticationToken";
    case SIGV4_MISMATCH:
    case SIGV4_EXPIRED:
    case SIGV4_PAYLOAD_MISMATCH:
        return json ? "InvalidSignatureException" : "SignatureDoesNotMatch";
    default:
        return json ? "IncompleteSignatureException" : "IncompleteSignature";
    }
}

static void to_sigv4_request(struct sigv4_request *out, const struct api_request *r,
                             const char *payload_hash)
{
    *out = (struct sigv4_request){
        .method = r->aws.method,
        .path = r->http->path,
        .query = r->aws.query,
        .headers = r->aws.headers,
        .header_count = r->aws.header_count,
        .payload_hash = payload_hash,
        .s3 = r->service && strcmp(r->service->name, "s3") == 0,
    };
}

static bool signed_header(const struct sigv4_auth *auth, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = auth->signed_headers; *p;) {
        size_t n = strcspn(p, ";");
        if (n == len && strncasecmp(p, name, len) == 0)
            return true;
        p += n + (p[n] == ';');
    }
    return false;
}

static bool region_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 32)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}

/*
 * What the signature covers must be what the request is dispatched on: the
 * scope's service must be the service that will run, its region a region
 * name, and the X-Amz-Target that picks a JSON operation must be signed.
 * Otherwise a signature made for one call (a presigned GetCallerIdentity
 * handed out as proof of identity, say) could be replayed as another.
 */
static int check_scope(struct api_request *r, const struct sigv4_auth *auth)
{
    const char *service = r->service->signing_name;
    char message[256];
    if (strcmp(auth->service, service) != 0) {
        snprintf(message, sizeof(message), "Credential should be scoped to correct service: '%s'.",
                 service);
        fail(r, 403, auth_error_code(r->service, SIGV4_MISMATCH), message);
        return SIGV4_MISMATCH;
    }
    if (!region_name_valid(auth->region)) {
        snprintf(message, sizeof(message),
                 "Credential should be scoped to a valid region, not '%.64s'.", auth->region);
        fail(r, 403, auth_error_code(r->service, SIGV4_MISMATCH), message);
        return SIGV4_MISMATCH;
    }
    if (aws_request_header(&r->aws, "X-Amz-Target") && !signed_header(auth, "x-amz-target")) {
        fail(r, 400, auth_error_code(r->service, SIGV4_INCOMPLETE),
             "The X-Amz-Target header must be signed: add it to SignedHeaders.");
        return SIGV4_INCOMPLETE;
    }
    return 0;
}

/*
 * Only S3 takes bodies that the signature does not cover (UNSIGNED-PAYLOAD,
 * and chunk-signed STREAMING-* once chunk signatures are verified); every
 * other service's signature must cover the body it is about to decode.
 */
static int check_payload_hash(struct api_request *r, const char *computed)
{
    const struct header_field *h = aws_request_header(&r->aws, "x-amz-content-sha256");
    if (!h)
        return 0;
    bool s3 = strcmp(r->service->name, "s3") == 0;
    if (s3 && h->value_len == strlen(SIGV4_UNSIGNED_PAYLOAD) &&
        memcmp(h->value, SIGV4_UNSIGNED_PAYLOAD, h->value_len) == 0)
        return 0;
    if (h->value_len == 2 * SHA256_LEN && strncasecmp(h->value, computed, h->value_len) == 0)
        return 0;
    fail(r, 400,
         s3 ? "XAmzContentSHA256Mismatch" : auth_error_code(r->service, SIGV4_PAYLOAD_MISMATCH),
         s3 ? "The provided 'x-amz-content-sha256' header does not match what was computed."
            : "The x-amz-content-sha256 header must be the SHA-256 of the request body.");
    return SIGV4_PAYLOAD_MISMATCH;
}

static bool is_s3(const struct model_service *svc)
{
    return svc && strcmp(svc->name, "s3") == 0;
}

static int invalid_token(struct api_request *r)
{
    if (is_s3(r->service))
        fail(r, 403, "InvalidAccessKeyId",
             "The AWS Access Key Id you provided does not exist in our records.");
    else
        fail(r, 403,
             is_json_protocol(r->service) ? "UnrecognizedClientException" : "InvalidClientTokenId",
             "The security token included in the request is invalid.");
    return ERR_DENIED;
}

/* Logs the canonical request of a failed verification, less what could
 * serve as a credential: the query (presigned URLs) and the session token. */
static void log_canonical_request(struct api_request *r, const struct sigv4_request *sreq,
                                  const struct sigv4_auth *auth)
{
    struct buf creq = BUF_INIT, shown = BUF_INIT;
    if (sigv4_canonical_request(&creq, sreq, auth) == 0) {
        int line = 0;
        for (const char *p = creq.data; *p;) {
            size_t n = strcspn(p, "\n");
            if (line == 2)
                buf_adds(&shown, "(query not shown)");
            else if (strncmp(p, "x-amz-security-token:", 21) == 0)
                buf_adds(&shown, "x-amz-security-token:(not shown)");
            else
                buf_add(&shown, p, n);
            p += n;
            if (*p == '\n') {
                buf_addch(&shown, '\n');
                p++;
            }
            line++;
        }
        log_write(LOG_DEBUG, "sigv4", r->http->request_id, "canonical request:\n%s", shown.data);
    }
    buf_release(&creq);
    buf_release(&shown);
}

/*
 * Records a key's last use (GetAccessKeyLastUsed, RoleLastUsed) at most
 * once a minute per key: one store write a minute, not one per request.
 * Slots are shared by keys whose hashes collide, which can only make a
 * record later by a minute, never wrong.
 */
#define LAST_USED_SLOTS    1024
#define LAST_USED_EVERY_MS 60000

static _Atomic int64_t last_used_ms[LAST_USED_SLOTS];

static void note_key_used(struct api_request *r, const char *access_key_id, const char *region)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)access_key_id; *p; p++)
        h = (h ^ *p) * 16777619u;
    _Atomic int64_t *slot = &last_used_ms[h % LAST_USED_SLOTS];
    int64_t now = clock_now_ms(), last = atomic_load(slot);
    if (now - last < LAST_USED_EVERY_MS || !atomic_compare_exchange_strong(slot, &last, now))
        return;
    if (iam_access_key_used(r->route->store, access_key_id, r->service->signing_name, region, now) <
        0)
        log_write(LOG_WARN, "api", r->http->request_id, "cannot record the use of a key: %s",
                  err_msg());
}

static int verify_sigv2(struct api_request *r, const char *secret);
static const char *region_of(const struct api_request *r, const struct sigv4_auth *auth,
                             int parse_rc);
static int verify_sigv4(struct api_request *r, const struct sigv4_auth *auth, bool streamed,
                        const char *secret);

/*
 * Resolves the caller from the request's signature. Returns 0 with
 * `principal` set, or fails the request and returns the error.
 */
static int authenticate(struct api_request *r, struct principal *principal,
                        const struct sigv4_auth *auth, int parse_rc, bool streamed,
                        char secret_out[IAM_SECRET_MAX])
{
    r->trail.authenticating = true;
    r->trail.region = region_of(r, auth, parse_rc);
    r->trail.access_key_id = r->sigv2 ? r->v2.access_key_id : auth->access_key_id;
    if (parse_rc < 0) {
        fail(r, parse_rc == SIGV4_MISSING ? 403 : 400, auth_error_code(r->service, parse_rc),
             parse_rc == SIGV4_MISSING ? "Missing Authentication Token" : err_msg());
        return parse_rc;
    }
    int rc = r->sigv2 ? 0 : check_scope(r, auth);
    if (rc < 0)
        return rc;
    if (r->route->auth_open) {
        rc = iam_admin_principal(principal, r->route->store, r->route->default_account_id);
        if (rc < 0)
            fail(r, 500, "InternalFailure", err_msg());
        return rc;
    }

    const char *access_key_id = r->sigv2 ? r->v2.access_key_id : auth->access_key_id;
    const char *token = r->sigv2 ? r->v2.security_token : auth->security_token;
    struct iam_credential cred;
    rc = iam_credential_lookup(&cred, r->route->store, access_key_id);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !cred.active))
        return invalid_token(r);
    if (rc < 0) {
        fail(r, 500, "InternalFailure", err_msg());
        return rc;
    }
    /* A long-term key carries no token; one that comes with a token was
     * not issued as sent. */
    if (!cred.session_token[0] && token[0])
        return invalid_token(r);

    if (r->sigv2)
        rc = verify_sigv2(r, cred.secret_access_key);
    else
        rc = verify_sigv4(r, auth, streamed, cred.secret_access_key);
    if (rc < 0)
        return rc;

    /* The token is checked only once the signature proves the caller holds
     * the session's secret, and in constant time. */
    if (cred.session_token[0]) {
        size_t len = strlen(cred.session_token);
        if (strlen(token) != len || !secure_equal(cred.session_token, token, len))
            return invalid_token(r);
        if (cred.expires_ms <= clock_now_ms()) {
            fail(r, 403, is_json_protocol(r->service) ? "ExpiredTokenException" : "ExpiredToken",
                 "The security token included in the request is expired");
            return ERR_DENIED;
        }
    }
    *principal = cred.principal;
    if (secret_out)
        memcpy(secret_out, cred.secret_access_key, IAM_SECRET_MAX);
    note_key_used(r, access_key_id, r->sigv2 ? r->route->default_region : auth->region);
    return 0;
}

/* S3's SigV2 covers no body: Content-MD5, when sent, is S3's own check. */
static int verify_sigv2(struct api_request *r, const char *secret)
{
    struct sigv2_request req = {
        .method = r->aws.method,
        .path = r->http->path,
        .query = r->aws.query,
        .headers = r->aws.headers,
        .header_count = r->aws.header_count,
        .bucket = r->host_bucket[0] ? r->host_bucket : NULL,
    };
    int rc = sigv2_verify(&r->v2, &req, secret, clock_now_ms());
    if (rc < 0) {
        char message[1024];
        snprintf(message, sizeof(message), "%s", err_msg());
        fail(r, 403,
             rc == SIGV4_EXPIRED && !r->v2.presigned ? "RequestTimeTooSkewed"
             : rc == SIGV4_EXPIRED                   ? "AccessDenied"
                                                     : s3_auth_error_code(rc, false),
             message);
    }
    return rc;
}

static int verify_sigv4(struct api_request *r, const struct sigv4_auth *auth, bool streamed,
                        const char *secret)
{
    int rc;
    /* A streamed body has not arrived yet: the signature covers the hash
     * it declares, and the body is checked against it once it is in. */
    uint8_t digest[SHA256_LEN];
    char payload_hash[2 * SHA256_LEN + 1];
    if (!streamed) {
        sha256(digest, r->aws.body, r->aws.body_len);
        hex_encode(payload_hash, digest, SHA256_LEN);
        if ((rc = check_payload_hash(r, payload_hash)) < 0)
            return rc;
    }
    struct sigv4_request sreq;
    to_sigv4_request(&sreq, r, streamed ? NULL : payload_hash);
    rc = sigv4_verify(auth, &sreq, secret, clock_now_ms());
    if (rc < 0) {
        char message[1024];
        snprintf(message, sizeof(message), "%s", err_msg());
        if (log_enabled(LOG_DEBUG))
            log_canonical_request(r, &sreq, auth);
        fail(r, rc == SIGV4_PAYLOAD_MISMATCH ? 400 : 403,
             is_s3(r->service) ? s3_auth_error_code(rc, auth->presigned)
                               : auth_error_code(r->service, rc),
             message);
    }
    return rc;
}

static void add_response_headers(struct http_response *resp, json_t *headers)
{
    const char *name;
    json_t *value;
    json_object_foreach(headers, name, value)
    {
        if (json_is_string(value))
            http_response_add_header(resp, name, json_string_value(value));
    }
}

/*
 * What a JSON service answers when a request breaks its model's
 * constraints: most say ValidationException, a few their own code for it.
 */
static const char *json_validation_code(const struct model_service *svc)
{
    static const struct {
        const char *service;
        const char *code;
    } own_codes[] = {
        {"logs", "InvalidParameterException"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(own_codes); i++)
        if (strcmp(svc->name, own_codes[i].service) == 0)
            return own_codes[i].code;
    return "ValidationException";
}

/*
 * Services whose operations check their own input constraints, because
 * they answer a specific error for each member (CodeCommit's
 * InvalidRepositoryNameException, BranchNameRequiredException ...) where
 * others answer one ValidationException. Their handlers check every
 * constraint the model states; the decoder still refuses wrong types.
 */
static bool validates_itself(const struct model_service *svc)
{
    /* CloudTrail answers InvalidMaxResultsException and the like. */
    return strcmp(svc->name, "codecommit") == 0 || strcmp(svc->name, "cloudtrail") == 0;
}

/*
 * S3 has no ValidationException: a bad argument is InvalidArgument, and a
 * few members have codes of their own, with S3's words for them.
 */
static void fail_s3_validation(struct api_request *r, const char *message)
{
    static const struct {
        const char *member; /* as the validation message quotes its path */
        const char *code;
        const char *message;
    } own_codes[] = {
        {"locationConstraint'", "InvalidLocationConstraint",
         "The specified location-constraint is not valid"},
        {"storageClass'", "InvalidStorageClass", "The storage class you specified is not valid"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(own_codes); i++) {
        if (strstr(message, own_codes[i].member)) {
            fail(r, 400, own_codes[i].code, own_codes[i].message);
            return;
        }
    }
    fail(r, 400, "InvalidArgument", message);
}

static void run_operation(struct api_request *r, const struct principal *principal,
                          const char *region, struct api_upload *upload)
{
    const struct model_operation *op;
    r->trail.authenticating = true;
    int rc = protocol_match_operation(&op, r->service, &r->aws);
    if (rc < 0) {
        if (r->service->protocol == PROTO_QUERY)
            fail(r, 400, "InvalidAction", err_msg());
        else
            fail(r, 400,
                 is_json_protocol(r->service) ? "UnknownOperationException" : "MethodNotAllowed",
                 err_msg());
        return;
    }
    r->trail.op = op;
    r->trail.principal = principal;
    r->trail.region = region;

    json_t *params = NULL;
    if ((rc = protocol_decode_request(&params, r->service, op, &r->aws)) < 0) {
        const char *code = r->service->protocol == PROTO_QUERY      ? "MalformedInput"
                           : r->service->protocol == PROTO_REST_XML ? "MalformedXML"
                                                                    : "SerializationException";
        fail(r, 400, code, err_msg());
        return;
    }
    if (op->input && !validates_itself(r->service)) {
        struct buf message = BUF_INIT;
        if (validate_params(&message, op->input, params) < 0) {
            if (r->service->protocol == PROTO_REST_XML)
                fail_s3_validation(r, message.data);
            else if (r->service->protocol == PROTO_QUERY)
                fail(r, 400, "ValidationError", message.data);
            else
                fail(r, 400, json_validation_code(r->service), message.data);
            buf_release(&message);
            json_decref(params);
            return;
        }
        buf_release(&message);
    }
    r->trail.params = json_incref(params);

    /* Decoding and validation come first, so bad input gets the same answer
     * whether or not the operation is implemented yet. */
    const struct api_service *impl = services_find(r->service->name);
    const struct api_operation *entry = services_operation(impl, op->name);
    if (!entry) {
        char msg[256];
        snprintf(msg, sizeof(msg), "slipway does not implement %s:%s",
                 r->service->signing_name ? r->service->signing_name : r->service->name, op->name);
        fail(r, 501, "NotImplemented", msg);
        json_decref(params);
        return;
    }

    struct api_call call = {
        .request_id = r->http->request_id,
        .service = r->service,
        .op = op,
        .principal = principal,
        .account_id = principal->account_id,
        .region = region,
        .partition = "aws",
        .store = r->route->store,
        .http = &r->aws,
        .now_ms = clock_now_ms(),
        .source_ip = r->http->remote_addr,
        .secure_transport = r->http->secure,
        .op_ctx = entry->ctx,
        .blobs = r->route->blobs,
        .master_key = r->route->master_key,
        .data_dir = r->route->data_dir,
        .default_region = r->route->default_region,
        .upload = upload,
        .download = {.fd = -1},
    };
    json_t *output = NULL;
    err_clear();
    rc = entry->handler(&call, params, &output);
    if (rc == 0 && !call.authorized) {
        log_write(LOG_ERROR, "api", r->http->request_id,
                  "handler for %s:%s returned without authorizing", r->service->name, op->name);
        rc = err_set(ERR_INTERNAL, "internal error");
        json_decref(output);
        output = NULL;
    }
    if (rc < 0) {
        struct aws_error e;
        char message[1024];
        snprintf(message, sizeof(message), "%s", err_msg());
        api_error_map(&e, &call, rc, message);
        snprintf(r->trail.error_code, sizeof(r->trail.error_code), "%s", e.code);
        snprintf(r->trail.error_message, sizeof(r->trail.error_message), "%s", message);
        if (e.status >= 500)
            log_write(LOG_ERROR, "api", r->http->request_id, "%s:%s failed: %s", r->service->name,
                      op->name, message);
        http_response_release(r->out);
        protocol_encode_error(r->out, r->service, &e, r->http->request_id);
    } else if ((rc = protocol_encode_response(r->out, r->service, op, output,
                                              r->http->request_id)) < 0) {
        log_write(LOG_ERROR, "api", r->http->request_id, "cannot encode %s:%s output: %s",
                  r->service->name, op->name, err_msg());
        fail(r, 500, "InternalFailure", "the response could not be encoded");
    } else {
        r->trail.output = json_incref(output);
        if (call.response_status)
            r->out->status = call.response_status;
        if (call.download.fd >= 0) {
            http_response_set_file(r->out, call.download.fd, call.download.offset,
                                   call.download.length);
            call.download.fd = -1;
        }
    }
    if (call.download.fd >= 0)
        close(call.download.fd);
    add_response_headers(r->out, call.response_headers);
    /* 304 carries no body (the error envelope included). */
    if (r->out->status == 304)
        buf_reset(&r->out->body);
    json_decref(call.response_headers);
    json_decref(call.error_fields);
    json_decref(output);
    json_decref(params);
}

/* The part of a Host header before its port. */
static size_t host_name_len(const struct header_field *host)
{
    const char *colon = memrchr(host->value, ':', host->value_len);
    /* "[::1]:4566": the colon inside brackets is not a port separator. */
    if (colon && !memchr(colon, ']', host->value_len - (size_t)(colon - host->value)))
        return (size_t)(colon - host->value);
    return host->value_len;
}

/*
 * Virtual-hosted S3 addressing: a Host of "<bucket>.<s3 domain>" names the
 * bucket, and the operation is matched as if the path were "/<bucket>/...".
 */
static void fold_virtual_host(struct api_request *r)
{
    const char *domain = r->route->s3_domain;
    if (!domain || !*domain || strcmp(r->service->name, "s3") != 0)
        return;
    const struct header_field *host = aws_request_header(&r->aws, "Host");
    if (!host)
        return;
    size_t len = host_name_len(host), dlen = strlen(domain);
    if (len <= dlen + 1 || host->value[len - dlen - 1] != '.' ||
        strncasecmp(host->value + len - dlen, domain, dlen) != 0)
        return;
    size_t blen = len - dlen - 1;
    if (blen >= sizeof(r->host_bucket))
        return; /* no bucket name is this long: not an S3 virtual host */
    memcpy(r->host_bucket, host->value, blen);
    r->host_bucket[blen] = '\0';
    buf_addch(&r->folded_path, '/');
    buf_add(&r->folded_path, host->value, blen);
    buf_adds(&r->folded_path, r->http->path);
    r->aws.path = r->folded_path.data;
}

/* Everything before authentication: the service, the signature's claims. */
static int api_request_start(struct api_request *r, struct sigv4_auth *auth, void *ctx,
                             const struct http_request *req, struct http_response *resp)
{
    *r = (struct api_request){.route = ctx, .http = req, .out = resp};
    buf_init(&r->folded_path);
    r->aws = (struct aws_request){
        .method = req->method,
        .path = req->path,
        .query = req->query,
        .headers = req->headers,
        .header_count = req->header_count,
        .body = req->body,
        .body_len = req->body_len,
    };
    struct sigv4_request sreq;
    to_sigv4_request(&sreq, r, NULL);
    /* A failed parse may leave it partly written; SigV2 leaves it unused. */
    memset(auth, 0, sizeof(*auth));
    int parse_rc = sigv4_auth_parse(auth, &sreq);
    r->service = identify_service(r, auth, parse_rc == 0);
    if (parse_rc < 0 && !r->service) {
        /* Not SigV4 (an "AWS key:signature" header fails its parse): S3
         * still takes SigV2, header or presigned. */
        struct sigv2_request v2req = {
            .method = req->method,
            .path = req->path,
            .query = req->query,
            .headers = req->headers,
            .header_count = req->header_count,
        };
        int v2_rc = sigv2_auth_parse(&r->v2, &v2req);
        if (v2_rc != SIGV4_MISSING) {
            r->sigv2 = true;
            r->service = model_service_by_signing_name("s3", 2);
            parse_rc = v2_rc;
        }
    }
    if (r->service)
        fold_virtual_host(r);
    return parse_rc;
}

/* The request names no service slipway serves, or no service at all. */
/*
 * An unsigned request with neither X-Amz-Target nor an Action parameter has
 * the shape of an S3 request (curl on an object URL, an SDK configured for
 * unsigned requests), and S3 clients parse only S3's XML errors.
 */
static bool looks_like_s3(const struct api_request *r)
{
    if (aws_request_header(&r->aws, "X-Amz-Target"))
        return false;
    if (r->aws.query &&
        (strncmp(r->aws.query, "Action=", 7) == 0 || strstr(r->aws.query, "&Action=")))
        return false;
    const struct header_field *type = aws_request_header(&r->aws, "Content-Type");
    return !(type && type->value_len >= 33 &&
             strncasecmp(type->value, "application/x-www-form-urlencoded", 33) == 0);
}

static void fail_unidentified(struct api_request *r, int parse_rc)
{
    if (parse_rc == SIGV4_MISSING && looks_like_s3(r)) {
        /* slipway has no anonymous access: no principal, no public bucket. */
        r->service = model_service_by_signing_name("s3", 2);
        fail(r, 403, "AccessDenied",
             "Anonymous access is not supported: slipway serves signed requests only (SigV4, "
             "SigV2 or a presigned URL)");
        return;
    }
    if (parse_rc < 0)
        fail(r, parse_rc == SIGV4_MISSING ? 403 : 400, auth_error_code(NULL, parse_rc),
             parse_rc == SIGV4_MISSING ? "Missing Authentication Token" : err_msg());
    else
        fail(r, 400, "UnknownServiceException", "the request names no service slipway serves");
}

/* Hands the call to CloudTrail's recorder once it reached authentication. */
static void record_call(struct api_request *r)
{
    struct cloudtrail_recorder *trail = r->route->trail;
    if (trail && r->service && r->trail.authenticating) {
        if (!r->trail.op && protocol_match_operation(&r->trail.op, r->service, &r->aws) < 0)
            r->trail.op = NULL;
    }
    /* Data events (S3 object operations) are not recorded: not even looked at. */
    if (trail && r->trail.authenticating && r->trail.op &&
        !cloudtrail_data_event(r->service, r->trail.op)) {
        const struct header_field *agent = aws_request_header(&r->aws, "User-Agent");
        char user_agent[1024];
        if (agent)
            snprintf(user_agent, sizeof(user_agent), "%.*s", (int)agent->value_len, agent->value);
        struct cloudtrail_call call = {
            .service = r->service,
            .op = r->trail.op,
            .principal = r->trail.principal,
            .claimed_access_key_id = r->trail.access_key_id,
            .account_id =
                r->trail.principal ? r->trail.principal->account_id : r->route->default_account_id,
            .region = r->trail.region ? r->trail.region : r->route->default_region,
            .source_ip = r->http->remote_addr,
            .user_agent = agent ? user_agent : NULL,
            .request_id = r->http->request_id,
            .time_ms = clock_now_ms(),
            .params = r->trail.params,
            .output = r->trail.output,
            .error_code = r->trail.error_code[0] ? r->trail.error_code : NULL,
            .error_message = r->trail.error_code[0] ? r->trail.error_message : NULL,
            .body_len = r->aws.body_len,
        };
        cloudtrail_record(trail, &call);
    }
    json_decref(r->trail.params);
    json_decref(r->trail.output);
    r->trail.params = r->trail.output = NULL;
}

static void api_request_end(struct api_request *r)
{
    record_call(r);
    if (r->service && r->service->protocol == PROTO_REST_XML &&
        !http_response_header(r->out, "x-amz-request-id"))
        http_response_add_header(r->out, "x-amz-request-id", r->http->request_id);
    buf_release(&r->folded_path);
}

static const char *region_of(const struct api_request *r, const struct sigv4_auth *auth,
                             int parse_rc)
{
    return parse_rc == 0 && !r->sigv2 && auth->region[0] ? auth->region : r->route->default_region;
}

/* --- Streamed bodies ----------------------------------------------------- */

static int api_stream_write(void *state, const void *data, size_t len)
{
    struct api_stream *st = state;
    return upload_sink_write(st->sink, data, len);
}

static void api_stream_free(void *state)
{
    struct api_stream *st = state;
    upload_sink_free(st->sink);
    free(st);
}

/* The operation's input payload is a streaming blob (PutObject, UploadPart). */
static bool streams_body(const struct model_operation *op)
{
    const struct model_member *payload = op->input ? rest_payload_member(op->input) : NULL;
    return payload && (payload->flags & MEMBER_F_STREAMING) && payload->shape->type == SHAPE_BLOB;
}

static bool header_is(const struct header_field *h, const char *value)
{
    return h && h->value_len == strlen(value) && strncasecmp(h->value, value, h->value_len) == 0;
}

static bool parse_length(uint64_t *out, const struct header_field *h)
{
    if (!h || h->value_len == 0 || h->value_len > 20)
        return false;
    uint64_t n = 0;
    for (size_t i = 0; i < h->value_len; i++) {
        if (h->value[i] < '0' || h->value[i] > '9' || n > (UINT64_MAX - 9) / 10)
            return false;
        n = n * 10 + (uint64_t)(h->value[i] - '0');
    }
    *out = n;
    return true;
}

/* The flexible checksum a request names, upper case, or NULL. */
static const char *checksum_algorithm_of(const struct api_request *r)
{
    static const char *const names[] = {"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"};
    const struct header_field *h = aws_request_header(&r->aws, "x-amz-sdk-checksum-algorithm");
    for (size_t i = 0; h && i < ARRAY_SIZE(names); i++)
        if (header_is(h, names[i]))
            return names[i];
    const struct header_field *trailer = aws_request_header(&r->aws, "x-amz-trailer");
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        char name[32];
        snprintf(name, sizeof(name), "x-amz-checksum-%s", names[i]);
        if (aws_request_header(&r->aws, name) || header_is(trailer, name))
            return names[i];
    }
    return NULL;
}

/*
 * How the body is framed, from x-amz-content-sha256: a hash or
 * UNSIGNED-PAYLOAD for a plain body, STREAMING-* for aws-chunked.
 */
static int upload_options(struct upload_sink_options *opts, struct api_request *r,
                          const struct sigv4_auth *auth, const char *secret)
{
    *opts = (struct upload_sink_options){.declared_length = UINT64_MAX};
    const struct header_field *sha = aws_request_header(&r->aws, "x-amz-content-sha256");
    const struct header_field *length = aws_request_header(&r->aws, "Content-Length");
    uint64_t content_length;
    opts->checksum_algorithm = checksum_algorithm_of(r);
    if (!sha || (sha->value_len > 10 && strncmp(sha->value, "STREAMING-", 10) != 0)) {
        /* An aws-chunked body declares its decoded length instead, and may
         * come with Transfer-Encoding: chunked (botocore over HTTPS). */
        if (!parse_length(&content_length, length)) {
            fail(r, 411, "MissingContentLength",
                 "You must provide the Content-Length HTTP header.");
            return ERR_INVALID;
        }
        opts->framing = UPLOAD_PLAIN;
        opts->declared_length = content_length;
    } else if (header_is(sha, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")) {
        opts->framing = UPLOAD_CHUNKED;
        opts->trailer = true;
    } else if (r->sigv2) {
        fail(r, 400, "InvalidRequest",
             "Chunk-signed uploads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) need a SigV4 signature.");
        return ERR_INVALID;
    } else if (header_is(sha, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") ||
               header_is(sha, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")) {
        opts->framing = secret ? UPLOAD_CHUNKED_SIGNED : UPLOAD_CHUNKED;
        opts->trailer = sha->value_len > strlen("STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
        if (secret) {
            sigv4_signing_key(opts->signing_key, secret, auth->date, auth->region, auth->service);
            opts->amz_date = auth->amz_date;
            opts->seed_signature = auth->signature;
        }
    } else {
        fail(r, 400, "InvalidArgument",
             "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
             "STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
             "STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] or a "
             "SHA-256 in hex");
        return ERR_INVALID;
    }
    if (opts->framing != UPLOAD_PLAIN) {
        const struct header_field *decoded =
            aws_request_header(&r->aws, "x-amz-decoded-content-length");
        if (!parse_length(&opts->declared_length, decoded)) {
            fail(r, 411, "MissingContentLength",
                 "You must provide the x-amz-decoded-content-length header with aws-chunked "
                 "uploads.");
            return ERR_INVALID;
        }
    }
    if (opts->declared_length > BLOB_SIZE_MAX) {
        fail(r, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
        return ERR_LIMIT;
    }
    return 0;
}

enum http_begin_result api_route_begin(void *ctx, const struct http_request *req,
                                       struct http_body_stream *stream, struct http_response *resp)
{
    /* Only S3's PutObject and UploadPart stream, and both are PUTs. */
    if (strcmp(req->method, "PUT") != 0)
        return HTTP_BODY_BUFFERED;
    struct api_request r;
    struct sigv4_auth auth;
    struct principal principal;
    struct upload_sink_options opts;
    char secret[IAM_SECRET_MAX] = "";
    char scope[4 * (SIGV4_SCOPE_PART_MAX + 1) + 16];
    int parse_rc = api_request_start(&r, &auth, ctx, req, resp);
    const struct model_operation *op;
    enum http_begin_result result = HTTP_BODY_BUFFERED;
    if (!r.service || strcmp(r.service->name, "s3") != 0 || !r.route->blobs ||
        protocol_match_operation(&op, r.service, &r.aws) < 0 || !streams_body(op))
        goto done;

    result = HTTP_ANSWERED;
    if (authenticate(&r, &principal, &auth, parse_rc, true, secret) < 0)
        goto done;
    if (upload_options(&opts, &r, &auth, secret[0] ? secret : NULL) < 0)
        goto done;
    snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", auth.date, auth.region, auth.service);
    opts.scope = scope;

    struct api_stream *st = xcalloc(1, sizeof(*st));
    st->principal = principal;
    snprintf(st->region, sizeof(st->region), "%s", region_of(&r, &auth, parse_rc));
    const struct header_field *sha = aws_request_header(&r.aws, "x-amz-content-sha256");
    if (sha && sha->value_len == 2 * SHA256_LEN && opts.framing == UPLOAD_PLAIN)
        snprintf(st->payload_hash, sizeof(st->payload_hash), "%.*s", (int)sha->value_len,
                 sha->value);
    if (upload_sink_new(&st->sink, r.route->blobs, &opts) < 0) {
        free(st);
        fail(&r, 500, "InternalError", err_msg());
        goto done;
    }
    *stream =
        (struct http_body_stream){.write = api_stream_write, .free = api_stream_free, .state = st};
    result = HTTP_BODY_STREAMED;
done:
    explicit_bzero(secret, sizeof(secret));
    if (result == HTTP_ANSWERED)
        api_request_end(&r);
    else
        buf_release(&r.folded_path);
    return result;
}

/*
 * Content-Encoding without its "aws-chunked" token ("aws-chunked,gzip" and
 * "gzip,aws-chunked" -> "gzip", "aws-chunked" -> ""), written to `out`.
 */
static void strip_aws_chunked(struct header_field *h, struct buf *out)
{
    for (const char *p = h->value, *end = h->value + h->value_len; p < end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *next = comma ? comma : end;
        const char *a = p, *b = next;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        if (b > a && !((size_t)(b - a) == 11 && strncasecmp(a, "aws-chunked", 11) == 0)) {
            if (out->len)
                buf_addch(out, ',');
            buf_add(out, a, (size_t)(b - a));
        }
        p = comma ? comma + 1 : end;
    }
    h->value = out->data;
    h->value_len = out->len;
}

/* The streamed body is in: check it against what was signed, then run. */
static void finish_stream(struct api_request *r, struct api_stream *st)
{
    struct api_upload upload;
    const char *code = NULL;
    if (upload_sink_finish(&upload, &code, st->sink) < 0) {
        char message[512];
        snprintf(message, sizeof(message), "%s", err_msg());
        fail(r,
             strcmp(code, "InternalError") == 0           ? 500
             : strcmp(code, "SignatureDoesNotMatch") == 0 ? 403
                                                          : 400,
             code, message);
        return;
    }
    if (st->payload_hash[0] && strcasecmp(st->payload_hash, upload.digest) != 0) {
        blob_writer_abort(upload.writer);
        fail(r, 400, "XAmzContentSHA256Mismatch",
             "The provided 'x-amz-content-sha256' header does not match what was computed.");
        return;
    }
    /* Trailers (x-amz-checksum-crc32 ...) decode as the headers they stand
     * for; "aws-chunked" was the transfer's framing, not the object's
     * Content-Encoding, and is dropped from it as S3 does. */
    const struct header_field *trailers;
    struct buf encoding = BUF_INIT;
    size_t trailer_count = upload_sink_trailers(st->sink, &trailers);
    struct header_field *headers =
        xcalloc(r->aws.header_count + trailer_count + 1, sizeof(*headers));
    size_t n = 0;
    for (size_t i = 0; i < r->aws.header_count; i++) {
        struct header_field h = r->aws.headers[i];
        if (h.name_len == strlen("Content-Encoding") &&
            strncasecmp(h.name, "Content-Encoding", h.name_len) == 0)
            strip_aws_chunked(&h, &encoding);
        if (h.value_len || h.name_len != strlen("Content-Encoding"))
            headers[n++] = h;
    }
    if (trailer_count)
        memcpy(headers + n, trailers, trailer_count * sizeof(*headers));
    /* The request's own headers again once the copy is gone. */
    const struct header_field *sent_headers = r->aws.headers;
    size_t sent_count = r->aws.header_count;
    r->aws.headers = headers;
    r->aws.header_count = n + trailer_count;
    run_operation(r, &st->principal, st->region, &upload);
    blob_writer_abort(upload.writer);
    r->aws.headers = sent_headers;
    r->aws.header_count = sent_count;
    free(headers);
    buf_release(&encoding);
}

void api_route_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
    struct api_request r;
    struct sigv4_auth auth;
    int parse_rc = api_request_start(&r, &auth, ctx, req, resp);
    struct principal principal;
    if (req->stream)
        finish_stream(&r, req->stream);
    else if (!r.service)
        fail_unidentified(&r, parse_rc);
    else if (authenticate(&r, &principal, &auth, parse_rc, false, NULL) == 0)
        run_operation(&r, &principal, region_of(&r, &auth, parse_rc), NULL);
    api_request_end(&r);
}
