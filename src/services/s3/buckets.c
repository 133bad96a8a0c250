#include "base/common.h"
#include "services/s3/s3_internal.h"
#include "aws/pagination.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/common/record.h"

/*
 * Buckets: CreateBucket, DeleteBucket, HeadBucket, ListBuckets,
 * GetBucketLocation, versioning and tags. The record layout is in
 * s3_internal.h; the decisions where AWS leaves room are in docs/s3.md.
 */

#define S3_BUCKET_TAGS_MAX 50
#define S3_TAG_KEY_UNITS   128 /* UTF-16 code units, as S3 counts */
#define S3_TAG_VALUE_UNITS 256
#define US_EAST_1          "us-east-1"

const char *s3_bucket_str(const json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- names ------------------------------------------------------------ */

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* Four dot-separated groups of digits: the form of an IPv4 address. */
static bool ip_address_form(const char *s)
{
    int groups = 0;
    while (*s) {
        size_t digits = 0;
        while (s[digits] >= '0' && s[digits] <= '9')
            digits++;
        if (digits == 0 || digits > 3)
            return false;
        groups++;
        s += digits;
        if (*s == '.')
            s++;
        else if (*s)
            return false;
    }
    return groups == 4;
}

bool s3_bucket_name_valid(const char *name)
{
    static const char *const reserved_prefixes[] = {"xn--", "sthree-", "amzn-s3-demo-"};
    static const char *const reserved_suffixes[] = {"-s3alias", "--ol-s3", ".mrap", "--x-s3",
                                                    "--table-s3"};
    size_t len = name ? strlen(name) : 0;
    if (len < 3 || len > 63 || !is_lower_alnum(name[0]) || !is_lower_alnum(name[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!is_lower_alnum(c) && c != '.' && c != '-')
            return false;
        if (c == '.' && name[i + 1] == '.')
            return false;
    }
    for (size_t i = 0; i < ARRAY_SIZE(reserved_prefixes); i++)
        if (starts_with(name, reserved_prefixes[i]))
            return false;
    for (size_t i = 0; i < ARRAY_SIZE(reserved_suffixes); i++)
        if (ends_with(name, len, reserved_suffixes[i]))
            return false;
    return !ip_address_form(name);
}

/* ---- loading, access and changes --------------------------------------- */

int s3_bucket_get(json_t **bucket_out, int64_t *version_out, struct api_call *call,
                  struct store_tx *tx, const char *bucket)
{
    /* A name S3 would never have created cannot exist (and may be longer
     * than a record name). */
    int rc = s3_bucket_name_valid(bucket) ? record_get(bucket_out, version_out, call->store, tx,
                                                       S3_KIND_BUCKET, S3_SCOPE, bucket)
                                          : ERR_NOT_FOUND;
    if (rc == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchBucket", "The specified bucket does not exist");
    return rc;
}

int s3_bucket_access(json_t **bucket_out, struct api_call *call, const json_t *in,
                     const char *action)
{
    const char *name = s3_bucket_str(in, "Bucket");
    json_t *doc;
    int rc = s3_bucket_get(&doc, NULL, call, NULL, name);
    if (rc < 0)
        return rc;
    const char *expected = s3_bucket_str(in, "ExpectedBucketOwner");
    if (expected && strcmp(expected, s3_bucket_str(doc, "Owner") ?: "") != 0)
        rc = api_error(call, ERR_DENIED, "AccessDenied", "Access Denied");
    if (rc == 0)
        rc = s3_authorize(call, action, name, NULL, doc);
    if (rc < 0) {
        json_decref(doc);
        return rc;
    }
    *bucket_out = doc;
    return 0;
}

int s3_bucket_update(struct api_call *call, const char *bucket, s3_bucket_change_fn change,
                     void *ctx)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    int rc = store_tx_begin(&tx, call->store);
    if (rc < 0)
        return rc;
    json_t *doc;
    int64_t version;
    if ((rc = s3_bucket_get(&doc, &version, call, tx, bucket)) < 0)
        return rc;
    if ((rc = change(call, doc, ctx)) == 0 &&
        (rc = record_update(call->store, tx, S3_KIND_BUCKET, S3_SCOPE, bucket, version, doc)) == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    json_decref(doc);
    return rc;
}

/* ---- tags --------------------------------------------------------------- */

/* Decodes one UTF-8 sequence of valid UTF-8 (the decoder checked it). */
static uint32_t utf8_next(const unsigned char **p)
{
    const unsigned char *s = *p;
    uint32_t cp;
    size_t n;
    if (s[0] < 0x80) {
        cp = s[0];
        n = 1;
    } else if ((s[0] & 0xe0) == 0xc0) {
        cp = s[0] & 0x1f;
        n = 2;
    } else if ((s[0] & 0xf0) == 0xe0) {
        cp = s[0] & 0x0f;
        n = 3;
    } else {
        cp = s[0] & 0x07;
        n = 4;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *p = s + i;
            return 0xfffd;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    *p = s + n;
    return cp;
}

/*
 * S3 allows letters, numbers and spaces of any language and + - = . _ : / @
 * in tags (Unicode classes L, N and Z). Without Unicode tables this
 * approximates the non-ASCII part: Latin-1 symbols and controls, combining
 * marks, general punctuation and symbol blocks, private use and everything
 * past the BMP (emoji) are refused; other BMP characters count as letters.
 */
static bool tag_char_ok(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
               strchr(" +-=._:/@", (int)cp) != NULL;
    if (cp < 0xa0 || cp > 0xffff)
        return false;
    if (cp <= 0xbf)
        return cp == 0xa0 || cp == 0xaa || cp == 0xb2 || cp == 0xb3 || cp == 0xb5 || cp == 0xb9 ||
               cp == 0xba || (cp >= 0xbc && cp <= 0xbe);
    if (cp == 0xd7 || cp == 0xf7)
        return false;
    if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x1ab0 && cp <= 0x1aff) ||
        (cp >= 0x1dc0 && cp <= 0x1dff) || (cp >= 0x2010 && cp <= 0x2bff) ||
        (cp >= 0x3000 && cp <= 0x303f && cp != 0x3000) || (cp >= 0xd800 && cp <= 0xf8ff) ||
        (cp >= 0xfe00 && cp <= 0xfe2f) || cp >= 0xfff0)
        return false;
    return true;
}

/* Length in UTF-16 code units, or -1 when a character is not allowed. */
static long tag_text_units(const char *s)
{
    long units = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp = utf8_next(&p);
        if (!tag_char_ok(cp))
            return -1;
        units += cp > 0xffff ? 2 : 1;
    }
    return units;
}

/* Checks a TagSet [{Key, Value}] by S3's rules for bucket tags and makes it {k: v}. */
static int bucket_tags_parse(json_t **tags_out, struct api_call *call, const json_t *tagset)
{
    if (json_array_size(tagset) > S3_BUCKET_TAGS_MAX)
        return api_error(call, ERR_INVALID, "InvalidTag", "Bucket tags cannot be greater than %d",
                         S3_BUCKET_TAGS_MAX);
    json_t *tags = json_object();
    size_t i;
    json_t *tag;
    json_array_foreach(tagset, i, tag)
    {
        const char *key = s3_bucket_str(tag, "Key");
        const char *value = s3_bucket_str(tag, "Value");
        int rc = 0;
        long key_units = key ? tag_text_units(key) : -1;
        long value_units = value ? tag_text_units(value) : -1;
        if (key_units <= 0 || key_units > S3_TAG_KEY_UNITS)
            rc = api_error(call, ERR_INVALID, "InvalidTag",
                           "The TagKey you have provided is invalid");
        else if (value_units < 0 || value_units > S3_TAG_VALUE_UNITS)
            rc = api_error(call, ERR_INVALID, "InvalidTag",
                           "The TagValue you have provided is invalid");
        else if (strncasecmp(key, "aws:", 4) == 0)
            rc = api_error(call, ERR_INVALID, "InvalidTag",
                           "System tags cannot be added/updated by requester");
        else if (json_object_get(tags, key))
            rc = api_error(call, ERR_INVALID, "InvalidTag",
                           "Cannot provide multiple Tags with the same key");
        if (rc < 0) {
            json_decref(tags);
            return rc;
        }
        json_object_set_new(tags, key, json_string(value));
    }
    *tags_out = tags;
    return 0;
}

static json_t *tagset_out(const json_t *tags)
{
    json_t *set = json_array();
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)tags, key, value)
    {
        json_array_append_new(set, json_pack("{s:s, s:O}", "Key", key, "Value", value));
    }
    return set;
}

/* ---- CreateBucket -------------------------------------------------------- */

static const char *const acl_grants[] = {"GrantFullControl", "GrantRead", "GrantReadACP",
                                         "GrantWrite", "GrantWriteACP"};

/* The bucket's region from CreateBucketConfiguration and the request's region. */
static int create_region(const char **region_out, struct api_call *call, const char *constraint)
{
    if (!constraint) {
        if (strcmp(call->region, US_EAST_1) != 0)
            return api_error(call, ERR_INVALID, "IllegalLocationConstraintException",
                             "The unspecified location constraint is incompatible for the region "
                             "specific endpoint this request was sent to.");
        *region_out = US_EAST_1;
        return 0;
    }
    /* us-east-1 is the absence of a constraint; naming it is an error. */
    if (strcmp(constraint, US_EAST_1) == 0)
        return api_error(call, ERR_INVALID, "InvalidLocationConstraint",
                         "The specified location-constraint is not valid");
    /* "EU" is the legacy name of eu-west-1. */
    const char *region = strcmp(constraint, "EU") == 0 ? "eu-west-1" : constraint;
    if (strcmp(region, call->region) != 0)
        return api_error(call, ERR_INVALID, "IllegalLocationConstraintException",
                         "The %s location constraint is incompatible for the region specific "
                         "endpoint this request was sent to.",
                         constraint);
    *region_out = region;
    return 0;
}

/* ACLs are not modelled: private (the default) is what every bucket has. */
static int create_acl_check(struct api_call *call, const json_t *in, const char *ownership)
{
    const char *acl = s3_bucket_str(in, "ACL");
    bool custom = acl && strcmp(acl, "private") != 0;
    for (size_t i = 0; i < ARRAY_SIZE(acl_grants); i++)
        custom |= json_object_get(in, acl_grants[i]) != NULL;
    if (!custom)
        return 0;
    if (!ownership || strcmp(ownership, "BucketOwnerEnforced") == 0)
        return api_error(call, ERR_INVALID, "InvalidBucketAclWithObjectOwnership",
                         "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced "
                         "setting");
    return api_error(call, ERR_UNSUPPORTED, "NotImplemented",
                     "bucket ACLs are not supported by slipway; grant access with a bucket policy");
}

static int create_authorize(struct api_call *call, const json_t *in, const char *name,
                            const char *constraint, const char *ownership, bool tagged)
{
    struct api_condition conds[3];
    size_t n = 0;
    if (constraint)
        conds[n++] = (struct api_condition){"s3:LocationConstraint", constraint};
    if (s3_bucket_str(in, "ACL"))
        conds[n++] = (struct api_condition){"s3:x-amz-acl", s3_bucket_str(in, "ACL")};
    if (ownership)
        conds[n++] = (struct api_condition){"s3:x-amz-object-ownership", ownership};
    int rc = s3_authorize_request(call, "s3:CreateBucket", name, NULL, NULL, conds, n);
    /* The other permissions CreateBucket's documentation lists for headers. */
    if (rc == 0 && ownership)
        rc = s3_authorize(call, "s3:PutBucketOwnershipControls", name, NULL, NULL);
    if (rc == 0 && tagged)
        rc = s3_authorize(call, "s3:TagResource", name, NULL, NULL);
    return rc;
}

static json_t *create_output(const char *name, const char *region)
{
    struct buf location = BUF_INIT;
    if (strcmp(region, US_EAST_1) == 0)
        buf_addf(&location, "/%s", name);
    else
        buf_addf(&location, "http://%s.s3.amazonaws.com/", name);
    json_t *out = json_pack("{s:s}", "Location", location.data);
    buf_release(&location);
    return out;
}

/* Inserts the bucket, or answers for the one that has the name already. */
static int create_insert(bool *created_out, struct api_call *call, struct store_tx *tx,
                         const char *name, const char *region, json_t *doc)
{
    json_t *existing;
    int rc = record_get(&existing, NULL, call->store, tx, S3_KIND_BUCKET, S3_SCOPE, name);
    if (rc == 0) {
        bool own = strcmp(s3_bucket_str(existing, "Owner") ?: "", call->account_id) == 0;
        bool legacy = strcmp(s3_bucket_str(existing, "Region") ?: "", US_EAST_1) == 0 &&
                      strcmp(region, US_EAST_1) == 0;
        json_decref(existing);
        if (!own)
            return api_error(call, ERR_EXISTS, "BucketAlreadyExists",
                             "The requested bucket name is not available. The bucket namespace is "
                             "shared by all users of the system. Please select a different name "
                             "and try again.");
        /* us-east-1 answers 200 to its owner, for legacy compatibility. */
        if (legacy) {
            *created_out = false;
            return 0;
        }
        return api_error(call, ERR_EXISTS, "BucketAlreadyOwnedByYou",
                         "Your previous request to create the named bucket succeeded and you "
                         "already own it.");
    }
    if (rc != ERR_NOT_FOUND)
        return rc;
    size_t owned = 0;
    if ((rc = store_doc_count(&owned, call->store, tx, S3_KIND_OWNED_BUCKET, call->account_id,
                              NULL)) < 0)
        return rc;
    if (owned >= S3_BUCKETS_MAX)
        return api_error(call, ERR_LIMIT, "TooManyBuckets",
                         "You have attempted to create more buckets than allowed");
    json_t *index = json_pack("{s:O, s:s}", "CreationDate", json_object_get(doc, "CreationDate"),
                              "Region", region);
    rc = record_insert(call->store, tx, S3_KIND_BUCKET, S3_SCOPE, name, doc);
    if (rc == 0)
        rc = record_insert(call->store, tx, S3_KIND_OWNED_BUCKET, call->account_id, name, index);
    json_decref(index);
    *created_out = rc == 0;
    return rc;
}

int s3_create_bucket(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = s3_bucket_str(in, "Bucket");
    if (!s3_bucket_name_valid(name))
        return api_error(call, ERR_INVALID, "InvalidBucketName",
                         "The specified bucket is not valid.");
    json_t *cfg = json_object_get(in, "CreateBucketConfiguration");
    const char *constraint = s3_bucket_str(cfg, "LocationConstraint");
    json_t *tagset = json_object_get(cfg, "Tags");
    if (json_object_get(cfg, "Bucket") || json_object_get(cfg, "Location"))
        return api_error(call, ERR_UNSUPPORTED, "NotImplemented",
                         "directory buckets are not supported by slipway");
    if (cfg && !constraint && !tagset)
        return api_error(call, ERR_INVALID, "MalformedXML",
                         "The XML you provided was not well-formed or did not validate against "
                         "our published schema");
    const char *region = NULL;
    int rc = create_region(&region, call, constraint);
    if (rc < 0)
        return rc;
    if (json_is_true(json_object_get(in, "ObjectLockEnabledForBucket")))
        return api_error(call, ERR_UNSUPPORTED, "NotImplemented",
                         "Object Lock is not supported by slipway");
    const char *ownership = s3_bucket_str(in, "ObjectOwnership");
    if (ownership && strcmp(ownership, "BucketOwnerPreferred") != 0 &&
        strcmp(ownership, "ObjectWriter") != 0 && strcmp(ownership, "BucketOwnerEnforced") != 0)
        return api_error(call, ERR_INVALID, "InvalidArgument",
                         "Invalid x-amz-object-ownership header: %s", ownership);
    if ((rc = create_acl_check(call, in, ownership)) < 0)
        return rc;
    json_t *tags = NULL;
    if (tagset && (rc = bucket_tags_parse(&tags, call, tagset)) < 0)
        return rc;
    if ((rc = create_authorize(call, in, name, constraint, ownership, tags != NULL)) < 0) {
        json_decref(tags);
        return rc;
    }

    json_t *doc = json_pack("{s:s, s:s, s:s, s:I, s:s}", "Name", name, "Owner", call->account_id,
                            "Region", region, "CreationDate", (json_int_t)call->now_ms,
                            "ObjectOwnership", ownership ? ownership : "BucketOwnerEnforced");
    if (constraint)
        json_object_set_new(doc, "LocationConstraint", json_string(constraint));
    if (json_object_size(tags))
        json_object_set(doc, "Tags", tags);
    json_decref(tags);

    _cleanup_store_tx_ struct store_tx *tx = NULL;
    bool created = false;
    if ((rc = store_tx_begin(&tx, call->store)) == 0 &&
        (rc = create_insert(&created, call, tx, name, region, doc)) == 0 && created)
        rc = store_tx_commit(TAKE_PTR(tx));
    json_decref(doc);
    if (rc < 0)
        return rc;
    *out = create_output(name, region);
    return 0;
}

/* ---- DeleteBucket, HeadBucket, GetBucketLocation ------------------------- */

int s3_delete_bucket(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = s3_bucket_str(in, "Bucket");
    json_t *doc;
    int rc = s3_bucket_access(&doc, call, in, "s3:DeleteBucket");
    if (rc < 0)
        return rc;
    json_decref(doc);

    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    int64_t version;
    if ((rc = s3_bucket_get(&doc, &version, call, tx, name)) < 0)
        return rc;
    /* Versions and delete markers live in the object records; uploads in
     * progress count too, as on AWS. */
    size_t objects = 0, uploads = 0;
    if ((rc = store_doc_count(&objects, call->store, tx, S3_KIND_OBJECT, name, NULL)) == 0 &&
        (rc = store_doc_count(&uploads, call->store, tx, S3_KIND_UPLOAD, name, NULL)) == 0 &&
        objects + uploads > 0)
        rc = api_error(call, ERR_CONFLICT, "BucketNotEmpty",
                       s3_bucket_str(doc, "Versioning")
                           ? "The bucket you tried to delete is not empty. You must delete all "
                             "versions in the bucket."
                           : "The bucket you tried to delete is not empty");
    const char *owner = s3_bucket_str(doc, "Owner");
    if (rc == 0)
        rc = store_doc_delete(call->store, tx, S3_KIND_BUCKET, S3_SCOPE, name, version);
    if (rc == 0) {
        rc = store_doc_delete(call->store, tx, S3_KIND_OWNED_BUCKET, owner, name, 0);
        if (rc == ERR_NOT_FOUND)
            rc = 0;
    }
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    json_decref(doc);
    return rc;
}

int s3_head_bucket(struct api_call *call, json_t *in, json_t **out)
{
    json_t *doc;
    int rc = s3_bucket_access(&doc, call, in, "s3:ListBucket");
    if (rc < 0)
        return rc;
    *out = json_pack("{s:O, s:b}", "BucketRegion", json_object_get(doc, "Region"),
                     "AccessPointAlias", false);
    json_decref(doc);
    return 0;
}

int s3_get_bucket_location(struct api_call *call, json_t *in, json_t **out)
{
    json_t *doc;
    int rc = s3_bucket_access(&doc, call, in, "s3:GetBucketLocation");
    if (rc < 0)
        return rc;
    /* us-east-1 buckets have no constraint: an empty element. */
    json_t *constraint = json_object_get(doc, "LocationConstraint");
    *out = constraint ? json_pack("{s:O}", "LocationConstraint", constraint) : json_object();
    json_decref(doc);
    return 0;
}

/* ---- ListBuckets ------------------------------------------------------- */

static json_t *list_item(json_t *rec, bool with_region)
{
    json_t *item = json_pack("{s:O, s:O}", "Name", json_object_get(rec, "_name"), "CreationDate",
                             json_object_get(rec, "CreationDate"));
    if (with_region)
        json_object_set(item, "BucketRegion", json_object_get(rec, "Region"));
    return item;
}

int s3_list_buckets(struct api_call *call, json_t *in, json_t **out)
{
    int rc = api_authorize(call, "s3:ListAllMyBuckets", "*");
    if (rc < 0)
        return rc;
    const char *prefix = s3_bucket_str(in, "Prefix");
    const char *region = s3_bucket_str(in, "BucketRegion");
    const char *token = s3_bucket_str(in, "ContinuationToken");
    json_t *max_value = json_object_get(in, "MaxBuckets");
    size_t max = json_is_integer(max_value) && json_integer_value(max_value) > 0 &&
                         json_integer_value(max_value) <= S3_BUCKETS_MAX
                     ? (size_t)json_integer_value(max_value)
                     : S3_BUCKETS_MAX;
    /* "If the request contains at least one valid parameter", AWS adds
     * each bucket's region. */
    bool with_region = prefix || region || token || max_value;

    char *after = NULL;
    if (token && pagination_token_decode(&after, token) < 0)
        return api_error(call, ERR_INVALID, "InvalidArgument", "Invalid continuation token");
    json_t *buckets = json_array();
    bool more = true;
    char *last = NULL;
    while (more && json_array_size(buckets) < max) {
        json_t *page;
        rc = record_list(&page, &more, call->store, NULL, S3_KIND_OWNED_BUCKET, call->account_id,
                         prefix, last ? last : after, STORE_LIST_MAX);
        if (rc < 0)
            break;
        size_t i;
        json_t *rec;
        json_array_foreach(page, i, rec)
        {
            if (json_array_size(buckets) == max) {
                more = true;
                break;
            }
            free(last);
            last = xstrdup(s3_bucket_str(rec, "_name"));
            if (!region || strcmp(region, s3_bucket_str(rec, "Region") ?: "") == 0)
                json_array_append_new(buckets, list_item(rec, with_region));
        }
        json_decref(page);
    }
    free(after);
    if (rc < 0) {
        free(last);
        json_decref(buckets);
        return rc;
    }
    json_t *result =
        json_pack("{s:o, s:o}", "Buckets", buckets, "Owner", s3_owner_new(call->account_id));
    if (more && last) {
        struct buf next = BUF_INIT;
        pagination_token_encode(&next, last);
        json_object_set_new(result, "ContinuationToken", json_string(next.data));
        buf_release(&next);
    }
    if (prefix)
        json_object_set_new(result, "Prefix", json_string(prefix));
    free(last);
    *out = result;
    return 0;
}

/* ---- versioning ---------------------------------------------------------- */

static int versioning_change(struct api_call *call, json_t *doc, void *ctx)
{
    (void)call;
    const json_t *cfg = ctx;
    const char *status = s3_bucket_str(cfg, "Status");
    const char *mfa = s3_bucket_str(cfg, "MFADelete");
    if (status)
        json_object_set_new(doc, "Versioning", json_string(status));
    if (mfa)
        json_object_set_new(doc, "MFADelete", json_string(mfa));
    return 0;
}

int s3_put_bucket_versioning(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc;
    int rc = s3_bucket_access(&doc, call, in, "s3:PutBucketVersioning");
    if (rc < 0)
        return rc;
    json_decref(doc);
    json_t *cfg = json_object_get(in, "VersioningConfiguration");
    const char *status = s3_bucket_str(cfg, "Status");
    const char *mfa = s3_bucket_str(cfg, "MFADelete");
    if (status && strcmp(status, "Enabled") != 0 && strcmp(status, "Suspended") != 0)
        return api_error(call, ERR_INVALID, "MalformedXML",
                         "The XML you provided was not well-formed or did not validate against "
                         "our published schema");
    if (mfa && strcmp(mfa, "Enabled") == 0)
        return api_error(call, ERR_UNSUPPORTED, "NotImplemented",
                         "MFA delete is not supported by slipway: it has no MFA devices");
    if (mfa && strcmp(mfa, "Disabled") != 0)
        return api_error(call, ERR_INVALID, "MalformedXML",
                         "The XML you provided was not well-formed or did not validate against "
                         "our published schema");
    return s3_bucket_update(call, s3_bucket_str(in, "Bucket"), versioning_change, cfg);
}

int s3_get_bucket_versioning(struct api_call *call, json_t *in, json_t **out)
{
    json_t *doc;
    int rc = s3_bucket_access(&doc, call, in, "s3:GetBucketVersioning");
    if (rc < 0)
        return rc;
    json_t *result = json_object();
    if (json_object_get(doc, "Versioning"))
        json_object_set(result, "Status", json_object_get(doc, "Versioning"));
    if (json_object_get(doc, "MFADelete"))
        json_object_set(result, "MFADelete", json_object_get(doc, "MFADelete"));
    json_decref(doc);
    *out = result;
    return 0;
}

/* ---- tagging -------------------------------------------------------------- */

static int tags_change(struct api_call *call, json_t *doc, void *ctx)
{
    (void)call;
    json_t *tags = ctx;
    if (json_object_size(tags))
        json_object_set(doc, "Tags", tags);
    else
        json_object_del(doc, "Tags");
    return 0;
}

int s3_put_bucket_tagging(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc;
    int rc = s3_bucket_access(&doc, call, in, "s3:PutBucketTagging");
    if (rc < 0)
        return rc;
    json_decref(doc);
    json_t *tagset = json_object_get(json_object_get(in, "Tagging"), "TagSet");
    if (!json_is_array(tagset))
        return api_error(call, ERR_INVALID, "MalformedXML",
                         "The XML you provided was not well-formed or did not validate against "
                         "our published schema");
    json_t *tags;
    if ((rc = bucket_tags_parse(&tags, call, tagset)) < 0)
        return rc;
    rc = s3_bucket_update(call, s3_bucket_str(in, "Bucket"), tags_change, tags);
    json_decref(tags);
    return rc;
}

int s3_get_bucket_tagging(struct api_call *call, json_t *in, json_t **out)
{
    json_t *doc;
    int rc = s3_bucket_access(&doc, call, in, "s3:GetBucketTagging");
    if (rc < 0)
        return rc;
    json_t *tags = json_object_get(doc, "Tags");
    if (json_object_size(tags) == 0)
        rc = api_error(call, ERR_NOT_FOUND, "NoSuchTagSet", "The TagSet does not exist");
    else
        *out = json_pack("{s:o}", "TagSet", tagset_out(tags));
    json_decref(doc);
    return rc;
}

int s3_delete_bucket_tagging(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc;
    /* AWS documents s3:PutBucketTagging as the permission this needs. */
    int rc = s3_bucket_access(&doc, call, in, "s3:PutBucketTagging");
    if (rc < 0)
        return rc;
    json_decref(doc);
    return s3_bucket_update(call, s3_bucket_str(in, "Bucket"), tags_change, NULL);
}
