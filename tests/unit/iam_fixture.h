#ifndef SLIPWAY_TESTS_UNIT_IAM_FIXTURE_H
#define SLIPWAY_TESTS_UNIT_IAM_FIXTURE_H

/*
 * A store in a temporary directory with the account's admin bootstrapped,
 * for tests that call the IAM handlers in process as the server calls them.
 * The wall clock is fixed at IAM_FIXTURE_T0 while the fixture is open.
 */
#include "base/common.h"
#include "aws/api.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "server/services.h"
#include "services/iam/iam.h"
#include "store/master_key.h"
#include "store/store.h"

#include "store_fixture.h"

#define IAM_FIXTURE_ACCOUNT "000000000000"
#define IAM_FIXTURE_T0      1700000000000LL

struct iam_fixture {
    char *dir;
    struct store *st;
    struct principal admin;
};

/* Returns 0, or -1 after printing why (cmocka setup convention). */
static inline int iam_fixture_open(struct iam_fixture **out, const char *name)
{
    struct iam_fixture *f = xcalloc(1, sizeof(*f));
    struct store_fixture sf;
    if (store_fixture_open(&sf, name, IAM_FIXTURE_T0) < 0) {
        free(f);
        return -1;
    }
    f->dir = sf.dir;
    f->st = sf.st;
    struct buf credentials = BUF_INIT;
    buf_addf(&credentials, "%s/credentials", f->dir);
    int rc = iam_bootstrap_admin(f->st, IAM_FIXTURE_ACCOUNT, "us-east-1", credentials.data);
    if (rc == 0)
        rc = iam_admin_principal(&f->admin, f->st, IAM_FIXTURE_ACCOUNT);
    buf_release(&credentials);
    if (rc < 0) {
        fprintf(stderr, "iam fixture: %s\n", err_msg());
        return -1;
    }
    *out = f;
    return 0;
}

static inline void iam_fixture_close(struct iam_fixture *f)
{
    struct store_fixture sf = {.dir = f->dir, .st = f->st};
    store_fixture_close(&sf);
    free(f);
}

/* How an iam_fixture_invoke() call went. */
struct iam_fixture_result {
    bool found; /* the service has the operation in its model and its table */
    bool authorized;
    char code[128];     /* a failure's AWS code, "" when none was set */
    char message[1024]; /* a failure's message */
};

/*
 * Runs one operation of `service` as `who` (the admin when NULL), through
 * its operation table entry as the server does, at the wall clock (fixed
 * at IAM_FIXTURE_T0 unless a test moves it), with `key` as the master key
 * (may be NULL). `in` is consumed. *out, when not NULL, gets the output
 * (the caller releases it). Returns the handler's result.
 */
static inline int iam_fixture_invoke(struct iam_fixture_result *res, struct iam_fixture *f,
                                     const struct principal *who, const char *service,
                                     const char *op, json_t *in, const struct master_key *key,
                                     json_t **out)
{
    struct api_call call = {
        .request_id = "test",
        .service = model_service_find(service),
        .principal = who ? who : &f->admin,
        .account_id = IAM_FIXTURE_ACCOUNT,
        .region = "us-east-1",
        .partition = "aws",
        .store = f->st,
        .master_key = key,
        /* Services keeping files (CodeCommit's repositories) use the
         * fixture's directory. */
        .data_dir = f->dir,
        .default_region = "us-east-1",
        .now_ms = clock_now_ms(),
        .source_ip = "127.0.0.1",
        .download = {.fd = -1},
    };
    memset(res, 0, sizeof(*res));
    call.op = call.service ? model_operation_find(call.service, op, strlen(op)) : NULL;
    const struct api_operation *entry = services_operation(services_find(service), op);
    if (!in || !call.op || !entry) {
        json_decref(in);
        return err_set(ERR_INVALID, "no operation %s:%s to test", service, op);
    }
    res->found = true;
    json_t *result = NULL;
    call.op_ctx = entry->ctx;
    err_clear();
    int rc = entry->handler(&call, in, &result);
    res->authorized = call.authorized;
    if (rc < 0) {
        snprintf(res->code, sizeof(res->code), "%s", call.error_code);
        snprintf(res->message, sizeof(res->message), "%s", err_msg());
    }
    json_decref(in);
    json_decref(call.error_fields);
    json_decref(call.response_headers);
    if (out)
        *out = result;
    else
        json_decref(result);
    return rc;
}

/* iam_fixture_invoke() with `params` as JSON text, as the admin's key-less calls need. */
static inline int iam_fixture_call(struct iam_fixture *f, const struct principal *who,
                                   const char *service, const char *op, const char *params,
                                   json_t **out)
{
    struct iam_fixture_result res;
    json_t *in = json_loads(params, 0, NULL);
    if (!in)
        return err_set(ERR_INVALID, "bad test call %s %s", op, params);
    int rc = iam_fixture_invoke(&res, f, who, service, op, in, NULL, out);
    if (!res.found)
        return err_set(ERR_INVALID, "bad test call %s %s", op, params);
    return rc;
}

#endif
