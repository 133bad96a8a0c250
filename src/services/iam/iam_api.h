#ifndef SLIPWAY_SERVICES_IAM_IAM_API_H
#define SLIPWAY_SERVICES_IAM_IAM_API_H

#include "aws/api.h"

/* Operation handlers, one group per file. */

/* users.c */
int iam_create_user(struct api_call *call, json_t *in, json_t **out);
int iam_get_user(struct api_call *call, json_t *in, json_t **out);
int iam_list_users(struct api_call *call, json_t *in, json_t **out);
int iam_update_user(struct api_call *call, json_t *in, json_t **out);
int iam_delete_user(struct api_call *call, json_t *in, json_t **out);

/* access_keys.c */
int iam_create_access_key(struct api_call *call, json_t *in, json_t **out);
int iam_list_access_keys(struct api_call *call, json_t *in, json_t **out);
int iam_update_access_key(struct api_call *call, json_t *in, json_t **out);
int iam_delete_access_key(struct api_call *call, json_t *in, json_t **out);
int iam_get_access_key_last_used(struct api_call *call, json_t *in, json_t **out);

/* service_credentials.c */
int iam_create_service_specific_credential(struct api_call *call, json_t *in, json_t **out);
int iam_list_service_specific_credentials(struct api_call *call, json_t *in, json_t **out);
int iam_reset_service_specific_credential(struct api_call *call, json_t *in, json_t **out);
int iam_update_service_specific_credential(struct api_call *call, json_t *in, json_t **out);
int iam_delete_service_specific_credential(struct api_call *call, json_t *in, json_t **out);

/* groups.c */
int iam_create_group(struct api_call *call, json_t *in, json_t **out);
int iam_get_group(struct api_call *call, json_t *in, json_t **out);
int iam_list_groups(struct api_call *call, json_t *in, json_t **out);
int iam_update_group(struct api_call *call, json_t *in, json_t **out);
int iam_delete_group(struct api_call *call, json_t *in, json_t **out);
int iam_add_user_to_group(struct api_call *call, json_t *in, json_t **out);
int iam_remove_user_from_group(struct api_call *call, json_t *in, json_t **out);
int iam_list_groups_for_user(struct api_call *call, json_t *in, json_t **out);

/* inline_policies.c */

/* attachments.c */
int iam_list_entities_for_policy(struct api_call *call, json_t *in, json_t **out);

/* policies.c */
int iam_create_policy(struct api_call *call, json_t *in, json_t **out);
int iam_get_policy(struct api_call *call, json_t *in, json_t **out);
int iam_list_policies(struct api_call *call, json_t *in, json_t **out);
int iam_delete_policy(struct api_call *call, json_t *in, json_t **out);
int iam_create_policy_version(struct api_call *call, json_t *in, json_t **out);
int iam_get_policy_version(struct api_call *call, json_t *in, json_t **out);
int iam_list_policy_versions(struct api_call *call, json_t *in, json_t **out);
int iam_delete_policy_version(struct api_call *call, json_t *in, json_t **out);
int iam_set_default_policy_version(struct api_call *call, json_t *in, json_t **out);

/* boundaries.c */
int iam_put_user_permissions_boundary(struct api_call *call, json_t *in, json_t **out);
int iam_delete_user_permissions_boundary(struct api_call *call, json_t *in, json_t **out);
int iam_put_role_permissions_boundary(struct api_call *call, json_t *in, json_t **out);
int iam_delete_role_permissions_boundary(struct api_call *call, json_t *in, json_t **out);

/* tags.c */

/* roles.c */
int iam_create_role(struct api_call *call, json_t *in, json_t **out);
int iam_get_role(struct api_call *call, json_t *in, json_t **out);
int iam_list_roles(struct api_call *call, json_t *in, json_t **out);
int iam_delete_role(struct api_call *call, json_t *in, json_t **out);
int iam_update_role(struct api_call *call, json_t *in, json_t **out);
int iam_update_role_description(struct api_call *call, json_t *in, json_t **out);
int iam_update_assume_role_policy(struct api_call *call, json_t *in, json_t **out);

/* service_linked_roles.c */
int iam_create_service_linked_role(struct api_call *call, json_t *in, json_t **out);
int iam_delete_service_linked_role(struct api_call *call, json_t *in, json_t **out);
int iam_get_service_linked_role_deletion_status(struct api_call *call, json_t *in, json_t **out);

/* instance_profiles.c */
int iam_create_instance_profile(struct api_call *call, json_t *in, json_t **out);
int iam_get_instance_profile(struct api_call *call, json_t *in, json_t **out);
int iam_list_instance_profiles(struct api_call *call, json_t *in, json_t **out);
int iam_delete_instance_profile(struct api_call *call, json_t *in, json_t **out);
int iam_add_role_to_instance_profile(struct api_call *call, json_t *in, json_t **out);
int iam_remove_role_from_instance_profile(struct api_call *call, json_t *in, json_t **out);
int iam_list_instance_profiles_for_role(struct api_call *call, json_t *in, json_t **out);

/* login_profiles.c */
int iam_create_login_profile(struct api_call *call, json_t *in, json_t **out);
int iam_get_login_profile(struct api_call *call, json_t *in, json_t **out);
int iam_update_login_profile(struct api_call *call, json_t *in, json_t **out);
int iam_delete_login_profile(struct api_call *call, json_t *in, json_t **out);

/* authorization_details.c */
int iam_get_account_authorization_details(struct api_call *call, json_t *in, json_t **out);

/* simulate.c */
int iam_simulate_principal_policy(struct api_call *call, json_t *in, json_t **out);
int iam_simulate_custom_policy(struct api_call *call, json_t *in, json_t **out);

/* Handlers serving one operation per entity kind: call->op_ctx is the
 * `struct iam_entity_kind` (attachments, inline policies) or the
 * `enum iam_tag_target` (tags) the operation table names. */
int iam_attach_policy(struct api_call *call, json_t *in, json_t **out);
int iam_detach_policy(struct api_call *call, json_t *in, json_t **out);
int iam_list_attached_policies(struct api_call *call, json_t *in, json_t **out);
int iam_put_inline_policy(struct api_call *call, json_t *in, json_t **out);
int iam_get_inline_policy(struct api_call *call, json_t *in, json_t **out);
int iam_delete_inline_policy(struct api_call *call, json_t *in, json_t **out);
int iam_list_inline_policies(struct api_call *call, json_t *in, json_t **out);
int iam_tag(struct api_call *call, json_t *in, json_t **out);
int iam_untag(struct api_call *call, json_t *in, json_t **out);
int iam_list_tags(struct api_call *call, json_t *in, json_t **out);

#endif
