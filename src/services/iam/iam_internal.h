#ifndef SLIPWAY_SERVICES_IAM_IAM_INTERNAL_H
#define SLIPWAY_SERVICES_IAM_IAM_INTERNAL_H

#include <jansson.h>

#include "aws/api.h"
#include "aws/principal.h"
#include "base/buf.h"
#include "store/store.h"

/* Shared by the IAM files only. The record layout is described in iam.h. */

#define IAM_KIND_USER             "iam.user"
#define IAM_KIND_USER_KEY         "iam.user_key"
#define IAM_KIND_USER_ATTACHMENT  "iam.user_attachment"
#define IAM_KIND_USER_POLICY      "iam.user_policy"
#define IAM_KIND_USER_GROUP       "iam.user_group"
#define IAM_KIND_GROUP            "iam.group"
#define IAM_KIND_GROUP_MEMBER     "iam.group_member"
#define IAM_KIND_GROUP_POLICY     "iam.group_policy"
#define IAM_KIND_GROUP_ATTACHMENT "iam.group_attachment"
#define IAM_KIND_ROLE             "iam.role"
#define IAM_KIND_ROLE_POLICY      "iam.role_policy"
#define IAM_KIND_ROLE_ATTACHMENT  "iam.role_attachment"
#define IAM_KIND_ROLE_PROFILE     "iam.role_profile"
#define IAM_KIND_ROLE_LAST_USED   "iam.role_last_used"
#define IAM_KIND_POLICY           "iam.policy"
#define IAM_KIND_POLICY_VERSION   "iam.policy_version"
#define IAM_KIND_POLICY_ENTITY    "iam.policy_entity"
#define IAM_KIND_POLICY_BOUNDARY  "iam.policy_boundary"
#define IAM_KIND_INSTANCE_PROFILE "iam.instance_profile"
#define IAM_KIND_LOGIN_PROFILE    "iam.login_profile"
#define IAM_KIND_SLR_DELETION     "iam.slr_deletion"
#define IAM_KIND_ACCESS_KEY       "iam.access_key"
#define IAM_KIND_KEY_LAST_USED    "iam.key_last_used"
#define IAM_KIND_SESSION          "sts.session"
#define IAM_KIND_SERVICE_CRED     "iam.service_credential"
#define IAM_KIND_SERVICE_USER     "iam.service_user"
#define IAM_SCOPE_GLOBAL          "global"

/* AWS's quotas. */
#define IAM_ACCESS_KEYS_PER_USER   2
#define IAM_SERVICE_CREDS_PER_USER 2 /* per user and service */
#define IAM_POLICIES_PER_OWNER     10
#define IAM_GROUPS_PER_USER        10
#define IAM_TAGS_PER_ENTITY        50
#define IAM_VERSIONS_PER_POLICY    5
#define IAM_MANAGED_POLICY_MAX     6144
#define IAM_TRUST_POLICY_MAX       2048

/* Where AWS keeps its own policies and service-linked roles. */
#define IAM_AWS_POLICY_PREFIX   "arn:aws:iam::aws:policy"
#define IAM_SERVICE_LINKED_PATH "/aws-service-role/"

/*
 * The record name for a user, group, role, policy or instance profile
 * `owner`, and for its children with `child` ("" for the prefix of all its
 * children, NULL for the owner itself). IAM names are unique regardless of
 * case, so the owner part is folded to lower case; the records keep the
 * name as it was created.
 */
void iam_key(struct buf *out, const char *owner, const char *child);

/* "arn:aws:iam::ACCOUNT:TYPE" PATH NAME, e.g. TYPE "user". */
void iam_arn(struct buf *out, const char *account, const char *type, const char *path,
             const char *name);

/* A string member of a record or params object, or NULL. */
const char *iam_str(json_t *obj, const char *name);

/* ---- users, groups and roles ------------------------------------------------------ */

/* What differs between the three entities that policies apply to. */
struct iam_entity_kind {
    const char *kind;            /* the entity's record kind */
    const char *type;            /* in ARNs and index names: "user" */
    const char *entity_type;     /* as EntityType names it: "User" */
    const char *name_field;      /* "UserName" */
    const char *new_name_field;  /* the rename's parameter: "NewUserName" (NULL for roles) */
    const char *id_field;        /* "UserId" */
    const char *policy_kind;     /* its inline policies */
    const char *attachment_kind; /* its attached managed policies */
    const char *policy_quota;    /* "PoliciesPerUser" */
    int inline_max;              /* IAM's quota on its inline policies' total size */
};

extern const struct iam_entity_kind iam_user_entity;
extern const struct iam_entity_kind iam_group_entity;
extern const struct iam_entity_kind iam_role_entity;

/*
 * Reads an entity by name (any case): NoSuchEntity "The user with name X
 * cannot be found." when absent. `version` may be NULL.
 */
int iam_entity_get(json_t **out, int64_t *version, struct api_call *call, struct store_tx *tx,
                   const struct iam_entity_kind *k, const char *name);

/*
 * Authorizes the call's action on the entity's ARN, with its path when the
 * entity exists (a missing one is named with path "/" so that the caller
 * learns nothing it may not ask about).
 */
int iam_entity_authorize(struct api_call *call, const struct iam_entity_kind *k, const char *name);
/*
 * iam_entity_authorize() that also hands over the record it read, so a
 * handler that returns the entity reads it once: *rec_out is the record,
 * or the NoSuchEntity error is returned once the caller was allowed to ask.
 */
int iam_entity_authorize_get(json_t **rec_out, struct api_call *call,
                             const struct iam_entity_kind *k, const char *name);

/*
 * iam_entity_get() for a change to the entity: UnmodifiableEntity for a
 * service-linked role.
 */
int iam_entity_get_for_change(json_t **out, int64_t *version, struct api_call *call,
                              struct store_tx *tx, const struct iam_entity_kind *k,
                              const char *name);

/*
 * The start of a change to an entity: authorizes it, begins `*tx` and reads
 * the entity in it. *tx is the caller's to commit or roll back once begun,
 * also when the read fails; *rec_out is set on success only.
 */
int iam_entity_change_begin(json_t **rec_out, int64_t *version, struct store_tx **tx,
                            struct api_call *call, const struct iam_entity_kind *k,
                            const char *name);

/*
 * Inserts a new entity record under `name`: EntityAlreadyExists "User with
 * name X already exists." when the name is taken.
 */
int iam_entity_insert(struct api_call *call, struct store_tx *tx, const struct iam_entity_kind *k,
                      const char *name, json_t *rec);

/* Moves record `rec` of `kind` from `old_key` (a missing one is no error) to `new_key`. */
int iam_record_move(struct api_call *call, struct store_tx *tx, const char *kind,
                    const char *old_key, const char *new_key, json_t *rec);

/* Moves what else is filed under an entity's name after its record was renamed. */
typedef int iam_entity_rename_fn(struct api_call *call, struct store_tx *tx, const char *from,
                                 const char *to);

/*
 * UpdateUser and UpdateGroup: renames the entity (k->new_name_field) and/or
 * moves it to NewPath, with its policy and boundary index entries, then
 * calls `rename_rest` for the records only that entity has.
 */
int iam_entity_update(struct api_call *call, json_t *in, const struct iam_entity_kind *k,
                      iam_entity_rename_fn *rename_rest);

/*
 * Renames `from` to `to` (a user or a group, as `k` says) in the membership
 * records filed under the other side's names.
 */
int iam_group_memberships_rename(struct api_call *call, struct store_tx *tx,
                                 const struct iam_entity_kind *k, const char *from, const char *to);

/* A kind of record that blocks an entity's deletion while it holds one. */
struct iam_delete_blocker {
    const char *kind;
    bool own_record; /* the record is named after the entity, not a child of it */
    const char *message;
};

/* DeleteConflict with the message of the first of `blockers` the entity `name` holds. */
int iam_entity_delete_conflict(struct api_call *call, struct store_tx *tx,
                               const struct iam_delete_blocker *blockers, size_t count,
                               const char *name);

/*
 * The user a call names in UserName, or when it names none the calling
 * user; ValidationError when the caller is not a user.
 */
int iam_user_name_or_caller(const char **out, struct api_call *call, json_t *in);

/* Authorizes the call's own action on `resource`. */
int iam_authorize(struct api_call *call, const char *resource);

/*
 * The index name that records an entity's use of a policy:
 * POLICY_ARN " " TYPE ":" folded entity name. A space cannot occur in an
 * ARN or a name, so one policy's entries share the prefix POLICY_ARN " ".
 */
void iam_policy_index_key(struct buf *out, const char *policy_arn, const char *type,
                          const char *entity);

/* Number of entries of index `kind` (IAM_KIND_POLICY_ENTITY or _BOUNDARY) for a policy. */
int iam_policy_index_count(size_t *out, struct api_call *call, struct store_tx *tx,
                           const char *kind, const char *policy_arn);

/*
 * Renames the owner of every record of `kind` under `old_owner` (moving it
 * to the same child name under `new_owner`, or rewriting it in place when
 * both fold alike), setting its member `field` to `value` when `field` is
 * not NULL.
 */
int iam_children_rename(struct api_call *call, struct store_tx *tx, const char *kind,
                        const char *old_owner, const char *new_owner, const char *field,
                        const char *value);

/* A new user record: {Path, UserName, UserId, Arn, CreateDate}. */
json_t *iam_user_new(const char *account, const char *name, const char *path, int64_t now_ms);

/* The user, group or role as IAM returns it: the record less slipway's fields. */
json_t *iam_user_out(json_t *rec);
json_t *iam_group_out(json_t *rec);
json_t *iam_role_out(json_t *rec);

/*
 * Deletes a role and what is filed under it (its boundary's index entry,
 * its last use) inside `tx`; the caller has checked the prerequisites.
 */
int iam_role_delete(struct api_call *call, struct store_tx *tx, json_t *role);

/* A role of AWS's, made by CreateServiceLinkedRole: IAM refuses to change it. */
bool iam_role_is_service_linked(json_t *role);
/* UnmodifiableEntity as IAM words it for a service-linked role. */
int iam_role_unmodifiable(struct api_call *call, json_t *role);

/* Authorizes the call's action on the profile's ARN (path "/" when it is missing). */
int iam_instance_profile_authorize(struct api_call *call, const char *name);

/*
 * An instance profile as IAM returns it, its roles in full; without its
 * tags unless `with_tags` (the listings leave them out).
 */
json_t *iam_instance_profile_out(struct api_call *call, json_t *rec, bool with_tags);

/* The profiles named by role_profile index entries, as InstanceProfile items. */
void iam_instance_profiles_for_role(json_t **out, struct api_call *call, json_t *entries);

/* ---- documents --------------------------------------------------------------------- */

/* The policy document as IAM returns it: URL-encoded JSON text. */
json_t *iam_policy_document_out(const char *document);

enum iam_document_use {
    IAM_DOC_INLINE,  /* Put{User,Group,Role}Policy */
    IAM_DOC_MANAGED, /* CreatePolicy, CreatePolicyVersion */
    IAM_DOC_TRUST,   /* a role's AssumeRolePolicyDocument */
};

/*
 * Validates a document the way IAM does for `use` (policy_check()),
 * failing with MalformedPolicyDocument or LimitExceeded in IAM's words.
 * *size_out, when not NULL, is its size as IAM counts it.
 */
int iam_document_check(size_t *size_out, struct api_call *call, const char *document,
                       enum iam_document_use use);

/* ---- paging ------------------------------------------------------------------------ */

/* Whether a record belongs on a page (e.g. its Path has the PathPrefix). */
typedef bool (*iam_filter_fn)(json_t *rec, const void *ctx);

/* Every record of (kind, account) whose name starts with `prefix`, in name order. */
int iam_records_all(json_t **out, struct api_call *call, struct store_tx *tx, const char *kind,
                    const char *prefix);

/* Sorts an array of objects by their "_name" member, dropping repeated names. */
void iam_sort_by_name(json_t *items);

/* The call's MaxItems, 100 when absent. */
size_t iam_max_items(json_t *in);

/*
 * Marker/MaxItems paging over the records of (kind, account) whose names
 * start with `prefix` and that pass `filter` (NULL: all): fills *page (an
 * array of at most MaxItems records, 100 when absent), sets IsTruncated
 * and, when more follow, Marker in `out`.
 */
int iam_page(json_t **page, json_t *out, struct api_call *call, json_t *in, const char *kind,
             const char *prefix, iam_filter_fn filter, const void *ctx);

/*
 * One page (iam_page(), paging members set in `result`) of the records of
 * `kind` filed under entity `owner`, once the call may read the entity
 * and it exists.
 */
int iam_entity_page(json_t **page, json_t *result, struct api_call *call, json_t *in,
                    const struct iam_entity_kind *k, const char *owner, const char *kind,
                    iam_filter_fn filter, const void *ctx);

/*
 * Paging over an array already in memory whose items carry a sort key
 * under "_name" (ascending): the items after the call's Marker, at most
 * MaxItems, with IsTruncated and Marker set in `out`.
 */
int iam_page_array(json_t **page, json_t *out, struct api_call *call, json_t *in, json_t *items);

/*
 * A List* result from iam_page_array(): the page, without the "_name" sort
 * keys, under `list_name`. `items` stays the caller's.
 */
int iam_list_array(json_t **out, struct api_call *call, json_t *in, json_t *items,
                   const char *list_name);

/* iam_filter_fn: the record's Path starts with the string `ctx` (NULL: all). */
bool iam_path_has_prefix(json_t *rec, const void *ctx);

/*
 * ListUsers / ListRoles / ListGroups / ListInstanceProfiles: a page of the
 * records of `kind` whose Path starts with the call's PathPrefix, each
 * turned into its output form by `convert`, as `out`'s member `list_name`
 * with IsTruncated and Marker.
 */
int iam_list_entities(json_t **out, struct api_call *call, json_t *in, const char *kind,
                      const char *list_name, json_t *(*convert)(json_t *rec));

/* ---- managed policies -------------------------------------------------------------- */

/* One of AWS's managed policies, compiled in (aws_policies.c). */
struct iam_aws_policy {
    const char *name;
    const char *path; /* "/", "/service-role/", "/aws-service-role/" */
    const char *id;
    const char *version;
    const char *description;
    int64_t create_ms;
    int64_t update_ms;
    bool attachable; /* false for the policies of service-linked roles */
    const char *document;
};

/* The AWS managed policy with this ARN, or NULL. */
const struct iam_aws_policy *iam_aws_policy_find(const char *arn);
size_t iam_aws_policy_count(void);
const struct iam_aws_policy *iam_aws_policy_at(size_t index);
/* "arn:aws:iam::aws:policy" PATH NAME */
void iam_aws_policy_arn(struct buf *out, const struct iam_aws_policy *p);

/*
 * A managed policy by ARN, AWS's or the account's, as a record:
 * {PolicyName, PolicyId, Arn, Path, DefaultVersionId, Description,
 * CreateDate, UpdateDate, IsAttachable, Tags, NextVersion}, with "_aws":
 * true for AWS's. ERR_NOT_FOUND without a message when there is none (each
 * operation words that differently). `version` may be NULL; it is 0 for
 * AWS's policies.
 */
int iam_policy_find(json_t **out, int64_t *version, struct api_call *call, struct store_tx *tx,
                    const char *arn);

/* An AWS managed policy as iam_policy_find() returns it. */
json_t *iam_aws_policy_record(const struct iam_aws_policy *p);

/*
 * The policy as IAM returns it, with its counts; `detail` adds what
 * GetPolicy shows and ListPolicies leaves out (Description, Tags).
 */
int iam_policy_out(json_t **out, struct api_call *call, struct store_tx *tx, json_t *rec,
                   bool detail);

/* The JSON text of version `version_id` of a policy found by iam_policy_find(). */
int iam_policy_version_text(char **out, struct store *st, struct store_tx *tx, const char *account,
                            json_t *policy, const char *version_id);

/*
 * Checks that `arn` names a managed policy that can be attached (or used
 * as a permissions boundary: `boundary`), failing with IAM's NoSuchEntity
 * or PolicyNotAttachable answer.
 */
int iam_policy_attachable(struct api_call *call, struct store_tx *tx, const char *arn,
                          bool boundary);

/*
 * A policy's versions as PolicyVersion items (newest first, each with
 * "_name" as its sort key), with their documents when `with_documents`.
 */
int iam_policy_versions_out(json_t **out, struct api_call *call, json_t *policy,
                            bool with_documents);

/* The policy's name: what follows the last '/' of its ARN. */
const char *iam_policy_name_of(const char *arn);

/*
 * Records the attachment of `policy_arn` to an entity (idempotent), with
 * the policy's index entry.
 */
int iam_attachment_put(struct store *st, struct store_tx *tx, const struct iam_entity_kind *k,
                       const char *account, const char *owner, const char *policy_arn);

/* An entity's attached policies as AttachedPolicies [{PolicyName, PolicyArn}] (all of them). */
int iam_attached_policies(json_t **out, struct api_call *call, struct store_tx *tx,
                          const struct iam_entity_kind *k, const char *owner);

/* An entity's inline policies as [{PolicyName, PolicyDocument}] (encoded) (all of them). */
int iam_inline_policies(json_t **out, struct api_call *call, const struct iam_entity_kind *k,
                        const char *owner);

/* Counts of what an entity still holds, for the DeleteConflict checks. */
int iam_children_count(size_t *out, struct api_call *call, struct store_tx *tx, const char *kind,
                       const char *owner);

/*
 * Sets (arn non-NULL) or clears the permissions boundary of `entity` (read
 * at `version` inside `tx`) and writes it back.
 */
int iam_boundary_set(struct api_call *call, struct store_tx *tx, const struct iam_entity_kind *k,
                     json_t *entity, int64_t version, const char *arn);

/* Adds (`add`) or removes the index entry of `arn` as the boundary of an entity. */
int iam_boundary_index(struct api_call *call, struct store_tx *tx, const struct iam_entity_kind *k,
                       const char *entity, const char *arn, bool add);

/* The PermissionsBoundary member as IAM returns it. */
json_t *iam_boundary_out(const char *arn);

/* ---- tags -------------------------------------------------------------------------- */

/*
 * Checks a Tags parameter (CreateUser, TagRole ...): InvalidInput for keys
 * repeated regardless of case or reserved by AWS.
 */
int iam_tags_check(struct api_call *call, json_t *tags);

/* ---- access keys ------------------------------------------------------------------- */

/*
 * Creates an access key for a user: ERR_LIMIT past the per-user quota.
 * *key_out gets {UserName, AccessKeyId, Status, SecretAccessKey, CreateDate}.
 */
int iam_access_key_create(json_t **key_out, struct store *st, struct store_tx *tx,
                          const char *account, const char *user, int64_t now_ms);

/* Deletes a user's oldest keys until at most `keep` remain. */
int iam_user_keys_trim(struct store *st, struct store_tx *tx, const char *account, const char *user,
                       size_t keep);

/* Renames the owner recorded in each of a user's access keys. */
int iam_user_keys_rename(struct api_call *call, struct store_tx *tx, const char *old_name,
                         const char *new_name);

/*
 * A user as the principal its credentials act as (identity.c): its ARN, id
 * and name, and the admin flag from its own or its groups' attachments;
 * access_key_id empty. ERR_NOT_FOUND when there is no such user.
 */
int iam_user_principal(struct principal *out, struct store *st, const char *account,
                       const char *user_name);

/* ---- service-specific credentials -------------------------------------------------- */

/*
 * Moves a user's service-specific credentials to its new name: the
 * per-user index entries and the owner recorded in each credential
 * (UpdateUser).
 */
int iam_user_service_credentials_rename(struct api_call *call, struct store_tx *tx,
                                        const char *old_name, const char *new_name);

/*
 * Call after committing any change to what an access key resolves to or
 * to what applies to a principal (a key's status or existence, deletions,
 * renames, policies, attachments, group membership, boundaries): it
 * invalidates the credential cache and the lead's decision caches. Returns
 * `rc` for `return iam_identity_changed_rc(store_tx_commit(...))`.
 */
void iam_identity_changed(void);
static inline int iam_identity_changed_rc(int rc)
{
    iam_identity_changed();
    return rc;
}

/* What a tag operation acts on (tags.c); the operation table's ctx points
 * into iam_tag_targets. */
enum iam_tag_target { IAM_TAG_USER, IAM_TAG_ROLE, IAM_TAG_POLICY, IAM_TAG_INSTANCE_PROFILE };
extern const enum iam_tag_target iam_tag_targets[];

#endif
