#ifndef SLIPWAY_SERVER_UPLOAD_SINK_H
#define SLIPWAY_SERVER_UPLOAD_SINK_H

#include "aws/api.h"
#include "base/header.h"

struct blob_store;

/*
 * Where a streamed request body goes (S3's PutObject and UploadPart): the
 * raw bytes as they arrive, through the aws-chunked decoder when the body
 * is framed that way, into a blob writer, hashed on the way (SHA-256 for
 * the blob and the signed payload hash, MD5 for the ETag and Content-MD5,
 * and the flexible checksum the request names).
 *
 * A failure (a chunk signature that does not match, a malformed frame, a
 * full disk) is remembered with the error code S3 answers, and the rest of
 * the body is dropped; upload_sink_finish() reports it.
 */

enum upload_framing {
    UPLOAD_PLAIN,          /* the body is the payload */
    UPLOAD_CHUNKED,        /* aws-chunked, unsigned chunks (STREAMING-UNSIGNED-PAYLOAD-TRAILER) */
    UPLOAD_CHUNKED_SIGNED, /* aws-chunked with chunk signatures */
};

struct upload_sink_options {
    enum upload_framing framing;
    /* aws-chunked: trailers follow the last chunk. */
    bool trailer;
    /* x-amz-decoded-content-length (chunked) or Content-Length (plain);
     * UINT64_MAX when not declared. */
    uint64_t declared_length;
    /* Signed chunks: the signing key and what the request's own signature
     * was made with (the seed of the chunk signature chain). */
    uint8_t signing_key[32];
    const char *amz_date;
    const char *scope;
    const char *seed_signature;
    /* "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", or NULL for none. */
    const char *checksum_algorithm;
};

struct upload_sink;

int upload_sink_new(struct upload_sink **out, struct blob_store *bs,
                    const struct upload_sink_options *opts);
/* Takes the next piece of the raw body; negative once the sink failed. */
int upload_sink_write(struct upload_sink *s, const void *data, size_t len);
/*
 * Ends the body: checks the framing is complete and the length is what
 * was declared, seals the blob and fills `out` (whose writer the caller
 * then owns). On failure returns the error with err_msg() set and
 * *code_out the S3 error code ("IncompleteBody", "SignatureDoesNotMatch",
 * "InvalidRequest", "InternalError").
 */
int upload_sink_finish(struct api_upload *out, const char **code_out, struct upload_sink *s);
/* The trailers after a successful finish (names lower case). */
size_t upload_sink_trailers(const struct upload_sink *s, const struct header_field **out);
/* Frees the sink and any blob writer it still holds. Accepts NULL. */
void upload_sink_free(struct upload_sink *s);

#endif
