/*
 * The CGI response header block (src/http/cgi.c) as a program such as git
 * http-backend writes it: cgi_header_end finds the blank line, then
 * cgi_parse_headers reads the lines before it. When no blank line is
 * found, the whole input is parsed as a block, as if the program had
 * ended it there.
 *
 * A parsed block must give a status in 100-599 and never the headers the
 * server frames itself (Content-Length, Transfer-Encoding, Connection), nor
 * a header with a control character or an empty name.
 */
#include "base/common.h"

#include "base/err.h"
#include "base/response.h"
#include "http/cgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > CGI_HEADER_BLOCK_MAX + 16384)
        return 0;
    const char *text = (const char *)data;
    size_t end = cgi_header_end(text, size);
    if (end > size || (end && text[end - 1] != '\n'))
        abort();
    size_t block = end ? end : size;

    struct http_response resp;
    http_response_init(&resp);
    int rc = cgi_parse_headers(&resp, text, block);
    if (rc != 0 && rc != ERR_INVALID)
        abort();
    if (rc == 0) {
        if (resp.status < 100 || resp.status > 599 || resp.header_count > CGI_HEADERS_MAX)
            abort();
        for (size_t i = 0; i < resp.header_count; i++) {
            const char *name = resp.headers[i].name, *value = resp.headers[i].value;
            if (!name[0] || !strcasecmp(name, "Content-Length") ||
                !strcasecmp(name, "Transfer-Encoding") || !strcasecmp(name, "Connection") ||
                !strcasecmp(name, "Status"))
                abort();
            for (const char *c = name; *c; c++)
                if ((unsigned char)*c <= ' ' || *c == ':' || *c == 127)
                    abort();
            for (const char *c = value; *c; c++)
                if ((unsigned char)*c < ' ' && *c != '\t')
                    abort();
            if (value[0] == ' ' || value[0] == '\t')
                abort();
        }
    }
    http_response_release(&resp);
    return 0;
}
