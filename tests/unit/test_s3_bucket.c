/*
 * S3 buckets (src/services/s3/buckets.c, bucket_authz.c, bucket_policy.c,
 * bucket_events.c, the configuration half of bucket_lifecycle.c): the
 * operations through the operation table with the real authorizer, their
 * AWS error codes and messages, bucket policies as the authorizer enforces
 * them, and the EventBridge events read back from the outbox.
 */
#include "base/common.h"
#include "s3_bucket_fixture.h"

#include <setjmp.h>

#include <cmocka.h>

static int setup(void **state)
{
    struct s3_fixture *f;
    if (s3_fixture_open(&f, "s3bucket") < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    s3_fixture_close(*state);
    return 0;
}

static void ok(struct s3_fixture *f, const struct principal *who, const char *op,
               const char *params)
{
    if (s3_fixture_call(f, who, op, params, NULL) < 0)
        fail_msg("%s %s: %s %s", op, params, f->code, err_msg());
}

static json_t *ok_out(struct s3_fixture *f, const char *op, const char *params)
{
    json_t *out = NULL;
    if (s3_fixture_call(f, NULL, op, params, &out) < 0)
        fail_msg("%s %s: %s %s", op, params, f->code, err_msg());
    return out;
}

/* Expects the call to fail with `code` and, when not NULL, `message`. */
static void fails(struct s3_fixture *f, const struct principal *who, const char *op,
                  const char *params, const char *code, const char *message)
{
    int rc = s3_fixture_call(f, who, op, params, NULL);
    if (rc == 0)
        fail_msg("%s %s succeeded, expected %s", op, params, code);
    assert_string_equal(f->code, code);
    if (message)
        assert_string_equal(err_msg(), message);
}

static void create(struct s3_fixture *f, const char *bucket)
{
    char params[256];
    snprintf(params, sizeof(params), "{\"Bucket\":\"%s\"}", bucket);
    ok(f, NULL, "CreateBucket", params);
}

/* ---- names ---------------------------------------------------------------- */

static void test_bucket_names(void **state)
{
    (void)state;
    static const char *const valid[] = {"abc", "my-bucket", "my.bucket.name", "a1b2c3",
                                        "123", "a-b.c-d",   "xn-abc",         "bucket-s3alias-not"};
    static const char *const invalid[] = {
        "ab",
        "-abc",
        "abc-",
        "Abc",
        "a_b",
        "a..b",
        "192.168.5.4",
        "xn--abc",
        "sthree-x",
        "amzn-s3-demo-x",
        "abc-s3alias",
        "abc--ol-s3",
        "abc.mrap",
        "abc--x-s3",
        "abc--table-s3",
        "a b",
        "",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 64 */
    };
    for (size_t i = 0; i < ARRAY_SIZE(valid); i++)
        if (!s3_bucket_name_valid(valid[i]))
            fail_msg("'%s' should be valid", valid[i]);
    for (size_t i = 0; i < ARRAY_SIZE(invalid); i++)
        if (s3_bucket_name_valid(invalid[i]))
            fail_msg("'%s' should be invalid", invalid[i]);
    assert_true(
        s3_bucket_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

/* ---- CreateBucket ------------------------------------------------------------ */

static void test_create_and_recreate(void **state)
{
    struct s3_fixture *f = *state;
    json_t *out = ok_out(f, "CreateBucket", "{\"Bucket\":\"artifacts\"}");
    assert_string_equal(json_string_value(json_object_get(out, "Location")), "/artifacts");
    json_decref(out);
    /* us-east-1 answers 200 to the owner again, as AWS does for legacy reasons. */
    ok(f, NULL, "CreateBucket", "{\"Bucket\":\"artifacts\"}");
    /* Another account: the name is taken. */
    fails(f, &f->other, "CreateBucket", "{\"Bucket\":\"artifacts\"}", "BucketAlreadyExists",
          "The requested bucket name is not available. The bucket namespace is shared by all "
          "users of the system. Please select a different name and try again.");
    fails(f, NULL, "CreateBucket", "{\"Bucket\":\"Bad_Name\"}", "InvalidBucketName",
          "The specified bucket is not valid.");
}

static void test_create_regions(void **state)
{
    struct s3_fixture *f = *state;
    const char *eu = "{\"Bucket\":\"eu-bucket\",\"CreateBucketConfiguration\":"
                     "{\"LocationConstraint\":\"eu-west-1\"}}";
    json_t *out = NULL;
    assert_int_equal(s3_fixture_call_in(f, NULL, "eu-west-1", "s3", "CreateBucket", eu, &out), 0);
    assert_string_equal(json_string_value(json_object_get(out, "Location")),
                        "http://eu-bucket.s3.amazonaws.com/");
    json_decref(out);
    /* Outside us-east-1 the owner gets BucketAlreadyOwnedByYou. */
    assert_int_equal(s3_fixture_call_in(f, NULL, "eu-west-1", "s3", "CreateBucket", eu, NULL),
                     ERR_EXISTS);
    assert_string_equal(f->code, "BucketAlreadyOwnedByYou");
    /* The constraint must name the request's region. */
    assert_int_equal(s3_fixture_call_in(f, NULL, "us-east-1", "s3", "CreateBucket",
                                        "{\"Bucket\":\"eu-two\",\"CreateBucketConfiguration\":"
                                        "{\"LocationConstraint\":\"eu-west-1\"}}",
                                        NULL),
                     ERR_INVALID);
    assert_string_equal(f->code, "IllegalLocationConstraintException");
    assert_string_equal(err_msg(), "The eu-west-1 location constraint is incompatible for the "
                                   "region specific endpoint this request was sent to.");
    assert_int_equal(s3_fixture_call_in(f, NULL, "eu-west-1", "s3", "CreateBucket",
                                        "{\"Bucket\":\"eu-three\"}", NULL),
                     ERR_INVALID);
    assert_string_equal(f->code, "IllegalLocationConstraintException");
    assert_string_equal(err_msg(), "The unspecified location constraint is incompatible for the "
                                   "region specific endpoint this request was sent to.");
    fails(f, NULL, "CreateBucket",
          "{\"Bucket\":\"us-bucket\",\"CreateBucketConfiguration\":"
          "{\"LocationConstraint\":\"us-east-1\"}}",
          "InvalidLocationConstraint", "The specified location-constraint is not valid");

    /* GetBucketLocation: the constraint, or nothing for us-east-1. */
    create(f, "us-bucket");
    out = ok_out(f, "GetBucketLocation", "{\"Bucket\":\"us-bucket\"}");
    assert_null(json_object_get(out, "LocationConstraint"));
    json_decref(out);
    out = ok_out(f, "GetBucketLocation", "{\"Bucket\":\"eu-bucket\"}");
    assert_string_equal(json_string_value(json_object_get(out, "LocationConstraint")), "eu-west-1");
    json_decref(out);
    out = ok_out(f, "HeadBucket", "{\"Bucket\":\"eu-bucket\"}");
    assert_string_equal(json_string_value(json_object_get(out, "BucketRegion")), "eu-west-1");
    json_decref(out);
}

static void test_create_refusals(void **state)
{
    struct s3_fixture *f = *state;
    fails(f, NULL, "CreateBucket", "{\"Bucket\":\"acl-bucket\",\"ACL\":\"public-read\"}",
          "InvalidBucketAclWithObjectOwnership", NULL);
    fails(f, NULL, "CreateBucket",
          "{\"Bucket\":\"lock-bucket\",\"ObjectLockEnabledForBucket\":true}", "NotImplemented",
          NULL);
    ok(f, NULL, "CreateBucket", "{\"Bucket\":\"private-bucket\",\"ACL\":\"private\"}");
    /* Tags at creation, checked like PutBucketTagging's. */
    ok(f, NULL, "CreateBucket",
       "{\"Bucket\":\"tagged-bucket\",\"CreateBucketConfiguration\":{\"Tags\":"
       "[{\"Key\":\"team\",\"Value\":\"ci\"}]}}");
    json_t *out = ok_out(f, "GetBucketTagging", "{\"Bucket\":\"tagged-bucket\"}");
    assert_int_equal(json_array_size(json_object_get(out, "TagSet")), 1);
    json_decref(out);
}

/* ---- ListBuckets, DeleteBucket -------------------------------------------------- */

static void test_list_buckets(void **state)
{
    struct s3_fixture *f = *state;
    create(f, "zeta");
    create(f, "alpha");
    create(f, "mid");
    f->now_ms += 1000;
    ok(f, &f->other, "CreateBucket", "{\"Bucket\":\"theirs\"}");
    json_t *out = ok_out(f, "ListBuckets", "{}");
    json_t *buckets = json_object_get(out, "Buckets");
    assert_int_equal(json_array_size(buckets), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(buckets, 0), "Name")),
                        "alpha");
    assert_string_equal(json_string_value(json_object_get(json_array_get(buckets, 2), "Name")),
                        "zeta");
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(buckets, 0), "CreationDate")),
        IAM_FIXTURE_T0);
    /* No parameter: no BucketRegion, as on AWS. */
    assert_null(json_object_get(json_array_get(buckets, 0), "BucketRegion"));
    json_t *owner = json_object_get(out, "Owner");
    assert_int_equal(strlen(json_string_value(json_object_get(owner, "ID"))), 64);
    assert_null(json_object_get(out, "ContinuationToken"));
    json_decref(out);

    /* Pages of two. */
    out = ok_out(f, "ListBuckets", "{\"MaxBuckets\":2}");
    buckets = json_object_get(out, "Buckets");
    assert_int_equal(json_array_size(buckets), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(buckets, 0), "BucketRegion")),
        "us-east-1");
    const char *token = json_string_value(json_object_get(out, "ContinuationToken"));
    assert_non_null(token);
    char params[1024];
    snprintf(params, sizeof(params), "{\"MaxBuckets\":2,\"ContinuationToken\":\"%s\"}", token);
    json_decref(out);
    out = ok_out(f, "ListBuckets", params);
    buckets = json_object_get(out, "Buckets");
    assert_int_equal(json_array_size(buckets), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(buckets, 0), "Name")),
                        "zeta");
    assert_null(json_object_get(out, "ContinuationToken"));
    json_decref(out);

    out = ok_out(f, "ListBuckets", "{\"Prefix\":\"m\"}");
    assert_int_equal(json_array_size(json_object_get(out, "Buckets")), 1);
    assert_string_equal(json_string_value(json_object_get(out, "Prefix")), "m");
    json_decref(out);
    out = ok_out(f, "ListBuckets", "{\"BucketRegion\":\"eu-west-1\"}");
    assert_int_equal(json_array_size(json_object_get(out, "Buckets")), 0);
    json_decref(out);
}

static void test_delete_bucket(void **state)
{
    struct s3_fixture *f = *state;
    create(f, "doomed");
    /* An object record (versions or delete markers) keeps the bucket. */
    json_t *rec =
        json_pack("{s:[{s:s, s:I, s:s, s:b}]}", "Versions", "VersionId", "abc", "LastModified",
                  (json_int_t)IAM_FIXTURE_T0, "Owner", S3F_ACCOUNT, "DeleteMarker", 1);
    assert_int_equal(record_insert(f->st, NULL, S3_KIND_OBJECT, "doomed", "k", rec), 0);
    json_decref(rec);
    ok(f, NULL, "PutBucketVersioning",
       "{\"Bucket\":\"doomed\",\"VersioningConfiguration\":{\"Status\":\"Enabled\"}}");
    fails(f, NULL, "DeleteBucket", "{\"Bucket\":\"doomed\"}", "BucketNotEmpty",
          "The bucket you tried to delete is not empty. You must delete all versions in the "
          "bucket.");
    assert_int_equal(store_doc_delete(f->st, NULL, S3_KIND_OBJECT, "doomed", "k", 0), 0);
    /* So does a multipart upload in progress. */
    json_t *upload = json_pack("{s:s, s:s, s:I}", "UploadId", "u1", "Key", "k", "Initiated",
                               (json_int_t)IAM_FIXTURE_T0);
    assert_int_equal(record_insert(f->st, NULL, S3_KIND_UPLOAD, "doomed", "u1", upload), 0);
    json_decref(upload);
    fails(f, NULL, "DeleteBucket", "{\"Bucket\":\"doomed\"}", "BucketNotEmpty", NULL);
    assert_int_equal(store_doc_delete(f->st, NULL, S3_KIND_UPLOAD, "doomed", "u1", 0), 0);
    ok(f, NULL, "DeleteBucket", "{\"Bucket\":\"doomed\"}");
    fails(f, NULL, "HeadBucket", "{\"Bucket\":\"doomed\"}", "NoSuchBucket",
          "The specified bucket does not exist");
    fails(f, NULL, "DeleteBucket", "{\"Bucket\":\"doomed\"}", "NoSuchBucket", NULL);
    json_t *out = ok_out(f, "ListBuckets", "{}");
    assert_int_equal(json_array_size(json_object_get(out, "Buckets")), 0);
    json_decref(out);
    /* The name is free again, for anyone. */
    ok(f, &f->other, "CreateBucket", "{\"Bucket\":\"doomed\"}");
    fails(f, NULL, "HeadBucket", "{\"Bucket\":\"doomed\"}", "AccessDenied", NULL);
    fails(f, NULL, "GetBucketTagging",
          "{\"Bucket\":\"doomed\",\"ExpectedBucketOwner\":\"" S3F_ACCOUNT "\"}", "AccessDenied",
          "Access Denied");
}

/* ---- versioning and tags ------------------------------------------------------- */

static void test_versioning(void **state)
{
    struct s3_fixture *f = *state;
    create(f, "ver");
    json_t *out = ok_out(f, "GetBucketVersioning", "{\"Bucket\":\"ver\"}");
    assert_int_equal(json_object_size(out), 0);
    json_decref(out);
    ok(f, NULL, "PutBucketVersioning",
       "{\"Bucket\":\"ver\",\"VersioningConfiguration\":{\"Status\":\"Enabled\"}}");
    ok(f, NULL, "PutBucketVersioning",
       "{\"Bucket\":\"ver\",\"VersioningConfiguration\":{\"Status\":\"Suspended\"}}");
    out = ok_out(f, "GetBucketVersioning", "{\"Bucket\":\"ver\"}");
    assert_string_equal(json_string_value(json_object_get(out, "Status")), "Suspended");
    json_decref(out);
    fails(f, NULL, "PutBucketVersioning",
          "{\"Bucket\":\"ver\",\"VersioningConfiguration\":{\"Status\":\"Enabled\","
          "\"MFADelete\":\"Enabled\"}}",
          "NotImplemented", NULL);
}

static void test_tagging(void **state)
{
    struct s3_fixture *f = *state;
    create(f, "tags");
    fails(f, NULL, "GetBucketTagging", "{\"Bucket\":\"tags\"}", "NoSuchTagSet",
          "The TagSet does not exist");
    ok(f, NULL, "PutBucketTagging",
       "{\"Bucket\":\"tags\",\"Tagging\":{\"TagSet\":[{\"Key\":\"team\",\"Value\":\"ci\"},"
       "{\"Key\":\"cost center\",\"Value\":\"a/b@c+d=e.f_g:h-\\u00e9\"}]}}");
    json_t *out = ok_out(f, "GetBucketTagging", "{\"Bucket\":\"tags\"}");
    json_t *set = json_object_get(out, "TagSet");
    assert_int_equal(json_array_size(set), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(set, 0), "Key")), "team");
    json_decref(out);

    static const struct {
        const char *tagset;
        const char *message;
    } bad[] = {
        {"[{\"Key\":\"a\",\"Value\":\"1\"},{\"Key\":\"a\",\"Value\":\"2\"}]",
         "Cannot provide multiple Tags with the same key"},
        {"[{\"Key\":\"aws:x\",\"Value\":\"1\"}]",
         "System tags cannot be added/updated by requester"},
        {"[{\"Key\":\"AWS:x\",\"Value\":\"1\"}]",
         "System tags cannot be added/updated by requester"},
        {"[{\"Key\":\"\",\"Value\":\"1\"}]", "The TagKey you have provided is invalid"},
        {"[{\"Key\":\"a,b\",\"Value\":\"1\"}]", "The TagKey you have provided is invalid"},
        {"[{\"Key\":\"a\",\"Value\":\"tab\\there\"}]", "The TagValue you have provided is invalid"},
        {"[{\"Key\":\"a\",\"Value\":\"\\ud83d\\ude00\"}]",
         "The TagValue you have provided is invalid"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char params[512];
        snprintf(params, sizeof(params), "{\"Bucket\":\"tags\",\"Tagging\":{\"TagSet\":%s}}",
                 bad[i].tagset);
        fails(f, NULL, "PutBucketTagging", params, "InvalidTag", bad[i].message);
    }
    /* 51 tags are one too many. */
    json_t *many = json_array();
    for (int i = 0; i < 51; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        json_array_append_new(many, json_pack("{s:s, s:s}", "Key", key, "Value", "v"));
    }
    json_t *params = json_pack("{s:s, s:{s:o}}", "Bucket", "tags", "Tagging", "TagSet", many);
    char *text = json_dumps(params, JSON_COMPACT);
    fails(f, NULL, "PutBucketTagging", text, "InvalidTag", "Bucket tags cannot be greater than 50");
    free(text);
    json_decref(params);

    ok(f, NULL, "DeleteBucketTagging", "{\"Bucket\":\"tags\"}");
    fails(f, NULL, "GetBucketTagging", "{\"Bucket\":\"tags\"}", "NoSuchTagSet", NULL);
}

/* ---- policies ------------------------------------------------------------------ */

static char *put_policy_params(const char *bucket, const char *policy)
{
    json_t *p = json_pack("{s:s, s:s}", "Bucket", bucket, "Policy", policy);
    char *text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    return text;
}

static void policy_fails(struct s3_fixture *f, const char *policy, const char *message)
{
    char *params = put_policy_params("pol", policy);
    fails(f, NULL, "PutBucketPolicy", params, "MalformedPolicy", message);
    free(params);
}

#define STMT(body) "{\"Version\":\"2012-10-17\",\"Statement\":[" body "]}"
#define ALLOW_ALL_GET                                                                              \
    "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","                       \
    "\"Resource\":\"arn:aws:s3:::pol/*\"}"

static void test_policy_validation(void **state)
{
    struct s3_fixture *f = *state;
    create(f, "pol");
    fails(f, NULL, "GetBucketPolicy", "{\"Bucket\":\"pol\"}", "NoSuchBucketPolicy",
          "The bucket policy does not exist");
    policy_fails(f, "not json", "Policies must be valid JSON and the first byte must be '{'");
    policy_fails(f, "[1]", "Policies must be valid JSON and the first byte must be '{'");
    policy_fails(f, "{\"Version\":\"2012-10-17\"}", "Missing required field Statement");
    policy_fails(f, "{\"Statement\":[]}", "Could not parse the policy: Statement is empty!");
    policy_fails(f, "{\"Version\":\"2012-10-18\",\"Statement\":[" ALLOW_ALL_GET "]}",
                 "The policy must contain a valid version string");
    policy_fails(f, "{\"Statement\":[" ALLOW_ALL_GET "],\"Foo\":1}", "Unknown field Foo");
    policy_fails(f,
                 STMT("{\"Effect\":\"allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                      "\"Resource\":\"arn:aws:s3:::pol/*\"}"),
                 "Invalid effect: allow");
    policy_fails(f,
                 STMT("{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\","
                      "\"Resource\":\"arn:aws:s3:::pol/*\"}"),
                 "Missing required field Principal");
    policy_fails(f,
                 STMT("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"ec2:RunInstances\","
                      "\"Resource\":\"arn:aws:s3:::pol/*\"}"),
                 "Policy has invalid action");
    policy_fails(f,
                 STMT("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                      "\"Resource\":\"arn:aws:s3:::other/*\"}"),
                 "Policy has invalid resource");
    policy_fails(f,
                 STMT("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                      "\"Resource\":\"*\"}"),
                 "Policy has invalid resource");
    policy_fails(f,
                 STMT("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                      "\"Resource\":\"arn:aws:s3:::pol\"}"),
                 "Action does not apply to any resource(s) in statement");
    policy_fails(f,
                 STMT("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:ListBucket*\","
                      "\"Resource\":\"arn:aws:s3:::pol/*\"}"),
                 "Action does not apply to any resource(s) in statement");
    policy_fails(f,
                 STMT("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" S3F_ACCOUNT
                      ":user/ghost\"},\"Action\":\"s3:GetObject\","
                      "\"Resource\":\"arn:aws:s3:::pol/*\"}"),
                 "Invalid principal in policy");
    policy_fails(f,
                 STMT("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"999999999999\"},"
                      "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::pol/*\"}"),
                 "Invalid principal in policy");
    policy_fails(f,
                 STMT("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                      "\"Resource\":\"arn:aws:s3:::pol/*\",\"Condition\":{\"StringEqualz\":"
                      "{\"aws:username\":\"a\"}}}"),
                 "Invalid Condition type : StringEqualz");
    policy_fails(f,
                 "{\"Version\":\"2012-10-17\",\"Version\":\"2012-10-17\",\"Statement\":"
                 "[" ALLOW_ALL_GET "]}",
                 "Statement/policy already has instance of Version");

    /* Accepted: the text comes back as it was sent. */
    const char *good = "{\"Version\":\"2012-10-17\",\"Statement\":[" ALLOW_ALL_GET
                       ",{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" S3F_ACCOUNT
                       ":root\"},\"Action\":[\"s3:ListBucket\",\"s3:Get*\"],\"Resource\":["
                       "\"arn:aws:s3:::pol\",\"arn:aws:s3:::pol/*\"]}]}";
    char *params = put_policy_params("pol", good);
    ok(f, NULL, "PutBucketPolicy", params);
    free(params);
    json_t *out = ok_out(f, "GetBucketPolicy", "{\"Bucket\":\"pol\"}");
    assert_string_equal(json_string_value(json_object_get(out, "Policy")), good);
    json_decref(out);
    ok(f, NULL, "DeleteBucketPolicy", "{\"Bucket\":\"pol\"}");
    ok(f, NULL, "DeleteBucketPolicy", "{\"Bucket\":\"pol\"}");
    fails(f, NULL, "GetBucketPolicy", "{\"Bucket\":\"pol\"}", "NoSuchBucketPolicy", NULL);
}

static struct principal user(struct s3_fixture *f, const char *name)
{
    char params[256];
    snprintf(params, sizeof(params), "{\"UserName\":\"%s\"}", name);
    if (iam_fixture_call(f->iam, NULL, "iam", "CreateUser", params, NULL) < 0)
        fail_msg("CreateUser: %s", err_msg());
    struct principal p = {.type = PRINCIPAL_USER};
    snprintf(p.account_id, sizeof(p.account_id), "%s", S3F_ACCOUNT);
    snprintf(p.name, sizeof(p.name), "%s", name);
    snprintf(p.arn, sizeof(p.arn), "arn:aws:iam::%s:user/%s", S3F_ACCOUNT, name);
    snprintf(p.access_key_id, sizeof(p.access_key_id), "AKIA%s", name);
    return p;
}

static void test_policy_enforced(void **state)
{
    struct s3_fixture *f = *state;
    create(f, "shared");
    ok(f, NULL, "PutBucketTagging",
       "{\"Bucket\":\"shared\",\"Tagging\":{\"TagSet\":[{\"Key\":\"a\",\"Value\":\"b\"}]}}");
    struct principal reader = user(f, "reader");
    struct principal stranger = user(f, "stranger");
    /* Without a policy, a user without identity policies is denied. */
    fails(f, &reader, "GetBucketTagging", "{\"Bucket\":\"shared\"}", "AccessDenied", NULL);
    assert_non_null(strstr(err_msg(), "s3:GetBucketTagging"));

    const char *policy =
        STMT("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" S3F_ACCOUNT
             ":user/reader\"},\"Action\":[\"s3:GetBucketTagging\",\"s3:GetObject\"],"
             "\"Resource\":[\"arn:aws:s3:::shared\",\"arn:aws:s3:::shared/*\"]},"
             "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:PutBucketTagging\","
             "\"Resource\":\"arn:aws:s3:::shared\"}");
    char *params = put_policy_params("shared", policy);
    ok(f, NULL, "PutBucketPolicy", params);
    free(params);
    /* The bucket policy grants what no identity policy does ... */
    ok(f, &reader, "GetBucketTagging", "{\"Bucket\":\"shared\"}");
    fails(f, &stranger, "GetBucketTagging", "{\"Bucket\":\"shared\"}", "AccessDenied", NULL);
    /* ... and its explicit deny beats the admin's AdministratorAccess. */
    fails(f, NULL, "PutBucketTagging",
          "{\"Bucket\":\"shared\",\"Tagging\":{\"TagSet\":[{\"Key\":\"a\",\"Value\":\"c\"}]}}",
          "AccessDenied", NULL);
    assert_non_null(strstr(err_msg(), "explicit deny"));
    /* s3_authorize() for objects: the same policy, the object ARN. */
    struct api_call call = {.request_id = "r",
                            .service = model_service_find("s3"),
                            .principal = &reader,
                            .account_id = S3F_ACCOUNT,
                            .region = "us-east-1",
                            .store = f->st,
                            .now_ms = f->now_ms};
    json_t *doc;
    assert_int_equal(record_get(&doc, NULL, f->st, NULL, S3_KIND_BUCKET, S3_SCOPE, "shared"), 0);
    assert_int_equal(s3_authorize(&call, "s3:GetObject", "shared", "a/b.txt", doc), 0);
    assert_int_equal(s3_authorize(&call, "s3:PutObject", "shared", "a/b.txt", doc), ERR_DENIED);
    json_decref(doc);
}

/* Condition keys: the ones every request has and the ones an operation adds. */
static void test_policy_condition_keys(void **state)
{
    struct s3_fixture *f = *state;
    create(f, "cond");
    struct principal lister = user(f, "lister");
    const char *policy =
        STMT("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" S3F_ACCOUNT
             ":user/lister\"},\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::cond\","
             "\"Condition\":{\"StringLike\":{\"s3:prefix\":\"home/*\"}}},"
             "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" S3F_ACCOUNT
             ":user/lister\"},\"Action\":\"s3:GetBucketVersioning\",\"Resource\":"
             "\"arn:aws:s3:::cond\",\"Condition\":{\"StringEquals\":{\"s3:authType\":"
             "\"REST-HEADER\",\"s3:signatureversion\":\"AWS4-HMAC-SHA256\","
             "\"s3:ResourceAccount\":\"" S3F_ACCOUNT "\"}}},"
             "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" S3F_ACCOUNT
             ":user/lister\"},\"Action\":\"s3:GetBucketLocation\",\"Resource\":"
             "\"arn:aws:s3:::cond\",\"Condition\":{\"StringEquals\":{\"s3:authType\":"
             "\"REST-QUERY-STRING\"}}}");
    char *params = put_policy_params("cond", policy);
    ok(f, NULL, "PutBucketPolicy", params);
    free(params);
    ok(f, &lister, "GetBucketVersioning", "{\"Bucket\":\"cond\"}");
    /* Not presigned: the REST-QUERY-STRING statement does not apply. */
    fails(f, &lister, "GetBucketLocation", "{\"Bucket\":\"cond\"}", "AccessDenied", NULL);

    struct api_call call = {.request_id = "r",
                            .service = model_service_find("s3"),
                            .principal = &lister,
                            .account_id = S3F_ACCOUNT,
                            .region = "us-east-1",
                            .store = f->st,
                            .now_ms = f->now_ms};
    json_t *doc;
    assert_int_equal(record_get(&doc, NULL, f->st, NULL, S3_KIND_BUCKET, S3_SCOPE, "cond"), 0);
    struct api_condition home = {"s3:prefix", "home/lister/"};
    struct api_condition etc = {"s3:prefix", "etc/"};
    assert_int_equal(s3_authorize_request(&call, "s3:ListBucket", "cond", NULL, doc, &home, 1), 0);
    assert_int_equal(s3_authorize_request(&call, "s3:ListBucket", "cond", NULL, doc, &etc, 1),
                     ERR_DENIED);
    assert_int_equal(s3_authorize(&call, "s3:ListBucket", "cond", NULL, doc), ERR_DENIED);
    json_decref(doc);
}

static void test_owner_root_keeps_policy_access(void **state)
{
    struct s3_fixture *f = *state;
    ok(f, &f->other, "CreateBucket", "{\"Bucket\":\"locked\"}");
    char *params = put_policy_params(
        "locked", STMT("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\","
                       "\"Resource\":[\"arn:aws:s3:::locked\",\"arn:aws:s3:::locked/*\"]}"));
    ok(f, &f->other, "PutBucketPolicy", params);
    free(params);
    /* The policy denies everything, the owner's root included ... */
    fails(f, &f->other, "GetBucketTagging", "{\"Bucket\":\"locked\"}", "AccessDenied", NULL);
    /* ... except reading and removing the policy itself. */
    ok(f, &f->other, "GetBucketPolicy", "{\"Bucket\":\"locked\"}");
    ok(f, &f->other, "DeleteBucketPolicy", "{\"Bucket\":\"locked\"}");
    fails(f, &f->other, "GetBucketTagging", "{\"Bucket\":\"locked\"}", "NoSuchTagSet", NULL);
}

/* ---- lifecycle configuration --------------------------------------------------- */

static void lifecycle_fails(struct s3_fixture *f, const char *rules, const char *code,
                            const char *message)
{
    char params[2048];
    snprintf(params, sizeof(params),
             "{\"Bucket\":\"life\",\"LifecycleConfiguration\":{\"Rules\":%s}}", rules);
    fails(f, NULL, "PutBucketLifecycleConfiguration", params, code, message);
}

static void test_lifecycle_configuration(void **state)
{
    struct s3_fixture *f = *state;
    create(f, "life");
    fails(f, NULL, "GetBucketLifecycleConfiguration", "{\"Bucket\":\"life\"}",
          "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist");
    lifecycle_fails(f, "[]", "MalformedXML", NULL);
    lifecycle_fails(f, "[{\"Status\":\"Enabled\",\"Expiration\":{\"Days\":1}}]", "MalformedXML",
                    NULL);
    lifecycle_fails(f, "[{\"Status\":\"Enabled\",\"Filter\":{}}]", "InvalidRequest",
                    "At least one action needs to be specified in a rule");
    lifecycle_fails(f, "[{\"Status\":\"Enabled\",\"Filter\":{},\"Expiration\":{\"Days\":0}}]",
                    "InvalidArgument", "'Days' for Expiration action must be a positive integer");
    lifecycle_fails(f,
                    "[{\"Status\":\"Enabled\",\"Filter\":{},\"Expiration\":"
                    "{\"Date\":1700000000000}}]",
                    "InvalidArgument", "'Date' must be at midnight GMT");
    lifecycle_fails(f,
                    "[{\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"a\",\"Tag\":{\"Key\":\"k\","
                    "\"Value\":\"v\"}},\"Expiration\":{\"Days\":1}}]",
                    "MalformedXML", NULL);
    lifecycle_fails(
        f,
        "[{\"ID\":\"x\",\"Status\":\"Enabled\",\"Filter\":{},\"Expiration\":{\"Days\":1}},"
        "{\"ID\":\"x\",\"Status\":\"Enabled\",\"Filter\":{},\"Expiration\":{\"Days\":2}}]",
        "InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule");
    lifecycle_fails(f,
                    "[{\"Status\":\"Enabled\",\"Filter\":{\"Tag\":{\"Key\":\"k\",\"Value\":\"v\"}},"
                    "\"AbortIncompleteMultipartUpload\":{\"DaysAfterInitiation\":1}}]",
                    "InvalidRequest",
                    "AbortIncompleteMultipartUpload cannot be specified with Tags.");
    lifecycle_fails(f,
                    "[{\"Status\":\"Enabled\",\"Filter\":{},\"Transitions\":[{\"Days\":30,"
                    "\"StorageClass\":\"GLACIER\"}]}]",
                    "NotImplemented", NULL);

    ok(f, NULL, "PutBucketLifecycleConfiguration",
       "{\"Bucket\":\"life\",\"LifecycleConfiguration\":{\"Rules\":[{\"ID\":\"logs\","
       "\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"logs/\"},\"Expiration\":{\"Days\":7}},"
       "{\"Status\":\"Enabled\",\"Filter\":{},\"NoncurrentVersionExpiration\":"
       "{\"NoncurrentDays\":3,\"NewerNoncurrentVersions\":2}}]}}");
    json_t *out = ok_out(f, "GetBucketLifecycleConfiguration", "{\"Bucket\":\"life\"}");
    json_t *rules = json_object_get(out, "Rules");
    assert_int_equal(json_array_size(rules), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rules, 0), "ID")), "logs");
    /* A rule without an ID gets one. */
    assert_int_equal(strlen(json_string_value(json_object_get(json_array_get(rules, 1), "ID"))),
                     48);
    json_decref(out);
    ok(f, NULL, "DeleteBucketLifecycle", "{\"Bucket\":\"life\"}");
    fails(f, NULL, "GetBucketLifecycleConfiguration", "{\"Bucket\":\"life\"}",
          "NoSuchLifecycleConfiguration", NULL);
}

/* ---- notifications and events --------------------------------------------------- */

static json_t *outbox_events(struct s3_fixture *f)
{
    struct store_event_batch batch;
    assert_int_equal(store_outbox_fetch(&batch, f->st, NULL, 0, 0), 0);
    json_t *events = json_array();
    for (size_t i = 0; i < batch.len; i++)
        json_array_append_new(events, json_loads(batch.items[i].body, 0, NULL));
    store_event_batch_release(&batch);
    return events;
}

static void test_notifications_and_events(void **state)
{
    struct s3_fixture *f = *state;
    create(f, "events");
    json_t *out = ok_out(f, "GetBucketNotificationConfiguration", "{\"Bucket\":\"events\"}");
    assert_int_equal(json_object_size(out), 0);
    json_decref(out);
    fails(
        f, NULL, "PutBucketNotificationConfiguration",
        "{\"Bucket\":\"events\",\"NotificationConfiguration\":{\"QueueConfigurations\":[{"
        "\"QueueArn\":\"arn:aws:sqs:us-east-1:" S3F_ACCOUNT ":q\","
        "\"Events\":[\"s3:ObjectCreated:*\"]}]}}",
        "InvalidArgument",
        "Unable to validate the following destination configurations: arn:aws:sqs:us-east-1:" S3F_ACCOUNT
        ":q: slipway cannot deliver to SQS queues; use EventBridgeConfiguration");

    /* Without EventBridge, nothing is emitted. */
    json_t *doc;
    assert_int_equal(record_get(&doc, NULL, f->st, NULL, S3_KIND_BUCKET, S3_SCOPE, "events"), 0);
    json_t *version = json_pack("{s:s, s:I, s:s, s:s, s:I}", "VersionId", "null", "LastModified",
                                (json_int_t)f->now_ms, "Owner", S3F_ACCOUNT, "ETag",
                                "\"5d41402abc4b2a76b9719d911017c592\"", "Size", (json_int_t)5);
    assert_int_equal(s3_event_emit(f->st, NULL, "us-east-1", doc, "Object Created", "k", version),
                     0);
    json_t *events = outbox_events(f);
    assert_int_equal(json_array_size(events), 0);
    json_decref(events);
    json_decref(doc);

    ok(f, NULL, "PutBucketNotificationConfiguration",
       "{\"Bucket\":\"events\",\"NotificationConfiguration\":{\"EventBridgeConfiguration\":{}}}");
    out = ok_out(f, "GetBucketNotificationConfiguration", "{\"Bucket\":\"events\"}");
    assert_true(json_is_object(json_object_get(out, "EventBridgeConfiguration")));
    json_decref(out);

    assert_int_equal(record_get(&doc, NULL, f->st, NULL, S3_KIND_BUCKET, S3_SCOPE, "events"), 0);
    struct s3_event_cause cause = {.reason = "PutObject",
                                   .request_id = "REQ1",
                                   .requester = S3F_ACCOUNT,
                                   .source_ip = "1.2.3.4"};
    assert_int_equal(s3_event_emit_cause(f->st, NULL, "us-east-1", doc, "Object Created",
                                         "dir/k.txt", version, &cause),
                     0);
    json_t *marker = json_pack("{s:s, s:I, s:s, s:b}", "VersionId", "v2", "LastModified",
                               (json_int_t)f->now_ms, "Owner", S3F_ACCOUNT, "DeleteMarker", 1);
    assert_int_equal(
        s3_event_emit(f->st, NULL, "us-east-1", doc, "Object Deleted", "dir/k.txt", marker), 0);
    json_decref(marker);
    json_decref(version);
    json_decref(doc);

    events = outbox_events(f);
    assert_int_equal(json_array_size(events), 2);
    json_t *created = json_array_get(events, 0);
    assert_string_equal(json_string_value(json_object_get(created, "version")), "0");
    assert_int_equal(strlen(json_string_value(json_object_get(created, "id"))), 36);
    assert_string_equal(json_string_value(json_object_get(created, "detail-type")),
                        "Object Created");
    assert_string_equal(json_string_value(json_object_get(created, "source")), "aws.s3");
    assert_string_equal(json_string_value(json_object_get(created, "account")), S3F_ACCOUNT);
    assert_string_equal(json_string_value(json_object_get(created, "time")),
                        "2023-11-14T22:13:20Z");
    assert_string_equal(json_string_value(json_object_get(created, "region")), "us-east-1");
    assert_string_equal(json_string_value(json_array_get(json_object_get(created, "resources"), 0)),
                        "arn:aws:s3:::events");
    json_t *detail = json_object_get(created, "detail");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(detail, "bucket"), "name")), "events");
    json_t *object = json_object_get(detail, "object");
    assert_string_equal(json_string_value(json_object_get(object, "key")), "dir/k.txt");
    assert_int_equal(json_integer_value(json_object_get(object, "size")), 5);
    assert_string_equal(json_string_value(json_object_get(object, "etag")),
                        "5d41402abc4b2a76b9719d911017c592");
    assert_null(json_object_get(object, "version-id")); /* a "null" version has none */
    assert_int_equal(strlen(json_string_value(json_object_get(object, "sequencer"))), 16);
    assert_string_equal(json_string_value(json_object_get(detail, "request-id")), "REQ1");
    assert_string_equal(json_string_value(json_object_get(detail, "requester")), S3F_ACCOUNT);
    assert_string_equal(json_string_value(json_object_get(detail, "source-ip-address")), "1.2.3.4");
    assert_string_equal(json_string_value(json_object_get(detail, "reason")), "PutObject");
    assert_null(json_object_get(detail, "deletion-type"));

    json_t *deleted = json_array_get(events, 1);
    assert_string_equal(json_string_value(json_object_get(deleted, "detail-type")),
                        "Object Deleted");
    detail = json_object_get(deleted, "detail");
    object = json_object_get(detail, "object");
    assert_string_equal(json_string_value(json_object_get(object, "version-id")), "v2");
    assert_null(json_object_get(object, "size"));
    assert_string_equal(json_string_value(json_object_get(detail, "reason")), "DeleteObject");
    assert_string_equal(json_string_value(json_object_get(detail, "deletion-type")),
                        "Delete Marker Created");
    /* Sequencers increase. */
    assert_true(strcmp(json_string_value(json_object_get(object, "sequencer")),
                       json_string_value(json_object_get(
                           json_object_get(json_object_get(created, "detail"), "object"),
                           "sequencer"))) > 0);
    json_decref(events);

    /* An empty configuration turns delivery off again. */
    ok(f, NULL, "PutBucketNotificationConfiguration",
       "{\"Bucket\":\"events\",\"NotificationConfiguration\":{}}");
    out = ok_out(f, "GetBucketNotificationConfiguration", "{\"Bucket\":\"events\"}");
    assert_int_equal(json_object_size(out), 0);
    json_decref(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_names),
        cmocka_unit_test_setup_teardown(test_create_and_recreate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_regions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_buckets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_bucket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versioning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tagging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_enforced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_condition_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_root_keeps_policy_access, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lifecycle_configuration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notifications_and_events, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
