#include "base/common.h"
#include "services/s3/s3_object.h"
#include "aws/proto_rest.h"
#include "base/alloc.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/jsonw.h"

/*
 * ListObjects, ListObjectsV2 and ListObjectVersions. Object records are
 * named by key, so the store's name order is S3's order (bytewise UTF-8).
 * A delimiter folds the keys under a common prefix into one entry, and the
 * scan then jumps past the whole prefix instead of reading every key under
 * it.
 */

/* The largest code point: no key continues a prefix with anything above it. */
static const char max_char[] = "\xf4\x8f\xbf\xbf";
/* Records read per store page: a record can hold many versions. */
#define SCAN_PAGE 200

struct key_scan {
    struct api_call *call;
    const char *bucket;
    const char *prefix;
    const char *delimiter; /* NULL or "" for none */
    /* Only keys after this one (StartAfter, a marker); NULL for all. */
    char *min_key;
    /* The store cursor. */
    char *after;
    /* The last common prefix returned, so it is returned once. */
    char *last_prefix;
    /* Whether a key counts (ListObjects skips keys whose current version
     * is a delete marker; ListObjectVersions counts every key). */
    bool current_only;
    struct store_doc_page page;
    size_t pos;
    bool done;
};

struct scan_item {
    /* A key with its record, or a common prefix (rec NULL). */
    const char *key;
    json_t *rec;
    char *prefix;
};

static void scan_item_release(struct scan_item *item)
{
    json_decref(item->rec);
    free(item->prefix);
    memset(item, 0, sizeof(*item));
}

static void scan_release(struct key_scan *s)
{
    store_doc_page_release(&s->page);
    free(s->min_key);
    free(s->after);
    free(s->last_prefix);
}

static void set_str(char **slot, const char *value, size_t len)
{
    free(*slot);
    *slot = value ? xasprintf("%.*s", (int)len, value) : NULL;
}

/* Jump the store cursor past every key starting with `prefix`. */
static void skip_prefix(struct key_scan *s, const char *prefix)
{
    size_t len = strlen(prefix);
    if (len + strlen(max_char) > STORE_NAME_MAX)
        return; /* the dedup of last_prefix covers the rest */
    free(s->after);
    s->after = xasprintf("%s%s", prefix, max_char);
    s->pos = s->page.len;
    s->done = false;
}

/* Returns 1 with an item, 0 at the end, or a negative error. */
static int scan_next(struct key_scan *s, struct scan_item *item)
{
    size_t plen = strlen(s->prefix);
    for (;;) {
        if (s->pos >= s->page.len) {
            if (s->done)
                return 0;
            store_doc_page_release(&s->page);
            struct store_doc_query q = {
                .kind = S3_KIND_OBJECT,
                .scope = s->bucket,
                .prefix = s->prefix,
                .after = s->after,
                .limit = SCAN_PAGE,
            };
            int rc = store_doc_list(&s->page, s->call->store, NULL, &q);
            if (rc < 0)
                return rc;
            s->pos = 0;
            s->done = !s->page.more;
            if (s->page.len == 0) {
                s->done = true;
                return 0;
            }
        }
        const struct store_doc *doc = &s->page.items[s->pos++];
        set_str(&s->after, doc->name, strlen(doc->name));
        if (s->min_key && strcmp(doc->name, s->min_key) <= 0)
            continue;
        json_error_t jerr;
        json_t *rec = json_loadb(doc->body, doc->body_len, 0, &jerr);
        if (!rec)
            return err_set(ERR_INTERNAL, "object record '%s' is not JSON: %s", doc->name,
                           jerr.text);
        json_t *cur = s3_object_current(rec);
        if (!cur || (s->current_only && s3_version_is_marker(cur))) {
            json_decref(rec);
            continue;
        }
        const char *hit = s->delimiter && *s->delimiter && strlen(doc->name) > plen
                              ? strstr(doc->name + plen, s->delimiter)
                              : NULL;
        if (hit) {
            json_decref(rec);
            size_t len = (size_t)(hit - doc->name) + strlen(s->delimiter);
            if (s->last_prefix && strlen(s->last_prefix) == len &&
                memcmp(s->last_prefix, doc->name, len) == 0)
                continue;
            set_str(&s->last_prefix, doc->name, len);
            item->prefix = xstrdup(s->last_prefix);
            skip_prefix(s, item->prefix);
            return 1;
        }
        item->key = doc->name;
        item->rec = rec;
        return 1;
    }
}

/* --- continuation tokens -------------------------------------------------------- */

/*
 * A token names where the next page starts: after key K ("k" K) or after
 * every key under common prefix P ("p" P). It is bound to the request's
 * bucket, prefix and delimiter by a digest, so a token altered or used with
 * another listing is refused. (A forged token can only start a listing at
 * a key the caller could name with StartAfter anyway.)
 */
static void token_digest(char out[17], const char *bucket, const char *prefix,
                         const char *delimiter, const char *cursor)
{
    struct buf text = BUF_INIT;
    buf_adds(&text, "slipway-s3-list\n");
    buf_add(&text, bucket, strlen(bucket) + 1);
    buf_add(&text, prefix, strlen(prefix) + 1);
    buf_add(&text, delimiter, strlen(delimiter) + 1);
    buf_adds(&text, cursor);
    uint8_t digest[SHA256_LEN];
    sha256(digest, text.data, text.len);
    hex_encode(out, digest, 8);
    buf_release(&text);
}

static char *token_encode(const char *bucket, const char *prefix, const char *delimiter,
                          bool is_prefix, const char *cursor)
{
    _cleanup_free_ char *payload = xasprintf("%c%s", is_prefix ? 'p' : 'k', cursor);
    char digest[17];
    token_digest(digest, bucket, prefix, delimiter, payload);
    struct buf raw = BUF_INIT, out = BUF_INIT;
    buf_addf(&raw, "1%s%s", digest, payload);
    base64_encode(&out, raw.data, raw.len);
    buf_release(&raw);
    return buf_detach(&out, NULL);
}

static int token_decode(bool *is_prefix_out, char **cursor_out, struct api_call *call,
                        const char *token, const char *bucket, const char *prefix,
                        const char *delimiter)
{
    struct buf raw = BUF_INIT;
    char digest[17];
    bool ok = strlen(token) <= 4 * STORE_NAME_MAX &&
              base64_decode(&raw, token, strlen(token)) == 0 && raw.len > 18 &&
              raw.data[0] == '1' && !memchr(raw.data, '\0', raw.len) &&
              (raw.data[17] == 'k' || raw.data[17] == 'p') &&
              utf8_valid(raw.data + 18, raw.len - 18) && raw.len - 18 <= STORE_NAME_MAX;
    if (ok) {
        token_digest(digest, bucket, prefix, delimiter, raw.data + 17);
        ok = memcmp(digest, raw.data + 1, 16) == 0;
    }
    if (!ok) {
        buf_release(&raw);
        return api_error(call, ERR_INVALID, "InvalidArgument",
                         "The continuation token provided is incorrect");
    }
    *is_prefix_out = raw.data[17] == 'p';
    *cursor_out = xstrdup(raw.data + 18);
    buf_release(&raw);
    return 0;
}

/* Starts a scan after a cursor: a key, or everything under a prefix. */
static void scan_resume(struct key_scan *s, bool is_prefix, const char *cursor)
{
    if (is_prefix) {
        set_str(&s->last_prefix, cursor, strlen(cursor));
        set_str(&s->after, cursor, strlen(cursor));
        skip_prefix(s, cursor);
    } else {
        set_str(&s->after, cursor, strlen(cursor));
    }
}

/* A marker or StartAfter from the request: keys after it. */
static void scan_start_after(struct key_scan *s, const char *key)
{
    if (!key || !*key)
        return;
    set_str(&s->min_key, key, strlen(key));
    /* The store cursor must be a valid name; the filter does the rest. */
    size_t len = strlen(key);
    if (len > STORE_NAME_MAX)
        len = STORE_NAME_MAX;
    while (len > 0 && !utf8_valid(key, len))
        len--;
    if (len)
        set_str(&s->after, key, len);
}

/* --- shared output ---------------------------------------------------------------- */

/* EncodingType=url: keys and prefixes percent-encoded (botocore decodes them). */
static json_t *key_out(const char *key, bool url)
{
    if (!url)
        return json_string(key);
    struct buf b = BUF_INIT;
    rest_percent_encode(&b, key, strlen(key), true);
    json_t *v = json_string(b.data);
    buf_release(&b);
    return v;
}

static void set_key(json_t *o, const char *member, const char *value, bool url)
{
    if (value)
        json_object_set_new(o, member, key_out(value, url));
}

static int max_keys_get(int64_t *out, struct api_call *call, const json_t *in, const char *member)
{
    json_t *v = json_object_get(in, member);
    int64_t n = v ? json_integer_value(v) : S3_LIST_MAX;
    if (n < 0)
        return api_error(call, ERR_INVALID, "InvalidArgument",
                         "Argument maxKeys must be an integer between 0 and 2147483647");
    *out = n > S3_LIST_MAX ? S3_LIST_MAX : n;
    return 0;
}

static int encoding_get(bool *url_out, struct api_call *call, const json_t *in)
{
    const char *enc = s3_str(in, "EncodingType");
    if (enc && strcmp(enc, "url") != 0)
        return api_error(call, ERR_INVALID, "InvalidArgument",
                         "Invalid Encoding Method specified in Request");
    *url_out = enc != NULL;
    return 0;
}

/* One <Contents> entry of ListObjects(V2). */
static json_t *contents_entry(const char *key, const json_t *version, bool url, bool owner)
{
    json_t *c = json_object();
    json_object_set_new(c, "Key", key_out(key, url));
    json_object_set(c, "LastModified", json_object_get(version, "LastModified"));
    json_object_set(c, "ETag", json_object_get(version, "ETag"));
    json_object_set(c, "Size", json_object_get(version, "Size"));
    json_object_set(c, "StorageClass", json_object_get(version, "StorageClass"));
    json_t *checksum = json_object_get(version, "Checksum");
    if (checksum) {
        json_object_set_new(c, "ChecksumAlgorithm",
                            json_pack("[O]", json_object_get(checksum, "Algorithm")));
        json_object_set(c, "ChecksumType", json_object_get(checksum, "Type"));
    }
    if (owner)
        json_object_set_new(c, "Owner", s3_owner_of(version));
    return c;
}

/* The bucket, and the action asked with the listing's condition keys. */
static int list_start(json_t **bucket_doc_out, struct api_call *call, const json_t *in,
                      const char *action)
{
    const char *bucket = s3_str(in, "Bucket");
    struct api_condition conds[3];
    size_t n = 0;
    char max_keys[32];
    if (s3_str(in, "Prefix"))
        conds[n++] = (struct api_condition){"s3:prefix", s3_str(in, "Prefix")};
    if (s3_str(in, "Delimiter"))
        conds[n++] = (struct api_condition){"s3:delimiter", s3_str(in, "Delimiter")};
    if (json_object_get(in, "MaxKeys")) {
        snprintf(max_keys, sizeof(max_keys), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(in, "MaxKeys")));
        conds[n++] = (struct api_condition){"s3:max-keys", max_keys};
    }
    int rc = s3_object_bucket_get(bucket_doc_out, call, in);
    if (rc == 0 &&
        (rc = s3_authorize_request(call, action, bucket, NULL, *bucket_doc_out, conds, n)) < 0) {
        json_decref(*bucket_doc_out);
        *bucket_doc_out = NULL;
    }
    return rc;
}

/*
 * The common part of ListObjects and ListObjectsV2: fills `o` with
 * Contents, CommonPrefixes and IsTruncated, and reports where the page
 * ended (*last_out: the key or prefix last returned).
 */
static int list_current(json_t *o, char **last_out, bool *last_is_prefix, struct key_scan *s,
                        int64_t max_keys, bool url, bool owner)
{
    json_t *contents = json_array(), *prefixes = json_array();
    int64_t count = 0;
    bool truncated = false;
    int rc = 0;
    *last_out = NULL;
    for (;;) {
        struct scan_item item = {0};
        rc = scan_next(s, &item);
        if (rc <= 0)
            break;
        if (count == max_keys) {
            truncated = true;
            scan_item_release(&item);
            break;
        }
        free(*last_out);
        if (item.prefix) {
            json_array_append_new(prefixes,
                                  json_pack("{s:o}", "Prefix", key_out(item.prefix, url)));
            *last_out = xstrdup(item.prefix);
            *last_is_prefix = true;
        } else {
            json_array_append_new(
                contents, contents_entry(item.key, s3_object_current(item.rec), url, owner));
            *last_out = xstrdup(item.key);
            *last_is_prefix = false;
        }
        count++;
        scan_item_release(&item);
    }
    if (rc >= 0) {
        if (json_array_size(contents))
            json_object_set(o, "Contents", contents);
        if (json_array_size(prefixes))
            json_object_set(o, "CommonPrefixes", prefixes);
        json_object_set_new(o, "IsTruncated", json_boolean(truncated));
        json_object_set_new(o, "KeyCount", json_integer(count));
        if (!truncated) {
            free(*last_out);
            *last_out = NULL;
        }
        rc = 0;
    }
    json_decref(contents);
    json_decref(prefixes);
    return rc;
}

int s3_list_objects_v2(struct api_call *call, json_t *in, json_t **out)
{
    const char *bucket = s3_str(in, "Bucket");
    const char *prefix = s3_str(in, "Prefix") ?: "", *delimiter = s3_str(in, "Delimiter") ?: "";
    const char *token = s3_str(in, "ContinuationToken"), *start_after = s3_str(in, "StartAfter");
    json_t *bucket_doc = NULL;
    int64_t max_keys = 0;
    bool url;
    int rc = list_start(&bucket_doc, call, in, "s3:ListBucket");
    if (rc < 0)
        return rc;
    json_decref(bucket_doc);
    if ((rc = max_keys_get(&max_keys, call, in, "MaxKeys")) < 0 ||
        (rc = encoding_get(&url, call, in)) < 0)
        return rc;

    struct key_scan s = {.call = call,
                         .bucket = bucket,
                         .prefix = prefix,
                         .delimiter = delimiter,
                         .current_only = true};
    if (token) {
        bool is_prefix = false;
        char *cursor = NULL;
        if ((rc = token_decode(&is_prefix, &cursor, call, token, bucket, prefix, delimiter)) < 0)
            return rc;
        scan_resume(&s, is_prefix, cursor);
        free(cursor);
    } else {
        scan_start_after(&s, start_after);
    }
    json_t *o = json_pack("{s:s, s:I}", "Name", bucket, "MaxKeys", (json_int_t)max_keys);
    set_key(o, "Prefix", prefix, url);
    if (*delimiter)
        set_key(o, "Delimiter", delimiter, url);
    if (url)
        json_object_set_new(o, "EncodingType", json_string("url"));
    if (token)
        json_object_set_new(o, "ContinuationToken", json_string(token));
    if (start_after)
        set_key(o, "StartAfter", start_after, url);
    char *last = NULL;
    bool last_is_prefix = false;
    rc = list_current(o, &last, &last_is_prefix, &s, max_keys, url,
                      json_is_true(json_object_get(in, "FetchOwner")));
    if (rc == 0 && last) {
        char *next = token_encode(bucket, prefix, delimiter, last_is_prefix, last);
        json_object_set_new(o, "NextContinuationToken", json_string(next));
        free(next);
    }
    free(last);
    scan_release(&s);
    if (rc < 0) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

int s3_list_objects(struct api_call *call, json_t *in, json_t **out)
{
    const char *bucket = s3_str(in, "Bucket");
    const char *prefix = s3_str(in, "Prefix") ?: "", *delimiter = s3_str(in, "Delimiter") ?: "";
    const char *marker = s3_str(in, "Marker");
    json_t *bucket_doc = NULL;
    int64_t max_keys = 0;
    bool url;
    int rc = list_start(&bucket_doc, call, in, "s3:ListBucket");
    if (rc < 0)
        return rc;
    json_decref(bucket_doc);
    if ((rc = max_keys_get(&max_keys, call, in, "MaxKeys")) < 0 ||
        (rc = encoding_get(&url, call, in)) < 0)
        return rc;

    struct key_scan s = {.call = call,
                         .bucket = bucket,
                         .prefix = prefix,
                         .delimiter = delimiter,
                         .current_only = true};
    /* A marker that is a common prefix (a NextMarker) skips what it holds. */
    if (marker && *delimiter && strlen(marker) >= strlen(delimiter) &&
        strcmp(marker + strlen(marker) - strlen(delimiter), delimiter) == 0 &&
        strncmp(marker, prefix, strlen(prefix)) == 0) {
        scan_start_after(&s, marker);
        set_str(&s.last_prefix, marker, strlen(marker));
        if (strlen(marker) + strlen(max_char) <= STORE_NAME_MAX)
            skip_prefix(&s, marker);
    } else {
        scan_start_after(&s, marker);
    }
    json_t *o = json_pack("{s:s, s:I}", "Name", bucket, "MaxKeys", (json_int_t)max_keys);
    set_key(o, "Prefix", prefix, url);
    set_key(o, "Marker", marker ? marker : "", url);
    if (*delimiter)
        set_key(o, "Delimiter", delimiter, url);
    if (url)
        json_object_set_new(o, "EncodingType", json_string("url"));
    char *last = NULL;
    bool last_is_prefix = false;
    rc = list_current(o, &last, &last_is_prefix, &s, max_keys, url, true);
    json_object_del(o, "KeyCount");
    /* S3 gives NextMarker only with a delimiter; without one the client
     * continues from the last key. */
    if (rc == 0 && last && *delimiter)
        set_key(o, "NextMarker", last, url);
    free(last);
    scan_release(&s);
    if (rc < 0) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

/* --- ListObjectVersions ------------------------------------------------------------------- */

static json_t *version_entry(const char *key, const json_t *version, bool latest, bool url)
{
    json_t *v = json_object();
    json_object_set_new(v, "Key", key_out(key, url));
    json_object_set(v, "VersionId", json_object_get(version, "VersionId"));
    json_object_set_new(v, "IsLatest", json_boolean(latest));
    json_object_set(v, "LastModified", json_object_get(version, "LastModified"));
    json_object_set_new(v, "Owner", s3_owner_of(version));
    if (s3_version_is_marker(version))
        return v;
    json_object_set(v, "ETag", json_object_get(version, "ETag"));
    json_object_set(v, "Size", json_object_get(version, "Size"));
    json_object_set(v, "StorageClass", json_object_get(version, "StorageClass"));
    json_t *checksum = json_object_get(version, "Checksum");
    if (checksum) {
        json_object_set_new(v, "ChecksumAlgorithm",
                            json_pack("[O]", json_object_get(checksum, "Algorithm")));
        json_object_set(v, "ChecksumType", json_object_get(checksum, "Type"));
    }
    return v;
}

/* What a ListObjectVersions page gathers. */
struct versions_page {
    json_t *versions, *markers, *prefixes;
    int64_t count, max_keys;
    bool truncated, url;
    char *next_key, *next_vid;
};

/* Adds the versions of `key` from index `start`; false once the page is full. */
static bool page_add_versions(struct versions_page *p, const char *key, const json_t *rec,
                              size_t start)
{
    json_t *list = s3_object_versions(rec);
    for (size_t i = start; i < json_array_size(list); i++) {
        json_t *v = json_array_get(list, i);
        if (p->count == p->max_keys) {
            p->truncated = true;
            return false;
        }
        json_array_append_new(s3_version_is_marker(v) ? p->markers : p->versions,
                              version_entry(key, v, i == 0, p->url));
        set_str(&p->next_key, key, strlen(key));
        const char *vid = s3_str(v, "VersionId");
        set_str(&p->next_vid, vid, strlen(vid));
        p->count++;
    }
    return true;
}

static bool page_add_prefix(struct versions_page *p, const char *prefix)
{
    if (p->count == p->max_keys) {
        p->truncated = true;
        return false;
    }
    json_array_append_new(p->prefixes, json_pack("{s:o}", "Prefix", key_out(prefix, p->url)));
    set_str(&p->next_key, prefix, strlen(prefix));
    set_str(&p->next_vid, NULL, 0);
    p->count++;
    return true;
}

/* True when `marker` names a common prefix of this listing (a NextKeyMarker). */
static bool marker_is_prefix(const char *marker, const char *prefix, const char *delimiter)
{
    size_t mlen = strlen(marker), dlen = strlen(delimiter);
    return dlen && mlen >= dlen && strcmp(marker + mlen - dlen, delimiter) == 0 &&
           strncmp(marker, prefix, strlen(prefix)) == 0 && mlen > strlen(prefix);
}

int s3_list_object_versions(struct api_call *call, json_t *in, json_t **out)
{
    const char *bucket = s3_str(in, "Bucket");
    const char *prefix = s3_str(in, "Prefix") ?: "", *delimiter = s3_str(in, "Delimiter") ?: "";
    const char *key_marker = s3_str(in, "KeyMarker");
    const char *vid_marker = s3_str(in, "VersionIdMarker");
    json_t *bucket_doc = NULL;
    struct versions_page p = {0};
    int rc = list_start(&bucket_doc, call, in, "s3:ListBucketVersions");
    if (rc < 0)
        return rc;
    json_decref(bucket_doc);
    if ((rc = max_keys_get(&p.max_keys, call, in, "MaxKeys")) < 0 ||
        (rc = encoding_get(&p.url, call, in)) < 0)
        return rc;
    if (key_marker && !*key_marker)
        key_marker = NULL;
    if (vid_marker && !*vid_marker)
        vid_marker = NULL;
    if (vid_marker && !key_marker)
        return api_error(call, ERR_INVALID, "InvalidArgument",
                         "A version-id marker cannot be specified without a key marker.");
    if (vid_marker && !s3_version_id_valid(vid_marker))
        return api_error(call, ERR_INVALID, "InvalidArgument", "Invalid version id specified");

    p.versions = json_array();
    p.markers = json_array();
    p.prefixes = json_array();
    struct key_scan s = {.call = call,
                         .bucket = bucket,
                         .prefix = prefix,
                         .delimiter = delimiter,
                         .current_only = false};
    if (key_marker && vid_marker && strncmp(key_marker, prefix, strlen(prefix)) == 0) {
        /* The rest of the marker's key first: the versions after the
         * marker one (none when it is gone). */
        json_t *rec = NULL;
        size_t at;
        rc = s3_object_load(&rec, NULL, call->store, NULL, bucket, key_marker);
        if (rc == 0 && s3_object_version_find(rec, vid_marker, &at))
            page_add_versions(&p, key_marker, rec, at + 1);
        json_decref(rec);
    }
    if (key_marker) {
        scan_start_after(&s, key_marker);
        if (!vid_marker && marker_is_prefix(key_marker, prefix, delimiter)) {
            set_str(&s.last_prefix, key_marker, strlen(key_marker));
            skip_prefix(&s, key_marker);
        }
    }
    while (rc >= 0 && !p.truncated) {
        struct scan_item item = {0};
        rc = scan_next(&s, &item);
        if (rc <= 0)
            break;
        if (item.prefix)
            page_add_prefix(&p, item.prefix);
        else
            page_add_versions(&p, item.key, item.rec, 0);
        scan_item_release(&item);
    }
    json_t *o = NULL;
    if (rc >= 0) {
        rc = 0;
        o = json_pack("{s:s, s:I, s:b}", "Name", bucket, "MaxKeys", (json_int_t)p.max_keys,
                      "IsTruncated", p.truncated);
        set_key(o, "Prefix", prefix, p.url);
        set_key(o, "KeyMarker", key_marker ? key_marker : "", p.url);
        json_object_set_new(o, "VersionIdMarker", json_string(vid_marker ? vid_marker : ""));
        if (*delimiter)
            set_key(o, "Delimiter", delimiter, p.url);
        if (p.url)
            json_object_set_new(o, "EncodingType", json_string("url"));
        if (json_array_size(p.versions))
            json_object_set(o, "Versions", p.versions);
        if (json_array_size(p.markers))
            json_object_set(o, "DeleteMarkers", p.markers);
        if (json_array_size(p.prefixes))
            json_object_set(o, "CommonPrefixes", p.prefixes);
        if (p.truncated && p.next_key) {
            set_key(o, "NextKeyMarker", p.next_key, p.url);
            if (p.next_vid)
                json_object_set_new(o, "NextVersionIdMarker", json_string(p.next_vid));
        }
        *out = o;
    }
    free(p.next_key);
    free(p.next_vid);
    json_decref(p.versions);
    json_decref(p.markers);
    json_decref(p.prefixes);
    scan_release(&s);
    return rc;
}
