#ifndef SLIPWAY_BASE_LOG_H
#define SLIPWAY_BASE_LOG_H

#include "base/common.h"

/*
 * The server log: one JSON object a line with time, level, component,
 * request id (when there is one) and message. Library code returns errors
 * and leaves logging to the boundary that handles them.
 */

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Default: LOG_INFO to stderr. `fd` is not closed by the log. */
void log_setup(int fd, enum log_level min_level);
bool log_enabled(enum log_level level);

void log_write(enum log_level level, const char *component, const char *request_id, const char *fmt,
               ...) PRINTF_LIKE(4, 5);

#define log_debug(comp, ...) log_write(LOG_DEBUG, comp, NULL, __VA_ARGS__)
#define log_info(comp, ...)  log_write(LOG_INFO, comp, NULL, __VA_ARGS__)
#define log_warn(comp, ...)  log_write(LOG_WARN, comp, NULL, __VA_ARGS__)
#define log_error(comp, ...) log_write(LOG_ERROR, comp, NULL, __VA_ARGS__)

#endif
