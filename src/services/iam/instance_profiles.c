#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/common/record.h"

/*
 * Instance profiles: a container for at most one role, which hosts (our
 * deployment agents) take their credentials from.
 *   iam.instance_profile  ACCOUNT / PROFILE  {Path, InstanceProfileName,
 *                         InstanceProfileId, Arn, CreateDate, Roles: [ROLE_NAME], Tags}
 *   iam.role_profile      ACCOUNT / ROLE "/" PROFILE  {InstanceProfileName}  (index)
 */

#define ROLES_PER_PROFILE 1

static int profile_get(json_t **out, int64_t *version, struct api_call *call, struct store_tx *tx,
                       const char *name)
{
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    int rc = record_get(out, version, call->store, tx, IAM_KIND_INSTANCE_PROFILE, call->account_id,
                        key.data);
    buf_release(&key);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchEntity", "Instance Profile %s cannot be found.", name);
    return rc;
}

int iam_instance_profile_authorize(struct api_call *call, const char *name)
{
    struct buf key = BUF_INIT, arn = BUF_INIT;
    iam_key(&key, name, NULL);
    json_t *rec;
    if (record_get(&rec, NULL, call->store, NULL, IAM_KIND_INSTANCE_PROFILE, call->account_id,
                   key.data) == 0) {
        buf_adds(&arn, iam_str(rec, "Arn"));
        json_decref(rec);
    } else {
        iam_arn(&arn, call->account_id, "instance-profile", "/", name);
    }
    int rc = iam_authorize(call, arn.data);
    buf_release(&key);
    buf_release(&arn);
    return rc;
}

/* Authorizes a change to the profile, begins `*tx` (the caller's) and reads the profile in it. */
static int profile_change_begin(json_t **out, int64_t *version, struct store_tx **tx,
                                struct api_call *call, const char *name)
{
    int rc = iam_instance_profile_authorize(call, name);
    if (rc < 0 || (rc = store_tx_begin(tx, call->store)) < 0)
        return rc;
    return profile_get(out, version, call, *tx, name);
}

/* The profile as IAM returns it: its roles in full. */
json_t *iam_instance_profile_out(struct api_call *call, json_t *rec, bool with_tags)
{
    json_t *p = json_deep_copy(rec);
    json_object_del(p, "_name");
    if (!with_tags || json_array_size(json_object_get(p, "Tags")) == 0)
        json_object_del(p, "Tags");
    json_t *roles = json_array();
    size_t i;
    json_t *name;
    json_array_foreach(json_object_get(rec, "Roles"), i, name)
    {
        json_t *role;
        if (iam_role_get(&role, call->store, call->account_id, json_string_value(name)) == 0) {
            json_t *r = iam_role_out(role);
            json_object_del(r, "PermissionsBoundary");
            json_object_del(r, "Tags");
            json_array_append_new(roles, r);
            json_decref(role);
        }
    }
    json_object_set_new(p, "Roles", roles);
    return p;
}

int iam_create_instance_profile(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_str(in, "InstanceProfileName");
    const char *path = iam_str(in, "Path") ?: "/";
    json_t *tags = json_object_get(in, "Tags");
    struct buf arn = BUF_INIT, key = BUF_INIT;
    iam_arn(&arn, call->account_id, "instance-profile", path, name);
    int rc = iam_authorize(call, arn.data);
    if (rc < 0 || (rc = iam_tags_check(call, tags)) < 0) {
        buf_release(&arn);
        return rc;
    }
    char id[22];
    aws_id(id, "AIPA", 21);
    json_t *profile = json_pack("{s:s, s:s, s:s, s:s, s:I, s:[]}", "Path", path,
                                "InstanceProfileName", name, "InstanceProfileId", id, "Arn",
                                arn.data, "CreateDate", (json_int_t)call->now_ms, "Roles");
    buf_release(&arn);
    if (json_array_size(tags))
        json_object_set(profile, "Tags", tags);
    iam_key(&key, name, NULL);
    rc = record_insert(call->store, NULL, IAM_KIND_INSTANCE_PROFILE, call->account_id, key.data,
                       profile);
    buf_release(&key);
    if (rc == ERR_EXISTS)
        rc =
            api_error(call, rc, "EntityAlreadyExists", "Instance Profile %s already exists.", name);
    if (rc == 0)
        *out = json_pack("{s:o}", "InstanceProfile", iam_instance_profile_out(call, profile, true));
    json_decref(profile);
    return rc;
}

int iam_get_instance_profile(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_str(in, "InstanceProfileName");
    int rc = iam_instance_profile_authorize(call, name);
    json_t *profile;
    if (rc < 0 || (rc = profile_get(&profile, NULL, call, NULL, name)) < 0)
        return rc;
    *out = json_pack("{s:o}", "InstanceProfile", iam_instance_profile_out(call, profile, true));
    json_decref(profile);
    return 0;
}

int iam_list_instance_profiles(struct api_call *call, json_t *in, json_t **out)
{
    struct buf arn = BUF_INIT;
    iam_arn(&arn, call->account_id, "instance-profile", iam_str(in, "PathPrefix"), "");
    int rc = iam_authorize(call, arn.data);
    buf_release(&arn);
    if (rc < 0)
        return rc;
    json_t *result = json_object(), *page;
    rc = iam_page(&page, result, call, in, IAM_KIND_INSTANCE_PROFILE, NULL, iam_path_has_prefix,
                  iam_str(in, "PathPrefix"));
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    json_t *list = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(page, i, rec)
        json_array_append_new(list, iam_instance_profile_out(call, rec, false));
    json_decref(page);
    json_object_set_new(result, "InstanceProfiles", list);
    *out = result;
    return 0;
}

int iam_delete_instance_profile(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = iam_str(in, "InstanceProfileName");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *profile;
    int rc = profile_change_begin(&profile, NULL, &tx, call, name);
    if (rc < 0)
        return rc;
    if (json_array_size(json_object_get(profile, "Roles")) > 0)
        rc = api_error(call, ERR_CONFLICT, "DeleteConflict",
                       "Cannot delete entity, must remove roles from instance profile first.");
    json_decref(profile);
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    if (rc == 0)
        rc = store_doc_delete(call->store, tx, IAM_KIND_INSTANCE_PROFILE, call->account_id,
                              key.data, 0);
    buf_release(&key);
    if (rc < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

/* The index entry of a role's membership in a profile. */
static void membership_key(struct buf *out, const char *role, const char *profile)
{
    struct buf folded = BUF_INIT;
    iam_key(&folded, profile, NULL);
    iam_key(out, role, folded.data);
    buf_release(&folded);
}

int iam_add_role_to_instance_profile(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = iam_str(in, "InstanceProfileName");
    const char *role_name = iam_str(in, "RoleName");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *profile, *role;
    int64_t version;
    int rc = profile_change_begin(&profile, &version, &tx, call, name);
    if (rc < 0)
        return rc;
    if ((rc = iam_entity_get(&role, NULL, call, tx, &iam_role_entity, role_name)) < 0) {
        json_decref(profile);
        return rc;
    }
    json_t *roles = json_object_get(profile, "Roles");
    if (iam_role_is_service_linked(role))
        rc = iam_role_unmodifiable(call, role);
    else if (json_array_size(roles) >= ROLES_PER_PROFILE)
        rc = api_error(call, ERR_LIMIT, "LimitExceeded",
                       "Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d",
                       ROLES_PER_PROFILE);
    if (rc == 0) {
        json_array_append(roles, json_object_get(role, "RoleName"));
        struct buf key = BUF_INIT, index = BUF_INIT;
        iam_key(&key, name, NULL);
        membership_key(&index, role_name, name);
        json_t *entry = json_pack("{s:O}", "InstanceProfileName",
                                  json_object_get(profile, "InstanceProfileName"));
        if ((rc = record_update(call->store, tx, IAM_KIND_INSTANCE_PROFILE, call->account_id,
                                key.data, version, profile)) == 0)
            rc = record_upsert(call->store, tx, IAM_KIND_ROLE_PROFILE, call->account_id, index.data,
                               entry);
        json_decref(entry);
        buf_release(&key);
        buf_release(&index);
    }
    json_decref(profile);
    json_decref(role);
    if (rc < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

int iam_remove_role_from_instance_profile(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = iam_str(in, "InstanceProfileName");
    const char *role_name = iam_str(in, "RoleName");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *profile;
    int64_t version;
    int rc = profile_change_begin(&profile, &version, &tx, call, name);
    if (rc < 0)
        return rc;
    json_t *roles = json_object_get(profile, "Roles");
    bool found = false;
    for (size_t i = 0; i < json_array_size(roles); i++) {
        if (strcasecmp(json_string_value(json_array_get(roles, i)), role_name) == 0) {
            json_array_remove(roles, i);
            found = true;
            break;
        }
    }
    if (!found)
        rc = api_error(call, ERR_NOT_FOUND, "NoSuchEntity",
                       "The role with name %s cannot be found.", role_name);
    if (rc == 0) {
        struct buf key = BUF_INIT, index = BUF_INIT;
        iam_key(&key, name, NULL);
        membership_key(&index, role_name, name);
        if ((rc = record_update(call->store, tx, IAM_KIND_INSTANCE_PROFILE, call->account_id,
                                key.data, version, profile)) == 0) {
            rc = store_doc_delete(call->store, tx, IAM_KIND_ROLE_PROFILE, call->account_id,
                                  index.data, 0);
            if (rc == ERR_NOT_FOUND)
                rc = 0;
        }
        buf_release(&key);
        buf_release(&index);
    }
    json_decref(profile);
    if (rc < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

void iam_instance_profiles_for_role(json_t **out, struct api_call *call, json_t *entries)
{
    json_t *list = json_array();
    size_t i;
    json_t *entry;
    json_array_foreach(entries, i, entry)
    {
        json_t *profile;
        struct buf key = BUF_INIT;
        iam_key(&key, iam_str(entry, "InstanceProfileName"), NULL);
        if (record_get(&profile, NULL, call->store, NULL, IAM_KIND_INSTANCE_PROFILE,
                       call->account_id, key.data) == 0) {
            json_array_append_new(list, iam_instance_profile_out(call, profile, false));
            json_decref(profile);
        }
        buf_release(&key);
    }
    *out = list;
}

int iam_list_instance_profiles_for_role(struct api_call *call, json_t *in, json_t **out)
{
    const char *role_name = iam_str(in, "RoleName");
    int rc = iam_entity_authorize(call, &iam_role_entity, role_name);
    json_t *role;
    if (rc < 0 || (rc = iam_entity_get(&role, NULL, call, NULL, &iam_role_entity, role_name)) < 0)
        return rc;
    json_decref(role);
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, role_name, "");
    json_t *result = json_object(), *page, *list;
    rc = iam_page(&page, result, call, in, IAM_KIND_ROLE_PROFILE, prefix.data, NULL, NULL);
    buf_release(&prefix);
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    iam_instance_profiles_for_role(&list, call, page);
    json_decref(page);
    json_object_set_new(result, "InstanceProfiles", list);
    *out = result;
    return 0;
}
