#include "base/common.h"
#include "services/secretsmanager/secretsmanager.h"
#include "services/secretsmanager/secretsmanager_internal.h"

/* In name order: the server finds entries by binary search. */
static const struct api_operation secretsmanager_operations[] = {
    {"BatchGetSecretValue", sm_batch_get_secret_value, NULL},
    {"CreateSecret", sm_create_secret, NULL},
    {"DeleteResourcePolicy", sm_delete_resource_policy, NULL},
    {"DeleteSecret", sm_delete_secret, NULL},
    {"DescribeSecret", sm_describe_secret, NULL},
    {"GetRandomPassword", sm_get_random_password, NULL},
    {"GetResourcePolicy", sm_get_resource_policy, NULL},
    {"GetSecretValue", sm_get_secret_value, NULL},
    {"ListSecretVersionIds", sm_list_secret_version_ids, NULL},
    {"ListSecrets", sm_list_secrets, NULL},
    {"PutResourcePolicy", sm_put_resource_policy, NULL},
    {"PutSecretValue", sm_put_secret_value, NULL},
    {"RestoreSecret", sm_restore_secret, NULL},
    {"RotateSecret", sm_rotate_secret_unsupported, NULL},
    {"TagResource", sm_tag_resource, NULL},
    {"UntagResource", sm_untag_resource, NULL},
    {"UpdateSecret", sm_update_secret, NULL},
    {"UpdateSecretVersionStage", sm_update_secret_version_stage, NULL},
    {"ValidateResourcePolicy", sm_validate_resource_policy, NULL},
};

const struct api_service secretsmanager_api_service = {
    .name = "secretsmanager",
    .operations = secretsmanager_operations,
    .operation_count = ARRAY_SIZE(secretsmanager_operations),
};
