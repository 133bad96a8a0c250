/*
 * S3 objects (src/services/s3/objects.c, object_copy.c, object_list.c,
 * object_util.c, blob_refs.c): the operations through the operation table
 * with the real authorizer and a real blob store, bodies streamed in as the
 * server streams them and read back from the download descriptor.
 */
#include "base/common.h"
#include "s3_object_fixture.h"

#include <setjmp.h>

#include <cmocka.h>

static int setup(void **state)
{
    struct s3o_fixture *f;
    if (s3o_fixture_open(&f, "s3obj") < 0)
        return -1;
    if (s3o_call(f, "CreateBucket", "{\"Bucket\":\"bkt\"}", NULL) < 0) {
        fprintf(stderr, "CreateBucket: %s\n", err_msg());
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    s3o_fixture_close(*state);
    return 0;
}

static json_t *ok_out(struct s3o_fixture *f, const char *op, const char *params)
{
    json_t *out = NULL;
    if (s3o_call(f, op, params, &out) < 0)
        fail_msg("%s %s: %s %s", op, params, f->code, err_msg());
    return out;
}

static void ok(struct s3o_fixture *f, const char *op, const char *params)
{
    json_decref(ok_out(f, op, params));
}

static void fails(struct s3o_fixture *f, const char *op, const char *params, const char *code)
{
    if (s3o_call(f, op, params, NULL) == 0)
        fail_msg("%s %s succeeded, expected %s", op, params, code);
    if (strcmp(f->code, code) != 0)
        fail_msg("%s %s: expected %s, got %s (%s)", op, params, code, f->code, err_msg());
}

/* PutObject of `data` with extra params (JSON members, may be ""); returns the output. */
static json_t *put(struct s3o_fixture *f, const char *key, const char *data, const char *extra)
{
    json_t *k = json_string(key);
    char *kj = json_dumps(k, JSON_ENCODE_ANY);
    char *params = xasprintf("{\"Bucket\":\"bkt\",\"Key\":%s%s%s}", kj, *extra ? "," : "", extra);
    json_t *out = NULL;
    if (s3o_call_full(f, NULL, "PutObject", params, data, strlen(data), NULL, &out, NULL) < 0)
        fail_msg("PutObject %s: %s %s", params, f->code, err_msg());
    free(params);
    free(kj);
    json_decref(k);
    return out;
}

static void put_ok(struct s3o_fixture *f, const char *key, const char *data)
{
    json_decref(put(f, key, data, ""));
}

/* GetObject with `params`; the body into `body`. */
static json_t *get(struct s3o_fixture *f, const char *params, struct buf *body)
{
    json_t *out = NULL;
    if (s3o_call_full(f, NULL, "GetObject", params, NULL, 0, NULL, &out, body) < 0)
        fail_msg("GetObject %s: %s %s", params, f->code, err_msg());
    return out;
}

static const char *str(const json_t *o, const char *name)
{
    const char *s = json_string_value(json_object_get(o, name));
    return s ? s : "(absent)";
}

static int64_t num(const json_t *o, const char *name)
{
    return json_integer_value(json_object_get(o, name));
}

static void md5_etag(char out[40], const void *data, size_t len)
{
    uint8_t raw[MD5_LEN];
    char hex[2 * MD5_LEN + 1];
    md5(raw, data, len);
    hex_encode(hex, raw, MD5_LEN);
    snprintf(out, 40, "\"%s\"", hex);
}

static void b64(char *out, size_t size, const void *data, size_t len)
{
    struct buf b = BUF_INIT;
    base64_encode(&b, data, len);
    snprintf(out, size, "%s", b.data);
    buf_release(&b);
}

static int64_t blob_refs(struct s3o_fixture *f, const char *digest)
{
    json_t *rec = NULL;
    if (record_get(&rec, NULL, f->s3->st, NULL, S3_KIND_BLOB, S3_SCOPE, digest) < 0)
        return -1;
    int64_t refs = num(rec, "refs");
    json_decref(rec);
    return refs;
}

static void sha256_hex(char out[65], const void *data, size_t len)
{
    uint8_t raw[SHA256_LEN];
    sha256(raw, data, len);
    hex_encode(out, raw, SHA256_LEN);
}

/* ---- PutObject / GetObject / HeadObject ------------------------------------------ */

static void test_put_get_round_trip(void **state)
{
    struct s3o_fixture *f = *state;
    const char *data = "hello, slipway objects";
    json_t *out = put(f, "dir/hello.txt", data,
                      "\"ContentType\":\"text/plain\",\"CacheControl\":\"no-cache\","
                      "\"Metadata\":{\"color\":\"blue\"},\"Tagging\":\"a=1&b=two%20words\"");
    char etag[40];
    md5_etag(etag, data, strlen(data));
    assert_string_equal(str(out, "ETag"), etag);
    /* A bucket that never had versioning answers no version id. */
    assert_null(json_object_get(out, "VersionId"));
    json_decref(out);

    struct buf body = BUF_INIT;
    out = get(f, "{\"Bucket\":\"bkt\",\"Key\":\"dir/hello.txt\"}", &body);
    assert_int_equal(body.len, strlen(data));
    assert_memory_equal(body.data, data, body.len);
    assert_string_equal(str(out, "ETag"), etag);
    assert_string_equal(str(out, "ContentType"), "text/plain");
    assert_string_equal(str(out, "CacheControl"), "no-cache");
    assert_string_equal(str(json_object_get(out, "Metadata"), "color"), "blue");
    assert_int_equal(num(out, "ContentLength"), strlen(data));
    assert_int_equal(num(out, "TagCount"), 2);
    assert_int_equal(num(out, "LastModified"), f->now_ms);
    assert_string_equal(str(out, "AcceptRanges"), "bytes");
    assert_null(json_object_get(out, "ContentRange"));
    json_decref(out);

    out = ok_out(f, "GetObjectTagging", "{\"Bucket\":\"bkt\",\"Key\":\"dir/hello.txt\"}");
    json_t *set = json_object_get(out, "TagSet");
    assert_int_equal(json_array_size(set), 2);
    assert_string_equal(str(json_array_get(set, 1), "Value"), "two words");
    json_decref(out);

    /* HEAD: the same headers, no body. */
    out = ok_out(f, "HeadObject", "{\"Bucket\":\"bkt\",\"Key\":\"dir/hello.txt\"}");
    assert_string_equal(str(out, "ETag"), etag);
    assert_int_equal(num(out, "ContentLength"), strlen(data));
    json_decref(out);

    /* response-* overrides. */
    out = get(f,
              "{\"Bucket\":\"bkt\",\"Key\":\"dir/hello.txt\",\"ResponseContentType\":"
              "\"application/json\",\"ResponseContentDisposition\":\"attachment\"}",
              &body);
    assert_string_equal(str(out, "ContentType"), "application/json");
    assert_string_equal(str(out, "ContentDisposition"), "attachment");
    json_decref(out);

    /* An empty object. */
    json_decref(put(f, "empty", "", ""));
    out = get(f, "{\"Bucket\":\"bkt\",\"Key\":\"empty\"}", &body);
    assert_int_equal(body.len, 0);
    assert_string_equal(str(out, "ETag"), "\"d41d8cd98f00b204e9800998ecf8427e\"");
    assert_string_equal(str(out, "ContentType"), "binary/octet-stream");
    json_decref(out);
    buf_release(&body);

    fails(f, "GetObject", "{\"Bucket\":\"bkt\",\"Key\":\"missing\"}", "NoSuchKey");
    fails(f, "HeadObject", "{\"Bucket\":\"bkt\",\"Key\":\"missing\"}", "NoSuchKey");
    fails(f, "GetObject", "{\"Bucket\":\"nobucket\",\"Key\":\"x\"}", "NoSuchBucket");
    fails(f, "GetObject", "{\"Bucket\":\"bkt\",\"Key\":\"dir/hello.txt\",\"VersionId\":\"bad!\"}",
          "InvalidArgument");
}

static void test_ranges(void **state)
{
    struct s3o_fixture *f = *state;
    put_ok(f, "digits", "0123456789");
    struct buf body = BUF_INIT;
    json_t *out = get(f, "{\"Bucket\":\"bkt\",\"Key\":\"digits\",\"Range\":\"bytes=2-5\"}", &body);
    assert_int_equal(body.len, 4);
    assert_memory_equal(body.data, "2345", 4);
    assert_string_equal(str(out, "ContentRange"), "bytes 2-5/10");
    assert_int_equal(num(out, "ContentLength"), 4);
    json_decref(out);

    out = get(f, "{\"Bucket\":\"bkt\",\"Key\":\"digits\",\"Range\":\"bytes=-3\"}", &body);
    assert_memory_equal(body.data, "789", 3);
    assert_string_equal(str(out, "ContentRange"), "bytes 7-9/10");
    json_decref(out);

    out = get(f, "{\"Bucket\":\"bkt\",\"Key\":\"digits\",\"Range\":\"bytes=8-\"}", &body);
    assert_int_equal(body.len, 2);
    assert_string_equal(str(out, "ContentRange"), "bytes 8-9/10");
    json_decref(out);

    /* Past the end is clipped; a longer suffix is the whole object. */
    out = get(f, "{\"Bucket\":\"bkt\",\"Key\":\"digits\",\"Range\":\"bytes=5-100\"}", &body);
    assert_string_equal(str(out, "ContentRange"), "bytes 5-9/10");
    json_decref(out);
    out = get(f, "{\"Bucket\":\"bkt\",\"Key\":\"digits\",\"Range\":\"bytes=-50\"}", &body);
    assert_string_equal(str(out, "ContentRange"), "bytes 0-9/10");
    assert_int_equal(body.len, 10);
    json_decref(out);

    /* Malformed or multiple ranges: the whole object, as S3 does. */
    out = get(f, "{\"Bucket\":\"bkt\",\"Key\":\"digits\",\"Range\":\"bytes=0-1,4-5\"}", &body);
    assert_null(json_object_get(out, "ContentRange"));
    assert_int_equal(body.len, 10);
    json_decref(out);
    out = get(f, "{\"Bucket\":\"bkt\",\"Key\":\"digits\",\"Range\":\"bytes=5-2\"}", &body);
    assert_int_equal(body.len, 10);
    json_decref(out);

    fails(f, "GetObject", "{\"Bucket\":\"bkt\",\"Key\":\"digits\",\"Range\":\"bytes=10-\"}",
          "InvalidRange");
    assert_int_equal(s3_error_status("InvalidRange"), 416);
    fails(f, "GetObject", "{\"Bucket\":\"bkt\",\"Key\":\"digits\",\"Range\":\"bytes=-0\"}",
          "InvalidRange");
    buf_release(&body);
}

static void test_conditions(void **state)
{
    struct s3o_fixture *f = *state;
    json_t *out = put(f, "cond", "conditional", "");
    char etag[64];
    snprintf(etag, sizeof(etag), "%s", str(out, "ETag"));
    json_decref(out);
    char params[512];
    /* Matching If-Match with or without quotes; a list; '*'. */
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"bkt\",\"Key\":\"cond\",\"IfMatch\":\"\\\"x\\\", %.*s\"}",
             (int)strlen(etag) - 2, etag + 1);
    ok(f, "HeadObject", params);
    ok(f, "HeadObject", "{\"Bucket\":\"bkt\",\"Key\":\"cond\",\"IfMatch\":\"*\"}");
    fails(f, "GetObject", "{\"Bucket\":\"bkt\",\"Key\":\"cond\",\"IfMatch\":\"\\\"nope\\\"\"}",
          "PreconditionFailed");
    assert_int_equal(s3_error_status("PreconditionFailed"), 412);

    char none[512];
    {
        json_t *p =
            json_pack("{s:s, s:s, s:s}", "Bucket", "bkt", "Key", "cond", "IfNoneMatch", etag);
        char *text = json_dumps(p, 0);
        snprintf(none, sizeof(none), "%s", text);
        free(text);
        json_decref(p);
    }
    fails(f, "GetObject", none, "NotModified");
    assert_int_equal(s3_error_status("NotModified"), 304);

    /* Times at second granularity, as HTTP dates carry them. */
    int64_t t = f->now_ms;
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"bkt\",\"Key\":\"cond\",\"IfModifiedSince\":%" PRId64 "}", t);
    fails(f, "GetObject", params, "NotModified");
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"bkt\",\"Key\":\"cond\",\"IfModifiedSince\":%" PRId64 "}", t - 1000);
    ok(f, "HeadObject", params);
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"bkt\",\"Key\":\"cond\",\"IfUnmodifiedSince\":%" PRId64 "}", t - 1000);
    fails(f, "HeadObject", params, "PreconditionFailed");
    /* If-Match true wins over If-Unmodified-Since false (S3's rule). */
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"bkt\",\"Key\":\"cond\",\"IfMatch\":\"*\",\"IfUnmodifiedSince\":%" PRId64
             "}",
             t - 1000);
    ok(f, "HeadObject", params);

    /* Conditional writes. */
    fails(f, "PutObject", "{\"Bucket\":\"bkt\",\"Key\":\"cond\",\"IfNoneMatch\":\"*\"}",
          "PreconditionFailed");
    json_decref(put(f, "fresh", "x", "\"IfNoneMatch\":\"*\""));
    fails(f, "PutObject", "{\"Bucket\":\"bkt\",\"Key\":\"absent\",\"IfMatch\":\"\\\"a\\\"\"}",
          "NoSuchKey");
}

static void test_content_md5(void **state)
{
    struct s3o_fixture *f = *state;
    const char *data = "digest me";
    uint8_t raw[MD5_LEN];
    char good[64], params[256];
    md5(raw, data, strlen(data));
    b64(good, sizeof(good), raw, MD5_LEN);
    snprintf(params, sizeof(params), "\"ContentMD5\":\"%s\"", good);
    json_decref(put(f, "md5ok", data, params));

    /* Malformed: InvalidDigest; well-formed but wrong: BadDigest; nothing stored. */
    assert_int_equal(s3o_call_full(f, NULL, "PutObject",
                                   "{\"Bucket\":\"bkt\",\"Key\":\"md5bad\",\"ContentMD5\":\"abc\"}",
                                   data, strlen(data), NULL, NULL, NULL),
                     ERR_INVALID);
    assert_string_equal(f->code, "InvalidDigest");
    md5(raw, "other", 5);
    b64(good, sizeof(good), raw, MD5_LEN);
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"bkt\",\"Key\":\"md5bad\",\"ContentMD5\":\"%s\"}", good);
    assert_int_equal(
        s3o_call_full(f, NULL, "PutObject", params, data, strlen(data), NULL, NULL, NULL),
        ERR_INVALID);
    assert_string_equal(f->code, "BadDigest");
    assert_string_equal(err_msg(), "The Content-MD5 you specified did not match what we received.");
    fails(f, "HeadObject", "{\"Bucket\":\"bkt\",\"Key\":\"md5bad\"}", "NoSuchKey");
}

static void test_flexible_checksums(void **state)
{
    struct s3o_fixture *f = *state;
    const char *data = "123456789";
    char params[512];
    /* CRC32 of "123456789" is cbf43926: "y/Q5Jg==". */
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"bkt\",\"Key\":\"ck\",\"ChecksumAlgorithm\":\"CRC32\","
             "\"ChecksumCRC32\":\"y/Q5Jg==\"}");
    json_t *out = NULL;
    assert_int_equal(
        s3o_call_full(f, NULL, "PutObject", params, data, strlen(data), "CRC32", &out, NULL), 0);
    assert_string_equal(str(out, "ChecksumCRC32"), "y/Q5Jg==");
    assert_string_equal(str(out, "ChecksumType"), "FULL_OBJECT");
    json_decref(out);

    /* Returned with x-amz-checksum-mode: ENABLED only. */
    struct buf body = BUF_INIT;
    out = get(f, "{\"Bucket\":\"bkt\",\"Key\":\"ck\"}", &body);
    assert_null(json_object_get(out, "ChecksumCRC32"));
    json_decref(out);
    out = get(f, "{\"Bucket\":\"bkt\",\"Key\":\"ck\",\"ChecksumMode\":\"ENABLED\"}", &body);
    assert_string_equal(str(out, "ChecksumCRC32"), "y/Q5Jg==");
    json_decref(out);
    /* Not for a range. */
    out = get(f,
              "{\"Bucket\":\"bkt\",\"Key\":\"ck\",\"ChecksumMode\":\"ENABLED\",\"Range\":"
              "\"bytes=0-1\"}",
              &body);
    assert_null(json_object_get(out, "ChecksumCRC32"));
    json_decref(out);
    buf_release(&body);

    /* The algorithm named without a value: computed and stored (SHA-256 here,
     * computed by the handler from the blob since the "server" hashed none). */
    assert_int_equal(s3o_call_full(f, NULL, "PutObject",
                                   "{\"Bucket\":\"bkt\",\"Key\":\"ck2\",\"ChecksumAlgorithm\":"
                                   "\"SHA256\"}",
                                   data, strlen(data), NULL, &out, NULL),
                     0);
    uint8_t raw[SHA256_LEN];
    char expect[64];
    sha256(raw, data, strlen(data));
    b64(expect, sizeof(expect), raw, SHA256_LEN);
    assert_string_equal(str(out, "ChecksumSHA256"), expect);
    json_decref(out);

    /* Mismatch, malformed, several at once, unknown to slipway. */
    assert_int_equal(s3o_call_full(f, NULL, "PutObject",
                                   "{\"Bucket\":\"bkt\",\"Key\":\"ck3\",\"ChecksumCRC32\":"
                                   "\"AAAAAA==\"}",
                                   data, strlen(data), "CRC32", NULL, NULL),
                     ERR_INVALID);
    assert_string_equal(f->code, "BadDigest");
    assert_string_equal(err_msg(),
                        "The CRC32 you specified did not match the calculated checksum.");
    assert_int_equal(
        s3o_call_full(f, NULL, "PutObject",
                      "{\"Bucket\":\"bkt\",\"Key\":\"ck3\",\"ChecksumCRC32C\":\"AA==\"}", data,
                      strlen(data), "CRC32C", NULL, NULL),
        ERR_INVALID);
    assert_string_equal(f->code, "InvalidRequest");
    assert_string_equal(err_msg(), "Value for x-amz-checksum-crc32c header is invalid.");
    assert_int_equal(
        s3o_call_full(f, NULL, "PutObject",
                      "{\"Bucket\":\"bkt\",\"Key\":\"ck3\",\"ChecksumCRC32\":"
                      "\"y/Q5Jg==\",\"ChecksumSHA1\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
                      data, strlen(data), "CRC32", NULL, NULL),
        ERR_INVALID);
    assert_string_equal(f->code, "InvalidRequest");
    assert_int_equal(s3o_call_full(f, NULL, "PutObject",
                                   "{\"Bucket\":\"bkt\",\"Key\":\"ck3\",\"ChecksumAlgorithm\":"
                                   "\"SHA256\",\"ChecksumCRC32\":\"y/Q5Jg==\"}",
                                   data, strlen(data), "CRC32", NULL, NULL),
                     ERR_INVALID);
    assert_string_equal(f->code, "InvalidRequest");
    fails(f, "HeadObject", "{\"Bucket\":\"bkt\",\"Key\":\"ck3\"}", "NoSuchKey");
}

static void test_keys(void **state)
{
    struct s3o_fixture *f = *state;
    /* Dot segments and doubled slashes are ordinary, distinct keys. */
    put_ok(f, "a/../b", "dots");
    put_ok(f, "a//b", "slashes");
    put_ok(f, "a/b", "plain");
    put_ok(f, "./x", "dot");
    struct buf body = BUF_INIT;
    json_decref(get(f, "{\"Bucket\":\"bkt\",\"Key\":\"a/../b\"}", &body));
    assert_memory_equal(body.data, "dots", 4);
    json_decref(get(f, "{\"Bucket\":\"bkt\",\"Key\":\"a//b\"}", &body));
    assert_memory_equal(body.data, "slashes", 7);
    buf_release(&body);
    /* A key climbing out of the bucket is refused, as AWS refuses it. */
    fails(f, "PutObject", "{\"Bucket\":\"bkt\",\"Key\":\"../x\"}", "InvalidURI");
    fails(f, "PutObject", "{\"Bucket\":\"bkt\",\"Key\":\"a/../../x\"}", "InvalidURI");
    /* 1024 bytes is the limit. */
    char key[1100];
    memset(key, 'k', sizeof(key));
    key[1024] = '\0';
    put_ok(f, key, "long");
    key[1024] = 'k';
    key[1025] = '\0';
    char *params = xasprintf("{\"Bucket\":\"bkt\",\"Key\":\"%s\"}", key);
    fails(f, "PutObject", params, "KeyTooLongError");
    free(params);
    /* Bytes that are not UTF-8 (in-process only: the decoder refuses them). */
    struct api_call call = {.service = model_service_find("s3")};
    assert_int_equal(s3_key_check(&call, "a\xff", 2), ERR_INVALID);
    assert_string_equal(call.error_code, "InvalidURI");
}

/* ---- versioning and deletes ------------------------------------------------------- */

static void versioning(struct s3o_fixture *f, const char *status)
{
    char params[256];
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"bkt\",\"VersioningConfiguration\":{\"Status\":\"%s\"}}", status);
    ok(f, "PutBucketVersioning", params);
}

static void test_unversioned_delete(void **state)
{
    struct s3o_fixture *f = *state;
    put_ok(f, "gone", "bytes to drop");
    char digest[65];
    sha256_hex(digest, "bytes to drop", 13);
    assert_int_equal(blob_refs(f, digest), 1);
    json_t *out = ok_out(f, "DeleteObject", "{\"Bucket\":\"bkt\",\"Key\":\"gone\"}");
    assert_null(json_object_get(out, "DeleteMarker"));
    json_decref(out);
    assert_int_equal(blob_refs(f, digest), 0);
    fails(f, "GetObject", "{\"Bucket\":\"bkt\",\"Key\":\"gone\"}", "NoSuchKey");
    /* Deleting what is not there succeeds, as on S3. */
    ok(f, "DeleteObject", "{\"Bucket\":\"bkt\",\"Key\":\"gone\"}");
    /* An overwrite drops the old bytes' reference. */
    put_ok(f, "over", "first");
    put_ok(f, "over", "second");
    char d1[65], d2[65];
    sha256_hex(d1, "first", 5);
    sha256_hex(d2, "second", 6);
    assert_int_equal(blob_refs(f, d1), 0);
    assert_int_equal(blob_refs(f, d2), 1);
}

static void test_versions_and_markers(void **state)
{
    struct s3o_fixture *f = *state;
    versioning(f, "Enabled");
    char ids[3][64];
    for (int i = 0; i < 3; i++) {
        char data[16];
        snprintf(data, sizeof(data), "version %d", i);
        f->now_ms += 1000;
        json_t *out = put(f, "doc", data, "");
        snprintf(ids[i], sizeof(ids[i]), "%s", str(out, "VersionId"));
        assert_int_equal(strlen(ids[i]), S3_VERSION_ID_LEN);
        json_decref(out);
    }
    struct buf body = BUF_INIT;
    json_t *out = get(f, "{\"Bucket\":\"bkt\",\"Key\":\"doc\"}", &body);
    assert_memory_equal(body.data, "version 2", 9);
    assert_string_equal(str(out, "VersionId"), ids[2]);
    json_decref(out);
    char params[256];
    snprintf(params, sizeof(params), "{\"Bucket\":\"bkt\",\"Key\":\"doc\",\"VersionId\":\"%s\"}",
             ids[0]);
    out = get(f, params, &body);
    assert_memory_equal(body.data, "version 0", 9);
    json_decref(out);

    /* Newest first; IsLatest on the current one. */
    out = ok_out(f, "ListObjectVersions", "{\"Bucket\":\"bkt\",\"Prefix\":\"doc\"}");
    json_t *vs = json_object_get(out, "Versions");
    assert_int_equal(json_array_size(vs), 3);
    assert_string_equal(str(json_array_get(vs, 0), "VersionId"), ids[2]);
    assert_true(json_is_true(json_object_get(json_array_get(vs, 0), "IsLatest")));
    assert_string_equal(str(json_array_get(vs, 2), "VersionId"), ids[0]);
    assert_false(json_is_true(json_object_get(json_array_get(vs, 2), "IsLatest")));
    json_decref(out);

    /* A delete makes a marker; the key reads as gone. */
    f->now_ms += 1000;
    out = ok_out(f, "DeleteObject", "{\"Bucket\":\"bkt\",\"Key\":\"doc\"}");
    assert_true(json_is_true(json_object_get(out, "DeleteMarker")));
    char marker[64];
    snprintf(marker, sizeof(marker), "%s", str(out, "VersionId"));
    json_decref(out);
    fails(f, "GetObject", "{\"Bucket\":\"bkt\",\"Key\":\"doc\"}", "NoSuchKey");
    snprintf(params, sizeof(params), "{\"Bucket\":\"bkt\",\"Key\":\"doc\",\"VersionId\":\"%s\"}",
             marker);
    fails(f, "GetObject", params, "MethodNotAllowed");
    assert_int_equal(s3_error_status("MethodNotAllowed"), 405);
    fails(f, "GetObject",
          "{\"Bucket\":\"bkt\",\"Key\":\"doc\",\"VersionId\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
          "NoSuchVersion");

    /* ListObjects hides it; ListObjectVersions shows the marker as latest. */
    out = ok_out(f, "ListObjectsV2", "{\"Bucket\":\"bkt\",\"Prefix\":\"doc\"}");
    assert_int_equal(num(out, "KeyCount"), 0);
    json_decref(out);
    out = ok_out(f, "ListObjectVersions", "{\"Bucket\":\"bkt\",\"Prefix\":\"doc\"}");
    json_t *dm = json_object_get(out, "DeleteMarkers");
    assert_int_equal(json_array_size(dm), 1);
    assert_string_equal(str(json_array_get(dm, 0), "VersionId"), marker);
    assert_true(json_is_true(json_object_get(json_array_get(dm, 0), "IsLatest")));
    json_decref(out);

    /* Removing the marker by id brings the object back. */
    out = ok_out(f, "DeleteObject", params);
    assert_true(json_is_true(json_object_get(out, "DeleteMarker")));
    assert_string_equal(str(out, "VersionId"), marker);
    json_decref(out);
    out = get(f, "{\"Bucket\":\"bkt\",\"Key\":\"doc\"}", &body);
    assert_memory_equal(body.data, "version 2", 9);
    json_decref(out);

    /* Deleting a version for good drops its blob reference. */
    char d0[65];
    sha256_hex(d0, "version 0", 9);
    assert_int_equal(blob_refs(f, d0), 1);
    snprintf(params, sizeof(params), "{\"Bucket\":\"bkt\",\"Key\":\"doc\",\"VersionId\":\"%s\"}",
             ids[0]);
    ok(f, "DeleteObject", params);
    assert_int_equal(blob_refs(f, d0), 0);
    fails(f, "GetObject", params, "NoSuchVersion");

    /* Suspended: writes are "null" versions that replace each other. */
    versioning(f, "Suspended");
    put_ok(f, "doc", "null one");
    put_ok(f, "doc", "null two");
    out = ok_out(f, "ListObjectVersions", "{\"Bucket\":\"bkt\",\"Prefix\":\"doc\"}");
    vs = json_object_get(out, "Versions");
    assert_int_equal(json_array_size(vs), 3);
    assert_string_equal(str(json_array_get(vs, 0), "VersionId"), "null");
    assert_string_equal(str(json_array_get(vs, 1), "VersionId"), ids[2]);
    json_decref(out);
    out = get(f, "{\"Bucket\":\"bkt\",\"Key\":\"doc\"}", &body);
    assert_string_equal(str(out, "VersionId"), "null");
    assert_memory_equal(body.data, "null two", 8);
    json_decref(out);
    /* A delete now puts a "null" marker in place of the "null" version. */
    out = ok_out(f, "DeleteObject", "{\"Bucket\":\"bkt\",\"Key\":\"doc\"}");
    assert_string_equal(str(out, "VersionId"), "null");
    json_decref(out);
    out = ok_out(f, "ListObjectVersions", "{\"Bucket\":\"bkt\",\"Prefix\":\"doc\"}");
    assert_int_equal(json_array_size(json_object_get(out, "Versions")), 2);
    assert_int_equal(json_array_size(json_object_get(out, "DeleteMarkers")), 1);
    json_decref(out);
    buf_release(&body);
}

static void test_version_limit(void **state)
{
    struct s3o_fixture *f = *state;
    json_t *bucket = json_pack("{s:s}", "Versioning", "Enabled");
    json_t *rec = json_pack("{s:[]}", "Versions");
    json_t *removed = json_array();
    struct api_call call = {.service = model_service_find("s3")};
    for (int i = 0; i < S3_VERSIONS_MAX; i++) {
        json_t *marker = json_pack("{s:b}", "DeleteMarker", 1);
        assert_int_equal(s3_object_add_version(&call, rec, marker, bucket, removed), 0);
        json_decref(marker);
    }
    json_t *one = json_object();
    assert_int_equal(s3_object_add_version(&call, rec, one, bucket, removed), ERR_LIMIT);
    assert_string_equal(call.error_code, "SlowDown");
    assert_int_equal(s3_error_status("SlowDown"), 503);
    json_decref(one);
    json_decref(rec);
    json_decref(removed);
    json_decref(bucket);
    (void)f;
}

static void test_delete_objects(void **state)
{
    struct s3o_fixture *f = *state;
    put_ok(f, "d1", "1");
    put_ok(f, "d2", "2");
    json_t *out =
        ok_out(f, "DeleteObjects",
               "{\"Bucket\":\"bkt\",\"Delete\":{\"Objects\":[{\"Key\":\"d1\"},{\"Key\":\"d2\"},"
               "{\"Key\":\"never\"},{\"Key\":\"d1\",\"VersionId\":\"bad\"}]}}");
    json_t *deleted = json_object_get(out, "Deleted");
    assert_int_equal(json_array_size(deleted), 3);
    assert_string_equal(str(json_array_get(deleted, 2), "Key"), "never");
    json_t *errors = json_object_get(out, "Errors");
    assert_int_equal(json_array_size(errors), 1);
    assert_string_equal(str(json_array_get(errors, 0), "Code"), "NoSuchVersion");
    json_decref(out);
    fails(f, "HeadObject", "{\"Bucket\":\"bkt\",\"Key\":\"d1\"}", "NoSuchKey");

    /* Quiet: only errors. */
    put_ok(f, "d3", "3");
    out = ok_out(f, "DeleteObjects",
                 "{\"Bucket\":\"bkt\",\"Delete\":{\"Quiet\":true,\"Objects\":[{\"Key\":\"d3\"}]}}");
    assert_null(json_object_get(out, "Deleted"));
    assert_null(json_object_get(out, "Errors"));
    json_decref(out);

    /* Versioned: markers reported with their ids. */
    versioning(f, "Enabled");
    put_ok(f, "d4", "4");
    out = ok_out(f, "DeleteObjects",
                 "{\"Bucket\":\"bkt\",\"Delete\":{\"Objects\":[{\"Key\":\"d4\"}]}}");
    json_t *d = json_array_get(json_object_get(out, "Deleted"), 0);
    assert_true(json_is_true(json_object_get(d, "DeleteMarker")));
    assert_int_equal(strlen(str(d, "DeleteMarkerVersionId")), S3_VERSION_ID_LEN);
    json_decref(out);

    fails(f, "DeleteObjects", "{\"Bucket\":\"bkt\",\"Delete\":{\"Objects\":[]}}", "MalformedXML");
}

/* ---- tags ----------------------------------------------------------------------------- */

static void test_tagging(void **state)
{
    struct s3o_fixture *f = *state;
    put_ok(f, "t", "tagged");
    ok(f, "PutObjectTagging",
       "{\"Bucket\":\"bkt\",\"Key\":\"t\",\"Tagging\":{\"TagSet\":[{\"Key\":\"env\",\"Value\":"
       "\"prod\"}]}}");
    json_t *out = ok_out(f, "GetObjectTagging", "{\"Bucket\":\"bkt\",\"Key\":\"t\"}");
    json_t *set = json_object_get(out, "TagSet");
    assert_int_equal(json_array_size(set), 1);
    assert_string_equal(str(json_array_get(set, 0), "Key"), "env");
    json_decref(out);
    ok(f, "DeleteObjectTagging", "{\"Bucket\":\"bkt\",\"Key\":\"t\"}");
    out = ok_out(f, "GetObjectTagging", "{\"Bucket\":\"bkt\",\"Key\":\"t\"}");
    assert_int_equal(json_array_size(json_object_get(out, "TagSet")), 0);
    json_decref(out);

    fails(f, "PutObjectTagging",
          "{\"Bucket\":\"bkt\",\"Key\":\"t\",\"Tagging\":{\"TagSet\":[{\"Key\":\"a\",\"Value\":"
          "\"1\"},{\"Key\":\"a\",\"Value\":\"2\"}]}}",
          "InvalidTag");
    /* Eleven tags in the header. */
    fails(f, "PutObject",
          "{\"Bucket\":\"bkt\",\"Key\":\"t2\",\"Tagging\":\"a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&"
          "j=10&k=11\"}",
          "BadRequest");
    fails(f, "PutObject", "{\"Bucket\":\"bkt\",\"Key\":\"t2\",\"Tagging\":\"a=1&a=2\"}",
          "InvalidTag");
    fails(f, "PutObject", "{\"Bucket\":\"bkt\",\"Key\":\"t2\",\"Tagging\":\"a=%zz\"}",
          "InvalidArgument");
    fails(f, "GetObjectTagging", "{\"Bucket\":\"bkt\",\"Key\":\"none\"}", "NoSuchKey");
}

/* ---- CopyObject ------------------------------------------------------------------------ */

static void test_copy(void **state)
{
    struct s3o_fixture *f = *state;
    json_t *src =
        put(f, "src key+1", "copy me", "\"ContentType\":\"text/x-src\",\"Metadata\":{\"m\":\"1\"}");
    char etag[64];
    snprintf(etag, sizeof(etag), "%s", str(src, "ETag"));
    json_decref(src);
    /* URL-encoded source, leading slash optional. */
    json_t *out =
        ok_out(f, "CopyObject",
               "{\"Bucket\":\"bkt\",\"Key\":\"dst\",\"CopySource\":\"bkt/src%20key%2B1\"}");
    assert_string_equal(str(json_object_get(out, "CopyObjectResult"), "ETag"), etag);
    json_decref(out);
    struct buf body = BUF_INIT;
    out = get(f, "{\"Bucket\":\"bkt\",\"Key\":\"dst\"}", &body);
    assert_memory_equal(body.data, "copy me", 7);
    assert_string_equal(str(out, "ContentType"), "text/x-src");
    assert_string_equal(str(json_object_get(out, "Metadata"), "m"), "1");
    json_decref(out);
    /* Same bytes, same blob: two references. */
    char digest[65];
    sha256_hex(digest, "copy me", 7);
    assert_int_equal(blob_refs(f, digest), 2);

    /* REPLACE takes the request's metadata. */
    ok(f, "CopyObject",
       "{\"Bucket\":\"bkt\",\"Key\":\"dst2\",\"CopySource\":\"/bkt/src%20key%2B1\","
       "\"MetadataDirective\":\"REPLACE\",\"ContentType\":\"text/new\",\"Metadata\":{\"n\":\"2\"}}");
    out = ok_out(f, "HeadObject", "{\"Bucket\":\"bkt\",\"Key\":\"dst2\"}");
    assert_string_equal(str(out, "ContentType"), "text/new");
    assert_null(json_object_get(json_object_get(out, "Metadata"), "m"));
    json_decref(out);

    /* Onto itself without a change: refused; with REPLACE: allowed. */
    fails(f, "CopyObject", "{\"Bucket\":\"bkt\",\"Key\":\"dst\",\"CopySource\":\"bkt/dst\"}",
          "InvalidRequest");
    assert_true(strstr(err_msg(),
                       "This copy request is illegal because it is trying to copy an "
                       "object to itself without changing the object's metadata") != NULL);
    ok(f, "CopyObject",
       "{\"Bucket\":\"bkt\",\"Key\":\"dst\",\"CopySource\":\"bkt/dst\",\"MetadataDirective\":"
       "\"REPLACE\"}");

    /* Conditions on the source are 412s. */
    fails(f, "CopyObject",
          "{\"Bucket\":\"bkt\",\"Key\":\"dst3\",\"CopySource\":\"bkt/dst\",\"CopySourceIfMatch\":"
          "\"\\\"nope\\\"\"}",
          "PreconditionFailed");
    char params[512];
    {
        json_t *p = json_pack("{s:s, s:s, s:s, s:s}", "Bucket", "bkt", "Key", "dst3", "CopySource",
                              "bkt/dst", "CopySourceIfNoneMatch", etag);
        char *text = json_dumps(p, 0);
        snprintf(params, sizeof(params), "%s", text);
        free(text);
        json_decref(p);
    }
    fails(f, "CopyObject", params, "PreconditionFailed");
    fails(f, "CopyObject", "{\"Bucket\":\"bkt\",\"Key\":\"x\",\"CopySource\":\"bkt/missing\"}",
          "NoSuchKey");
    fails(f, "CopyObject", "{\"Bucket\":\"bkt\",\"Key\":\"x\",\"CopySource\":\"nob/k\"}",
          "NoSuchBucket");
    fails(f, "CopyObject", "{\"Bucket\":\"bkt\",\"Key\":\"x\",\"CopySource\":\"bkt\"}",
          "InvalidArgument");

    /* A version by id: restores an older version onto the same key. */
    versioning(f, "Enabled");
    json_t *v1 = put(f, "hist", "old", "");
    json_decref(put(f, "hist", "new", ""));
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"bkt\",\"Key\":\"hist\",\"CopySource\":\"bkt/hist?versionId=%s\"}",
             str(v1, "VersionId"));
    out = ok_out(f, "CopyObject", params);
    assert_string_equal(str(out, "CopySourceVersionId"), str(v1, "VersionId"));
    assert_int_equal(strlen(str(out, "VersionId")), S3_VERSION_ID_LEN);
    json_decref(out);
    json_decref(v1);
    json_decref(get(f, "{\"Bucket\":\"bkt\",\"Key\":\"hist\"}", &body));
    assert_memory_equal(body.data, "old", 3);
    buf_release(&body);
}

/* ---- listings ---------------------------------------------------------------------------- */

/* Keys of a ListObjects(V2) page, then the common prefixes, space-separated. */
static void page_text(char *out, size_t size, const json_t *page)
{
    struct buf b = BUF_INIT;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(page, "Contents"), i, v) buf_addf(&b, "%s ", str(v, "Key"));
    buf_adds(&b, "|");
    json_array_foreach(json_object_get(page, "CommonPrefixes"), i, v)
        buf_addf(&b, " %s", str(v, "Prefix"));
    snprintf(out, size, "%s", b.data);
    buf_release(&b);
}

static void test_list_v2_delimiter_pages(void **state)
{
    struct s3o_fixture *f = *state;
    static const char *const keys[] = {"a/1", "a/2", "a/3", "b", "c/x/1", "c/y", "d", "e/1"};
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        put_ok(f, keys[i], "k");
    char text[512];

    /* Pages of two with a delimiter: prefixes count towards MaxKeys. */
    const char *expect[] = {"b | a/", "d | c/", "| e/"};
    char *token = NULL;
    for (int page = 0; page < 3; page++) {
        char *params = token ? xasprintf("{\"Bucket\":\"bkt\",\"Delimiter\":\"/\",\"MaxKeys\":2,"
                                         "\"ContinuationToken\":\"%s\"}",
                                         token)
                             : xstrdup("{\"Bucket\":\"bkt\",\"Delimiter\":\"/\",\"MaxKeys\":2}");
        json_t *out = ok_out(f, "ListObjectsV2", params);
        free(params);
        page_text(text, sizeof(text), out);
        assert_string_equal(text, expect[page]);
        assert_int_equal(num(out, "KeyCount"), page < 2 ? 2 : 1);
        assert_int_equal(json_is_true(json_object_get(out, "IsTruncated")), page < 2);
        free(token);
        token = json_object_get(out, "NextContinuationToken")
                    ? xstrdup(str(out, "NextContinuationToken"))
                    : NULL;
        json_decref(out);
    }
    assert_null(token);

    /* Prefix and delimiter inside a "directory". */
    json_t *out =
        ok_out(f, "ListObjectsV2", "{\"Bucket\":\"bkt\",\"Prefix\":\"c/\",\"Delimiter\":\"/\"}");
    page_text(text, sizeof(text), out);
    assert_string_equal(text, "c/y | c/x/");
    json_decref(out);

    /* StartAfter, MaxKeys capped, FetchOwner. */
    out =
        ok_out(f, "ListObjectsV2",
               "{\"Bucket\":\"bkt\",\"StartAfter\":\"c/y\",\"MaxKeys\":5000,\"FetchOwner\":true}");
    page_text(text, sizeof(text), out);
    assert_string_equal(text, "d e/1 |");
    assert_int_equal(num(out, "MaxKeys"), 1000);
    assert_string_equal(
        str(json_object_get(json_array_get(json_object_get(out, "Contents"), 0), "Owner"),
            "DisplayName"),
        S3F_ACCOUNT);
    json_decref(out);

    /* A token altered, or used for another listing, is refused. */
    out = ok_out(f, "ListObjectsV2", "{\"Bucket\":\"bkt\",\"MaxKeys\":1}");
    char *good = xstrdup(str(out, "NextContinuationToken"));
    json_decref(out);
    char *params =
        xasprintf("{\"Bucket\":\"bkt\",\"Prefix\":\"a\",\"ContinuationToken\":\"%s\"}", good);
    fails(f, "ListObjectsV2", params, "InvalidArgument");
    free(params);
    params = xasprintf("{\"Bucket\":\"bkt\",\"ContinuationToken\":\"x%s\"}", good);
    fails(f, "ListObjectsV2", params, "InvalidArgument");
    free(params);
    free(good);

    /* MaxKeys 0: nothing, not truncated per the count. */
    out = ok_out(f, "ListObjectsV2", "{\"Bucket\":\"bkt\",\"MaxKeys\":0}");
    assert_int_equal(num(out, "KeyCount"), 0);
    json_decref(out);
}

static void test_list_encoding_and_v1(void **state)
{
    struct s3o_fixture *f = *state;
    put_ok(f, "sp ace+plus", "1");
    put_ok(f, "x/1", "1");
    put_ok(f, "x/2", "1");
    put_ok(f, "y", "1");
    json_t *out = ok_out(f, "ListObjectsV2", "{\"Bucket\":\"bkt\",\"EncodingType\":\"url\"}");
    json_t *first = json_array_get(json_object_get(out, "Contents"), 0);
    assert_string_equal(str(first, "Key"), "sp%20ace%2Bplus");
    assert_string_equal(str(out, "EncodingType"), "url");
    json_decref(out);

    /* v1: NextMarker only with a delimiter; a prefix marker skips its keys. */
    out = ok_out(f, "ListObjects", "{\"Bucket\":\"bkt\",\"MaxKeys\":2}");
    assert_true(json_is_true(json_object_get(out, "IsTruncated")));
    assert_null(json_object_get(out, "NextMarker"));
    assert_string_equal(str(json_array_get(json_object_get(out, "Contents"), 1), "Key"), "x/1");
    json_decref(out);
    out = ok_out(f, "ListObjects", "{\"Bucket\":\"bkt\",\"Marker\":\"x/1\"}");
    char text[256];
    page_text(text, sizeof(text), out);
    assert_string_equal(text, "x/2 y |");
    json_decref(out);
    out = ok_out(f, "ListObjects", "{\"Bucket\":\"bkt\",\"Delimiter\":\"/\",\"MaxKeys\":2}");
    page_text(text, sizeof(text), out);
    assert_string_equal(text, "sp ace+plus | x/");
    assert_string_equal(str(out, "NextMarker"), "x/");
    json_decref(out);
    out = ok_out(f, "ListObjects", "{\"Bucket\":\"bkt\",\"Delimiter\":\"/\",\"Marker\":\"x/\"}");
    page_text(text, sizeof(text), out);
    assert_string_equal(text, "y |");
    json_decref(out);

    /* A prefix whose keys are all deleted is not listed. */
    versioning(f, "Enabled");
    ok(f, "DeleteObject", "{\"Bucket\":\"bkt\",\"Key\":\"x/1\"}");
    ok(f, "DeleteObject", "{\"Bucket\":\"bkt\",\"Key\":\"x/2\"}");
    out = ok_out(f, "ListObjectsV2", "{\"Bucket\":\"bkt\",\"Delimiter\":\"/\"}");
    page_text(text, sizeof(text), out);
    assert_string_equal(text, "sp ace+plus y |");
    json_decref(out);
    out = ok_out(f, "ListObjectVersions", "{\"Bucket\":\"bkt\",\"Delimiter\":\"/\"}");
    assert_string_equal(str(json_array_get(json_object_get(out, "CommonPrefixes"), 0), "Prefix"),
                        "x/");
    json_decref(out);
}

static void test_list_versions_pages(void **state)
{
    struct s3o_fixture *f = *state;
    versioning(f, "Enabled");
    for (int i = 0; i < 3; i++)
        put_ok(f, "k1", "v");
    put_ok(f, "k2", "v");
    ok(f, "DeleteObject", "{\"Bucket\":\"bkt\",\"Key\":\"k2\"}");
    /* Five entries in pages of two, resuming inside a key. */
    int seen = 0, pages = 0;
    char *key_marker = NULL, *vid_marker = NULL;
    for (;;) {
        char *params = key_marker
                           ? xasprintf("{\"Bucket\":\"bkt\",\"MaxKeys\":2,\"KeyMarker\":\"%s\","
                                       "\"VersionIdMarker\":\"%s\"}",
                                       key_marker, vid_marker)
                           : xstrdup("{\"Bucket\":\"bkt\",\"MaxKeys\":2}");
        json_t *out = ok_out(f, "ListObjectVersions", params);
        free(params);
        seen += (int)json_array_size(json_object_get(out, "Versions")) +
                (int)json_array_size(json_object_get(out, "DeleteMarkers"));
        pages++;
        free(key_marker);
        free(vid_marker);
        key_marker = vid_marker = NULL;
        if (json_is_true(json_object_get(out, "IsTruncated"))) {
            key_marker = xstrdup(str(out, "NextKeyMarker"));
            vid_marker = xstrdup(str(out, "NextVersionIdMarker"));
        }
        json_decref(out);
        if (!key_marker)
            break;
    }
    assert_int_equal(seen, 5);
    assert_int_equal(pages, 3);
    /* All in one page: k1's three versions, k2's version and its marker. */
    json_t *all = ok_out(f, "ListObjectVersions", "{\"Bucket\":\"bkt\"}");
    assert_int_equal(json_array_size(json_object_get(all, "Versions")), 4);
    assert_int_equal(json_array_size(json_object_get(all, "DeleteMarkers")), 1);
    assert_string_equal(str(json_array_get(json_object_get(all, "Versions"), 3), "Key"), "k2");
    assert_false(json_is_true(json_object_get(all, "IsTruncated")));
    json_decref(all);
    fails(f, "ListObjectVersions",
          "{\"Bucket\":\"bkt\",\"VersionIdMarker\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
          "InvalidArgument");
}

/* ---- blobs ------------------------------------------------------------------------------------
 */

static void test_blob_gc(void **state)
{
    struct s3o_fixture *f = *state;
    put_ok(f, "garbage", "collect these bytes");
    char digest[65];
    sha256_hex(digest, "collect these bytes", 19);
    ok(f, "DeleteObject", "{\"Bucket\":\"bkt\",\"Key\":\"garbage\"}");
    assert_int_equal(blob_refs(f, digest), 0);
    bool exists = false;
    assert_int_equal(blob_store_exists(&exists, f->blobs, digest), 0);
    assert_true(exists);

    struct s3_context ctx = {.store = f->s3->st, .blobs = f->blobs};
    /* Within the grace period the blob stays. */
    assert_int_equal(s3_blob_gc_task(&ctx, clock_now_ms()), 0);
    assert_int_equal(blob_store_exists(&exists, f->blobs, digest), 0);
    assert_true(exists);
    /* After it, it goes, and its records with it. */
    assert_int_equal(s3_blob_gc_task(&ctx, clock_now_ms() + 3600 * 1000), 0);
    assert_int_equal(blob_store_exists(&exists, f->blobs, digest), 0);
    assert_false(exists);
    assert_int_equal(blob_refs(f, digest), -1);

    /* A blob referenced again before collection is kept. */
    put_ok(f, "kept", "keep me");
    ok(f, "DeleteObject", "{\"Bucket\":\"bkt\",\"Key\":\"kept\"}");
    put_ok(f, "kept2", "keep me");
    sha256_hex(digest, "keep me", 7);
    assert_int_equal(s3_blob_gc_task(&ctx, clock_now_ms() + 3600 * 1000), 0);
    assert_int_equal(blob_store_exists(&exists, f->blobs, digest), 0);
    assert_true(exists);
    assert_int_equal(blob_refs(f, digest), 1);

    /* The race of store/blob.h: a reference to bytes collected meanwhile
     * fails with a retryable 503 and records nothing. */
    char gone[65];
    sha256_hex(gone, "never stored", 12);
    struct api_call call = {
        .service = model_service_find("s3"), .store = f->s3->st, .blobs = f->blobs};
    struct store_tx *tx = NULL;
    assert_int_equal(store_tx_begin(&tx, f->s3->st), 0);
    assert_int_equal(s3_blob_hold(&call, tx, gone), ERR_CONFLICT);
    assert_string_equal(call.error_code, "ServiceUnavailable");
    assert_int_equal(s3_error_status("ServiceUnavailable"), 503);
    store_tx_rollback(tx);
    assert_int_equal(blob_refs(f, gone), -1);
}

static void test_events(void **state)
{
    struct s3o_fixture *f = *state;
    ok(f, "PutBucketNotificationConfiguration",
       "{\"Bucket\":\"bkt\",\"NotificationConfiguration\":{\"EventBridgeConfiguration\":{}}}");
    put_ok(f, "ev", "event");
    ok(f, "CopyObject", "{\"Bucket\":\"bkt\",\"Key\":\"ev2\",\"CopySource\":\"bkt/ev\"}");
    ok(f, "DeleteObject", "{\"Bucket\":\"bkt\",\"Key\":\"ev\"}");
    struct store_event_batch batch = {0};
    assert_int_equal(store_outbox_fetch(&batch, f->s3->st, NULL, 0, 0), 0);
    const char *expect[][2] = {{"Object Created", "PutObject"},
                               {"Object Created", "CopyObject"},
                               {"Object Deleted", "DeleteObject"}};
    size_t found = 0;
    for (size_t i = 0; i < batch.len; i++) {
        json_t *ev = json_loads(batch.items[i].body, 0, NULL);
        const char *type = str(ev, "detail-type");
        if (found < 3 && strcmp(type, expect[found][0]) == 0 &&
            strcmp(str(json_object_get(ev, "detail"), "reason"), expect[found][1]) == 0)
            found++;
        json_decref(ev);
    }
    store_event_batch_release(&batch);
    assert_int_equal(found, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conditions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_content_md5, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flexible_checksums, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unversioned_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versions_and_markers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tagging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_v2_delimiter_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_encoding_and_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_versions_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blob_gc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
