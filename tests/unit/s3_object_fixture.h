#ifndef SLIPWAY_TESTS_UNIT_S3_OBJECT_FIXTURE_H
#define SLIPWAY_TESTS_UNIT_S3_OBJECT_FIXTURE_H

/*
 * The S3 bucket fixture plus a blob store, for tests that call S3's object
 * operations in process as the server does: a request body arrives as a
 * struct api_upload (written, sealed and hashed the way the server's
 * upload sink leaves it), a response body leaves as call->download, whose
 * bytes the fixture reads back.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/checksum.h"
#include "base/crypto.h"
#include "s3_bucket_fixture.h"
#include "services/s3/s3_object.h"
#include "store/blob.h"

struct s3o_fixture {
    struct s3_fixture *s3;
    struct blob_store *blobs;
    /* The error code of the last failed call, "" after a success. */
    char code[128];
    int64_t now_ms;
};

static inline int s3o_fixture_open(struct s3o_fixture **out, const char *name)
{
    struct s3o_fixture *f = xcalloc(1, sizeof(*f));
    if (s3_fixture_open(&f->s3, name) < 0) {
        free(f);
        return -1;
    }
    if (blob_store_open(&f->blobs, f->s3->iam->dir) < 0) {
        fprintf(stderr, "s3 object fixture: %s\n", err_msg());
        return -1;
    }
    f->now_ms = IAM_FIXTURE_T0;
    *out = f;
    return 0;
}

static inline void s3o_fixture_close(struct s3o_fixture *f)
{
    blob_store_free(f->blobs);
    s3_fixture_close(f->s3);
    free(f);
}

/*
 * A streamed body as the server hands it over: written to a blob writer,
 * sealed, with its MD5 and, when `checksum` names one ("CRC32" ...), that
 * checksum computed.
 */
static inline int s3o_upload_make(struct api_upload *up, struct blob_store *bs, const void *data,
                                  size_t len, const char *checksum)
{
    memset(up, 0, sizeof(*up));
    int rc = blob_writer_begin(&up->writer, bs);
    if (rc == 0 && len)
        rc = blob_writer_write(up->writer, data, len);
    if (rc == 0)
        rc = blob_writer_seal(up->digest, up->writer);
    if (rc < 0)
        return rc;
    up->size = len;
    enum checksum_algorithm alg = 0;
    if (checksum && checksum_from_name(&alg, checksum, strlen(checksum)) < 0)
        return -1;
    struct checksum_set *set = checksum_set_new(CHECKSUM_MD5 | alg);
    checksum_set_update(set, data, len);
    checksum_set_finish(set);
    checksum_set_digest(set, CHECKSUM_MD5, up->md5);
    if (alg) {
        struct buf b64 = BUF_INIT;
        checksum_set_base64(&b64, set, alg);
        snprintf(up->checksum_algorithm, sizeof(up->checksum_algorithm), "%s", checksum);
        snprintf(up->checksum, sizeof(up->checksum), "%s", b64.data);
        buf_release(&b64);
    }
    checksum_set_free(set);
    return 0;
}

/*
 * Runs S3 operation `op` as `who` (the admin when NULL) with `params`
 * (JSON text). `body` (may be NULL) becomes the streamed request body,
 * hashed for `checksum` (NULL: none); a response body is read into
 * `download` (may be NULL). Returns the handler's result; f->code is the
 * failure's AWS error code.
 */
static inline int s3o_call_full(struct s3o_fixture *f, const struct principal *who, const char *op,
                                const char *params, const void *body, size_t body_len,
                                const char *checksum, json_t **out, struct buf *download)
{
    const struct principal *p = who ? who : &f->s3->admin;
    struct api_upload upload;
    struct api_call call = {
        .request_id = "REQ0000000000001",
        .service = model_service_find("s3"),
        .principal = p,
        .account_id = p->account_id,
        .region = "us-east-1",
        .partition = "aws",
        .store = f->s3->st,
        .blobs = f->blobs,
        .now_ms = f->now_ms,
        .source_ip = "127.0.0.1",
        .download = {.fd = -1},
    };
    call.op = model_operation_find(call.service, op, strlen(op));
    const struct api_operation *entry = services_operation(services_find("s3"), op);
    json_error_t jerr;
    json_t *in = json_loads(params, 0, &jerr);
    f->code[0] = '\0';
    if (!in || !call.op || !entry) {
        json_decref(in);
        return err_set(ERR_INVALID, "bad test call %s %s: %s", op, params, jerr.text);
    }
    if (body) {
        if (s3o_upload_make(&upload, f->blobs, body, body_len, checksum) < 0) {
            json_decref(in);
            return err_set(ERR_INTERNAL, "cannot make the upload");
        }
        call.upload = &upload;
    }
    json_t *result = NULL;
    call.op_ctx = entry->ctx;
    int rc = entry->handler(&call, in, &result);
    json_decref(in);
    json_decref(call.error_fields);
    json_decref(call.response_headers);
    if (body)
        blob_writer_abort(upload.writer); /* what the server does with what is left */
    if (rc < 0)
        snprintf(f->code, sizeof(f->code), "%s", call.error_code);
    else if (!call.authorized)
        rc = err_set(ERR_INTERNAL, "%s succeeded without authorizing", op);
    if (call.download.fd >= 0) {
        if (download && rc == 0) {
            buf_reset(download);
            char chunk[65536];
            uint64_t off = call.download.offset, left = call.download.length;
            while (left > 0) {
                ssize_t n = pread(call.download.fd, chunk,
                                  left < sizeof(chunk) ? (size_t)left : sizeof(chunk), (off_t)off);
                if (n <= 0)
                    break;
                buf_add(download, chunk, (size_t)n);
                off += (uint64_t)n;
                left -= (uint64_t)n;
            }
        }
        close(call.download.fd);
    }
    if (out)
        *out = result;
    else
        json_decref(result);
    return rc;
}

static inline int s3o_call(struct s3o_fixture *f, const char *op, const char *params, json_t **out)
{
    return s3o_call_full(f, NULL, op, params, NULL, 0, NULL, out, NULL);
}

#endif
