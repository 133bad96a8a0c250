#ifndef SLIPWAY_SERVICES_CODECOMMIT_CODECOMMIT_H
#define SLIPWAY_SERVICES_CODECOMMIT_CODECOMMIT_H

#include "aws/api.h"

/*
 * CodeCommit: git repositories, each a bare repository on disk under
 * <data>/codecommit/<repositoryId>.git with its metadata in the store. The
 * git transport (smart HTTP through `git http-backend`) lives in the server
 * and reaches a repository through codecommit_repo_find(); the API works on
 * the same repositories through libgit2.
 */
extern const struct api_service codecommit_api_service;

#define CODECOMMIT_NAME_MAX 100
#define CODECOMMIT_ID_LEN   36

/* Where a repository is and what it is called. */
struct codecommit_repo {
    char account_id[16];
    char region[32];
    char name[CODECOMMIT_NAME_MAX + 1];
    char id[CODECOMMIT_ID_LEN + 1];
    /* arn:aws:codecommit:REGION:ACCOUNT:NAME */
    char arn[200];
    /* The bare repository's directory. */
    char path[4096];
};

/*
 * Finds repository `name` of (account, region) with its directory under
 * `data_dir`: 0, or ERR_NOT_FOUND (with the message CodeCommit gives).
 */
int codecommit_repo_find(struct codecommit_repo *out, struct store *st, const char *data_dir,
                         const char *account_id, const char *region, const char *name);

/*
 * Records the repository's refs as they are on disk now, after something
 * outside the API moved them (a push through git http-backend): every
 * branch or tag created, moved or deleted since the last record appends a
 * "CodeCommit Repository State Change" event to the outbox, in the one
 * transaction that records the new state. `caller_arn` is who pushed (the
 * events' callerUserArn), NULL when unknown (start-up reconciliation).
 */
int codecommit_refs_record(struct store *st, const struct codecommit_repo *repo,
                           const char *caller_arn);

/*
 * At start-up: records the refs of every repository, so a change that
 * reached the disk but not the store before a crash still gets its events.
 * Reports how many refs had changed unrecorded.
 */
int codecommit_reconcile(size_t *changed_out, struct store *st, const char *data_dir);

/*
 * The same, as a periodic scheduler task (ctx: struct codecommit_context),
 * for refs moved after a crash's start-up reconciliation: a git process
 * the crashed server started can still finish a push after the restart.
 * An unchanged repository costs two reads and no write.
 */
struct codecommit_context {
    struct store *store;
    const char *data_dir;
};
int codecommit_reconcile_task(void *ctx, int64_t now_ms);

#endif
