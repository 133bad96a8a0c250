#include "base/common.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/err.h"
#include "store/blob.h"
#include "store/blob_backend.h"

#include <sys/stat.h>

/*
 * The blob store's front: digest checks, hashing and size limits shared by
 * every backend, so that what makes a blob valid is decided in one place.
 */

/* Reads are done in pieces this large. */
#define READ_CHUNK (64 * 1024)

bool blob_digest_valid(const char *digest)
{
    if (!digest)
        return false;
    for (size_t i = 0; i < BLOB_DIGEST_LEN; i++) {
        char c = digest[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return digest[BLOB_DIGEST_LEN] == '\0';
}

static int check_digest(const char *digest)
{
    if (!blob_digest_valid(digest))
        return err_set(ERR_INVALID, "'%.80s' is not a SHA-256 digest in lower-case hex",
                       digest ? digest : "");
    return 0;
}

int blob_store_open(struct blob_store **out, const char *dir)
{
    if (!dir || !*dir)
        return err_set(ERR_INVALID, "data directory is empty");
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return err_set_errno(ERR_IO, "cannot create data directory '%s'", dir);
    /* An S3-compatible backend will be chosen here from configuration. */
    return blob_fs_open(out, dir);
}

void blob_store_free(struct blob_store *bs)
{
    if (bs)
        bs->backend->free(bs);
}

int blob_writer_begin(struct blob_writer **out, struct blob_store *bs)
{
    struct blob_writer *w;
    int r = bs->backend->writer_begin(&w, bs);
    if (r < 0)
        return r;
    w->store = bs;
    w->sha = sha256_begin();
    w->size = 0;
    w->failed = false;
    *out = w;
    return 0;
}

int blob_writer_write(struct blob_writer *w, const void *data, size_t len)
{
    if (w->failed)
        return err_set(ERR_INVALID, "blob writer already failed");
    if (w->sealed)
        return err_set(ERR_INVALID, "blob writer is sealed");
    if (len > BLOB_SIZE_MAX - w->size) {
        w->failed = true;
        return err_set(ERR_LIMIT, "blob is larger than %llu bytes", BLOB_SIZE_MAX);
    }
    if (len == 0)
        return 0;
    int r = w->store->backend->writer_write(w, data, len);
    if (r < 0) {
        w->failed = true;
        return r;
    }
    sha256_update(w->sha, data, len);
    w->size += len;
    return 0;
}

static void writer_discard(struct blob_writer *w)
{
    uint8_t ignored[SHA256_LEN];
    if (w->sha)
        sha256_end(w->sha, ignored);
    w->store->backend->writer_abort(w);
}

uint64_t blob_writer_size(const struct blob_writer *w)
{
    return w->size;
}

int blob_writer_seal(char digest_out[BLOB_DIGEST_LEN + 1], struct blob_writer *w)
{
    uint8_t raw[SHA256_LEN];
    if (w->failed)
        return err_set(ERR_INVALID, "blob writer failed earlier; nothing stored");
    if (!w->sealed) {
        sha256_end(w->sha, raw);
        w->sha = NULL;
        hex_encode(w->digest, raw, sizeof(raw));
        w->sealed = true;
        int r = w->store->backend->writer_sync(w);
        if (r < 0) {
            w->failed = true;
            return r;
        }
    }
    memcpy(digest_out, w->digest, sizeof(w->digest));
    return 0;
}

int blob_writer_commit(char digest_out[BLOB_DIGEST_LEN + 1], struct blob_writer *w,
                       const char *expected_digest)
{
    uint8_t raw[SHA256_LEN];
    char digest[BLOB_DIGEST_LEN + 1];
    int r;

    if (expected_digest && (r = check_digest(expected_digest)) < 0) {
        writer_discard(w);
        return r;
    }
    if (w->failed) {
        writer_discard(w);
        return err_set(ERR_INVALID, "blob writer failed earlier; nothing stored");
    }
    if (w->sealed) {
        memcpy(digest, w->digest, sizeof(digest));
    } else {
        sha256_end(w->sha, raw);
        w->sha = NULL;
        hex_encode(digest, raw, sizeof(raw));
    }
    if (expected_digest && strcmp(digest, expected_digest) != 0) {
        w->store->backend->writer_abort(w);
        return err_set(ERR_INVALID, "blob content hashes to '%s', not '%s'", digest,
                       expected_digest);
    }
    if ((r = w->store->backend->writer_commit(w, digest)) < 0)
        return r;
    memcpy(digest_out, digest, sizeof(digest));
    return 0;
}

void blob_writer_abort(struct blob_writer *w)
{
    if (w)
        writer_discard(w);
}

int blob_store_put(char digest_out[BLOB_DIGEST_LEN + 1], struct blob_store *bs, const void *data,
                   size_t len)
{
    uint8_t raw[SHA256_LEN];
    char digest[BLOB_DIGEST_LEN + 1];
    uint64_t size;
    struct blob_writer *w;
    int r;

    if (len > BLOB_SIZE_MAX)
        return err_set(ERR_LIMIT, "blob is larger than %llu bytes", BLOB_SIZE_MAX);
    /* The incremental API, not sha256(): the one-shot form keeps a digest
     * context per thread that is never freed when the thread exits, and
     * puts run on short-lived worker threads too. */
    struct sha256_ctx *sha = sha256_begin();
    sha256_update(sha, data, len);
    sha256_end(sha, raw);
    hex_encode(digest, raw, sizeof(raw));
    /* Same digest, same bytes: an existing blob needs no second copy. */
    r = bs->backend->size(&size, bs, digest);
    if (r == 0) {
        memcpy(digest_out, digest, sizeof(digest));
        return 0;
    }
    if (r != ERR_NOT_FOUND)
        return r;

    if ((r = blob_writer_begin(&w, bs)) < 0)
        return r;
    if ((r = blob_writer_write(w, data, len)) < 0) {
        blob_writer_abort(w);
        return r;
    }
    return blob_writer_commit(digest_out, w, digest);
}

int blob_store_open_fd(int *fd_out, uint64_t *size_out, struct blob_store *bs, const char *digest)
{
    int r;
    if ((r = check_digest(digest)) < 0)
        return r;
    return bs->backend->open_fd(fd_out, size_out, bs, digest);
}

int blob_store_get(struct buf *out, struct blob_store *bs, const char *digest)
{
    _cleanup_close_ int fd = -1;
    uint64_t size;
    int r;

    if ((r = blob_store_open_fd(&fd, &size, bs, digest)) < 0)
        return r;
    size_t limit = out->max ? out->max : SIZE_MAX;
    if (size > limit || out->len > limit - size)
        return err_set(ERR_LIMIT, "blob '%s' of %" PRIu64 " bytes is larger than allowed", digest,
                       size);

    size_t start = out->len;
    buf_grow(out, (size_t)size);
    for (;;) {
        buf_grow(out, READ_CHUNK);
        ssize_t n = read(fd, out->data + out->len, READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = err_set_errno(ERR_IO, "cannot read blob '%s'", digest);
            break;
        }
        if (n == 0)
            break;
        if ((uint64_t)(out->len - start) + (uint64_t)n > size) {
            /* Blobs never change in place; a file growing under us is not
             * a blob this store wrote. */
            r = err_set(ERR_IO, "blob '%s' changed while being read", digest);
            break;
        }
        buf_setlen(out, out->len + (size_t)n);
    }
    if (r == 0 && out->len - start != size)
        r = err_set(ERR_IO, "blob '%s' changed while being read", digest);
    if (r < 0)
        buf_setlen(out, start);
    return r;
}

int blob_store_exists(bool *exists_out, struct blob_store *bs, const char *digest)
{
    uint64_t size;
    int r;
    if ((r = check_digest(digest)) < 0)
        return r;
    r = bs->backend->size(&size, bs, digest);
    if (r < 0 && r != ERR_NOT_FOUND)
        return r;
    *exists_out = r == 0;
    return 0;
}

int blob_store_size(uint64_t *size_out, struct blob_store *bs, const char *digest)
{
    int r;
    if ((r = check_digest(digest)) < 0)
        return r;
    return bs->backend->size(size_out, bs, digest);
}

int blob_store_delete(struct blob_store *bs, const char *digest)
{
    int r;
    if ((r = check_digest(digest)) < 0)
        return r;
    return bs->backend->remove(bs, digest);
}
