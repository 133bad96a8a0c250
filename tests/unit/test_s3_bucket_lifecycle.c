/*
 * s3_lifecycle_task (src/services/s3/bucket_lifecycle.c) under a fake
 * clock: expiration of current versions (deleted, or a delete marker in a
 * versioned bucket), noncurrent versions with NewerNoncurrentVersions,
 * expired delete markers, abandoned multipart uploads, filters, S3's
 * day rounding, bounded batches, blob references and the events emitted.
 *
 * Object records are written as s3_internal.h lays them out, each version
 * holding one s3_blob_ref() on its digest.
 */
#include "base/common.h"
#include "base/clock.h"
#include "s3_bucket_fixture.h"

#include <setjmp.h>

#include <cmocka.h>

#define DAY 86400000LL
#define T0  IAM_FIXTURE_T0 /* 2023-11-14T22:13:20Z */
/* Midnight UTC after T0. */
#define MIDNIGHT_1 (T0 - T0 % DAY + DAY)

struct fixture {
    struct s3_fixture *s3;
    struct s3_context ctx;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (s3_fixture_open(&f->s3, "s3life") < 0)
        return -1;
    f->ctx = (struct s3_context){.store = f->s3->st};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    s3_fixture_close(f->s3);
    free(f);
    return 0;
}

static void ok(struct fixture *f, const char *op, const char *params)
{
    if (s3_fixture_call(f->s3, NULL, op, params, NULL) < 0)
        fail_msg("%s %s: %s %s", op, params, f->s3->code, err_msg());
}

static void bucket(struct fixture *f, const char *name, const char *versioning, const char *rules)
{
    char params[4096];
    snprintf(params, sizeof(params), "{\"Bucket\":\"%s\"}", name);
    ok(f, "CreateBucket", params);
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"%s\",\"NotificationConfiguration\":{\"EventBridgeConfiguration\":{}}}",
             name);
    ok(f, "PutBucketNotificationConfiguration", params);
    if (versioning) {
        snprintf(params, sizeof(params),
                 "{\"Bucket\":\"%s\",\"VersioningConfiguration\":{\"Status\":\"%s\"}}", name,
                 versioning);
        ok(f, "PutBucketVersioning", params);
    }
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"%s\",\"LifecycleConfiguration\":{\"Rules\":%s}}", name, rules);
    ok(f, "PutBucketLifecycleConfiguration", params);
}

static json_t *version(const char *id, int64_t modified, const char *digest, int64_t size)
{
    return json_pack("{s:s, s:I, s:s, s:s, s:I, s:s, s:s}", "VersionId", id, "LastModified",
                     (json_int_t)modified, "Owner", S3F_ACCOUNT, "ETag",
                     "\"d41d8cd98f00b204e9800998ecf8427e\"", "Size", (json_int_t)size, "Digest",
                     digest, "StorageClass", "STANDARD");
}

static json_t *marker(const char *id, int64_t modified)
{
    return json_pack("{s:s, s:I, s:s, s:b}", "VersionId", id, "LastModified", (json_int_t)modified,
                     "Owner", S3F_ACCOUNT, "DeleteMarker", 1);
}

/* Writes the key's record with `versions` (newest first; stolen), taking a
 * blob reference for each version with bytes. */
static void put_record(struct fixture *f, const char *bucket, const char *key, json_t *versions)
{
    struct store *st = f->s3->st;
    struct store_tx *tx;
    assert_int_equal(store_tx_begin(&tx, st), 0);
    size_t i;
    json_t *v;
    json_array_foreach(versions, i, v)
    {
        const char *digest = json_string_value(json_object_get(v, "Digest"));
        if (digest)
            assert_int_equal(s3_blob_ref(st, tx, digest), 0);
    }
    json_t *rec = json_pack("{s:o}", "Versions", versions);
    assert_int_equal(record_upsert(st, tx, S3_KIND_OBJECT, bucket, key, rec), 0);
    json_decref(rec);
    assert_int_equal(store_tx_commit(tx), 0);
}

static json_t *get_record(struct fixture *f, const char *bucket, const char *key)
{
    json_t *rec = NULL;
    int rc = record_get(&rec, NULL, f->s3->st, NULL, S3_KIND_OBJECT, bucket, key);
    if (rc == ERR_NOT_FOUND)
        return NULL;
    assert_int_equal(rc, 0);
    return rec;
}

static size_t version_count(struct fixture *f, const char *bucket, const char *key)
{
    json_t *rec = get_record(f, bucket, key);
    size_t n = rec ? json_array_size(json_object_get(rec, "Versions")) : 0;
    json_decref(rec);
    return n;
}

static int run_at(struct fixture *f, int64_t now)
{
    clock_set_fake(now);
    int rc = s3_lifecycle_task(&f->ctx, now);
    if (rc < 0)
        fail_msg("lifecycle task: %s", err_msg());
    return rc;
}

static json_t *outbox_events(struct fixture *f)
{
    struct store_event_batch batch;
    assert_int_equal(store_outbox_fetch(&batch, f->s3->st, NULL, 0, 0), 0);
    json_t *events = json_array();
    for (size_t i = 0; i < batch.len; i++)
        json_array_append_new(events, json_loads(batch.items[i].body, 0, NULL));
    store_event_batch_release(&batch);
    return events;
}

static bool blob_is_garbage(struct fixture *f, const char *digest)
{
    bool exists = false;
    assert_int_equal(record_exists(&exists, f->s3->st, NULL, S3_KIND_BLOB_GC, S3_SCOPE, digest), 0);
    return exists;
}

#define DIGEST_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DIGEST_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DIGEST_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static void test_days_round_to_the_next_midnight(void **state)
{
    struct fixture *f = *state;
    bucket(f, "plain", NULL,
           "[{\"ID\":\"logs\",\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"logs/\"},"
           "\"Expiration\":{\"Days\":1}}]");
    put_record(f, "plain", "logs/a", json_pack("[o]", version("null", T0, DIGEST_A, 10)));
    put_record(f, "plain", "other/b", json_pack("[o]", version("null", T0, DIGEST_B, 10)));
    /* Created 2023-11-14 22:13 UTC, one day: due 2023-11-16 00:00 UTC. */
    int64_t due = MIDNIGHT_1 + DAY;
    assert_int_equal(run_at(f, due - 1), 0);
    assert_int_equal(version_count(f, "plain", "logs/a"), 1);
    assert_int_equal(run_at(f, due), 0);
    assert_int_equal(version_count(f, "plain", "logs/a"), 0);
    assert_int_equal(version_count(f, "plain", "other/b"), 1);
    /* The removed version's blob lost its reference. */
    assert_true(blob_is_garbage(f, DIGEST_A));
    assert_false(blob_is_garbage(f, DIGEST_B));

    json_t *events = outbox_events(f);
    assert_int_equal(json_array_size(events), 1);
    json_t *e = json_array_get(events, 0);
    assert_string_equal(json_string_value(json_object_get(e, "detail-type")), "Object Deleted");
    json_t *detail = json_object_get(e, "detail");
    assert_string_equal(json_string_value(json_object_get(detail, "reason")),
                        "Lifecycle Expiration");
    assert_string_equal(json_string_value(json_object_get(detail, "deletion-type")),
                        "Permanently Deleted");
    assert_string_equal(json_string_value(json_object_get(detail, "requester")),
                        "s3.amazonaws.com");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(detail, "object"), "key")), "logs/a");
    json_decref(events);
}

static void test_versioned_expiration_and_noncurrent(void **state)
{
    struct fixture *f = *state;
    bucket(
        f, "ver", "Enabled",
        "[{\"ID\":\"current\",\"Status\":\"Enabled\",\"Filter\":{},\"Expiration\":{\"Days\":10}},"
        "{\"ID\":\"old\",\"Status\":\"Enabled\",\"Filter\":{},\"NoncurrentVersionExpiration\":"
        "{\"NoncurrentDays\":2,\"NewerNoncurrentVersions\":1}}]");
    /* v3 current (written T0 + 1 day), v2 noncurrent since then, v1 since T0. */
    put_record(f, "ver", "k",
               json_pack("[o, o, o]", version("v3", T0 + DAY, DIGEST_C, 3),
                         version("v2", T0, DIGEST_B, 2), version("v1", T0 - DAY, DIGEST_A, 1)));
    /* v1 noncurrent since T0: due at MIDNIGHT_1 + 2 days; but it has one newer
     * noncurrent version (v2), so NewerNoncurrentVersions 1 lets it go. */
    assert_int_equal(run_at(f, MIDNIGHT_1 + 2 * DAY), 0);
    json_t *rec = get_record(f, "ver", "k");
    json_t *versions = json_object_get(rec, "Versions");
    assert_int_equal(json_array_size(versions), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(versions, 1), "VersionId")), "v2");
    json_decref(rec);
    assert_true(blob_is_garbage(f, DIGEST_A));
    /* v2 is the newest noncurrent version: kept however old. */
    assert_int_equal(run_at(f, MIDNIGHT_1 + 9 * DAY), 0);
    assert_int_equal(version_count(f, "ver", "k"), 2);

    /* v3 written T0 + 1 day, 10 days: due at MIDNIGHT_1 + 11 days; a delete
     * marker goes on top, nothing is removed. */
    assert_int_equal(run_at(f, MIDNIGHT_1 + 11 * DAY), 0);
    rec = get_record(f, "ver", "k");
    versions = json_object_get(rec, "Versions");
    assert_int_equal(json_array_size(versions), 3);
    assert_true(json_is_true(json_object_get(json_array_get(versions, 0), "DeleteMarker")));
    json_decref(rec);
    assert_false(blob_is_garbage(f, DIGEST_C));

    json_t *events = outbox_events(f);
    assert_int_equal(json_array_size(events), 2);
    json_t *detail = json_object_get(json_array_get(events, 0), "detail");
    assert_string_equal(json_string_value(json_object_get(detail, "deletion-type")),
                        "Permanently Deleted");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(detail, "object"), "version-id")), "v1");
    detail = json_object_get(json_array_get(events, 1), "detail");
    assert_string_equal(json_string_value(json_object_get(detail, "deletion-type")),
                        "Delete Marker Created");
    json_decref(events);

    /* A marker over versions is not expired; the marker does not expire twice. */
    assert_int_equal(run_at(f, MIDNIGHT_1 + 30 * DAY), 0);
    rec = get_record(f, "ver", "k");
    versions = json_object_get(rec, "Versions");
    /* v2 (noncurrent since day 1) and v3 (since day 11): v3 is now the newest
     * noncurrent one and kept, v2 has one newer and is old enough. */
    assert_int_equal(json_array_size(versions), 2);
    assert_true(json_is_true(json_object_get(json_array_get(versions, 0), "DeleteMarker")));
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(versions, 1), "VersionId")), "v3");
    json_decref(rec);
}

static void test_expired_delete_markers(void **state)
{
    struct fixture *f = *state;
    bucket(f, "markers", "Enabled",
           "[{\"Status\":\"Enabled\",\"Filter\":{},\"Expiration\":"
           "{\"ExpiredObjectDeleteMarker\":true}}]");
    put_record(f, "markers", "alone", json_pack("[o]", marker("m1", T0)));
    put_record(f, "markers", "covered",
               json_pack("[o, o]", marker("m2", T0), version("v1", T0 - DAY, DIGEST_A, 1)));
    assert_int_equal(run_at(f, T0 + 1000), 0);
    assert_int_equal(version_count(f, "markers", "alone"), 0);
    assert_int_equal(version_count(f, "markers", "covered"), 2);
    json_t *events = outbox_events(f);
    assert_int_equal(json_array_size(events), 1);
    json_decref(events);
}

static void test_abort_incomplete_uploads(void **state)
{
    struct fixture *f = *state;
    bucket(f, "mpu", NULL,
           "[{\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"big/\"},"
           "\"AbortIncompleteMultipartUpload\":{\"DaysAfterInitiation\":2}}]");
    const char *keys[] = {"big/a", "small/b"};
    for (int i = 0; i < 2; i++) {
        char id[8];
        snprintf(id, sizeof(id), "u%d", i);
        json_t *upload =
            json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "UploadId", id, "Key", keys[i], "Initiated",
                      (json_int_t)T0, "Owner", S3F_ACCOUNT, "Initiator",
                      "arn:aws:iam::000000000000:user/admin", "StorageClass", "STANDARD");
        assert_int_equal(record_insert(f->s3->st, NULL, S3_KIND_UPLOAD, "mpu", id, upload), 0);
        json_decref(upload);
    }
    assert_int_equal(run_at(f, MIDNIGHT_1 + 2 * DAY - 1), 0);
    size_t n = 0;
    assert_int_equal(store_doc_count(&n, f->s3->st, NULL, S3_KIND_UPLOAD, "mpu", NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(run_at(f, MIDNIGHT_1 + 2 * DAY), 0);
    assert_int_equal(store_doc_count(&n, f->s3->st, NULL, S3_KIND_UPLOAD, "mpu", NULL), 0);
    assert_int_equal(n, 1);
    bool exists = false;
    assert_int_equal(record_exists(&exists, f->s3->st, NULL, S3_KIND_UPLOAD, "mpu", "u1"), 0);
    assert_true(exists);
}

static void test_filters_and_dates(void **state)
{
    struct fixture *f = *state;
    /* Midnight UTC 10 days after T0's day. */
    int64_t date = MIDNIGHT_1 + 9 * DAY;
    char rules[1024];
    snprintf(rules, sizeof(rules),
             "[{\"Status\":\"Enabled\",\"Filter\":{\"And\":{\"Prefix\":\"t/\",\"Tags\":[{\"Key\":"
             "\"tier\",\"Value\":\"tmp\"}],\"ObjectSizeGreaterThan\":5}},\"Expiration\":"
             "{\"Days\":1}},"
             "{\"Status\":\"Enabled\",\"Filter\":{\"ObjectSizeLessThan\":3},\"Expiration\":"
             "{\"Date\":%" PRId64 "}},"
             "{\"Status\":\"Disabled\",\"Filter\":{},\"Expiration\":{\"Days\":1}}]",
             date);
    bucket(f, "filters", NULL, rules);
    json_t *tagged = version("null", T0, DIGEST_A, 10);
    json_object_set_new(tagged, "Tags", json_pack("{s:s}", "tier", "tmp"));
    put_record(f, "filters", "t/tagged-big", json_pack("[o]", tagged));
    json_t *small = version("null", T0, DIGEST_B, 4);
    json_object_set_new(small, "Tags", json_pack("{s:s}", "tier", "tmp"));
    put_record(f, "filters", "t/tagged-small", json_pack("[o]", small));
    put_record(f, "filters", "t/untagged", json_pack("[o]", version("null", T0, DIGEST_C, 10)));
    put_record(f, "filters", "tiny", json_pack("[o]", version("null", T0, DIGEST_C, 1)));

    assert_int_equal(run_at(f, MIDNIGHT_1 + DAY), 0);
    assert_int_equal(version_count(f, "filters", "t/tagged-big"), 0);
    assert_int_equal(version_count(f, "filters", "t/tagged-small"), 1);
    assert_int_equal(version_count(f, "filters", "t/untagged"), 1);
    assert_int_equal(version_count(f, "filters", "tiny"), 1);
    /* The Date rule: everything it matches expires on that date. */
    assert_int_equal(run_at(f, date - 1), 0);
    assert_int_equal(version_count(f, "filters", "tiny"), 1);
    assert_int_equal(run_at(f, date), 0);
    assert_int_equal(version_count(f, "filters", "tiny"), 0);
    assert_int_equal(version_count(f, "filters", "t/untagged"), 1);
    assert_int_equal(version_count(f, "filters", "t/tagged-small"), 1);
}

static void test_bounded_batches(void **state)
{
    struct fixture *f = *state;
    bucket(f, "many", NULL, "[{\"Status\":\"Enabled\",\"Filter\":{},\"Expiration\":{\"Days\":1}}]");
    for (int i = 0; i < 300; i++) {
        char key[32];
        snprintf(key, sizeof(key), "k%04d", i);
        put_record(f, "many", key, json_pack("[o]", version("null", T0, DIGEST_A, 1)));
    }
    size_t n = 0;
    int64_t now = MIDNIGHT_1 + DAY;
    /* A run does a batch and says more is waiting; the next one finishes. */
    assert_int_equal(run_at(f, now), 1);
    assert_int_equal(store_doc_count(&n, f->s3->st, NULL, S3_KIND_OBJECT, "many", NULL), 0);
    assert_true(n > 0 && n < 300);
    bool cursor = false;
    assert_int_equal(record_exists(&cursor, f->s3->st, NULL, S3_KIND_LIFECYCLE, S3_SCOPE, "cursor"),
                     0);
    assert_true(cursor);
    assert_int_equal(run_at(f, now), 0);
    assert_int_equal(store_doc_count(&n, f->s3->st, NULL, S3_KIND_OBJECT, "many", NULL), 0);
    assert_int_equal(n, 0);
    assert_int_equal(record_exists(&cursor, f->s3->st, NULL, S3_KIND_LIFECYCLE, S3_SCOPE, "cursor"),
                     0);
    assert_false(cursor);
    assert_true(blob_is_garbage(f, DIGEST_A));
    json_t *events = outbox_events(f);
    assert_int_equal(json_array_size(events), 300);
    json_decref(events);
}

static void test_suspended_bucket_marker_replaces_null(void **state)
{
    struct fixture *f = *state;
    bucket(f, "susp", "Suspended",
           "[{\"Status\":\"Enabled\",\"Filter\":{},\"Expiration\":{\"Days\":1}}]");
    put_record(f, "susp", "k",
               json_pack("[o, o]", version("null", T0, DIGEST_A, 1),
                         version("v0", T0 - DAY, DIGEST_B, 1)));
    assert_int_equal(run_at(f, MIDNIGHT_1 + DAY), 0);
    json_t *rec = get_record(f, "susp", "k");
    json_t *versions = json_object_get(rec, "Versions");
    assert_int_equal(json_array_size(versions), 2);
    json_t *top = json_array_get(versions, 0);
    assert_true(json_is_true(json_object_get(top, "DeleteMarker")));
    assert_string_equal(json_string_value(json_object_get(top, "VersionId")), "null");
    json_decref(rec);
    assert_true(blob_is_garbage(f, DIGEST_A));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_days_round_to_the_next_midnight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versioned_expiration_and_noncurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_delete_markers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_incomplete_uploads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters_and_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounded_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suspended_bucket_marker_replaces_null, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
