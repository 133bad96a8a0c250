#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "base/err.h"
#include "services/common/record.h"

/*
 * GetAccountAuthorizationDetails: every user, group, role and managed
 * policy of the account with what is attached to each, in one paged
 * sequence (users, groups, roles, the account's policies, then the AWS
 * managed policies the account uses), MaxItems counting across all.
 */

enum section { SECTION_USER, SECTION_GROUP, SECTION_ROLE, SECTION_LOCAL, SECTION_AWS };

static const char *const section_filters[] = {"User", "Group", "Role", "LocalManagedPolicy",
                                              "AWSManagedPolicy"};

static bool section_wanted(json_t *filter, enum section s)
{
    if (json_array_size(filter) == 0)
        return true;
    size_t i;
    json_t *f;
    json_array_foreach(filter, i, f)
    {
        if (strcmp(json_string_value(f), section_filters[s]) == 0)
            return true;
    }
    return false;
}

/* Adds the records of a section, each keyed for paging by section and record name. */
static int section_add(json_t *items, struct api_call *call, enum section s, const char *kind)
{
    json_t *records;
    int rc = iam_records_all(&records, call, NULL, kind, NULL);
    if (rc < 0)
        return rc;
    size_t i;
    json_t *rec;
    json_array_foreach(records, i, rec)
    {
        struct buf key = BUF_INIT;
        buf_addf(&key, "%d %s", (int)s, iam_str(rec, "_name"));
        json_object_set_new(rec, "_name", json_string(key.data));
        json_object_set_new(rec, "_section", json_integer(s));
        json_array_append(items, rec);
        buf_release(&key);
    }
    json_decref(records);
    return 0;
}

/* The AWS managed policies attached to something in the account, or bounding it. */
static int section_add_aws(json_t *items, struct api_call *call)
{
    for (size_t i = 0; i < iam_aws_policy_count(); i++) {
        const struct iam_aws_policy *p = iam_aws_policy_at(i);
        json_t *rec = iam_aws_policy_record(p);
        const char *arn = iam_str(rec, "Arn");
        size_t attached, bounding;
        int rc;
        if ((rc = iam_policy_index_count(&attached, call, NULL, IAM_KIND_POLICY_ENTITY, arn)) < 0 ||
            (rc = iam_policy_index_count(&bounding, call, NULL, IAM_KIND_POLICY_BOUNDARY, arn)) <
                0) {
            json_decref(rec);
            return rc;
        }
        if (attached + bounding > 0) {
            struct buf key = BUF_INIT;
            buf_addf(&key, "%d %s%s", SECTION_AWS, p->path, p->name);
            json_object_set_new(rec, "_name", json_string(key.data));
            json_object_set_new(rec, "_section", json_integer(SECTION_AWS));
            json_array_append(items, rec);
            buf_release(&key);
        }
        json_decref(rec);
    }
    return 0;
}

static json_t *strip(json_t *rec)
{
    json_t *copy = json_deep_copy(rec);
    json_object_del(copy, "_name");
    json_object_del(copy, "_section");
    return copy;
}

static int user_detail(json_t **out, struct api_call *call, json_t *rec)
{
    const char *name = iam_str(rec, "UserName");
    json_t *user = strip(rec), *inline_policies, *attached, *groups;
    const char *boundary = iam_str(rec, "PermissionsBoundary");
    if (boundary)
        json_object_set_new(user, "PermissionsBoundary", iam_boundary_out(boundary));
    if (json_array_size(json_object_get(user, "Tags")) == 0)
        json_object_del(user, "Tags");
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, name, "");
    int rc = iam_inline_policies(&inline_policies, call, &iam_user_entity, name);
    if (rc == 0) {
        json_object_set_new(user, "UserPolicyList", inline_policies);
        rc = iam_attached_policies(&attached, call, NULL, &iam_user_entity, name);
    }
    if (rc == 0) {
        json_object_set_new(user, "AttachedManagedPolicies", attached);
        rc = iam_records_all(&groups, call, NULL, IAM_KIND_USER_GROUP, prefix.data);
    }
    if (rc == 0) {
        json_t *names = json_array();
        size_t i;
        json_t *g;
        json_array_foreach(groups, i, g) json_array_append(names, json_object_get(g, "GroupName"));
        json_decref(groups);
        json_object_set_new(user, "GroupList", names);
    }
    buf_release(&prefix);
    if (rc < 0) {
        json_decref(user);
        return rc;
    }
    *out = user;
    return 0;
}

static int group_detail(json_t **out, struct api_call *call, json_t *rec)
{
    const char *name = iam_str(rec, "GroupName");
    json_t *group = strip(rec), *inline_policies, *attached;
    int rc = iam_inline_policies(&inline_policies, call, &iam_group_entity, name);
    if (rc == 0) {
        json_object_set_new(group, "GroupPolicyList", inline_policies);
        rc = iam_attached_policies(&attached, call, NULL, &iam_group_entity, name);
    }
    if (rc == 0)
        json_object_set_new(group, "AttachedManagedPolicies", attached);
    if (rc < 0) {
        json_decref(group);
        return rc;
    }
    *out = group;
    return 0;
}

static int role_detail(json_t **out, struct api_call *call, json_t *rec)
{
    const char *name = iam_str(rec, "RoleName");
    json_t *stripped = strip(rec);
    json_t *role = iam_role_out(stripped), *inline_policies, *attached, *profiles;
    json_decref(stripped);
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    json_t *used;
    if (record_get(&used, NULL, call->store, NULL, IAM_KIND_ROLE_LAST_USED, call->account_id,
                   key.data) == 0)
        json_object_set_new(role, "RoleLastUsed", used);
    else
        json_object_set_new(role, "RoleLastUsed", json_object());
    buf_reset(&key);
    iam_key(&key, name, "");
    int rc = iam_inline_policies(&inline_policies, call, &iam_role_entity, name);
    if (rc == 0) {
        json_object_set_new(role, "RolePolicyList", inline_policies);
        rc = iam_attached_policies(&attached, call, NULL, &iam_role_entity, name);
    }
    if (rc == 0) {
        json_object_set_new(role, "AttachedManagedPolicies", attached);
        rc = iam_records_all(&profiles, call, NULL, IAM_KIND_ROLE_PROFILE, key.data);
    }
    if (rc == 0) {
        json_t *list;
        iam_instance_profiles_for_role(&list, call, profiles);
        json_decref(profiles);
        json_object_set_new(role, "InstanceProfileList", list);
    }
    buf_release(&key);
    if (rc < 0) {
        json_decref(role);
        return rc;
    }
    *out = role;
    return 0;
}

static int policy_detail(json_t **out, struct api_call *call, json_t *rec)
{
    json_t *policy, *versions;
    int rc = iam_policy_out(&policy, call, NULL, rec, true);
    if (rc < 0)
        return rc;
    json_object_del(policy, "Tags");
    if ((rc = iam_policy_versions_out(&versions, call, rec, true)) < 0) {
        json_decref(policy);
        return rc;
    }
    size_t i;
    json_t *v;
    json_array_foreach(versions, i, v) json_object_del(v, "_name");
    json_object_set_new(policy, "PolicyVersionList", versions);
    *out = policy;
    return 0;
}

int iam_get_account_authorization_details(struct api_call *call, json_t *in, json_t **out)
{
    json_t *filter = json_object_get(in, "Filter");
    int rc = iam_authorize(call, "*");
    if (rc < 0)
        return rc;
    static const char *const kinds[] = {IAM_KIND_USER, IAM_KIND_GROUP, IAM_KIND_ROLE,
                                        IAM_KIND_POLICY};
    json_t *items = json_array();
    for (enum section s = SECTION_USER; rc == 0 && s <= SECTION_LOCAL; s++)
        if (section_wanted(filter, s))
            rc = section_add(items, call, s, kinds[s]);
    if (rc == 0 && section_wanted(filter, SECTION_AWS))
        rc = section_add_aws(items, call);
    json_t *result = json_object(), *page = NULL;
    if (rc == 0)
        rc = iam_page_array(&page, result, call, in, items);
    json_decref(items);

    json_t *lists[] = {json_array(), json_array(), json_array(), json_array()};
    size_t i;
    json_t *rec;
    json_array_foreach(rc == 0 ? page : NULL, i, rec)
    {
        enum section s = (enum section)json_integer_value(json_object_get(rec, "_section"));
        json_t *detail = NULL;
        switch (s) {
        case SECTION_USER:
            rc = user_detail(&detail, call, rec);
            break;
        case SECTION_GROUP:
            rc = group_detail(&detail, call, rec);
            break;
        case SECTION_ROLE:
            rc = role_detail(&detail, call, rec);
            break;
        case SECTION_LOCAL:
        case SECTION_AWS:
            rc = policy_detail(&detail, call, rec);
            s = SECTION_LOCAL;
            break;
        }
        if (rc < 0)
            break;
        json_array_append_new(lists[s], detail);
    }
    json_decref(page);
    static const char *const names[] = {"UserDetailList", "GroupDetailList", "RoleDetailList",
                                        "Policies"};
    for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
        json_object_set_new(result, names[l], lists[l]);
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    *out = result;
    return 0;
}
