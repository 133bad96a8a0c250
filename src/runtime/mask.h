#ifndef SLIPWAY_RUNTIME_MASK_H
#define SLIPWAY_RUNTIME_MASK_H

#include "base/common.h"

/*
 * Streaming secret masking for the output of builds and deployments: every
 * occurrence of a registered secret in the stream is replaced by "***",
 * wherever the writes happen to split it.
 *
 * Matching is on exact bytes only. A secret that the program transformed
 * (base64, URL or JSON escaping, upper case, split over two lines by a
 * terminal) is not recognised; register the transformed form as a secret of
 * its own if it must be masked.
 *
 * Semantics: the stream is scanned left to right; at each position the
 * longest secret starting there is replaced and scanning continues after it;
 * where no secret starts the byte is passed through unchanged. The output
 * therefore equals the input byte for byte (NULs, invalid UTF-8 and all)
 * wherever nothing matched, and it is the same however the input is split
 * into writes. The output contains no registered secret, except one that
 * itself contains '*' and could be formed with the replacement text.
 *
 * Bytes are held back only while they could still be the start of a secret:
 * after a write, what is held is the longest tail of the unreplaced input
 * that is a prefix of some secret, at most (longest secret - 1) bytes.
 * masker_flush() releases it at the end of the stream.
 *
 * Cost: an Aho-Corasick automaton over the secrets, rebuilt on the first
 * write after masker_add(). A write of n bytes costs O(n + z), where z is
 * the number of secret occurrences ending in it (at most n times the
 * largest number of secrets that are suffixes of one another, 1 for
 * ordinary secrets); held-back bytes are never scanned again, except once
 * when secrets are added in the middle of a stream.
 *
 * A masker is not thread-safe; use one per output stream.
 */

struct masker;

/* Secrets shorter than this are refused: masking "a" would destroy output. */
#define MASKER_SECRET_MIN 4
/* Hard limits on what one masker holds, so input cannot make it grow. */
#define MASKER_SECRETS_MAX      1024
#define MASKER_SECRET_BYTES_MAX (64 * 1024)

/* Receives masked output. Return 0, or a negative err kind to stop. */
typedef int (*masker_emit_fn)(void *ctx, const void *data, size_t len);

int masker_new(struct masker **out);

/*
 * Registers a secret; the bytes are copied (any bytes, NULs and newlines
 * included). Adding a secret already registered does nothing. Fails with
 * ERR_INVALID for a secret shorter than MASKER_SECRET_MIN bytes and with
 * ERR_LIMIT past MASKER_SECRETS_MAX secrets or MASKER_SECRET_BYTES_MAX bytes
 * in all, with err_msg() set. May be called between writes: bytes already
 * emitted cannot be recalled, but bytes still held back are matched against
 * the new secret too.
 */
int masker_add(struct masker *m, const char *secret, size_t len);

/*
 * Feeds `len` bytes of the stream. Masked output goes to `emit` (possibly
 * several calls, never with len 0) before this returns. Returns 0 or the
 * first negative value `emit` returned, after which the stream is broken
 * and the masker should only be freed.
 */
int masker_write(struct masker *m, const void *data, size_t len, masker_emit_fn emit, void *ctx);

/*
 * Ends the stream: matches and emits whatever was held back. The masker is
 * then ready for a new stream with the same secrets.
 */
int masker_flush(struct masker *m, masker_emit_fn emit, void *ctx);

/* Bytes currently held back (tests, and callers that want to know). */
size_t masker_held(const struct masker *m);

/* Frees the masker, wiping its copies of the secrets. Accepts NULL. */
void masker_free(struct masker *m);

#endif
