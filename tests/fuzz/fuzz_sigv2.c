/*
 * SigV2 parsing of untrusted input. The bytes are offered as the
 * Authorization header value, as the query string (the presigned form),
 * and as the path, the Date, an x-amz- header and the bucket under a fixed
 * well-formed header; whatever parses is verified, which builds the string
 * to sign over the same bytes.
 */
#include "base/common.h"

#include "aws/sigv2.h"
#include "base/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW INT64_C(1175024202000) /* Tue, 27 Mar 2007 19:36:42 GMT */
#define SECRET   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static void parse_and_verify(const struct sigv2_request *req)
{
    struct sigv2_auth auth;
    struct buf sts = BUF_INIT;

    if (sigv2_auth_parse(&auth, req) < 0)
        return;
    sigv2_verify(&auth, req, SECRET, FUZZ_NOW);
    sigv2_string_to_sign(&sts, req, &auth);
    buf_release(&sts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';

    struct header_field headers[] = {
        {"Host", 4, "johnsmith.s3.amazonaws.com", 26},
        {"Date", 4, "Tue, 27 Mar 2007 19:36:42 +0000", 31},
        {"X-Amz-Meta-Note", 15, text, size},
        {"Authorization", 13, text, size},
    };
    struct sigv2_request req = {
        .method = "GET",
        .path = "/photos/puppy.jpg",
        .headers = headers,
        .header_count = ARRAY_SIZE(headers),
        .bucket = "johnsmith",
    };

    /* The bytes as the Authorization header value. */
    parse_and_verify(&req);

    /* As the query string and path, without an Authorization header. */
    req.header_count = 3;
    req.query = text;
    req.path = text;
    parse_and_verify(&req);
    req.bucket = NULL;
    parse_and_verify(&req);

    /* As path, query, Date, bucket and an x-amz- header under a well-formed header. */
    static const char authorization[] = "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=";
    headers[3].value = authorization;
    headers[3].value_len = strlen(authorization);
    req.header_count = ARRAY_SIZE(headers);
    for (int i = 0; i < 4; i++) {
        req.query = i & 1 ? text : "acl&versionId=1";
        req.bucket = i & 2 ? text : "johnsmith";
        parse_and_verify(&req);
    }
    headers[1].value = text;
    headers[1].value_len = size;
    parse_and_verify(&req);
    headers[1].name = "x-amz-date";
    headers[1].name_len = 10;
    parse_and_verify(&req);

    free(text);
    return 0;
}
