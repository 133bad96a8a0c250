#ifndef SLIPWAY_AWS_SIGV2_H
#define SLIPWAY_AWS_SIGV2_H

#include "base/common.h"
#include "base/buf.h"
#include "aws/sigv4.h"

/*
 * S3's Signature Version 2 ("Signing and Authenticating REST Requests" in
 * the S3 API Reference): an Authorization header
 *
 *     Authorization: AWS <access key id>:<base64 HMAC-SHA1>
 *
 * or a presigned URL, ?AWSAccessKeyId=...&Expires=<epoch seconds>&Signature=...,
 * over
 *
 *     StringToSign = Method \n Content-MD5 \n Content-Type \n Date \n
 *                    CanonicalizedAmzHeaders CanonicalizedResource
 *
 * Date is the Date header as sent, empty when x-amz-date is present (its
 * value is then among the x-amz- headers), or Expires for a presigned URL.
 * CanonicalizedAmzHeaders: each x-amz-* header as "name:value\n", names
 * lower-cased and sorted, the values of a repeated header joined with ',',
 * values trimmed and unfolded; for a presigned URL also its x-amz-* query
 * parameters (botocore moves x-amz-security-token there), and Content-MD5
 * and Content-Type may come from content-md5 / content-type parameters.
 * CanonicalizedResource: "/" + bucket for a virtual-hosted request, then the
 * path exactly as received (still percent-encoded; a path-style request for
 * the bucket itself, "/bucket", signs "/bucket/" as botocore does), then the
 * S3 sub-resources among the query parameters, sorted by name, with their
 * values percent-decoded: "?acl", "?partNumber=2&uploadId=x".
 *
 * Used as sigv4 is, in two steps, so the server can look up the secret:
 *
 *     struct sigv2_auth auth;
 *     if ((rc = sigv2_auth_parse(&auth, &req)) < 0)   SIGV4_MISSING: not SigV2
 *         return rc;
 *     ... find the key auth.access_key_id ...
 *     if ((rc = sigv2_verify(&auth, &req, secret, clock_now_ms())) < 0)
 *         return rc;
 *
 * Failures return the enum sigv4_error kinds, with err_msg() set to S3's
 * wording, so the API layer maps them as it maps SigV4's. S3's own codes
 * for SigV2 are: InvalidArgument for a malformed Authorization header,
 * AccessDenied for missing query parameters or date and for an expired URL,
 * RequestTimeTooSkewed for a header date more than 15 minutes off, and
 * SignatureDoesNotMatch.
 */

#define SIGV2_HEADER_PREFIX    "AWS "
#define SIGV2_MAC_LEN          20 /* HMAC-SHA1 */
#define SIGV2_SIGNATURE_LEN    28 /* its base64 */
#define SIGV2_DATE_MAX         64 /* Date or x-amz-date header */
#define SIGV2_AMZ_HEADERS_MAX  64 /* x-amz-* headers (and query parameters) signed */
#define SIGV2_SUBRESOURCES_MAX 32
/* Allowed clock skew for the header form, as SigV4's. */
#define SIGV2_MAX_SKEW_MS SIGV4_MAX_SKEW_MS

/*
 * The request as received; nothing is owned. The path, query and header
 * limits are SigV4's (SIGV4_PATH_MAX, SIGV4_QUERY_MAX, SIGV4_HEADER_VALUE_MAX).
 */
struct sigv2_request {
    const char *method;
    /* Raw request path exactly as received, still percent-encoded, without the query. */
    const char *path;
    /* Raw query string without '?'; NULL or "" when there is none. */
    const char *query;
    const struct header_field *headers;
    size_t header_count;
    /*
     * Virtual-hosted style: the bucket the Host header names ("johnsmith"
     * for johnsmith.s3.amazonaws.com, the whole host name for a CNAME).
     * NULL for path-style requests, whose path starts with the bucket.
     */
    const char *bucket;
};

/* What a request says about its SigV2 signature; self-contained, may be copied. */
struct sigv2_auth {
    bool presigned; /* query parameters rather than the Authorization header */
    char access_key_id[SIGV4_ACCESS_KEY_MAX + 1];
    /* The signature sent, decoded; signature_valid is false when it was not
     * the base64 of 20 bytes (it then never matches). */
    uint8_t signature[SIGV2_MAC_LEN];
    bool signature_valid;
    /* Header form: the request time from x-amz-date, else Date. Presigned: Expires. */
    int64_t time_ms;
    /* Presigned: Expires in seconds since the epoch. */
    int64_t expires_s;
    /* x-amz-security-token (header, or query parameter when presigned); "" when none. */
    char security_token[SIGV4_TOKEN_MAX + 1];
};

/*
 * Find and parse SigV2 authentication: an Authorization header beginning
 * "AWS ", or the AWSAccessKeyId / Signature query parameters. Returns 0,
 * SIGV4_MISSING when the request carries neither (no authentication, or
 * SigV4's), SIGV4_INCOMPLETE (malformed, a missing parameter or date, both
 * forms at once) or SIGV4_TOO_LARGE.
 */
int sigv2_auth_parse(struct sigv2_auth *out, const struct sigv2_request *req);

/*
 * Verify at time `now_ms` (epoch ms): a presigned URL must not be past
 * Expires, a header-signed request must be within 15 minutes of its date;
 * then the HMAC-SHA1, compared in constant time. Returns 0, SIGV4_EXPIRED,
 * SIGV4_MISMATCH or SIGV4_TOO_LARGE.
 *
 * When the signature does not match the documented StringToSign, the
 * other forms clients are known to sign are tried (only then, so a valid
 * request costs one HMAC): with x-amz-date present, the form of AWS's own
 * worked DELETE example (the x-amz-date value in the Date position,
 * x-amz-date not among the x-amz- headers); for "/bucket" path-style, the
 * resource without the added '/'.
 */
int sigv2_verify(const struct sigv2_auth *auth, const struct sigv2_request *req,
                 const char *secret_access_key, int64_t now_ms);

/* The StringToSign (appended to `out`). Returns 0 or SIGV4_TOO_LARGE. */
int sigv2_string_to_sign(struct buf *out, const struct sigv2_request *req,
                         const struct sigv2_auth *auth);

/* base64(HMAC-SHA1(secret, string to sign)): what a client sends. */
void sigv2_sign(char out[SIGV2_SIGNATURE_LEN + 1], const char *secret_access_key,
                const char *string_to_sign, size_t len);

/* Whether a query parameter name is an S3 sub-resource that SigV2 signs. */
bool sigv2_is_subresource(const char *name, size_t len);

#endif
