#ifndef SLIPWAY_SERVER_API_ROUTE_H
#define SLIPWAY_SERVER_API_ROUTE_H

#include "http/httpd.h"

struct store;
struct blob_store;
struct master_key;
struct cloudtrail_recorder;

/*
 * The AWS API route: every request that is not for /_slipway/ or git.
 * identify the service -> verify SigV4 -> match the operation -> decode ->
 * validate -> handler (which authorizes) -> encode.
 */
struct api_route {
    struct store *store;
    struct blob_store *blobs;
    const struct master_key *master_key;
    /* Hosts "<bucket>.<s3_domain>" address S3 buckets virtual-host style;
     * NULL or "" for path style only. */
    const char *s3_domain;
    const char *data_dir;
    const char *default_account_id;
    const char *default_region;
    bool auth_open;
    /* Records every call that reached authentication; NULL when off. */
    struct cloudtrail_recorder *trail;
};

/* The route's begin hook: authenticates S3 uploads before their bodies
 * arrive and streams those bodies into the blob store. */
enum http_begin_result api_route_begin(void *ctx, const struct http_request *req,
                                       struct http_body_stream *stream, struct http_response *resp);
void api_route_handle(void *ctx, const struct http_request *req, struct http_response *resp);

#endif
