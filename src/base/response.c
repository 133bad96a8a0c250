#include "base/common.h"
#include "base/response.h"
#include "base/alloc.h"

void http_response_init(struct http_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    buf_init(&resp->body);
}

void http_response_release(struct http_response *resp)
{
    for (size_t i = 0; i < resp->header_count; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    free(resp->headers);
    buf_release(&resp->body);
    http_response_init(resp);
}

void http_response_add_header(struct http_response *resp, const char *name, const char *value)
{
    ALLOC_GROW(resp->headers, resp->header_count + 1, resp->header_alloc);
    resp->headers[resp->header_count].name = xstrdup(name);
    resp->headers[resp->header_count].value = xstrdup(value);
    resp->header_count++;
}

const char *http_response_header(const struct http_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->header_count; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    return NULL;
}

void http_response_set(struct http_response *resp, int status, const char *content_type,
                       const char *body, size_t len)
{
    resp->status = status;
    if (content_type)
        http_response_add_header(resp, "Content-Type", content_type);
    buf_reset(&resp->body);
    buf_add(&resp->body, body, len);
}
