#ifndef SLIPWAY_BASE_IDS_H
#define SLIPWAY_BASE_IDS_H

#include "base/common.h"

#define UUID_TEXT_LEN 37

/* Random (version 4) UUID, lower case: "3b2c...-..." */
void uuid_v4(char out[UUID_TEXT_LEN]);

/*
 * An AWS-style identifier: `prefix` followed by random characters from
 * [A-Z2-7] up to `total_len` characters, e.g. access key ids "AKIA..." (20)
 * or role ids "AROA..." (21). `out` holds total_len + 1 bytes.
 */
void aws_id(char *out, const char *prefix, size_t total_len);

/* A 40-character secret access key from [A-Za-z0-9+/]. */
#define SECRET_KEY_LEN 40
void aws_secret_key(char out[SECRET_KEY_LEN + 1]);

#endif
