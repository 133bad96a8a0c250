#ifndef SLIPWAY_STORE_MASTER_KEY_H
#define SLIPWAY_STORE_MASTER_KEY_H

#include "base/common.h"
#include "base/buf.h"
#include "base/crypto.h"

/*
 * The installation's master key, which seals secret values at rest (SSM
 * SecureString parameters, Secrets Manager secret values) with AES-256-GCM,
 * so that no plaintext secret reaches the database file.
 *
 * The key comes from the environment variable SLIPWAY_MASTER_KEY (64 hex
 * digits) when it is set, else from `<data>/master.key`, which the first
 * start creates (32 random bytes, mode 0600, written atomically) and later
 * starts refuse to use if other users can read it.
 *
 * A sealed value is text, "v1." followed by the base64 of nonce ||
 * ciphertext || tag, safe to keep in a JSON record. Each value is sealed
 * with a context (the record it belongs to, e.g. "ssm/ACCOUNT/REGION/name/3"),
 * and opens only with the same context: a ciphertext copied into another
 * record is refused rather than revealed there.
 */

#define MASTER_KEY_FILE "master.key"
#define MASTER_KEY_ENV  "SLIPWAY_MASTER_KEY"

struct master_key {
    uint8_t key[AEAD_KEY_LEN];
};

/* Loads (or on first start creates) the key for the data directory `dir`. */
int master_key_load(struct master_key *out, const char *dir);

/* Appends the sealed text of `plain` to `out`. */
void master_key_seal(struct buf *out, const struct master_key *k, const char *context,
                     const void *plain, size_t len);

/*
 * Appends the plaintext of a sealed text to `out`. ERR_INVALID when the text
 * is not a sealed value, was sealed under another key or context, or was
 * altered.
 */
int master_key_open(struct buf *out, const struct master_key *k, const char *context,
                    const char *sealed, size_t len);

#endif
