#ifndef SLIPWAY_SERVICES_IAM_IAM_API_H
#define SLIPWAY_SERVICES_IAM_IAM_API_H

#include "aws/api.h"
#include "base/buf.h"

/* Operation handlers (users.c, roles.c) and helpers shared by them (api.c). */

int iam_create_user(struct api_call *call, json_t *in, json_t **out);
int iam_get_user(struct api_call *call, json_t *in, json_t **out);
int iam_list_users(struct api_call *call, json_t *in, json_t **out);
int iam_delete_user(struct api_call *call, json_t *in, json_t **out);
int iam_create_access_key(struct api_call *call, json_t *in, json_t **out);
int iam_list_access_keys(struct api_call *call, json_t *in, json_t **out);
int iam_update_access_key(struct api_call *call, json_t *in, json_t **out);
int iam_delete_access_key(struct api_call *call, json_t *in, json_t **out);
int iam_attach_user_policy(struct api_call *call, json_t *in, json_t **out);
int iam_detach_user_policy(struct api_call *call, json_t *in, json_t **out);
int iam_list_attached_user_policies(struct api_call *call, json_t *in, json_t **out);

int iam_create_role(struct api_call *call, json_t *in, json_t **out);
int iam_get_role(struct api_call *call, json_t *in, json_t **out);
int iam_list_roles(struct api_call *call, json_t *in, json_t **out);
int iam_delete_role(struct api_call *call, json_t *in, json_t **out);
int iam_put_role_policy(struct api_call *call, json_t *in, json_t **out);
int iam_get_role_policy(struct api_call *call, json_t *in, json_t **out);
int iam_delete_role_policy(struct api_call *call, json_t *in, json_t **out);
int iam_list_role_policies(struct api_call *call, json_t *in, json_t **out);
int iam_attach_role_policy(struct api_call *call, json_t *in, json_t **out);
int iam_detach_role_policy(struct api_call *call, json_t *in, json_t **out);
int iam_list_attached_role_policies(struct api_call *call, json_t *in, json_t **out);

/* A string param, or NULL when absent. */
const char *iam_param(json_t *in, const char *name);

/* "arn:aws:iam::ACCOUNT:TYPE" PATH NAME, e.g. TYPE "user". */
void iam_arn(struct buf *out, const char *account, const char *type, const char *path,
             const char *name);

/* Whether a record belongs on a page (e.g. its Path has the PathPrefix). */
typedef bool (*iam_filter_fn)(json_t *rec, const void *ctx);

/*
 * Marker/MaxItems paging over the records of (kind, account) whose names
 * start with `prefix` and that pass `filter` (NULL: all): fills *page (an
 * array of at most MaxItems records, 100 when absent), sets IsTruncated
 * and, when more follow, Marker in `out`.
 */
int iam_page(json_t **page, json_t *out, struct api_call *call, json_t *in, const char *kind,
             const char *prefix, iam_filter_fn filter, const void *ctx);

/* iam_filter_fn: the record's Path starts with the string `ctx` (NULL: all). */
bool iam_path_has_prefix(json_t *rec, const void *ctx);

/*
 * ListUsers / ListRoles: a page of the records of `kind` whose Path starts
 * with the call's PathPrefix, each turned into its output form by
 * `convert`, as `out`'s member `list_name` with IsTruncated and Marker.
 */
int iam_list_entities(json_t **out, struct api_call *call, json_t *in, const char *kind,
                      const char *list_name, json_t *(*convert)(json_t *rec));

/* The policy document as IAM returns it: URL-encoded JSON text. */
json_t *iam_policy_document_out(const char *document);

/*
 * Checks a policy document's syntax, failing with MalformedPolicyDocument
 * in IAM's words, and sets *size_out to its size as IAM counts it against
 * its quotas (white space outside strings left out).
 */
int iam_policy_document_check(size_t *size_out, struct api_call *call, const char *document);

/* A policy's size as IAM counts it against its quotas. */
size_t iam_policy_size(const char *document);

/* True for the AWS managed policies slipway knows; fills the name. */
bool iam_managed_policy_known(const char *arn, const char **name_out);

/* The attachments of a user or role, as AttachedPolicies. */
int iam_list_attachments(struct api_call *call, json_t *in, json_t **out, const char *kind,
                         const char *owner);
int iam_attach(struct api_call *call, const char *kind, const char *owner, const char *arn);
int iam_detach(struct api_call *call, const char *kind, const char *owner, const char *arn);

#endif
