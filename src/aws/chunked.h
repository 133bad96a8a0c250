#ifndef SLIPWAY_AWS_CHUNKED_H
#define SLIPWAY_AWS_CHUNKED_H

#include "base/common.h"
#include "base/err.h"
#include "base/header.h"

/*
 * The aws-chunked body decoder (Content-Encoding: aws-chunked), for the S3
 * uploads whose x-amz-content-sha256 is one of
 *
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD          signed chunks
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  signed chunks, signed trailers
 *   STREAMING-UNSIGNED-PAYLOAD-TRAILER          plain chunks, trailers
 *
 * The body is a series of chunks, each "<hex size>[;chunk-signature=<sig>]
 * CRLF <data> CRLF", ended by a chunk of size 0, then (for the -TRAILER
 * forms) trailer lines "name:value CRLF" and an empty line:
 *
 *   10000;chunk-signature=ad80c730...\r\n <65536 bytes> \r\n
 *   400;chunk-signature=0055627c...\r\n <1024 bytes> \r\n
 *   0;chunk-signature=b6c6ea8a...\r\n
 *   x-amz-checksum-crc32c:sOO8/Q==\r\n             (-TRAILER forms)
 *   x-amz-trailer-signature:d81f82fc...\r\n         (signed -TRAILER form)
 *   \r\n
 *
 * The decoder is pushed the raw body in pieces of any size as they arrive
 * and passes the payload bytes on through `emit`, without copying them.
 *
 * Signed chunks: chunk n's signature is HMAC-SHA256 with the request's
 * signing key over
 *
 *   "AWS4-HMAC-SHA256-PAYLOAD" \n <amz date> \n <scope> \n <signature of chunk n-1>
 *   \n hex(sha256("")) \n hex(sha256(<chunk data>))
 *
 * where chunk 0's predecessor is the request's own (seed) signature and the
 * final empty chunk is signed like the others. The trailer signature is
 *
 *   "AWS4-HMAC-SHA256-TRAILER" \n <amz date> \n <scope> \n <final chunk's signature>
 *   \n hex(sha256(<trailers>))
 *
 * with <trailers> each "name:value\n", names lower-case, values trimmed,
 * sorted by name, x-amz-trailer-signature itself left out (as the AWS SDKs
 * sign them). The chaining means chunks cannot be dropped, reordered or
 * moved between requests.
 *
 * Emitted bytes are not authenticated until the chunk they belong to has
 * been checked, and the body as a whole only when chunked_decoder_finish()
 * returns 0: the caller must treat what it received as provisional (write
 * it to a temporary blob) and discard it on any error.
 *
 * What is accepted beyond the letter of AWS's pages, and why:
 *  - Unsigned forms: chunk extensions (";name[=value]", RFC 9112 section
 *    7.1.1) are ignored, as HTTP requires of unknown ones; a chunk-signature
 *    extension there is ignored too. The signed forms take exactly
 *    ";chunk-signature=<64 hex digits>" and nothing else.
 *  - -TRAILER forms: AWS's trailer example shows an empty line between the
 *    final chunk and the trailers, while the SDKs send none; both are read.
 *  - Chunks smaller than S3's 8 KB minimum (except the last) are accepted:
 *    the minimum is a performance rule of AWS's, not a framing one.
 *
 * Errors (negative err kinds, with err_msg() saying what and at which byte
 * offset of the raw body):
 *   ERR_INVALID  malformed framing: a bad hex size, a missing CRLF, a
 *                missing or malformed chunk-signature extension, a line or
 *                size past the limits below, trailers where none were
 *                declared, bytes after the end, a body that ends early, or a
 *                total that disagrees with x-amz-decoded-content-length
 *                (S3: IncompleteBody or InvalidRequest)
 *   ERR_DENIED   a chunk or trailer signature that does not match
 *                (S3: SignatureDoesNotMatch)
 * and whatever negative value `emit` returned. After an error every later
 * call returns the same error.
 */

/* Limits on what the body controls. */
#define CHUNKED_LINE_MAX 4096 /* a chunk header or trailer line, without its CRLF */
/*
 * The largest chunk. A chunk's signature can only be checked once all of it
 * has arrived, so this bounds the unauthenticated bytes a request with a
 * forged or replayed chunk signature gets the server to process and store
 * before it is refused, and keeps the hex size far from overflow. The SDKs
 * send chunks of 64 KB (Java, Go) to 1 MB (botocore), so 16 MB leaves ample
 * room.
 */
#define CHUNKED_CHUNK_MAX         (16u * 1024 * 1024)
#define CHUNKED_TRAILERS_MAX      16   /* trailer headers, the signature not counted */
#define CHUNKED_TRAILER_BYTES_MAX 8192 /* their names and values together */

struct chunked_options {
    /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]: verify chunk signatures. */
    bool signed_chunks;
    /* From sigv4_signing_key() for the request's scope; used when signed_chunks. */
    uint8_t signing_key[32];
    /* The request's X-Amz-Date ("20130524T000000Z") and credential scope
     * ("20130524/us-east-1/s3/aws4_request"); copied. */
    const char *amz_date;
    const char *scope;
    /* The request's own (header) signature, 64 hex digits; copied. */
    const char *seed_signature;
    /*
     * The -TRAILER forms: trailers follow the final chunk, signed with
     * x-amz-trailer-signature when signed_chunks. Without it any trailer is
     * an error.
     */
    bool trailer;
    /* x-amz-decoded-content-length; UINT64_MAX when absent. */
    uint64_t decoded_length;
};

struct chunked_decoder;

/*
 * A decoder for one body. `emit` (NULL to discard) receives each run of
 * payload bytes, pointing into the buffer given to chunked_decoder_feed();
 * a negative return stops decoding and is returned from the feed. Returns 0
 * or ERR_INVALID for options that cannot work (signed without a 64-digit
 * seed signature, a date or scope). Free with chunked_decoder_free().
 */
int chunked_decoder_new(struct chunked_decoder **out, const struct chunked_options *opts,
                        int (*emit)(void *ctx, const void *data, size_t len), void *ctx);

/* The next `len` bytes of the raw body. Returns 0 or an error (see above). */
int chunked_decoder_feed(struct chunked_decoder *d, const void *data, size_t len);

/*
 * The body has ended: succeeds when the final chunk and the trailers were
 * complete (and their signatures checked) and the payload length agrees
 * with x-amz-decoded-content-length. Returns 0 or ERR_INVALID.
 */
int chunked_decoder_finish(struct chunked_decoder *d);

/* Payload bytes emitted so far. */
uint64_t chunked_decoder_decoded_length(const struct chunked_decoder *d);

/*
 * The trailers as received, in order, names lower-cased and values trimmed,
 * without x-amz-trailer-signature. Owned by the decoder; valid after
 * chunked_decoder_finish() returned 0 (0 entries before).
 */
size_t chunked_decoder_trailers(const struct chunked_decoder *d, const struct header_field **out);

void chunked_decoder_free(struct chunked_decoder *d);

#endif
