#ifndef SLIPWAY_SERVICES_S3_S3_H
#define SLIPWAY_SERVICES_S3_S3_H

#include "aws/api.h"

/* S3: buckets and objects, the artifact store of every other service. */
extern const struct api_service s3_api_service;

struct store;
struct blob_store;

/* What S3's scheduled tasks work on. */
struct s3_context {
    struct store *store;
    struct blob_store *blobs;
};

/* scheduler_task_fn (runtime/scheduler.h): deletes blobs that no object
 * version or part references any more (ctx: a struct s3_context). */
int s3_blob_gc_task(void *ctx, int64_t now_ms);

/* scheduler_task_fn: applies the buckets' lifecycle rules (ctx: a struct
 * s3_context): expires current versions, noncurrent versions and
 * abandoned multipart uploads as the rules say. */
int s3_lifecycle_task(void *ctx, int64_t now_ms);

#endif
