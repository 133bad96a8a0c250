#ifndef SLIPWAY_STORE_BLOB_H
#define SLIPWAY_STORE_BLOB_H

#include "base/common.h"
#include "base/buf.h"

/*
 * Content-addressed blob storage for artifacts, revision bundles and
 * archived logs: a blob is named by the SHA-256 of its bytes, written as 64
 * lower-case hex digits (its "digest"). Blobs are immutable; storing the same
 * bytes twice stores them once.
 *
 * A blob becomes visible only complete: it is written to a temporary file,
 * flushed to disk and renamed into place, so a reader (or a restart after a
 * crash) never sees part of one. A digest that is not 64 lower-case hex
 * digits is refused with ERR_INVALID everywhere.
 *
 * The filesystem backend keeps `<dir>/blobs/ab/cdef...` (the first two hex
 * digits name a subdirectory) and temporary files in `<dir>/blobs/tmp`;
 * temporary files left by a crashed writer are removed when the store is
 * opened. An S3-compatible backend can take its place behind this header.
 *
 * Deleting is the caller's decision: a blob may be referenced by records in
 * the state store, and only the caller knows when the last one is gone. A
 * put that races a delete of the same digest may find its blob deleted.
 *
 * Thread-safe: a `struct blob_store` may be shared; a `struct blob_writer`
 * belongs to one thread at a time.
 */

#define BLOB_DIGEST_LEN 64
/* Largest blob accepted, in bytes (S3's single-PUT limit). */
#define BLOB_SIZE_MAX (5ULL * 1024 * 1024 * 1024)

struct blob_store;
struct blob_writer;

/* Opens (creating as needed, mode 0700) the blob store under `dir`. */
int blob_store_open(struct blob_store **out, const char *dir);
/* Closes the store; every writer must have ended. Accepts NULL. */
void blob_store_free(struct blob_store *bs);

/* True when `digest` is 64 lower-case hex digits. */
bool blob_digest_valid(const char *digest);

/* Stores `len` bytes and writes their digest (NUL-terminated) to digest_out. */
int blob_store_put(char digest_out[BLOB_DIGEST_LEN + 1], struct blob_store *bs, const void *data,
                   size_t len);

/* Streaming put, for blobs too large to hold in memory. */
int blob_writer_begin(struct blob_writer **out, struct blob_store *bs);
/* ERR_LIMIT past BLOB_SIZE_MAX. After a failed write the writer can only be
 * aborted (commit fails too). */
int blob_writer_write(struct blob_writer *w, const void *data, size_t len);
/*
 * Makes the written bytes a blob and frees `w`, on failure too. With
 * `expected_digest` non-NULL the bytes must hash to it, else nothing is
 * stored and the result is ERR_INVALID (a corrupted upload).
 */
int blob_writer_commit(char digest_out[BLOB_DIGEST_LEN + 1], struct blob_writer *w,
                       const char *expected_digest);
/*
 * Ends writing: computes the digest (written to digest_out) and flushes the
 * bytes to stable storage, so that the commit that may follow costs only a
 * rename. A caller that must know the digest, or wants the slow flush done,
 * before it decides to commit (S3 records an object in a transaction right
 * after) seals first. No writes are taken afterwards.
 */
int blob_writer_seal(char digest_out[BLOB_DIGEST_LEN + 1], struct blob_writer *w);
/* Bytes written so far. */
uint64_t blob_writer_size(const struct blob_writer *w);

/* Discards the written bytes and frees `w`. Accepts NULL. */
void blob_writer_abort(struct blob_writer *w);

static inline void blob_writer_abortp(struct blob_writer **w)
{
    blob_writer_abort(*w);
}
#define _cleanup_blob_writer_ __attribute__((cleanup(blob_writer_abortp)))

/*
 * Appends the whole blob to `out`: ERR_NOT_FOUND when absent, ERR_LIMIT when
 * it would take `out` past out->max (if set). `out` is unchanged on failure.
 */
int blob_store_get(struct buf *out, struct blob_store *bs, const char *digest);

/*
 * Opens the blob for reading: a read-only, close-on-exec descriptor the
 * caller owns and closes, and its size (size_out may be NULL).
 */
int blob_store_open_fd(int *fd_out, uint64_t *size_out, struct blob_store *bs, const char *digest);

int blob_store_exists(bool *exists_out, struct blob_store *bs, const char *digest);
/* ERR_NOT_FOUND when absent. */
int blob_store_size(uint64_t *size_out, struct blob_store *bs, const char *digest);
/* ERR_NOT_FOUND when absent. */
int blob_store_delete(struct blob_store *bs, const char *digest);

#endif
