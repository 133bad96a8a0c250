#ifndef SLIPWAY_TESTS_UNIT_S3_BUCKET_FIXTURE_H
#define SLIPWAY_TESTS_UNIT_S3_BUCKET_FIXTURE_H

/*
 * The IAM fixture with the real authorizer installed, for tests that call
 * S3's bucket operations in process through the operation table and read
 * back the AWS error code a failure carries.
 */
#include "base/common.h"
#include "aws/api.h"
#include "base/alloc.h"
#include "base/err.h"
#include "server/authorizer.h"
#include "server/services.h"
#include "services/s3/s3_internal.h"
#include "services/common/record.h"
#include "iam_fixture.h"

#define S3F_ACCOUNT IAM_FIXTURE_ACCOUNT
#define S3F_OTHER   "111111111111"

struct s3_fixture {
    struct iam_fixture *iam;
    struct store *st;
    struct principal admin;
    /* The root user of another account. */
    struct principal other;
    /* The error code of the last failed call, "" after a success. */
    char code[128];
    int64_t now_ms;
};

static inline int s3_fixture_open(struct s3_fixture **out, const char *name)
{
    struct s3_fixture *f = xcalloc(1, sizeof(*f));
    if (iam_fixture_open(&f->iam, name) < 0) {
        free(f);
        return -1;
    }
    f->st = f->iam->st;
    f->admin = f->iam->admin;
    f->other = (struct principal){.type = PRINCIPAL_ROOT};
    snprintf(f->other.account_id, sizeof(f->other.account_id), "%s", S3F_OTHER);
    snprintf(f->other.arn, sizeof(f->other.arn), "arn:aws:iam::%s:root", S3F_OTHER);
    snprintf(f->other.user_id, sizeof(f->other.user_id), "%s", S3F_OTHER);
    f->now_ms = IAM_FIXTURE_T0;
    authorizer_install(f->st);
    *out = f;
    return 0;
}

static inline void s3_fixture_close(struct s3_fixture *f)
{
    authorizer_shutdown();
    iam_fixture_close(f->iam);
    free(f);
}

/*
 * Runs operation `op` of `service` as `who` (the admin when NULL) in
 * `region` (us-east-1 when NULL). `params` is JSON text; *out, when not
 * NULL, gets the output. Returns the handler's result; f->code is the
 * failure's AWS error code.
 */
static inline int s3_fixture_call_in(struct s3_fixture *f, const struct principal *who,
                                     const char *region, const char *service, const char *op,
                                     const char *params, json_t **out)
{
    const struct principal *p = who ? who : &f->admin;
    struct api_call call = {
        .request_id = "REQ0000000000001",
        .service = model_service_find(service),
        .principal = p,
        .account_id = p->account_id,
        .region = region ? region : "us-east-1",
        .partition = "aws",
        .store = f->st,
        .now_ms = f->now_ms,
        .source_ip = "127.0.0.1",
        .download = {.fd = -1},
    };
    call.op = model_operation_find(call.service, op, strlen(op));
    const struct api_operation *entry = services_operation(services_find(service), op);
    json_error_t jerr;
    json_t *in = json_loads(params, 0, &jerr);
    f->code[0] = '\0';
    if (!in || !call.op || !entry) {
        json_decref(in);
        return err_set(ERR_INVALID, "bad test call %s %s", op, params);
    }
    json_t *result = NULL;
    call.op_ctx = entry->ctx;
    int rc = entry->handler(&call, in, &result);
    json_decref(in);
    json_decref(call.error_fields);
    json_decref(call.response_headers);
    if (rc < 0)
        snprintf(f->code, sizeof(f->code), "%s", call.error_code);
    else if (!call.authorized)
        rc = err_set(ERR_INTERNAL, "%s succeeded without authorizing", op);
    if (out)
        *out = result;
    else
        json_decref(result);
    return rc;
}

static inline int s3_fixture_call(struct s3_fixture *f, const struct principal *who, const char *op,
                                  const char *params, json_t **out)
{
    return s3_fixture_call_in(f, who, NULL, "s3", op, params, out);
}

#endif
