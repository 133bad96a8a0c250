#include "base/common.h"
#include "base/log.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/jsonw.h"

static int log_fd = STDERR_FILENO;
static enum log_level log_min = LOG_INFO;

void log_setup(int fd, enum log_level min_level)
{
    log_fd = fd;
    log_min = min_level;
}

bool log_enabled(enum log_level level)
{
    return level >= log_min;
}

void log_write(enum log_level level, const char *component, const char *request_id, const char *fmt,
               ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if (!log_enabled(level))
        return;

    char when[TIME_TEXT_MAX];
    time_format_iso8601_ms(when, clock_now_ms());

    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(msg))
        n = sizeof(msg) - 1;

    struct buf line = BUF_INIT;
    buf_addf(&line, "{\"time\":\"%s\",\"level\":\"%s\",\"component\":", when, names[level]);
    jsonw_cstr(&line, component);
    if (request_id) {
        buf_adds(&line, ",\"request_id\":");
        jsonw_cstr(&line, request_id);
    }
    buf_adds(&line, ",\"msg\":");
    jsonw_string(&line, msg, (size_t)n);
    buf_adds(&line, "}\n");
    /* One write() per line keeps lines whole between threads. */
    ssize_t w = write(log_fd, line.data, line.len);
    (void)w;
    buf_release(&line);
}
