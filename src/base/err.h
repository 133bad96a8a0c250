#ifndef SLIPWAY_BASE_ERR_H
#define SLIPWAY_BASE_ERR_H

#include "base/common.h"

/*
 * The error kinds every layer speaks. Functions that can fail return 0 on
 * success or one of these (all negative). The site that detects the failure
 * sets a message once with err_set(); callers pass the code up unchanged and
 * the boundary (an API handler or a command) reports err_msg().
 *
 * The API layer maps (kind, operation) to the error shape the operation's
 * model declares, because AWS names the same failure differently per service.
 */
enum err_kind {
    ERR_OK = 0,
    ERR_NOT_FOUND = -1,
    ERR_EXISTS = -2,
    ERR_INVALID = -3,
    ERR_CONFLICT = -4,
    ERR_DENIED = -5,
    ERR_LIMIT = -6,
    ERR_TIMEOUT = -7,
    ERR_IO = -8,
    ERR_INTERNAL = -9,
    ERR_UNSUPPORTED = -10,
};

/* Set the thread's error message and return `kind`, for `return err_set(...)`. */
int err_set(int kind, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Like err_set(), appending ": strerror(errno)". */
int err_set_errno(int kind, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* The last message set on this thread, "" if none. */
const char *err_msg(void);
/* The kind passed to the last err_set() on this thread. */
int err_last(void);
void err_clear(void);
/* Short lower-case name of a kind, for logs: "not found", "invalid" ... */
const char *err_kind_name(int kind);

#endif
