#ifndef SLIPWAY_AWS_SIGV4_H
#define SLIPWAY_AWS_SIGV4_H

#include "base/common.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/header.h"

/*
 * AWS Signature Version 4 (AWS4-HMAC-SHA256): verification of requests signed
 * with an Authorization header or as a presigned URL, the canonical request
 * and string-to-sign builders, and a signer for slipway's own clients.
 *
 * Verification takes two steps, so that the server can look up the secret
 * key (and check region and service) between them:
 *
 *     struct sigv4_auth auth;
 *     if ((rc = sigv4_auth_parse(&auth, &req)) < 0)
 *         return rc;
 *     ... find the key auth.access_key_id; sigv4_auth_check_scope() ...
 *     if ((rc = sigv4_verify(&auth, &req, secret, clock_now_ms())) < 0)
 *         return rc;
 *
 * Failures return one of the negative err kinds below and set err_msg() to
 * AWS's own wording (AWS sends these messages to clients, so they are not in
 * slipway's lower-case style). The API layer turns the kind into the error
 * code of the service's protocol:
 *
 *   return value            query, rest-xml              json (awsJson, restJson)
 *   SIGV4_MISSING           MissingAuthenticationToken   MissingAuthenticationTokenException
 *   SIGV4_INCOMPLETE        IncompleteSignature          IncompleteSignatureException
 *   SIGV4_UNSUPPORTED       IncompleteSignature          IncompleteSignatureException
 *   SIGV4_MISMATCH          SignatureDoesNotMatch        InvalidSignatureException
 *   SIGV4_EXPIRED           SignatureDoesNotMatch        InvalidSignatureException
 *   SIGV4_PAYLOAD_MISMATCH  SignatureDoesNotMatch        InvalidSignatureException
 *   SIGV4_TOO_LARGE         IncompleteSignature          IncompleteSignatureException
 *
 * S3 names them differently: AuthorizationHeaderMalformed (header form) or
 * AuthorizationQueryParametersError (presigned) for SIGV4_INCOMPLETE,
 * InvalidRequest for SIGV4_UNSUPPORTED, SignatureDoesNotMatch for
 * SIGV4_MISMATCH, RequestTimeTooSkewed (header form) or AccessDenied
 * (presigned) for SIGV4_EXPIRED, XAmzContentSHA256Mismatch for
 * SIGV4_PAYLOAD_MISMATCH; and a request without any authentication is an
 * anonymous request there. SIGV4_MISMATCH also covers a credential scope
 * whose date, region or service is wrong, as AWS does.
 */
enum sigv4_error {
    SIGV4_MISSING = ERR_NOT_FOUND,         /* no Authorization header, no query auth */
    SIGV4_INCOMPLETE = ERR_INVALID,        /* malformed or missing components */
    SIGV4_UNSUPPORTED = ERR_UNSUPPORTED,   /* an algorithm other than AWS4-HMAC-SHA256 */
    SIGV4_MISMATCH = ERR_DENIED,           /* signature or credential scope is wrong */
    SIGV4_EXPIRED = ERR_TIMEOUT,           /* clock skew (header) or URL expired (presigned) */
    SIGV4_PAYLOAD_MISMATCH = ERR_CONFLICT, /* x-amz-content-sha256 is not the body's hash */
    SIGV4_TOO_LARGE = ERR_LIMIT,           /* path, query or a signed header past its limit */
};

#define SIGV4_ALGORITHM        "AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/* Limits on untrusted input; anything longer is refused before any work. */
#define SIGV4_AUTH_HEADER_MAX        8192 /* Authorization header value */
#define SIGV4_ACCESS_KEY_MAX         128
#define SIGV4_SCOPE_PART_MAX         63 /* date, region, service in the credential */
#define SIGV4_SIGNED_HEADERS_MAX     64 /* names in SignedHeaders */
#define SIGV4_SIGNED_HEADERS_LEN_MAX 2048
#define SIGV4_TOKEN_MAX              4096  /* X-Amz-Security-Token */
#define SIGV4_PATH_MAX               16384 /* raw request path */
#define SIGV4_QUERY_MAX              32768 /* raw query string */
#define SIGV4_HEADER_VALUE_MAX       16384 /* each signed header value */

/* Allowed clock skew for the header form, and the longest presigned URL. */
#define SIGV4_MAX_SKEW_MS  (15 * 60 * 1000)
#define SIGV4_EXPIRES_MAX  604800
#define SIGV4_AMZ_DATE_LEN 16 /* "20150830T123600Z" */
#define SIGV4_HEX_LEN      64 /* a hex SHA-256 or signature */

/*
 * The request as the server received it. Nothing is owned: every pointer
 * must outlive the calls it is passed to.
 */
struct sigv4_request {
    const char *method;
    /* Raw request path exactly as received, still percent-encoded. */
    const char *path;
    /* Raw query string without '?'; NULL or "" when there is none. */
    const char *query;
    const struct header_field *headers;
    size_t header_count;
    /*
     * Lower-case hex SHA-256 of the body as computed by the server, or NULL
     * when it was not computed (a streamed S3 body). The x-amz-content-sha256
     * header, when present, is what was signed and takes precedence; a
     * presigned S3 URL signs UNSIGNED-PAYLOAD.
     */
    const char *payload_hash;
    /*
     * S3 canonicalization: the path is neither normalised nor encoded a
     * second time (each segment is decoded and encoded once), and presigned
     * URLs sign UNSIGNED-PAYLOAD. Every other service removes dot segments,
     * collapses duplicate slashes and encodes the received path again.
     */
    bool s3;
    /*
     * Keep dot segments and duplicate slashes but still encode the path
     * again, for a service that signs the raw path (the signing test suite's
     * "normalize": false). Implied by s3.
     */
    bool no_normalize;
};

/*
 * What a request says about its signature: the Authorization header or the
 * presigned X-Amz-* query parameters, parsed without the secret key. Every
 * string is NUL-terminated and stored in the struct itself, so it may be
 * copied and needs no release.
 */
struct sigv4_auth {
    bool presigned; /* from the query string rather than the Authorization header */
    char access_key_id[SIGV4_ACCESS_KEY_MAX + 1];
    /* Credential scope: <access key>/<date>/<region>/<service>/aws4_request */
    char date[SIGV4_SCOPE_PART_MAX + 1];
    char region[SIGV4_SCOPE_PART_MAX + 1];
    char service[SIGV4_SCOPE_PART_MAX + 1];
    /* Request time as signed (X-Amz-Date, or the Date header in that form). */
    char amz_date[SIGV4_AMZ_DATE_LEN + 1];
    int64_t time_ms;
    /* Presigned X-Amz-Expires in seconds; 0 when absent (the skew rule applies). */
    int64_t expires_s;
    /* SignedHeaders as sent, ';'-separated. */
    char signed_headers[SIGV4_SIGNED_HEADERS_LEN_MAX + 1];
    size_t signed_header_count;
    /* Lower-case hex; "" when the value sent was not 64 hex digits (never matches). */
    char signature[SIGV4_HEX_LEN + 1];
    /* X-Amz-Security-Token (header or query parameter), "" when none. */
    char security_token[SIGV4_TOKEN_MAX + 1];
    /*
     * Presigned only: the security token was added to the URL after signing
     * and is not part of the canonical query string (AWS documents both ways;
     * see the test suite's post-sts-header-after). Set by the signer; the
     * builders honour it, and sigv4_verify() tries both ways when it is false.
     */
    bool token_unsigned;
};

/*
 * Find and parse the request's authentication: the Authorization header, or
 * else the presigned query parameters; for the header form the request time
 * comes from X-Amz-Date (or Date) and the token from X-Amz-Security-Token.
 * Returns 0, SIGV4_MISSING when the request carries neither form,
 * SIGV4_INCOMPLETE, SIGV4_UNSUPPORTED or SIGV4_TOO_LARGE.
 */
int sigv4_auth_parse(struct sigv4_auth *out, const struct sigv4_request *req);

/*
 * Check the credential scope against what the server serves. Returns 0 or
 * SIGV4_MISMATCH ("Credential should be scoped to a valid region, not ...").
 */
int sigv4_auth_check_scope(const struct sigv4_auth *auth, const char *region, const char *service);

/*
 * Verify the signature with the secret key at time `now_ms` (epoch ms):
 * scope date against the request date, the request time (within 15 minutes
 * for the header form; not expired for a presigned URL), the payload hash,
 * then the signature itself, compared in constant time. Returns 0,
 * SIGV4_MISMATCH, SIGV4_EXPIRED, SIGV4_PAYLOAD_MISMATCH, SIGV4_INCOMPLETE
 * (no payload hash to sign) or SIGV4_TOO_LARGE.
 *
 * When x-amz-content-sha256 names a hash and req->payload_hash is set they
 * must agree; when it is UNSIGNED-PAYLOAD or STREAMING-*, the body is not
 * covered by this signature and the caller handles it (chunk signatures).
 */
int sigv4_verify(const struct sigv4_auth *auth, const struct sigv4_request *req,
                 const char *secret_access_key, int64_t now_ms);

/*
 * The canonical request (appended to `out`) for the request and its parsed
 * auth. Returns 0, SIGV4_INCOMPLETE (no payload hash available) or
 * SIGV4_TOO_LARGE.
 */
int sigv4_canonical_request(struct buf *out, const struct sigv4_request *req,
                            const struct sigv4_auth *auth);

/* The string to sign (appended to `out`) for a canonical request. */
void sigv4_string_to_sign(struct buf *out, const struct sigv4_auth *auth,
                          const char *canonical_request, size_t len);

/* The signing key: HMAC chain over "AWS4" + secret, date, region, service, "aws4_request". */
void sigv4_signing_key(uint8_t out[32], const char *secret_access_key, const char *date,
                       const char *region, const char *service);

/*
 * Derived signing keys are cached (a small fixed table, shared by all
 * threads, keyed by a salted hash of secret, access key, date, region and
 * service, so a changed secret never hits an old entry). For tests and
 * metrics.
 */
struct sigv4_cache_stats {
    uint64_t hits;
    uint64_t misses;
};
void sigv4_cache_stats(struct sigv4_cache_stats *out);
void sigv4_cache_clear(void);

/* What to sign with. Strings are borrowed for the call. */
struct sigv4_signer {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL when none */
    const char *region;
    const char *service;
    int64_t time_ms;
    /* Presigned URLs: X-Amz-Expires, 1 to SIGV4_EXPIRES_MAX seconds. */
    int64_t expires_s;
    /* Header form: add and sign x-amz-content-sha256 (S3 requires it). */
    bool sign_payload_header;
    /* Add the session token after signing instead of signing it. */
    bool token_unsigned;
};

/*
 * The result of signing. All of it is owned by the struct; release with
 * sigv4_signature_release().
 *
 * Header form: the caller sends Authorization: `authorization`, X-Amz-Date:
 * `amz_date`, X-Amz-Security-Token: the session token when there is one and,
 * with sign_payload_header, X-Amz-Content-Sha256: the request's payload hash.
 *
 * Presigned: `query` is the complete query string to send (the request's own
 * parameters followed by the X-Amz-* ones, X-Amz-Signature last).
 */
struct sigv4_signature {
    char amz_date[SIGV4_AMZ_DATE_LEN + 1];
    char signature[SIGV4_HEX_LEN + 1];
    struct buf authorization;
    struct buf query;
    struct buf canonical_request;
    struct buf string_to_sign;
};

void sigv4_signature_init(struct sigv4_signature *sig);
void sigv4_signature_release(struct sigv4_signature *sig);

/*
 * Sign `req` as slipway's clients (and the AWS SDKs) do: every header except
 * Authorization, User-Agent, X-Amzn-Trace-Id, Expect and hop-by-hop ones is
 * signed, and X-Amz-Date (header form) is replaced by the signing time. The
 * request must carry a Host header. `out` must have been initialised; on
 * success its old contents are released and replaced, on failure it is not
 * touched. Returns 0 or SIGV4_INCOMPLETE (bad signer fields, no payload hash),
 * SIGV4_TOO_LARGE.
 */
int sigv4_sign(struct sigv4_signature *out, const struct sigv4_signer *signer,
               const struct sigv4_request *req);
int sigv4_presign(struct sigv4_signature *out, const struct sigv4_signer *signer,
                  const struct sigv4_request *req);

#endif
