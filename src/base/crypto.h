#ifndef SLIPWAY_BASE_CRYPTO_H
#define SLIPWAY_BASE_CRYPTO_H

#include "base/common.h"
#include "base/buf.h"

/*
 * Digests, MACs, encodings and randomness over OpenSSL libcrypto. The
 * algorithm objects are fetched once per process (crypto_init(), called
 * lazily), not per call: SigV4 verification runs these on every request.
 */

#define SHA256_LEN 32
#define MD5_LEN    16
#define SHA1_LEN   20

void crypto_init(void);

void sha256(uint8_t out[SHA256_LEN], const void *data, size_t len);
void hmac_sha256(uint8_t out[SHA256_LEN], const void *key, size_t key_len, const void *data,
                 size_t len);
void md5(uint8_t out[MD5_LEN], const void *data, size_t len);
/* SHA-1 and HMAC-SHA1 only for protocols that require them (S3 Signature Version 2). */
void sha1(uint8_t out[SHA1_LEN], const void *data, size_t len);
void hmac_sha1(uint8_t out[SHA1_LEN], const void *key, size_t key_len, const void *data,
               size_t len);

/* PBKDF2-HMAC-SHA256 of `password` (for stored passwords). */
void pbkdf2_sha256(uint8_t *out, size_t out_len, const char *password, const uint8_t *salt,
                   size_t salt_len, int iterations);

/* Incremental SHA-256 for streamed bodies. */
struct sha256_ctx;
struct sha256_ctx *sha256_begin(void);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
/* Writes the digest and frees ctx. */
void sha256_end(struct sha256_ctx *ctx, uint8_t out[SHA256_LEN]);

/* The value of one hex digit (either case), or -1. */
int hex_digit_value(int c);

/* Lower-case hex of `len` bytes into `out` (2*len+1 bytes). */
void hex_encode(char *out, const uint8_t *data, size_t len);
/* Decodes exactly 2*out_len hex digits; returns 0 or ERR_INVALID. */
int hex_decode(uint8_t *out, size_t out_len, const char *hex, size_t hex_len);

void base64_encode(struct buf *out, const void *data, size_t len);
/* Standard alphabet with padding; returns 0 or ERR_INVALID. */
int base64_decode(struct buf *out, const char *s, size_t len);

/* Cryptographically secure random bytes; aborts if the RNG fails. */
void random_bytes(void *out, size_t len);

/*
 * AES-256-GCM. aead_seal() appends nonce (12 random bytes) || ciphertext ||
 * tag (16 bytes) to `out`; aead_open() appends the plaintext, or returns
 * ERR_INVALID (out untouched) when the input was not sealed with this key
 * and this `aad` or was altered. `aad` is authenticated, not encrypted: the
 * context a value belongs to, so that a ciphertext moved to another record
 * does not open there.
 */
#define AEAD_KEY_LEN   32
#define AEAD_NONCE_LEN 12
#define AEAD_TAG_LEN   16
#define AEAD_OVERHEAD  (AEAD_NONCE_LEN + AEAD_TAG_LEN)
void aead_seal(struct buf *out, const uint8_t key[AEAD_KEY_LEN], const void *aad, size_t aad_len,
               const void *plain, size_t len);
int aead_open(struct buf *out, const uint8_t key[AEAD_KEY_LEN], const void *aad, size_t aad_len,
              const void *sealed, size_t len);

/* Constant-time comparison, for MACs and secrets. */
bool secure_equal(const void *a, const void *b, size_t len);

#endif
