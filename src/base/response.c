#include "base/common.h"
#include "base/response.h"
#include "base/alloc.h"

void http_response_init(struct http_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    resp->body_fd = -1;
    resp->head_length = -1;
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
    if (resp->body_fd >= 0)
        close(resp->body_fd);
    if (resp->source.read && resp->source.free)
        resp->source.free(resp->source.state);
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

void http_response_set_file(struct http_response *resp, int fd, uint64_t offset, uint64_t length)
{
    if (resp->body_fd >= 0)
        close(resp->body_fd);
    buf_reset(&resp->body);
    resp->body_fd = fd;
    resp->body_offset = offset;
    resp->body_length = length;
}

void http_response_set_source(struct http_response *resp, const struct http_body_source *source)
{
    if (resp->body_fd >= 0)
        close(resp->body_fd);
    resp->body_fd = -1;
    if (resp->source.read && resp->source.free)
        resp->source.free(resp->source.state);
    buf_reset(&resp->body);
    resp->source = *source;
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
