/*
 * The aws-chunked decoder on untrusted bodies. The first byte picks the mode
 * (bit 0 signed chunks under the key of AWS's chunked-upload examples, bit 3
 * the seed signature of its trailer example rather than of its plain one,
 * bit 1 trailers, bit 2 a declared decoded length taken from the next two
 * bytes) and the seed of the piece sizes; the rest is the body.
 *
 * The body is decoded twice, whole and in pseudo-random pieces (single
 * bytes among them), and the two runs must agree on the result, the
 * payload and the trailers: a decoder whose verdict depends on where the
 * network split the body is wrong even when it does not crash.
 */
#include "base/common.h"

#include "aws/chunked.h"
#include "aws/sigv4.h"
#include "base/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define AWS_SEED     "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
#define TRAILER_SEED "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"

static int collect(void *ctx, const void *p, size_t n)
{
    buf_add(ctx, p, n);
    return 0;
}

struct result {
    int rc;
    struct buf payload;
    struct buf trailers;
};

static void decode(struct result *r, const struct chunked_options *o, const uint8_t *body,
                   size_t len, uint32_t split_seed)
{
    struct chunked_decoder *d;
    buf_init(&r->payload);
    buf_init(&r->trailers);
    if (chunked_decoder_new(&d, o, collect, &r->payload) < 0)
        abort();
    r->rc = 0;
    uint32_t x = split_seed | 1;
    for (size_t off = 0; off < len && r->rc == 0;) {
        size_t n = len - off;
        if (split_seed) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            n = (x & 3) == 0 ? 1 : 1 + x % 97;
            if (n > len - off)
                n = len - off;
        }
        r->rc = chunked_decoder_feed(d, body + off, n);
        off += n;
    }
    if (r->rc == 0)
        r->rc = chunked_decoder_finish(d);
    const struct header_field *t;
    size_t count = chunked_decoder_trailers(d, &t);
    for (size_t i = 0; i < count; i++) {
        buf_add(&r->trailers, t[i].name, t[i].name_len);
        buf_addch(&r->trailers, ':');
        buf_add(&r->trailers, t[i].value, t[i].value_len);
        buf_addch(&r->trailers, '\n');
    }
    if (chunked_decoder_decoded_length(d) != r->payload.len)
        abort();
    chunked_decoder_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > 256 * 1024)
        return 0;
    uint8_t mode = data[0];
    struct chunked_options o = {
        .signed_chunks = mode & 1,
        .trailer = mode & 2,
        .decoded_length = (mode & 4) ? (uint64_t)(data[1] << 8 | data[2]) : UINT64_MAX,
        .amz_date = "20130524T000000Z",
        .scope = "20130524/us-east-1/s3/aws4_request",
        .seed_signature = (mode & 8) ? TRAILER_SEED : AWS_SEED,
    };
    sigv4_signing_key(o.signing_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524",
                      "us-east-1", "s3");
    const uint8_t *body = data + 3;
    size_t len = size - 3;

    struct result whole, pieces;
    decode(&whole, &o, body, len, 0);
    decode(&pieces, &o, body, len, (uint32_t)(mode >> 4) * 2654435761u + (uint32_t)len);
    if (whole.rc != pieces.rc || whole.payload.len != pieces.payload.len ||
        memcmp(whole.payload.data, pieces.payload.data, whole.payload.len) != 0 ||
        strcmp(whole.trailers.data, pieces.trailers.data) != 0) {
        fprintf(stderr, "whole: %d, %zu bytes; in pieces: %d, %zu bytes\n", whole.rc,
                whole.payload.len, pieces.rc, pieces.payload.len);
        abort();
    }
    if (whole.rc == 0 && o.decoded_length != UINT64_MAX && whole.payload.len != o.decoded_length)
        abort();
    buf_release(&whole.payload);
    buf_release(&whole.trailers);
    buf_release(&pieces.payload);
    buf_release(&pieces.trailers);
    return 0;
}
