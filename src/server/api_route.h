#ifndef SLIPWAY_SERVER_API_ROUTE_H
#define SLIPWAY_SERVER_API_ROUTE_H

#include "http/httpd.h"

struct store;

/*
 * The AWS API route: every request that is not for /_slipway/ or git.
 * identify the service -> verify SigV4 -> match the operation -> decode ->
 * validate -> handler (which authorizes) -> encode.
 */
struct api_route {
    struct store *store;
    const char *default_account_id;
    const char *default_region;
    bool auth_open;
};

void api_route_handle(void *ctx, const struct http_request *req, struct http_response *resp);

#endif
