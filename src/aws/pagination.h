#ifndef SLIPWAY_AWS_PAGINATION_H
#define SLIPWAY_AWS_PAGINATION_H

#include "base/buf.h"

/*
 * Opaque pagination tokens (Marker, NextToken): they carry the last key of
 * the previous page. Clients treat them as opaque; slipway checks that a
 * token it is given is one it could have made.
 */

#define PAGINATION_TOKEN_MAX 4096

void pagination_token_encode(struct buf *out, const char *after);
/* Returns 0 and a malloc'd key, or ERR_INVALID when the token is not ours. */
int pagination_token_decode(char **after_out, const char *token);

#endif
