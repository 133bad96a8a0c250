/*
 * SigV4 parsing of untrusted input. The bytes are offered as the
 * Authorization header value, as the query string (the presigned form) and
 * as a request path; whatever parses is verified, which runs the canonical
 * request builders over the same bytes. A fixed valid Authorization header
 * also canonicalizes the bytes as path, query and a signed header value, so
 * those builders see every input even when parsing fails.
 */
#include "base/common.h"

#include "aws/sigv4.h"
#include "base/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW     INT64_C(1440938160000) /* 20150830T123600Z */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const char fixed_authorization[] =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
    "SignedHeaders=host;my-header;x-amz-date, "
    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

static void parse_and_verify(const struct sigv4_request *req)
{
    struct sigv4_auth auth;
    struct buf creq = BUF_INIT, sts = BUF_INIT;

    if (sigv4_auth_parse(&auth, req) < 0)
        return;
    sigv4_verify(&auth, req, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", FUZZ_NOW);
    if (sigv4_canonical_request(&creq, req, &auth) == 0)
        sigv4_string_to_sign(&sts, &auth, creq.data, creq.len);
    buf_release(&creq);
    buf_release(&sts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Past the module's own limits nothing new happens, only slower runs. */
    if (size > 64 * 1024)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';

    struct header_field headers[] = {
        {"Host", 4, "example.amazonaws.com", 21},
        {"X-Amz-Date", 10, "20150830T123600Z", 16},
        {"My-Header", 9, text, size},
        {"Authorization", 13, text, size},
    };
    struct sigv4_request req = {
        .method = "GET",
        .path = "/",
        .headers = headers,
        .header_count = ARRAY_SIZE(headers),
        .payload_hash = EMPTY_SHA256,
    };

    /* The bytes as the Authorization header value. */
    parse_and_verify(&req);

    /* As the query string and path, without an Authorization header. */
    req.header_count = 3;
    req.path = text;
    req.query = text;
    parse_and_verify(&req);
    req.s3 = true;
    parse_and_verify(&req);

    /* As path, query and header value under a valid signature. */
    headers[3].value = fixed_authorization;
    headers[3].value_len = strlen(fixed_authorization);
    req.header_count = ARRAY_SIZE(headers);
    for (int i = 0; i < 4; i++) {
        req.s3 = i & 1;
        req.query = i & 2 ? text : NULL;
        parse_and_verify(&req);
    }

    free(text);
    return 0;
}
