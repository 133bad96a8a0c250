#include "base/common.h"
#include "aws/pagination.h"
#include "base/crypto.h"
#include "base/err.h"

#define TOKEN_PREFIX "sw1:"

void pagination_token_encode(struct buf *out, const char *after)
{
    struct buf raw = BUF_INIT;
    buf_adds(&raw, TOKEN_PREFIX);
    buf_adds(&raw, after);
    base64_encode(out, raw.data, raw.len);
    buf_release(&raw);
}

int pagination_token_decode(char **after_out, const char *token)
{
    size_t len = strlen(token);
    if (len == 0 || len > PAGINATION_TOKEN_MAX)
        return err_set(ERR_INVALID, "the pagination token is not valid");
    struct buf raw = BUF_INIT;
    if (base64_decode(&raw, token, len) < 0 || raw.len < strlen(TOKEN_PREFIX) ||
        memcmp(raw.data, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0 ||
        memchr(raw.data, '\0', raw.len)) {
        buf_release(&raw);
        return err_set(ERR_INVALID, "the pagination token is not valid");
    }
    char *after = strdup(raw.data + strlen(TOKEN_PREFIX));
    buf_release(&raw);
    if (!after)
        abort();
    *after_out = after;
    return 0;
}
