#include "base/common.h"
#include "base/err.h"
#include "base/jsonw.h"

#define ERR_MSG_MAX 1024

static _Thread_local char err_message[ERR_MSG_MAX];
static _Thread_local int err_code;

/*
 * Messages often quote input, and they go to clients inside JSON and XML:
 * whatever was quoted, and wherever truncation cut, the message is made
 * valid UTF-8 by replacing each bad byte with '?'.
 */
static void make_utf8(char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        size_t n = utf8_sequence_len((const unsigned char *)s + i, len - i);
        if (n == 0) {
            s[i++] = '?';
            continue;
        }
        i += n;
    }
}

static void err_vset(int kind, const char *fmt, va_list ap)
{
    err_code = kind;
    vsnprintf(err_message, sizeof(err_message), fmt, ap);
    make_utf8(err_message);
}

int err_set(int kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(kind, fmt, ap);
    va_end(ap);
    return kind;
}

int err_set_errno(int kind, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    err_vset(kind, fmt, ap);
    va_end(ap);
    size_t len = strlen(err_message);
    snprintf(err_message + len, sizeof(err_message) - len, ": %s", strerror(saved));
    errno = saved;
    return kind;
}

const char *err_msg(void)
{
    return err_message;
}

int err_last(void)
{
    return err_code;
}

void err_clear(void)
{
    err_code = 0;
    err_message[0] = '\0';
}

const char *err_kind_name(int kind)
{
    switch (kind) {
    case ERR_OK:
        return "ok";
    case ERR_NOT_FOUND:
        return "not found";
    case ERR_EXISTS:
        return "exists";
    case ERR_INVALID:
        return "invalid";
    case ERR_CONFLICT:
        return "conflict";
    case ERR_DENIED:
        return "denied";
    case ERR_LIMIT:
        return "limit";
    case ERR_TIMEOUT:
        return "timeout";
    case ERR_IO:
        return "io";
    case ERR_UNSUPPORTED:
        return "unsupported";
    default:
        return "internal";
    }
}
