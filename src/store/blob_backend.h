#ifndef SLIPWAY_STORE_BLOB_BACKEND_H
#define SLIPWAY_STORE_BLOB_BACKEND_H

#include "store/blob.h"

/*
 * The contract between blob.c and a blob backend; only they include it.
 *
 * blob.c validates digests and does the hashing, size accounting and
 * digest checks, so a backend only moves bytes: it receives a writer's
 * bytes, then at commit the digest to file them under. Backends embed
 * `struct blob_store` and `struct blob_writer` as their first members.
 */

struct blob_backend;
struct sha256_ctx;

struct blob_store {
    const struct blob_backend *backend;
};

struct blob_writer {
    struct blob_store *store;
    struct sha256_ctx *sha;
    uint64_t size;
    /* A write failed; the bytes are incomplete and must not be stored. */
    bool failed;
    /* blob_writer_seal() ran: `digest` holds the bytes' digest, no more
     * writes are taken and `sha` is gone. */
    bool sealed;
    char digest[BLOB_DIGEST_LEN + 1];
};

struct blob_backend {
    const char *name;
    void (*free)(struct blob_store *bs);
    /* Allocates the writer; blob.c fills in the common part. */
    int (*writer_begin)(struct blob_writer **out, struct blob_store *bs);
    int (*writer_write)(struct blob_writer *w, const void *data, size_t len);
    /* Flushes the written bytes to stable storage (before commit). */
    int (*writer_sync)(struct blob_writer *w);
    /* Stores the bytes as `digest` (validated) and frees w, always. */
    int (*writer_commit)(struct blob_writer *w, const char *digest);
    /* Discards and frees w. */
    void (*writer_abort)(struct blob_writer *w);
    int (*open_fd)(int *fd_out, uint64_t *size_out, struct blob_store *bs, const char *digest);
    /* ERR_NOT_FOUND when absent. */
    int (*size)(uint64_t *size_out, struct blob_store *bs, const char *digest);
    int (*remove)(struct blob_store *bs, const char *digest);
};

/* The filesystem backend under `<dir>/blobs`; `dir` exists. */
int blob_fs_open(struct blob_store **out, const char *dir);

#endif
