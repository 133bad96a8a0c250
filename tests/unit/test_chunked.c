#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/common.h"
#include "aws/chunked.h"
#include "aws/sigv4.h"
#include "base/buf.h"
#include "base/checksum.h"
#include "base/err.h"

/*
 * Vectors.
 *
 * AWS_*: the S3 API Reference, "Signature Calculations for the Authorization
 * Header: Transferring Payload in Multiple Chunks (Chunked Upload)", Example:
 * PUT Object: 66560 bytes of 'a' in chunks of 65536 and 1024 bytes, secret
 * wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, 20130524T000000Z, us-east-1/s3.
 *
 * TRAILER_*: the same reference's "Signature calculations for trailing
 * headers (chunked uploads)" example: the same object and credentials with
 * x-amz-content-sha256 STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER and the
 * trailer x-amz-checksum-crc32c:sOO8/Q==.
 *
 * SMALL_*: "hello" and " world" under the AWS example's key and seed, and
 * a trailer x-amz-checksum-crc32:DUoRhQ== (CRC32 of "hello world"), signed
 * by an independent Python computation:
 *
 *   def chunk(prev, data): return hmac.new(key, ("AWS4-HMAC-SHA256-PAYLOAD\n"
 *       "20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" + prev + "\n" +
 *       sha256(b"").hexdigest() + "\n" + sha256(data).hexdigest()).encode(), sha256)
 *   def trailer(prev, text): ... "AWS4-HMAC-SHA256-TRAILER\n" ... + prev + "\n" +
 *       sha256(text).hexdigest()
 */
#define SECRET   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define AMZ_DATE "20130524T000000Z"
#define SCOPE    "20130524/us-east-1/s3/aws4_request"

#define AWS_SEED   "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
#define AWS_CHUNK1 "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
#define AWS_CHUNK2 "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
#define AWS_FINAL  "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"

#define TRAILER_SEED      "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
#define TRAILER_CHUNK1    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2"
#define TRAILER_CHUNK2    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7"
#define TRAILER_FINAL     "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"
#define TRAILER_SIGNATURE "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"

#define SMALL_CHUNK1            "7ca2bb6b96869a322ee00fa7347cadb82c8801d9e36e87e71086051b27939767"
#define SMALL_CHUNK2            "6a6dbe3c43e8a41ea6e18b758cc86e2553625117f63d0f804e8580a84d5a06f6"
#define SMALL_FINAL             "1d09bb110d01c60997979035aacafdaa28d459c880339c8e7060d5921d2b83df"
#define SMALL_TRAILER_SIGNATURE "09c7bb94b6a43f9eb2375b1133e94a37ddda740d35b12a79b93a0da31379d3e6"

static const char small_signed[] = "5;chunk-signature=" SMALL_CHUNK1 "\r\nhello\r\n"
                                   "6;chunk-signature=" SMALL_CHUNK2 "\r\n world\r\n"
                                   "0;chunk-signature=" SMALL_FINAL "\r\n\r\n";

static const char small_signed_trailer[] =
    "5;chunk-signature=" SMALL_CHUNK1 "\r\nhello\r\n"
    "6;chunk-signature=" SMALL_CHUNK2 "\r\n world\r\n"
    "0;chunk-signature=" SMALL_FINAL "\r\n"
    "x-amz-checksum-crc32:DUoRhQ==\r\n"
    "x-amz-trailer-signature:" SMALL_TRAILER_SIGNATURE "\r\n\r\n";

/* As botocore's AwsChunkedWrapper writes STREAMING-UNSIGNED-PAYLOAD-TRAILER bodies. */
static const char small_unsigned_trailer[] = "5\r\nhello\r\n6\r\n world\r\n0\r\n"
                                             "x-amz-checksum-crc32:DUoRhQ==\r\n\r\n";

static struct chunked_options signed_options(const char *seed, bool trailer, uint64_t length)
{
    struct chunked_options o = {
        .signed_chunks = true,
        .amz_date = AMZ_DATE,
        .scope = SCOPE,
        .seed_signature = seed,
        .trailer = trailer,
        .decoded_length = length,
    };
    sigv4_signing_key(o.signing_key, SECRET, "20130524", "us-east-1", "s3");
    return o;
}

static struct chunked_options unsigned_options(bool trailer, uint64_t length)
{
    return (struct chunked_options){.trailer = trailer, .decoded_length = length};
}

struct sink {
    struct buf data;
    size_t calls;
    size_t fail_after; /* fail once this many bytes were received; 0: never */
};

static int sink_emit(void *ctx, const void *p, size_t n)
{
    struct sink *s = ctx;
    assert_true(n > 0);
    buf_add(&s->data, p, n);
    s->calls++;
    if (s->fail_after && s->data.len >= s->fail_after)
        return err_set(ERR_IO, "disk full");
    return 0;
}

/*
 * Decode `body` fed in the pieces that `cuts` (ascending offsets) separate;
 * returns the first error, or what finish returns. The payload goes to `out`.
 */
static int decode_cuts(const struct chunked_options *o, const void *body, size_t len,
                       const size_t *cuts, size_t ncuts, struct buf *out,
                       struct chunked_decoder **keep)
{
    struct sink s = {.data = BUF_INIT};
    struct chunked_decoder *d;
    int rc = chunked_decoder_new(&d, o, sink_emit, &s);
    assert_int_equal(rc, 0);
    size_t from = 0;
    for (size_t i = 0; i <= ncuts && rc == 0; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        rc = chunked_decoder_feed(d, (const char *)body + from, to - from);
        from = to;
    }
    if (rc == 0)
        rc = chunked_decoder_finish(d);
    if (out) {
        buf_reset(out);
        buf_add(out, s.data.data, s.data.len);
    }
    buf_release(&s.data);
    if (keep)
        *keep = d;
    else
        chunked_decoder_free(d);
    return rc;
}

static int decode_whole(const struct chunked_options *o, const void *body, size_t len,
                        struct buf *out)
{
    return decode_cuts(o, body, len, NULL, 0, out, NULL);
}

/* Feed one byte at a time. */
static int decode_bytewise(const struct chunked_options *o, const void *body, size_t len,
                           struct buf *out)
{
    struct sink s = {.data = BUF_INIT};
    struct chunked_decoder *d;
    int rc = chunked_decoder_new(&d, o, sink_emit, &s);
    assert_int_equal(rc, 0);
    for (size_t i = 0; i < len && rc == 0; i++)
        rc = chunked_decoder_feed(d, (const char *)body + i, 1);
    if (rc == 0)
        rc = chunked_decoder_finish(d);
    buf_reset(out);
    buf_add(out, s.data.data, s.data.len);
    buf_release(&s.data);
    chunked_decoder_free(d);
    return rc;
}

/* The AWS example's body, optionally the trailer example's (with or without AWS's blank line). */
static void aws_body(struct buf *body, bool trailer_example, bool blank_before_trailers)
{
    static char a[65536];
    memset(a, 'a', sizeof(a));
    buf_reset(body);
    buf_addf(body, "10000;chunk-signature=%s\r\n", trailer_example ? TRAILER_CHUNK1 : AWS_CHUNK1);
    buf_add(body, a, 65536);
    buf_addf(body, "\r\n400;chunk-signature=%s\r\n", trailer_example ? TRAILER_CHUNK2 : AWS_CHUNK2);
    buf_add(body, a, 1024);
    buf_addf(body, "\r\n0;chunk-signature=%s\r\n", trailer_example ? TRAILER_FINAL : AWS_FINAL);
    if (trailer_example) {
        if (blank_before_trailers)
            buf_adds(body, "\r\n");
        buf_adds(body, "x-amz-checksum-crc32c:sOO8/Q==\r\n"
                       "x-amz-trailer-signature:" TRAILER_SIGNATURE "\r\n");
    }
    buf_adds(body, "\r\n");
}

static void assert_all_a(const struct buf *out, size_t len)
{
    assert_int_equal(out->len, len);
    for (size_t i = 0; i < len; i++)
        if (out->data[i] != 'a')
            fail_msg("payload byte %zu is %d", i, out->data[i]);
}

static void test_aws_example(void **state)
{
    (void)state;
    struct buf body = BUF_INIT, out = BUF_INIT;
    aws_body(&body, false, false);
    /* Content-Length of the AWS example's request. */
    assert_int_equal(body.len, 66824);

    struct chunked_options o = signed_options(AWS_SEED, false, 66560);
    assert_int_equal(decode_whole(&o, body.data, body.len, &out), 0);
    assert_all_a(&out, 66560);
    assert_int_equal(decode_bytewise(&o, body.data, body.len, &out), 0);
    assert_all_a(&out, 66560);

    /* Two pieces, cut at every offset in and around the framing. */
    size_t header1 = 22 + 64 + 2, data2 = header1 + 65536 + 2 + 20 + 64 + 2;
    size_t marks[] = {0, header1, header1 + 65536, data2, data2 + 1024, body.len};
    for (size_t m = 0; m < ARRAY_SIZE(marks); m++) {
        for (size_t cut = marks[m] > 90 ? marks[m] - 90 : 1; cut <= marks[m] + 90; cut++) {
            if (cut >= body.len)
                break;
            assert_int_equal(decode_cuts(&o, body.data, body.len, &cut, 1, &out, NULL), 0);
            assert_int_equal(out.len, 66560);
        }
    }
    /* Random pieces of every size. */
    srand(7);
    for (int round = 0; round < 30; round++) {
        size_t cuts[64], n = 0, at = 0;
        while (n < ARRAY_SIZE(cuts)) {
            at += 1 + (size_t)rand() % (round < 15 ? 97 : 9000);
            if (at >= body.len)
                break;
            cuts[n++] = at;
        }
        assert_int_equal(decode_cuts(&o, body.data, body.len, cuts, n, &out, NULL), 0);
        assert_all_a(&out, 66560);
    }

    /* Without x-amz-decoded-content-length the length is not checked. */
    o.decoded_length = UINT64_MAX;
    assert_int_equal(decode_whole(&o, body.data, body.len, &out), 0);
    /* A wrong seed signature breaks the chain at the first chunk. */
    struct chunked_options wrong = signed_options(TRAILER_SEED, false, 66560);
    assert_int_equal(decode_whole(&wrong, body.data, body.len, &out), ERR_DENIED);
    assert_non_null(strstr(err_msg(), "offset 0:"));
    assert_non_null(strstr(err_msg(), "chunk 0 does not match"));
    /* Upper-case hex in the seed is the same signature. */
    char upper[] = AWS_SEED;
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    struct chunked_options up = signed_options(upper, false, 66560);
    assert_int_equal(decode_whole(&up, body.data, body.len, &out), 0);

    buf_release(&body);
    buf_release(&out);
}

static void check_trailer_example(const struct buf *body)
{
    struct buf out = BUF_INIT;
    struct chunked_options o = signed_options(TRAILER_SEED, true, 66560);
    struct chunked_decoder *d;
    const struct header_field *t;

    assert_int_equal(decode_cuts(&o, body->data, body->len, NULL, 0, &out, &d), 0);
    assert_all_a(&out, 66560);
    assert_int_equal(chunked_decoder_trailers(d, &t), 1);
    assert_string_equal(t[0].name, "x-amz-checksum-crc32c");
    assert_string_equal(t[0].value, "sOO8/Q==");
    assert_int_equal(t[0].value_len, 8);
    assert_int_equal(chunked_decoder_decoded_length(d), 66560);
    chunked_decoder_free(d);

    /* The trailer is the payload's CRC32C, as S3 checks it. */
    struct checksum_set *set = checksum_set_new(CHECKSUM_CRC32C);
    struct buf b64 = BUF_INIT;
    checksum_set_update(set, out.data, out.len);
    checksum_set_finish(set);
    assert_int_equal(checksum_set_base64(&b64, set, CHECKSUM_CRC32C), 0);
    assert_string_equal(b64.data, "sOO8/Q==");
    buf_release(&b64);
    checksum_set_free(set);

    assert_int_equal(decode_bytewise(&o, body->data, body->len, &out), 0);
    assert_all_a(&out, 66560);
    /* Cut at every offset of the tail (final chunk and trailers). */
    for (size_t cut = body->len - 250; cut < body->len; cut++)
        assert_int_equal(decode_cuts(&o, body->data, body->len, &cut, 1, &out, NULL), 0);
    buf_release(&out);
}

static void test_aws_trailer_example(void **state)
{
    (void)state;
    struct buf body = BUF_INIT;
    /* As the SDKs send it, and with the empty line AWS's example has before the trailers. */
    aws_body(&body, true, false);
    check_trailer_example(&body);
    aws_body(&body, true, true);
    check_trailer_example(&body);

    /* A changed trailer value, a missing or changed trailer signature. */
    struct buf out = BUF_INIT;
    struct chunked_options o = signed_options(TRAILER_SEED, true, 66560);
    aws_body(&body, true, false);
    char *v = strstr(body.data + 66000, "sOO8");
    v[0] = 'X';
    assert_int_equal(decode_whole(&o, body.data, body.len, &out), ERR_DENIED);
    assert_non_null(strstr(err_msg(), "x-amz-trailer-signature does not match"));
    v[0] = 's';
    char *sig = strstr(body.data + 66000, TRAILER_SIGNATURE);
    sig[10] ^= 1;
    assert_int_equal(decode_whole(&o, body.data, body.len, &out), ERR_DENIED);
    sig[10] ^= 1;
    /* Without the signature line. */
    struct buf cut = BUF_INIT;
    buf_add(&cut, body.data,
            (size_t)(strstr(body.data + 66000, "x-amz-trailer-signature") - body.data));
    buf_adds(&cut, "\r\n");
    assert_int_equal(decode_whole(&o, cut.data, cut.len, &out), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "without an 'x-amz-trailer-signature'"));
    /* Not declared as a trailer upload: the trailer lines are bytes after the end. */
    o.trailer = false;
    assert_int_equal(decode_whole(&o, body.data, body.len, &out), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "declares no trailer"));
    buf_release(&cut);
    buf_release(&body);
    buf_release(&out);
}

/* Every split of a small body into two and into three pieces. */
static void all_splits(const struct chunked_options *o, const char *body, const char *payload)
{
    struct buf out = BUF_INIT;
    size_t len = strlen(body);
    for (size_t i = 1; i < len; i++) {
        assert_int_equal(decode_cuts(o, body, len, &i, 1, &out, NULL), 0);
        assert_string_equal(out.data, payload);
        for (size_t j = i + 1; j < len; j++) {
            size_t cuts[2] = {i, j};
            assert_int_equal(decode_cuts(o, body, len, cuts, 2, &out, NULL), 0);
            assert_string_equal(out.data, payload);
        }
    }
    assert_int_equal(decode_bytewise(o, body, len, &out), 0);
    assert_string_equal(out.data, payload);
    buf_release(&out);
}

/* Every proper prefix is a truncated body: an error at finish at the latest. */
static void all_truncations(const struct chunked_options *o, const char *body)
{
    size_t len = strlen(body);
    for (size_t i = 0; i < len; i++) {
        int rc = decode_whole(o, body, i, NULL);
        if (rc != ERR_INVALID)
            fail_msg("prefix of %zu bytes: %d (%s)", i, rc, err_msg());
    }
}

static void test_small_bodies(void **state)
{
    (void)state;
    struct chunked_options o = signed_options(AWS_SEED, false, 11);
    all_splits(&o, small_signed, "hello world");
    all_truncations(&o, small_signed);

    o = signed_options(AWS_SEED, true, 11);
    all_splits(&o, small_signed_trailer, "hello world");
    all_truncations(&o, small_signed_trailer);

    o = unsigned_options(true, 11);
    all_splits(&o, small_unsigned_trailer, "hello world");
    all_truncations(&o, small_unsigned_trailer);
    struct chunked_decoder *d;
    const struct header_field *t;
    assert_int_equal(
        decode_cuts(&o, small_unsigned_trailer, strlen(small_unsigned_trailer), NULL, 0, NULL, &d),
        0);
    assert_int_equal(chunked_decoder_trailers(d, &t), 1);
    assert_string_equal(t[0].name, "x-amz-checksum-crc32");
    assert_string_equal(t[0].value, "DUoRhQ==");
    chunked_decoder_free(d);

    /* Unsigned, no trailer, length unknown. */
    o = unsigned_options(false, UINT64_MAX);
    all_splits(&o, "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world");
    all_splits(&o, "0\r\n\r\n", "");
}

static void test_trailer_forms(void **state)
{
    (void)state;
    struct chunked_options o = unsigned_options(true, 11);
    struct chunked_decoder *d;
    const struct header_field *t;
    struct buf out = BUF_INIT;

    /* Names are lower-cased, values trimmed; several trailers keep their order. */
    const char *body = "b\r\nhello world\r\n0\r\nX-Amz-Checksum-CRC32:  DUoRhQ== \r\n"
                       "x-amz-meta-note:\tyes\r\n\r\n";
    assert_int_equal(decode_cuts(&o, body, strlen(body), NULL, 0, &out, &d), 0);
    assert_int_equal(chunked_decoder_trailers(d, &t), 2);
    assert_string_equal(t[0].name, "x-amz-checksum-crc32");
    assert_int_equal(t[0].name_len, 20);
    assert_string_equal(t[0].value, "DUoRhQ==");
    assert_string_equal(t[1].name, "x-amz-meta-note");
    assert_string_equal(t[1].value, "yes");
    chunked_decoder_free(d);

    /* An unsigned upload's trailer signature line is ignored, not listed. */
    body = "0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:abc\r\n\r\n";
    o.decoded_length = 0;
    assert_int_equal(decode_cuts(&o, body, strlen(body), NULL, 0, &out, &d), 0);
    assert_int_equal(chunked_decoder_trailers(d, &t), 1);
    chunked_decoder_free(d);

    /* No trailers at all, in either layout. */
    assert_int_equal(decode_whole(&o, "0\r\n\r\n", 5, &out), 0);
    assert_int_equal(decode_whole(&o, "0\r\n\r\n\r\n", 7, &out), 0);

    /* Signed with more than one trailer: signed sorted by name, whatever the order sent. */
    struct chunked_options s = signed_options(AWS_SEED, true, 11);
    body =
        "5;chunk-signature=" SMALL_CHUNK1 "\r\nhello\r\n"
        "6;chunk-signature=" SMALL_CHUNK2 "\r\n world\r\n"
        "0;chunk-signature=" SMALL_FINAL "\r\n"
        "x-amz-meta-a:b\r\nx-amz-checksum-crc32:DUoRhQ==\r\n"
        "x-amz-trailer-signature:56e9fea6c0f79b7963b5b057958b1eb918dc9da5b7efb4b2a031a098af0a0d24"
        "\r\n\r\n";
    assert_int_equal(decode_cuts(&s, body, strlen(body), NULL, 0, &out, &d), 0);
    assert_int_equal(chunked_decoder_trailers(d, &t), 2);
    assert_string_equal(t[0].name, "x-amz-meta-a");
    chunked_decoder_free(d);

    /* Trailers are not listed before finish succeeds. */
    assert_int_equal(chunked_decoder_new(&d, &o, NULL, NULL), 0);
    assert_int_equal(chunked_decoder_feed(d, "0\r\nx-amz-checksum-crc32:AAAAAA==\r\n", 34), 0);
    assert_int_equal(chunked_decoder_trailers(d, &t), 0);
    assert_int_equal(chunked_decoder_feed(d, "\r\n", 2), 0);
    assert_int_equal(chunked_decoder_finish(d), 0);
    assert_int_equal(chunked_decoder_trailers(d, &t), 1);
    chunked_decoder_free(d);
    buf_release(&out);
}

static void test_tampering(void **state)
{
    (void)state;
    struct buf body = BUF_INIT, out = BUF_INIT;
    struct chunked_options o = signed_options(AWS_SEED, false, 66560);

    /* One payload byte of the second chunk changed. */
    aws_body(&body, false, false);
    size_t second_data = 88 + 65536 + 2 + 86;
    body.data[second_data + 10] = 'b';
    assert_int_equal(decode_whole(&o, body.data, body.len, &out), ERR_DENIED);
    assert_non_null(strstr(err_msg(), "at offset 65626:"));
    assert_non_null(strstr(err_msg(), "chunk 1 does not match"));
    /* Everything before the bad chunk was emitted (provisional), nothing after. */
    assert_int_equal(out.len, 66560);
    assert_int_equal(decode_bytewise(&o, body.data, body.len, &out), ERR_DENIED);

    /* A changed signature. */
    aws_body(&body, false, false);
    body.data[30] = body.data[30] == '0' ? '1' : '0';
    assert_int_equal(decode_whole(&o, body.data, body.len, &out), ERR_DENIED);
    assert_int_equal(out.len, 65536);

    /* The chunks in another order, or the first chunk dropped. */
    struct buf swapped = BUF_INIT;
    const char *c1 = "5;chunk-signature=" SMALL_CHUNK1 "\r\nhello\r\n";
    const char *c2 = "6;chunk-signature=" SMALL_CHUNK2 "\r\n world\r\n";
    const char *fin = "0;chunk-signature=" SMALL_FINAL "\r\n\r\n";
    struct chunked_options s = signed_options(AWS_SEED, false, UINT64_MAX);
    buf_adds(&swapped, c2);
    buf_adds(&swapped, c1);
    buf_adds(&swapped, fin);
    assert_int_equal(decode_whole(&s, swapped.data, swapped.len, &out), ERR_DENIED);
    buf_reset(&swapped);
    buf_adds(&swapped, c2);
    buf_adds(&swapped, fin);
    assert_int_equal(decode_whole(&s, swapped.data, swapped.len, &out), ERR_DENIED);
    /* The final chunk's signature is checked too. */
    buf_reset(&swapped);
    buf_adds(&swapped, c1);
    buf_adds(&swapped, c2);
    buf_addf(&swapped, "0;chunk-signature=%s\r\n\r\n", SMALL_CHUNK2);
    assert_int_equal(decode_whole(&s, swapped.data, swapped.len, &out), ERR_DENIED);
    assert_non_null(strstr(err_msg(), "chunk 2 does not match"));

    /* An error is sticky. */
    struct chunked_decoder *d;
    assert_int_equal(chunked_decoder_new(&d, &s, NULL, NULL), 0);
    assert_int_equal(chunked_decoder_feed(d, c2, strlen(c2)), ERR_DENIED);
    assert_int_equal(chunked_decoder_feed(d, fin, strlen(fin)), ERR_DENIED);
    assert_int_equal(chunked_decoder_finish(d), ERR_DENIED);
    assert_non_null(strstr(err_msg(), "chunk 0 does not match"));
    chunked_decoder_free(d);

    buf_release(&swapped);
    buf_release(&body);
    buf_release(&out);
}

struct bad_case {
    const char *name;
    bool signed_chunks;
    bool trailer;
    uint64_t length;
    const char *body;
    const char *message; /* part of err_msg() */
};

static void test_malformed(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"no size", false, false, UINT64_MAX, ";a\r\n", "has no hex size"},
        {"bad hex", false, false, UINT64_MAX, "zz\r\n", "has no hex size"},
        {"junk after size", false, false, UINT64_MAX, "5x\r\nhello\r\n", "malformed chunk ext"},
        {"empty extension", false, false, UINT64_MAX, "5;\r\nhello\r\n", "malformed chunk ext"},
        {"bad extension value", false, false, UINT64_MAX, "5;a=\r\n", "malformed chunk ext"},
        {"open quote", false, false, UINT64_MAX, "5;a=\"x\r\n", "malformed chunk ext"},
        {"LF only", false, false, UINT64_MAX, "5\nhello", "LF without CR"},
        {"CR alone", false, false, UINT64_MAX, "5\rhello", "CR not followed by LF"},
        {"NUL", false, false, UINT64_MAX, "5\0\r\n", "NUL byte"},
        {"no CRLF after data", false, false, UINT64_MAX, "5\r\nhelloX\r\n", "not followed by CRLF"},
        {"LF after data", false, false, UINT64_MAX, "5\r\nhello\n0\r\n\r\n",
         "not followed by CRLF"},
        {"too large", false, false, UINT64_MAX, "1000001\r\n", "larger than the limit"},
        {"too large with zeros", false, false, UINT64_MAX, "00000000000000001000001\r\n",
         "larger than the limit"},
        {"huge", false, false, UINT64_MAX, "ffffffffffffffffffffffff\r\n", "larger than the limit"},
        {"longer than declared", false, false, 4, "5\r\nhello\r\n0\r\n\r\n",
         "x-amz-decoded-content-length"},
        {"shorter than declared", false, false, 6, "5\r\nhello\r\n0\r\n\r\n",
         "x-amz-decoded-content-length says 6"},
        {"bytes after the end", false, false, UINT64_MAX, "0\r\n\r\nx", "bytes after the end"},
        {"chunk after the end", false, false, UINT64_MAX, "0\r\n\r\n0\r\n\r\n",
         "bytes after the end"},
        {"undeclared trailer", false, false, UINT64_MAX,
         "0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", "declares no trailer"},
        {"trailer without colon", false, true, UINT64_MAX, "0\r\nfoo\r\n\r\n", "not 'name:value'"},
        {"trailer without name", false, true, UINT64_MAX, "0\r\n:v\r\n\r\n", "not 'name:value'"},
        {"trailer name", false, true, UINT64_MAX, "0\r\nx y:v\r\n\r\n", "invalid character"},
        {"trailer control", false, true, UINT64_MAX, "0\r\nx:a\x01\r\n\r\n", "control character"},
        {"duplicate trailer", false, true, UINT64_MAX, "0\r\nx:1\r\nX:2\r\n\r\n",
         "appears more than once"},
        {"signed without extension", true, false, UINT64_MAX, "5\r\nhello\r\n",
         "needs ';chunk-signature='"},
        {"signed other extension", true, false, UINT64_MAX,
         "5;chunk-sig=" SMALL_CHUNK1 "\r\nhello\r\n", "needs ';chunk-signature='"},
        {"signed short signature", true, false, UINT64_MAX, "5;chunk-signature=abc\r\nhello\r\n",
         "64 hex digits"},
        {"signed extra extension", true, false, UINT64_MAX,
         "5;chunk-signature=" SMALL_CHUNK1 ";x=y\r\nhello\r\n", "64 hex digits"},
        {"signed bad trailer signature", true, true, UINT64_MAX,
         "5;chunk-signature=" SMALL_CHUNK1 "\r\nhello\r\n6;chunk-signature=" SMALL_CHUNK2
         "\r\n world\r\n0;chunk-signature=" SMALL_FINAL "\r\nx-amz-trailer-signature:zz\r\n\r\n",
         "not 64 hex digits"},
        {"signed trailer after signature", true, true, UINT64_MAX,
         "5;chunk-signature=" SMALL_CHUNK1 "\r\nhello\r\n6;chunk-signature=" SMALL_CHUNK2
         "\r\n world\r\n0;chunk-signature=" SMALL_FINAL "\r\nx-amz-trailer-signature:" SMALL_FINAL
         "\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n",
         "follows the x-amz-trailer-signature"},
        {"signed trailer gap only", true, true, UINT64_MAX,
         "5;chunk-signature=" SMALL_CHUNK1 "\r\nhello\r\n6;chunk-signature=" SMALL_CHUNK2
         "\r\n world\r\n0;chunk-signature=" SMALL_FINAL "\r\n\r\n",
         "without an 'x-amz-trailer-signature'"},
        {"empty body", false, false, UINT64_MAX, "", "ends before the final chunk"},
        {"ends in data", false, false, UINT64_MAX, "5\r\nhel", "ends inside chunk 0"},
        {"ends in header", false, true, UINT64_MAX, "5\r\nhello\r\n0", "ends inside chunk 1"},
        {"ends in trailers", false, true, UINT64_MAX, "0\r\nx:1\r\n", "ends inside the trailers"},
        {"no final line", false, false, UINT64_MAX, "0\r\n", "without the empty line"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct bad_case *c = &cases[i];
        struct chunked_options o = c->signed_chunks
                                       ? signed_options(AWS_SEED, c->trailer, c->length)
                                       : unsigned_options(c->trailer, c->length);
        size_t len = strcmp(c->name, "NUL") == 0 ? 4 : strlen(c->body);
        int rc = decode_whole(&o, c->body, len, NULL);
        if (rc != ERR_INVALID || !strstr(err_msg(), c->message))
            fail_msg("%s: %d '%s'", c->name, rc, err_msg());
        if (!strstr(err_msg(), "aws-chunked body at offset "))
            fail_msg("%s: no offset in '%s'", c->name, err_msg());
        /* Fed a byte at a time the verdict is the same. */
        struct buf out = BUF_INIT;
        rc = decode_bytewise(&o, c->body, len, &out);
        if (rc != ERR_INVALID || !strstr(err_msg(), c->message))
            fail_msg("%s bytewise: %d '%s'", c->name, rc, err_msg());
        buf_release(&out);
    }

    /* Tolerated: chunk extensions when unsigned, with optional whitespace and quoted values. */
    struct chunked_options o = unsigned_options(false, 5);
    const char *ok = "5;name=value;flag ; q=\"a;b\\\"c\"\r\nhello\r\n0;chunk-signature=abc\r\n\r\n";
    assert_int_equal(decode_whole(&o, ok, strlen(ok), NULL), 0);
}

static void test_limits(void **state)
{
    (void)state;
    struct chunked_options o = unsigned_options(true, UINT64_MAX);
    struct buf body = BUF_INIT;

    /* A chunk header line past the limit (long extensions). */
    buf_adds(&body, "5");
    for (int i = 0; i < CHUNKED_LINE_MAX; i++)
        buf_addch(&body, ';');
    assert_int_equal(decode_whole(&o, body.data, body.len, NULL), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "chunk header line longer than 4096 bytes"));

    /* Exactly at the limit is fine. */
    buf_reset(&body);
    buf_adds(&body, "5;");
    while (body.len < CHUNKED_LINE_MAX)
        buf_addch(&body, 'a');
    buf_adds(&body, "\r\nhello\r\n0\r\n\r\n");
    assert_int_equal(decode_whole(&o, body.data, body.len, NULL), 0);

    /* A trailer line past the limit. */
    buf_reset(&body);
    buf_adds(&body, "0\r\nx:");
    for (int i = 0; i < CHUNKED_LINE_MAX; i++)
        buf_addch(&body, 'v');
    assert_int_equal(decode_whole(&o, body.data, body.len, NULL), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "trailer line longer than"));

    /* Too many trailers. */
    buf_reset(&body);
    buf_adds(&body, "0\r\n");
    for (int i = 0; i <= CHUNKED_TRAILERS_MAX; i++)
        buf_addf(&body, "x-%d:v\r\n", i);
    buf_adds(&body, "\r\n");
    assert_int_equal(decode_whole(&o, body.data, body.len, NULL), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "more than 16 trailers"));

    /* Trailers too long together. */
    buf_reset(&body);
    buf_adds(&body, "0\r\n");
    for (int i = 0; i < 3; i++) {
        buf_addf(&body, "x-%d:", i);
        for (int j = 0; j < 3000; j++)
            buf_addch(&body, 'v');
        buf_adds(&body, "\r\n");
    }
    buf_adds(&body, "\r\n");
    assert_int_equal(decode_whole(&o, body.data, body.len, NULL), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "trailers longer than 8192 bytes"));

    /* The largest chunk is accepted. */
    buf_reset(&body);
    buf_addf(&body, "%x\r\n", CHUNKED_CHUNK_MAX);
    buf_grow(&body, CHUNKED_CHUNK_MAX);
    memset(body.data + body.len, 'z', CHUNKED_CHUNK_MAX);
    buf_setlen(&body, body.len + CHUNKED_CHUNK_MAX);
    buf_adds(&body, "\r\n0\r\n\r\n");
    struct chunked_decoder *d;
    assert_int_equal(chunked_decoder_new(&d, &o, NULL, NULL), 0);
    assert_int_equal(chunked_decoder_feed(d, body.data, body.len), 0);
    assert_int_equal(chunked_decoder_finish(d), 0);
    assert_int_equal(chunked_decoder_decoded_length(d), CHUNKED_CHUNK_MAX);
    chunked_decoder_free(d);
    buf_release(&body);
}

static void test_emit_failure_and_options(void **state)
{
    (void)state;
    struct chunked_options o = unsigned_options(false, UINT64_MAX);
    struct sink s = {.data = BUF_INIT, .fail_after = 3};
    struct chunked_decoder *d;

    assert_int_equal(chunked_decoder_new(&d, &o, sink_emit, &s), 0);
    assert_int_equal(chunked_decoder_feed(d, "5\r\nhe", 5), 0);
    assert_int_equal(chunked_decoder_feed(d, "llo\r\n", 5), ERR_IO);
    assert_string_equal(err_msg(), "disk full");
    assert_int_equal(chunked_decoder_feed(d, "0\r\n\r\n", 5), ERR_IO);
    assert_int_equal(chunked_decoder_finish(d), ERR_IO);
    assert_int_equal(s.calls, 2);
    chunked_decoder_free(d);
    buf_release(&s.data);

    /* Finish twice, feed nothing after. */
    assert_int_equal(chunked_decoder_new(&d, &o, NULL, NULL), 0);
    assert_int_equal(chunked_decoder_feed(d, "0\r\n\r\n", 5), 0);
    assert_int_equal(chunked_decoder_feed(d, "", 0), 0);
    assert_int_equal(chunked_decoder_finish(d), 0);
    assert_int_equal(chunked_decoder_finish(d), 0);
    assert_int_equal(chunked_decoder_feed(d, "x", 1), ERR_INVALID);
    chunked_decoder_free(d);
    chunked_decoder_free(NULL);

    /* Signed needs the seed, date and scope. */
    struct chunked_options bad = signed_options(AWS_SEED, false, UINT64_MAX);
    bad.seed_signature = "abc";
    assert_int_equal(chunked_decoder_new(&d, &bad, NULL, NULL), ERR_INVALID);
    bad.seed_signature = NULL;
    assert_int_equal(chunked_decoder_new(&d, &bad, NULL, NULL), ERR_INVALID);
    bad = signed_options(AWS_SEED, false, UINT64_MAX);
    bad.amz_date = "20130524";
    assert_int_equal(chunked_decoder_new(&d, &bad, NULL, NULL), ERR_INVALID);
    bad = signed_options(AWS_SEED, false, UINT64_MAX);
    bad.scope = "";
    assert_int_equal(chunked_decoder_new(&d, &bad, NULL, NULL), ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_example),  cmocka_unit_test(test_aws_trailer_example),
        cmocka_unit_test(test_small_bodies), cmocka_unit_test(test_trailer_forms),
        cmocka_unit_test(test_tampering),    cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_limits),       cmocka_unit_test(test_emit_failure_and_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
