/*
 * S3 multipart uploads (src/services/s3/multipart.c): parts streamed in as
 * the server streams them, completion checks, the md5-of-md5s ETag, the
 * composite and full-object checksums, UploadPartCopy, listings, and that
 * a failed completion leaves the upload as it was.
 */
#include "base/common.h"
#include "s3_object_fixture.h"

#include <setjmp.h>

#include <cmocka.h>

#define MIB (1024 * 1024)

static int setup(void **state)
{
    struct s3o_fixture *f;
    if (s3o_fixture_open(&f, "s3mpu") < 0)
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

static const char *str(const json_t *o, const char *name)
{
    const char *s = json_string_value(json_object_get(o, name));
    return s ? s : "(absent)";
}

static json_t *ok_out(struct s3o_fixture *f, const char *op, const char *params)
{
    json_t *out = NULL;
    if (s3o_call(f, op, params, &out) < 0)
        fail_msg("%s %s: %s %s", op, params, f->code, err_msg());
    return out;
}

static void fails(struct s3o_fixture *f, const char *op, const char *params, const char *code)
{
    if (s3o_call(f, op, params, NULL) == 0)
        fail_msg("%s %s succeeded, expected %s", op, params, code);
    if (strcmp(f->code, code) != 0)
        fail_msg("%s %s: expected %s, got %s (%s)", op, params, code, f->code, err_msg());
}

static char *create(struct s3o_fixture *f, const char *key, const char *extra)
{
    char params[512];
    snprintf(params, sizeof(params), "{\"Bucket\":\"bkt\",\"Key\":\"%s\"%s%s}", key,
             *extra ? "," : "", extra);
    json_t *out = ok_out(f, "CreateMultipartUpload", params);
    char *id = xstrdup(str(out, "UploadId"));
    json_decref(out);
    return id;
}

/* UploadPart; returns the output (ETag, checksum). */
static json_t *part(struct s3o_fixture *f, const char *key, const char *id, int number,
                    const void *data, size_t len, const char *checksum)
{
    char params[512];
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"bkt\",\"Key\":\"%s\",\"UploadId\":\"%s\",\"PartNumber\":%d%s%s%s}", key,
             id, number, checksum ? ",\"ChecksumAlgorithm\":\"" : "", checksum ? checksum : "",
             checksum ? "\"" : "");
    json_t *out = NULL;
    if (s3o_call_full(f, NULL, "UploadPart", params, data, len, checksum, &out, NULL) < 0)
        fail_msg("UploadPart %s: %s %s", params, f->code, err_msg());
    return out;
}

static void part_entry(struct buf *b, int number, const json_t *out, const char *member)
{
    json_t *etag = json_object_get(out, "ETag");
    char *e = json_dumps(etag, JSON_ENCODE_ANY);
    buf_addf(b, "%s{\"PartNumber\":%d,\"ETag\":%s", b->len && b->data[b->len - 1] == '}' ? "," : "",
             number, e);
    free(e);
    if (member)
        buf_addf(b, ",\"%s\":\"%s\"", member, str(out, member));
    buf_adds(b, "}");
}

static char *complete_params(const char *key, const char *id, const char *parts)
{
    return xasprintf("{\"Bucket\":\"bkt\",\"Key\":\"%s\",\"UploadId\":\"%s\",\"MultipartUpload\":"
                     "{\"Parts\":[%s]}}",
                     key, id, parts);
}

static int64_t blob_refs(struct s3o_fixture *f, const void *data, size_t len)
{
    uint8_t raw[SHA256_LEN];
    char digest[65];
    sha256(raw, data, len);
    hex_encode(digest, raw, SHA256_LEN);
    json_t *rec = NULL;
    if (record_get(&rec, NULL, f->s3->st, NULL, S3_KIND_BLOB, S3_SCOPE, digest) < 0)
        return -1;
    int64_t refs = json_integer_value(json_object_get(rec, "refs"));
    json_decref(rec);
    return refs;
}

static void test_complete_composite(void **state)
{
    struct s3o_fixture *f = *state;
    size_t sizes[3] = {5 * MIB, 5 * MIB + 7, 11};
    char *data[3];
    for (int i = 0; i < 3; i++) {
        data[i] = xmalloc(sizes[i]);
        memset(data[i], 'a' + i, sizes[i]);
        data[i][0] = (char)('0' + i);
    }
    char *id = create(f, "big", "\"ChecksumAlgorithm\":\"CRC32\",\"Metadata\":{\"k\":\"v\"}");
    struct buf parts = BUF_INIT, md5s = BUF_INIT, crcs = BUF_INIT;
    for (int i = 0; i < 3; i++) {
        json_t *out = part(f, "big", id, i + 1, data[i], sizes[i], "CRC32");
        part_entry(&parts, i + 1, out, "ChecksumCRC32");
        uint8_t raw[CHECKSUM_MAX_LEN];
        md5(raw, data[i], sizes[i]);
        buf_add(&md5s, raw, MD5_LEN);
        checksum_compute(raw, CHECKSUM_CRC32, data[i], sizes[i]);
        buf_add(&crcs, raw, 4);
        json_decref(out);
    }

    /* ListParts in pages of two. */
    char params[512];
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"bkt\",\"Key\":\"big\",\"UploadId\":\"%s\",\"MaxParts\":2}", id);
    json_t *out = ok_out(f, "ListParts", params);
    assert_int_equal(json_array_size(json_object_get(out, "Parts")), 2);
    assert_true(json_is_true(json_object_get(out, "IsTruncated")));
    assert_int_equal(json_integer_value(json_object_get(out, "NextPartNumberMarker")), 2);
    assert_string_equal(str(out, "ChecksumAlgorithm"), "CRC32");
    assert_string_equal(str(out, "ChecksumType"), "COMPOSITE");
    json_decref(out);
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"bkt\",\"Key\":\"big\",\"UploadId\":\"%s\",\"PartNumberMarker\":2}", id);
    out = ok_out(f, "ListParts", params);
    json_t *p3 = json_array_get(json_object_get(out, "Parts"), 0);
    assert_int_equal(json_integer_value(json_object_get(p3, "PartNumber")), 3);
    assert_int_equal(json_integer_value(json_object_get(p3, "Size")), 11);
    assert_false(json_is_true(json_object_get(out, "IsTruncated")));
    json_decref(out);

    char *cp = complete_params("big", id, parts.data);
    out = ok_out(f, "CompleteMultipartUpload", cp);
    free(cp);
    /* ETag: md5 of the parts' md5s, "-3". */
    uint8_t raw[CHECKSUM_MAX_LEN];
    char hex[33], expect[64];
    md5(raw, md5s.data, md5s.len);
    hex_encode(hex, raw, MD5_LEN);
    snprintf(expect, sizeof(expect), "\"%s-3\"", hex);
    assert_string_equal(str(out, "ETag"), expect);
    /* Composite: CRC32 of the parts' raw CRC32s, base64, "-3". */
    checksum_compute(raw, CHECKSUM_CRC32, crcs.data, crcs.len);
    struct buf b64 = BUF_INIT;
    base64_encode(&b64, raw, 4);
    buf_adds(&b64, "-3");
    assert_string_equal(str(out, "ChecksumCRC32"), b64.data);
    assert_string_equal(str(out, "ChecksumType"), "COMPOSITE");
    json_decref(out);

    /* The bytes, across a part boundary. */
    struct buf body = BUF_INIT;
    out = NULL;
    assert_int_equal(s3o_call_full(f, NULL, "GetObject",
                                   "{\"Bucket\":\"bkt\",\"Key\":\"big\",\"Range\":"
                                   "\"bytes=5242878-5242881\",\"ChecksumMode\":\"ENABLED\"}",
                                   NULL, 0, NULL, &out, &body),
                     0);
    assert_int_equal(body.len, 4);
    assert_memory_equal(body.data, "aa1b", 4);
    json_decref(out);
    assert_int_equal(s3o_call_full(f, NULL, "GetObject",
                                   "{\"Bucket\":\"bkt\",\"Key\":\"big\",\"ChecksumMode\":"
                                   "\"ENABLED\"}",
                                   NULL, 0, NULL, &out, &body),
                     0);
    assert_int_equal(body.len, sizes[0] + sizes[1] + sizes[2]);
    assert_memory_equal(body.data + sizes[0] + sizes[1], data[2], sizes[2]);
    assert_string_equal(str(out, "ChecksumCRC32"), b64.data);
    assert_string_equal(str(json_object_get(out, "Metadata"), "k"), "v");
    json_decref(out);

    /* The upload and its parts are gone; the parts' blobs unreferenced. */
    fails(f, "ListParts", params, "NoSuchUpload");
    for (int i = 0; i < 3; i++)
        assert_int_equal(blob_refs(f, data[i], sizes[i]), 0);
    assert_int_equal(blob_refs(f, body.data, body.len), 1);
    out = ok_out(f, "ListMultipartUploads", "{\"Bucket\":\"bkt\"}");
    assert_null(json_object_get(out, "Uploads"));
    json_decref(out);

    buf_release(&body);
    buf_release(&b64);
    buf_release(&parts);
    buf_release(&md5s);
    buf_release(&crcs);
    for (int i = 0; i < 3; i++)
        free(data[i]);
    free(id);
}

static void test_complete_errors(void **state)
{
    struct s3o_fixture *f = *state;
    char *id = create(f, "k", "");
    char *small = xmalloc(1024);
    memset(small, 's', 1024);
    json_t *o1 = part(f, "k", id, 1, small, 1024, NULL);
    json_t *o2 = part(f, "k", id, 2, "end", 3, NULL);
    struct buf parts = BUF_INIT;
    part_entry(&parts, 1, o1, NULL);
    part_entry(&parts, 2, o2, NULL);

    /* Part 1 is under 5 MiB and not the last. */
    char *cp = complete_params("k", id, parts.data);
    fails(f, "CompleteMultipartUpload", cp, "EntityTooSmall");
    free(cp);
    /* Out of order. */
    struct buf rev = BUF_INIT;
    part_entry(&rev, 2, o2, NULL);
    part_entry(&rev, 1, o1, NULL);
    cp = complete_params("k", id, rev.data);
    fails(f, "CompleteMultipartUpload", cp, "InvalidPartOrder");
    free(cp);
    /* A wrong ETag, a part never uploaded. */
    cp = complete_params("k", id, "{\"PartNumber\":1,\"ETag\":\"\\\"0000\\\"\"}");
    fails(f, "CompleteMultipartUpload", cp, "InvalidPart");
    free(cp);
    cp = complete_params("k", id, "{\"PartNumber\":7,\"ETag\":\"\\\"0000\\\"\"}");
    fails(f, "CompleteMultipartUpload", cp, "InvalidPart");
    free(cp);
    cp = complete_params("k", id, "");
    fails(f, "CompleteMultipartUpload", cp, "MalformedXML");
    free(cp);
    /* Another key, an unknown id. */
    cp = complete_params("other", id, parts.data);
    fails(f, "CompleteMultipartUpload", cp, "NoSuchUpload");
    free(cp);
    cp = complete_params("k", "nosuchuploadid", parts.data);
    fails(f, "CompleteMultipartUpload", cp, "NoSuchUpload");
    free(cp);

    /* Nothing partial: no object, the upload and its parts intact. */
    fails(f, "HeadObject", "{\"Bucket\":\"bkt\",\"Key\":\"k\"}", "NoSuchKey");
    char params[256];
    snprintf(params, sizeof(params), "{\"Bucket\":\"bkt\",\"Key\":\"k\",\"UploadId\":\"%s\"}", id);
    json_t *out = ok_out(f, "ListParts", params);
    assert_int_equal(json_array_size(json_object_get(out, "Parts")), 2);
    json_decref(out);

    /* The last part alone may be small: completing with part 2 only works. */
    struct buf last = BUF_INIT;
    part_entry(&last, 2, o2, NULL);
    cp = complete_params("k", id, last.data);
    out = ok_out(f, "CompleteMultipartUpload", cp);
    free(cp);
    assert_true(strstr(str(out, "ETag"), "-1\"") != NULL);
    json_decref(out);
    /* Part 1, not listed, was dropped with the upload. */
    assert_int_equal(blob_refs(f, small, 1024), 0);
    assert_int_equal(blob_refs(f, "end", 3), 1);

    fails(f, "UploadPart",
          "{\"Bucket\":\"bkt\",\"Key\":\"k\",\"UploadId\":\"whatever\",\"PartNumber\":0}",
          "InvalidArgument");

    json_decref(o1);
    json_decref(o2);
    buf_release(&parts);
    buf_release(&rev);
    buf_release(&last);
    free(small);
    free(id);
}

static void test_composite_checksum_rules(void **state)
{
    struct s3o_fixture *f = *state;
    char *id = create(f, "c", "\"ChecksumAlgorithm\":\"SHA256\"");
    json_t *o1 = part(f, "c", id, 1, "only part", 9, "SHA256");
    /* A part with another algorithm is refused. */
    char params[512];
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"bkt\",\"Key\":\"c\",\"UploadId\":\"%s\",\"PartNumber\":2,"
             "\"ChecksumAlgorithm\":\"CRC32\"}",
             id);
    assert_int_equal(s3o_call_full(f, NULL, "UploadPart", params, "x", 1, "CRC32", NULL, NULL),
                     ERR_INVALID);
    assert_string_equal(f->code, "InvalidRequest");
    assert_string_equal(err_msg(), "Checksum Type mismatch occurred, expected checksum Type: "
                                   "sha256, actual checksum Type: crc32");
    /* Completing without the part's checksum. */
    struct buf parts = BUF_INIT;
    part_entry(&parts, 1, o1, NULL);
    char *cp = complete_params("c", id, parts.data);
    fails(f, "CompleteMultipartUpload", cp, "InvalidRequest");
    assert_string_equal(err_msg(), "The upload was created using a sha256 checksum. The complete "
                                   "request must include the checksum for each part. It was "
                                   "missing for part 1 in the request.");
    free(cp);
    buf_reset(&parts);
    part_entry(&parts, 1, o1, "ChecksumSHA256");
    cp = complete_params("c", id, parts.data);
    json_t *out = ok_out(f, "CompleteMultipartUpload", cp);
    free(cp);
    /* sha256(sha256("only part")) -1 */
    uint8_t raw[SHA256_LEN], raw2[SHA256_LEN];
    sha256(raw, "only part", 9);
    sha256(raw2, raw, SHA256_LEN);
    struct buf b64 = BUF_INIT;
    base64_encode(&b64, raw2, SHA256_LEN);
    buf_adds(&b64, "-1");
    assert_string_equal(str(out, "ChecksumSHA256"), b64.data);
    json_decref(out);
    buf_release(&b64);

    /* Type rules at creation. */
    fails(f, "CreateMultipartUpload",
          "{\"Bucket\":\"bkt\",\"Key\":\"c\",\"ChecksumAlgorithm\":\"SHA1\",\"ChecksumType\":"
          "\"FULL_OBJECT\"}",
          "InvalidRequest");
    fails(f, "CreateMultipartUpload",
          "{\"Bucket\":\"bkt\",\"Key\":\"c\",\"ChecksumAlgorithm\":\"CRC64NVME\",\"ChecksumType\":"
          "\"COMPOSITE\"}",
          "InvalidRequest");
    fails(f, "CreateMultipartUpload",
          "{\"Bucket\":\"bkt\",\"Key\":\"c\",\"ChecksumType\":\"COMPOSITE\"}", "InvalidRequest");
    json_decref(o1);
    buf_release(&parts);
    free(id);
}

static void test_full_object_checksum(void **state)
{
    struct s3o_fixture *f = *state;
    char *id = create(f, "full", "\"ChecksumAlgorithm\":\"CRC64NVME\"");
    char *a = xmalloc(5 * MIB);
    memset(a, 'q', 5 * MIB);
    json_t *o1 = part(f, "full", id, 1, a, 5 * MIB, "CRC64NVME");
    json_t *o2 = part(f, "full", id, 2, "rest", 4, "CRC64NVME");
    struct buf parts = BUF_INIT;
    part_entry(&parts, 1, o1, "ChecksumCRC64NVME");
    part_entry(&parts, 2, o2, "ChecksumCRC64NVME");
    char *cp = complete_params("full", id, parts.data);
    json_t *out = ok_out(f, "CompleteMultipartUpload", cp);
    free(cp);
    /* The CRC of the whole object, no "-N". */
    uint64_t crc = crc64nvme_update(crc64nvme_update(0, a, 5 * MIB), "rest", 4);
    uint8_t be[8];
    for (int i = 0; i < 8; i++)
        be[i] = (uint8_t)(crc >> (56 - 8 * i));
    struct buf b64 = BUF_INIT;
    base64_encode(&b64, be, 8);
    assert_string_equal(str(out, "ChecksumCRC64NVME"), b64.data);
    assert_string_equal(str(out, "ChecksumType"), "FULL_OBJECT");
    json_decref(out);
    buf_release(&b64);
    buf_release(&parts);
    json_decref(o1);
    json_decref(o2);
    free(a);
    free(id);
}

static void test_abort_and_replace(void **state)
{
    struct s3o_fixture *f = *state;
    char *id = create(f, "ab", "");
    json_decref(part(f, "ab", id, 1, "first try", 9, NULL));
    json_decref(part(f, "ab", id, 1, "second try", 10, NULL));
    /* The replaced part's blob lost its reference. */
    assert_int_equal(blob_refs(f, "first try", 9), 0);
    assert_int_equal(blob_refs(f, "second try", 10), 1);
    char params[256];
    snprintf(params, sizeof(params), "{\"Bucket\":\"bkt\",\"Key\":\"ab\",\"UploadId\":\"%s\"}", id);
    json_decref(ok_out(f, "AbortMultipartUpload", params));
    assert_int_equal(blob_refs(f, "second try", 10), 0);
    fails(f, "ListParts", params, "NoSuchUpload");
    fails(f, "AbortMultipartUpload", params, "NoSuchUpload");
    free(id);
}

static void test_list_uploads(void **state)
{
    struct s3o_fixture *f = *state;
    const char *keys[] = {"b", "a/1", "a/2", "c", "a/1"};
    char *ids[5];
    for (int i = 0; i < 5; i++) {
        f->now_ms += 1000;
        ids[i] = create(f, keys[i], "");
    }
    json_t *out = ok_out(f, "ListMultipartUploads", "{\"Bucket\":\"bkt\"}");
    json_t *ups = json_object_get(out, "Uploads");
    assert_int_equal(json_array_size(ups), 5);
    /* By key, then by initiation time. */
    assert_string_equal(str(json_array_get(ups, 0), "Key"), "a/1");
    assert_string_equal(str(json_array_get(ups, 0), "UploadId"), ids[1]);
    assert_string_equal(str(json_array_get(ups, 1), "UploadId"), ids[4]);
    assert_string_equal(str(json_array_get(ups, 4), "Key"), "c");
    assert_string_equal(str(json_object_get(json_array_get(ups, 0), "Initiator"), "ID"),
                        f->s3->admin.arn);
    json_decref(out);

    out = ok_out(f, "ListMultipartUploads", "{\"Bucket\":\"bkt\",\"Delimiter\":\"/\"}");
    assert_int_equal(json_array_size(json_object_get(out, "Uploads")), 2);
    assert_string_equal(str(json_array_get(json_object_get(out, "CommonPrefixes"), 0), "Prefix"),
                        "a/");
    json_decref(out);

    /* Pages of two, resuming inside a key. */
    out = ok_out(f, "ListMultipartUploads", "{\"Bucket\":\"bkt\",\"MaxUploads\":2}");
    assert_true(json_is_true(json_object_get(out, "IsTruncated")));
    assert_string_equal(str(out, "NextKeyMarker"), "a/1");
    assert_string_equal(str(out, "NextUploadIdMarker"), ids[4]);
    json_decref(out);
    char params[256];
    snprintf(
        params, sizeof(params),
        "{\"Bucket\":\"bkt\",\"MaxUploads\":2,\"KeyMarker\":\"a/1\",\"UploadIdMarker\":\"%s\"}",
        ids[1]);
    out = ok_out(f, "ListMultipartUploads", params);
    ups = json_object_get(out, "Uploads");
    assert_string_equal(str(json_array_get(ups, 0), "UploadId"), ids[4]);
    assert_string_equal(str(json_array_get(ups, 1), "Key"), "a/2");
    json_decref(out);
    for (int i = 0; i < 5; i++)
        free(ids[i]);
}

static void test_upload_part_copy(void **state)
{
    struct s3o_fixture *f = *state;
    const char *src = "0123456789abcdefghij";
    json_t *put = NULL;
    assert_int_equal(s3o_call_full(f, NULL, "PutObject", "{\"Bucket\":\"bkt\",\"Key\":\"src\"}",
                                   src, strlen(src), NULL, &put, NULL),
                     0);
    json_decref(put);
    char *id = create(f, "dst", "\"ChecksumAlgorithm\":\"CRC32C\"");
    char params[512];
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"bkt\",\"Key\":\"dst\",\"UploadId\":\"%s\",\"PartNumber\":1,"
             "\"CopySource\":\"bkt/src\",\"CopySourceRange\":\"bytes=10-14\"}",
             id);
    json_t *out = ok_out(f, "UploadPartCopy", params);
    json_t *result = json_object_get(out, "CopyPartResult");
    char etag[40];
    uint8_t raw[CHECKSUM_MAX_LEN];
    char hex[33];
    md5(raw, "abcde", 5);
    hex_encode(hex, raw, MD5_LEN);
    snprintf(etag, sizeof(etag), "\"%s\"", hex);
    assert_string_equal(str(result, "ETag"), etag);
    checksum_compute(raw, CHECKSUM_CRC32C, "abcde", 5);
    struct buf b64 = BUF_INIT;
    base64_encode(&b64, raw, 4);
    assert_string_equal(str(result, "ChecksumCRC32C"), b64.data);
    json_decref(out);
    /* A range past the end. */
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"bkt\",\"Key\":\"dst\",\"UploadId\":\"%s\",\"PartNumber\":2,"
             "\"CopySource\":\"bkt/src\",\"CopySourceRange\":\"bytes=10-99\"}",
             id);
    fails(f, "UploadPartCopy", params, "InvalidRange");

    struct buf parts = BUF_INIT;
    buf_addf(&parts, "{\"PartNumber\":1,\"ETag\":\"\\\"%s\\\"\",\"ChecksumCRC32C\":\"%s\"}", hex,
             b64.data);
    char *cp = complete_params("dst", id, parts.data);
    json_decref(ok_out(f, "CompleteMultipartUpload", cp));
    free(cp);
    struct buf body = BUF_INIT;
    assert_int_equal(s3o_call_full(f, NULL, "GetObject", "{\"Bucket\":\"bkt\",\"Key\":\"dst\"}",
                                   NULL, 0, NULL, NULL, &body),
                     0);
    assert_int_equal(body.len, 5);
    assert_memory_equal(body.data, "abcde", 5);
    buf_release(&body);
    buf_release(&b64);
    buf_release(&parts);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_complete_composite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_composite_checksum_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_object_checksum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_and_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_uploads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_part_copy, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
