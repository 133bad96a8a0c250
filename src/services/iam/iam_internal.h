#ifndef SLIPWAY_SERVICES_IAM_IAM_INTERNAL_H
#define SLIPWAY_SERVICES_IAM_IAM_INTERNAL_H

#include <jansson.h>

#include "base/buf.h"
#include "store/store.h"

/* Shared by the IAM files only. */

#define IAM_KIND_USER            "iam.user"
#define IAM_KIND_USER_KEY        "iam.user_key"
#define IAM_KIND_USER_ATTACHMENT "iam.user_attachment"
#define IAM_KIND_ROLE            "iam.role"
#define IAM_KIND_ROLE_POLICY     "iam.role_policy"
#define IAM_KIND_ROLE_ATTACHMENT "iam.role_attachment"
#define IAM_KIND_ACCESS_KEY      "iam.access_key"
#define IAM_KIND_SESSION         "sts.session"
#define IAM_SCOPE_GLOBAL         "global"

/* AWS's quotas: access keys per user, managed policies per user or role. */
#define IAM_ACCESS_KEYS_PER_USER 2
#define IAM_POLICIES_PER_OWNER   10

/*
 * The record name for a user or role `owner`, and for its children with
 * `child` ("" for the prefix of all its children, NULL for the owner
 * itself). IAM names are unique regardless of case, so the owner part is
 * folded to lower case; the records keep the name as it was created.
 */
void iam_key(struct buf *out, const char *owner, const char *child);

/* A new user record: {Path, UserName, UserId, Arn, CreateDate}. */
json_t *iam_user_new(const char *account, const char *name, const char *path, int64_t now_ms);

/* Records an attachment of `policy_arn` to a user or role (idempotent). */
int iam_attachment_put(struct store *st, struct store_tx *tx, const char *kind, const char *account,
                       const char *owner, const char *policy_arn);

/*
 * Creates an access key for a user: ERR_LIMIT past the per-user quota.
 * *key_out gets {UserName, AccessKeyId, Status, SecretAccessKey, CreateDate}.
 */
int iam_access_key_create(json_t **key_out, struct store *st, struct store_tx *tx,
                          const char *account, const char *user, int64_t now_ms);

/* Deletes a user's oldest keys until at most `keep` remain. */
int iam_user_keys_trim(struct store *st, struct store_tx *tx, const char *account, const char *user,
                       size_t keep);

/*
 * Call after committing any change to what an access key resolves to (a
 * key's status or existence, a user's deletion, policy attachments): it
 * invalidates the credential cache. Returns `rc` for
 * `return iam_identity_changed_rc(store_tx_commit(...))`.
 */
void iam_identity_changed(void);
static inline int iam_identity_changed_rc(int rc)
{
    iam_identity_changed();
    return rc;
}

#endif
