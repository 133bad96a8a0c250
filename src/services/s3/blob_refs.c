#include "base/common.h"
#include "services/s3/s3_internal.h"
#include "base/err.h"
#include "services/common/record.h"
#include "store/blob.h"

/*
 * Reference counts of the blobs S3 versions and parts use, and their
 * collection. Every count change happens in the transaction of the record
 * change that causes it, so a count is exactly the number of committed
 * records naming the blob. A blob reaching zero is queued ("s3.blob_gc")
 * and deleted later by s3_blob_gc_task(), which re-checks the count in its
 * own transaction and deletes the file before it commits. Why a put of the
 * same bytes racing that deletion is safe: docs/s3.md, "Blobs".
 */

/* Zero-reference blobs are left this long before they are deleted: a
 * client deleting an object and putting the same bytes again at once
 * should not have to retry. */
#define GC_GRACE_MS (60 * 1000)
/* Blobs deleted per transaction, and per run. */
#define GC_BATCH 100

static int refs_get(int64_t *refs_out, json_t **rec_out, int64_t *version_out, struct store *st,
                    struct store_tx *tx, const char *digest)
{
    json_t *rec = NULL;
    int rc = record_get(&rec, version_out, st, tx, S3_KIND_BLOB, S3_SCOPE, digest);
    if (rc == ERR_NOT_FOUND) {
        *refs_out = 0;
        *rec_out = NULL;
        *version_out = 0;
        return 0;
    }
    if (rc < 0)
        return rc;
    *refs_out = json_integer_value(json_object_get(rec, "refs"));
    *rec_out = rec;
    return 0;
}

int s3_blob_ref(struct store *st, struct store_tx *tx, const char *digest)
{
    if (!blob_digest_valid(digest))
        return err_set(ERR_INVALID, "'%s' is not a blob digest", digest);
    int64_t refs, version;
    json_t *rec;
    int rc = refs_get(&refs, &rec, &version, st, tx, digest);
    if (rc < 0)
        return rc;
    json_t *body = json_pack("{s:I}", "refs", (json_int_t)(refs + 1));
    rc = rec ? record_update(st, tx, S3_KIND_BLOB, S3_SCOPE, digest, version, body)
             : record_insert(st, tx, S3_KIND_BLOB, S3_SCOPE, digest, body);
    json_decref(body);
    json_decref(rec);
    if (rc == 0 && refs == 0) {
        rc = store_doc_delete(st, tx, S3_KIND_BLOB_GC, S3_SCOPE, digest, 0);
        if (rc == ERR_NOT_FOUND)
            rc = 0;
    }
    return rc;
}

int s3_blob_unref(struct store *st, struct store_tx *tx, const char *digest)
{
    if (!blob_digest_valid(digest))
        return err_set(ERR_INVALID, "'%s' is not a blob digest", digest);
    int64_t refs, version;
    json_t *rec;
    int rc = refs_get(&refs, &rec, &version, st, tx, digest);
    if (rc < 0)
        return rc;
    if (!rec || refs <= 0) {
        json_decref(rec);
        return err_set(ERR_INTERNAL, "blob '%s' has no reference to drop", digest);
    }
    json_t *body = json_pack("{s:I}", "refs", (json_int_t)(refs - 1));
    rc = record_update(st, tx, S3_KIND_BLOB, S3_SCOPE, digest, version, body);
    json_decref(body);
    json_decref(rec);
    if (rc == 0 && refs == 1) {
        /* Upserted so the grace period starts now. */
        json_t *mark = json_object();
        rc = record_upsert(st, tx, S3_KIND_BLOB_GC, S3_SCOPE, digest, mark);
        json_decref(mark);
    }
    return rc;
}

/*
 * Deletes the queued blobs of `page` whose grace is over and whose count is
 * still zero, in one transaction; reports how many queue entries it
 * settled.
 */
static int gc_batch(size_t *settled_out, struct s3_context *ctx, const struct store_doc_page *page,
                    int64_t now_ms)
{
    struct store_tx *tx = NULL;
    int rc = store_tx_begin(&tx, ctx->store);
    if (rc < 0)
        return rc;
    size_t settled = 0;
    for (size_t i = 0; rc == 0 && i < page->len; i++) {
        const struct store_doc *entry = &page->items[i];
        if (entry->updated_ms > now_ms - GC_GRACE_MS)
            continue;
        const char *digest = entry->name;
        int64_t refs, version;
        json_t *rec;
        /* Re-read in this transaction: a reference taken since the entry
         * was listed keeps the blob. */
        if ((rc = refs_get(&refs, &rec, &version, ctx->store, tx, digest)) < 0)
            break;
        json_decref(rec);
        if (refs == 0) {
            /* The file goes while this transaction holds the writer lock,
             * so a request that takes a reference after this commits
             * finds it gone (and fails) rather than trusting a stale file. */
            rc = blob_digest_valid(digest) ? blob_store_delete(ctx->blobs, digest) : 0;
            if (rc == ERR_NOT_FOUND)
                rc = 0;
            if (rc == 0 && version > 0)
                rc = store_doc_delete(ctx->store, tx, S3_KIND_BLOB, S3_SCOPE, digest, version);
        }
        if (rc == 0)
            rc = store_doc_delete(ctx->store, tx, S3_KIND_BLOB_GC, S3_SCOPE, digest, 0);
        if (rc == 0)
            settled++;
    }
    if (rc < 0) {
        store_tx_rollback(tx);
        return rc;
    }
    if ((rc = store_tx_commit(tx)) < 0)
        return rc;
    *settled_out = settled;
    return 0;
}

int s3_blob_gc_task(void *ctx_ptr, int64_t now_ms)
{
    struct s3_context *ctx = ctx_ptr;
    _cleanup_free_ char *after = NULL;
    size_t settled_total = 0;
    for (;;) {
        struct store_doc_page page = {0};
        struct store_doc_query q = {
            .kind = S3_KIND_BLOB_GC,
            .scope = S3_SCOPE,
            .after = after,
            .limit = GC_BATCH,
        };
        int rc = store_doc_list(&page, ctx->store, NULL, &q);
        if (rc < 0)
            return rc;
        size_t settled = 0;
        rc = page.len ? gc_batch(&settled, ctx, &page, now_ms) : 0;
        bool more = page.more;
        if (rc == 0 && page.len) {
            free(after);
            after = strdup(page.items[page.len - 1].name);
            if (!after)
                abort();
        }
        store_doc_page_release(&page);
        if (rc < 0)
            return rc;
        settled_total += settled;
        if (!more)
            return 0;
        /* A bounded amount per run; the scheduler calls again at once. */
        if (settled_total >= GC_BATCH)
            return 1;
    }
}
