#include <pthread.h>

#include "base/common.h"
#include "server/upload_sink.h"
#include "aws/chunked.h"
#include "base/alloc.h"
#include "base/checksum.h"
#include "base/crypto.h"
#include "base/err.h"
#include "store/blob.h"

/*
 * A large body is hashed on two threads: MD5 (and the flexible checksum)
 * runs beside the SHA-256 and the file writes, which take about as long,
 * so a large upload goes at the speed of the slower half rather than the
 * sum. The body passes in 1 MB buffers, in order, through a ring: the
 * request's thread fills one, hands it to the hash thread, writes it to
 * the blob, and reuses it once the hash thread is done with it.
 */
#define HASH_BUF_SIZE (1u << 20)
#define HASH_BUFS     4
/* Bodies declared at least this large get a hash thread. */
#define HASH_THREAD_MIN (8u << 20)

struct hash_thread {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct checksum_set *sums;
    char *bufs[HASH_BUFS];
    size_t lens[HASH_BUFS];
    bool queued[HASH_BUFS]; /* handed over and not yet hashed */
    size_t next_hash;       /* the thread's next buffer */
    size_t next_fill;       /* the request thread's next buffer */
    size_t fill_len;        /* bytes in bufs[next_fill] so far */
    bool stop;
};

struct upload_sink {
    struct blob_writer *writer;
    struct hash_thread *hasher;      /* NULL: hashed inline */
    struct chunked_decoder *chunked; /* NULL for a plain body */
    struct checksum_set *sums;
    enum checksum_algorithm algorithm; /* the flexible checksum, 0 for none */
    uint64_t declared_length;
    uint64_t size;
    /* The first failure, with the S3 code it answers; later bytes are dropped. */
    int failed;
    const char *code;
    char message[512];
};

static int sink_fail(struct upload_sink *s, int rc, const char *code)
{
    if (!s->failed) {
        s->failed = rc;
        s->code = code;
        snprintf(s->message, sizeof(s->message), "%s", err_msg());
    }
    return rc;
}

static void *hash_thread_main(void *arg)
{
    struct hash_thread *h = arg;
    pthread_mutex_lock(&h->lock);
    for (;;) {
        size_t i = h->next_hash;
        while (!h->queued[i] && !h->stop)
            pthread_cond_wait(&h->cond, &h->lock);
        if (!h->queued[i])
            break; /* stopped, and everything handed over is hashed */
        pthread_mutex_unlock(&h->lock);
        checksum_set_update(h->sums, h->bufs[i], h->lens[i]);
        pthread_mutex_lock(&h->lock);
        h->queued[i] = false;
        h->next_hash = (i + 1) % HASH_BUFS;
        pthread_cond_broadcast(&h->cond);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

static struct hash_thread *hash_thread_start(struct checksum_set *sums)
{
    struct hash_thread *h = xcalloc(1, sizeof(*h));
    h->sums = sums;
    for (size_t i = 0; i < HASH_BUFS; i++)
        h->bufs[i] = xmalloc(HASH_BUF_SIZE);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    if (pthread_create(&h->thread, NULL, hash_thread_main, h) != 0) {
        for (size_t i = 0; i < HASH_BUFS; i++)
            free(h->bufs[i]);
        pthread_cond_destroy(&h->cond);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return NULL; /* the caller hashes inline instead */
    }
    return h;
}

/* Waits until everything handed over is hashed, stops the thread, frees. */
static void hash_thread_stop(struct hash_thread *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->stop = true;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
    for (size_t i = 0; i < HASH_BUFS; i++)
        free(h->bufs[i]);
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

/* Hands the filling buffer to the hash thread and writes it to the blob. */
static int hash_thread_flush(struct upload_sink *s)
{
    struct hash_thread *h = s->hasher;
    size_t i = h->next_fill, len = h->fill_len;
    if (!len)
        return 0;
    pthread_mutex_lock(&h->lock);
    h->lens[i] = len;
    h->queued[i] = true;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
    /* Both threads read the buffer now; neither writes it. */
    int rc = blob_writer_write(s->writer, h->bufs[i], len);
    h->next_fill = (i + 1) % HASH_BUFS;
    h->fill_len = 0;
    pthread_mutex_lock(&h->lock);
    while (h->queued[h->next_fill])
        pthread_cond_wait(&h->cond, &h->lock);
    pthread_mutex_unlock(&h->lock);
    return rc;
}

static int hash_thread_take(struct upload_sink *s, const char *data, size_t len)
{
    struct hash_thread *h = s->hasher;
    while (len) {
        size_t n = HASH_BUF_SIZE - h->fill_len;
        if (n > len)
            n = len;
        memcpy(h->bufs[h->next_fill] + h->fill_len, data, n);
        h->fill_len += n;
        data += n;
        len -= n;
        int rc;
        if (h->fill_len == HASH_BUF_SIZE && (rc = hash_thread_flush(s)) < 0)
            return rc;
    }
    return 0;
}

/* Decoded payload bytes: hashed and written to the blob. */
static int sink_payload(void *ctx, const void *data, size_t len)
{
    struct upload_sink *s = ctx;
    if (len > s->declared_length - s->size) {
        err_set(ERR_INVALID, "the body is longer than the declared %" PRIu64 " bytes",
                s->declared_length);
        return sink_fail(s, ERR_INVALID, "IncompleteBody");
    }
    int rc;
    if (s->hasher) {
        rc = hash_thread_take(s, data, len);
    } else {
        rc = blob_writer_write(s->writer, data, len);
        if (rc == 0)
            checksum_set_update(s->sums, data, len);
    }
    if (rc < 0)
        return sink_fail(s, rc, rc == ERR_LIMIT ? "EntityTooLarge" : "InternalError");
    s->size += len;
    return 0;
}

int upload_sink_new(struct upload_sink **out, struct blob_store *bs,
                    const struct upload_sink_options *opts)
{
    struct upload_sink *s = xcalloc(1, sizeof(*s));
    s->declared_length = opts->declared_length;
    unsigned sums = CHECKSUM_MD5;
    if (opts->checksum_algorithm) {
        if (checksum_from_name(&s->algorithm, opts->checksum_algorithm,
                               strlen(opts->checksum_algorithm)) < 0) {
            free(s);
            return err_set(ERR_INVALID, "unknown checksum algorithm '%s'",
                           opts->checksum_algorithm);
        }
        /* SHA-256 is the blob's own digest: not computed twice. */
        if (s->algorithm != CHECKSUM_SHA256)
            sums |= s->algorithm;
    }
    int rc = blob_writer_begin(&s->writer, bs);
    if (rc < 0) {
        free(s);
        return rc;
    }
    s->sums = checksum_set_new(sums);
    if (opts->declared_length != UINT64_MAX && opts->declared_length >= HASH_THREAD_MIN)
        s->hasher = hash_thread_start(s->sums);
    if (opts->framing != UPLOAD_PLAIN) {
        struct chunked_options copts = {
            .signed_chunks = opts->framing == UPLOAD_CHUNKED_SIGNED,
            .amz_date = opts->amz_date,
            .scope = opts->scope,
            .seed_signature = opts->seed_signature,
            .trailer = opts->trailer,
            .decoded_length = opts->declared_length,
        };
        memcpy(copts.signing_key, opts->signing_key, sizeof(copts.signing_key));
        rc = chunked_decoder_new(&s->chunked, &copts, sink_payload, s);
        explicit_bzero(copts.signing_key, sizeof(copts.signing_key));
        if (rc < 0) {
            upload_sink_free(s);
            return rc;
        }
    }
    *out = s;
    return 0;
}

int upload_sink_write(struct upload_sink *s, const void *data, size_t len)
{
    if (s->failed)
        return s->failed;
    if (!s->chunked)
        return sink_payload(s, data, len);
    int rc = chunked_decoder_feed(s->chunked, data, len);
    if (rc < 0 && !s->failed)
        sink_fail(s, rc, rc == ERR_DENIED ? "SignatureDoesNotMatch" : "IncompleteBody");
    return rc;
}

int upload_sink_finish(struct api_upload *out, const char **code_out, struct upload_sink *s)
{
    int rc;
    if (!s->failed && s->chunked && (rc = chunked_decoder_finish(s->chunked)) < 0)
        sink_fail(s, rc, rc == ERR_DENIED ? "SignatureDoesNotMatch" : "IncompleteBody");
    if (!s->failed && s->hasher && (rc = hash_thread_flush(s)) < 0)
        sink_fail(s, rc, "InternalError");
    /* Every digest is complete once the hash thread has stopped. */
    hash_thread_stop(TAKE_PTR(s->hasher));
    if (!s->failed && s->declared_length != UINT64_MAX && s->size != s->declared_length) {
        err_set(ERR_INVALID,
                "You did not provide the number of bytes specified by the Content-Length HTTP "
                "header (%" PRIu64 " of %" PRIu64 ")",
                s->size, s->declared_length);
        sink_fail(s, ERR_INVALID, "IncompleteBody");
    }
    *out = (struct api_upload){.size = s->size};
    if (!s->failed && (rc = blob_writer_seal(out->digest, s->writer)) < 0)
        sink_fail(s, rc, "InternalError");
    if (s->failed) {
        *code_out = s->code;
        return err_set(s->failed, "%s", s->message);
    }
    checksum_set_finish(s->sums);
    checksum_set_digest(s->sums, CHECKSUM_MD5, out->md5);
    if (s->algorithm) {
        snprintf(out->checksum_algorithm, sizeof(out->checksum_algorithm), "%s",
                 checksum_name(s->algorithm));
        struct buf b64 = BUF_INIT;
        if (s->algorithm == CHECKSUM_SHA256) {
            uint8_t raw[SHA256_LEN];
            hex_decode(raw, sizeof(raw), out->digest, 2 * SHA256_LEN);
            base64_encode(&b64, raw, sizeof(raw));
        } else {
            checksum_set_base64(&b64, s->sums, s->algorithm);
        }
        snprintf(out->checksum, sizeof(out->checksum), "%s", b64.data);
        buf_release(&b64);
    }
    out->writer = TAKE_PTR(s->writer);
    return 0;
}

size_t upload_sink_trailers(const struct upload_sink *s, const struct header_field **out)
{
    if (!s->chunked) {
        *out = NULL;
        return 0;
    }
    return chunked_decoder_trailers(s->chunked, out);
}

void upload_sink_free(struct upload_sink *s)
{
    if (!s)
        return;
    chunked_decoder_free(s->chunked);
    hash_thread_stop(s->hasher);
    checksum_set_free(s->sums);
    blob_writer_abort(s->writer);
    free(s);
}
