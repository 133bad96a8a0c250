#include <stdatomic.h>

#include "base/common.h"
#include "server/api_route.h"
#include "aws/api.h"
#include "aws/protocol.h"
#include "aws/sigv4.h"
#include "aws/validate.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "server/services.h"
#include "services/iam/iam.h"

/* Everything one API request carries through the pipeline. */
struct api_request {
    struct api_route *route;
    const struct http_request *http;
    struct aws_request aws;
    const struct model_service *service;
    /* The response being built, owned by the HTTP server. */
    struct http_response *out;
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
        .path = r->aws.path,
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
    fail(r, 400, auth_error_code(r->service, SIGV4_PAYLOAD_MISMATCH),
         s3 ? "The x-amz-content-sha256 header must be the body's SHA-256 or UNSIGNED-PAYLOAD; "
              "chunk-signed uploads are not supported yet"
            : "The x-amz-content-sha256 header must be the SHA-256 of the request body.");
    return SIGV4_PAYLOAD_MISMATCH;
}

static int invalid_token(struct api_request *r)
{
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

static void note_key_used(struct api_request *r, const struct sigv4_auth *auth, const char *region)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)auth->access_key_id; *p; p++)
        h = (h ^ *p) * 16777619u;
    _Atomic int64_t *slot = &last_used_ms[h % LAST_USED_SLOTS];
    int64_t now = clock_now_ms(), last = atomic_load(slot);
    if (now - last < LAST_USED_EVERY_MS || !atomic_compare_exchange_strong(slot, &last, now))
        return;
    if (iam_access_key_used(r->route->store, auth->access_key_id, r->service->signing_name, region,
                            now) < 0)
        log_write(LOG_WARN, "api", r->http->request_id, "cannot record the use of a key: %s",
                  err_msg());
}

/*
 * Resolves the caller from the request's signature. Returns 0 with
 * `principal` set, or fails the request and returns the error.
 */
static int authenticate(struct api_request *r, struct principal *principal,
                        const struct sigv4_auth *auth, int parse_rc)
{
    if (parse_rc < 0) {
        fail(r, parse_rc == SIGV4_MISSING ? 403 : 400, auth_error_code(r->service, parse_rc),
             parse_rc == SIGV4_MISSING ? "Missing Authentication Token" : err_msg());
        return parse_rc;
    }
    int rc = check_scope(r, auth);
    if (rc < 0)
        return rc;
    if (r->route->auth_open) {
        rc = iam_admin_principal(principal, r->route->store, r->route->default_account_id);
        if (rc < 0)
            fail(r, 500, "InternalFailure", err_msg());
        return rc;
    }

    struct iam_credential cred;
    rc = iam_credential_lookup(&cred, r->route->store, auth->access_key_id);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !cred.active))
        return invalid_token(r);
    if (rc < 0) {
        fail(r, 500, "InternalFailure", err_msg());
        return rc;
    }
    /* A long-term key carries no token; one that comes with a token was
     * not issued as sent. */
    if (!cred.session_token[0] && auth->security_token[0])
        return invalid_token(r);

    uint8_t digest[SHA256_LEN];
    char payload_hash[2 * SHA256_LEN + 1];
    sha256(digest, r->aws.body, r->aws.body_len);
    hex_encode(payload_hash, digest, SHA256_LEN);
    if ((rc = check_payload_hash(r, payload_hash)) < 0)
        return rc;
    struct sigv4_request sreq;
    to_sigv4_request(&sreq, r, payload_hash);
    rc = sigv4_verify(auth, &sreq, cred.secret_access_key, clock_now_ms());
    if (rc < 0) {
        char message[1024];
        snprintf(message, sizeof(message), "%s", err_msg());
        if (log_enabled(LOG_DEBUG))
            log_canonical_request(r, &sreq, auth);
        fail(r, 403, auth_error_code(r->service, rc), message);
        return rc;
    }

    /* The token is checked only once the signature proves the caller holds
     * the session's secret, and in constant time. */
    if (cred.session_token[0]) {
        size_t len = strlen(cred.session_token);
        if (strlen(auth->security_token) != len ||
            !secure_equal(cred.session_token, auth->security_token, len))
            return invalid_token(r);
        if (cred.expires_ms <= clock_now_ms()) {
            fail(r, 403, is_json_protocol(r->service) ? "ExpiredTokenException" : "ExpiredToken",
                 "The security token included in the request is expired");
            return ERR_DENIED;
        }
    }
    *principal = cred.principal;
    note_key_used(r, auth, auth->region);
    return 0;
}

static void run_operation(struct api_request *r, const struct principal *principal,
                          const char *region)
{
    const struct model_operation *op;
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

    json_t *params = NULL;
    if ((rc = protocol_decode_request(&params, r->service, op, &r->aws)) < 0) {
        const char *code = r->service->protocol == PROTO_QUERY      ? "MalformedInput"
                           : r->service->protocol == PROTO_REST_XML ? "MalformedXML"
                                                                    : "SerializationException";
        fail(r, 400, code, err_msg());
        return;
    }
    if (op->input) {
        struct buf message = BUF_INIT;
        if (validate_params(&message, op->input, params) < 0) {
            fail(r, 400,
                 r->service->protocol == PROTO_QUERY ? "ValidationError" : "ValidationException",
                 message.data);
            buf_release(&message);
            json_decref(params);
            return;
        }
        buf_release(&message);
    }

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
    }
    json_decref(call.error_fields);
    json_decref(output);
    json_decref(params);
}

void api_route_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
    struct api_request r = {.route = ctx, .http = req, .out = resp};
    r.aws = (struct aws_request){
        .method = req->method,
        .path = req->path,
        .query = req->query,
        .headers = req->headers,
        .header_count = req->header_count,
        .body = req->body,
        .body_len = req->body_len,
    };

    struct sigv4_auth auth;
    struct sigv4_request sreq;
    to_sigv4_request(&sreq, &r, NULL);
    int parse_rc = sigv4_auth_parse(&auth, &sreq);
    r.service = identify_service(&r, &auth, parse_rc == 0);

    struct principal principal;
    if (!r.service) {
        if (parse_rc < 0)
            fail(&r, parse_rc == SIGV4_MISSING ? 403 : 400, auth_error_code(NULL, parse_rc),
                 parse_rc == SIGV4_MISSING ? "Missing Authentication Token" : err_msg());
        else
            fail(&r, 400, "UnknownServiceException", "the request names no service slipway serves");
    } else if (authenticate(&r, &principal, &auth, parse_rc) == 0) {
        const char *region =
            parse_rc == 0 && auth.region[0] ? auth.region : r.route->default_region;
        run_operation(&r, &principal, region);
    }
    if (r.service && r.service->protocol == PROTO_REST_XML &&
        !http_response_header(resp, "x-amz-request-id"))
        http_response_add_header(resp, "x-amz-request-id", req->request_id);
}
