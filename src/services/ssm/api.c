#include "base/common.h"
#include "services/ssm/ssm.h"
#include "services/ssm/ssm_internal.h"

/* In name order: the server finds entries by binary search. */
static const struct api_operation ssm_operations[] = {
    {"AddTagsToResource", ssm_add_tags_to_resource, NULL},
    {"DeleteParameter", ssm_delete_parameter, NULL},
    {"DeleteParameters", ssm_delete_parameters, NULL},
    {"DescribeParameters", ssm_describe_parameters, NULL},
    {"GetParameter", ssm_get_parameter, NULL},
    {"GetParameterHistory", ssm_get_parameter_history, NULL},
    {"GetParameters", ssm_get_parameters, NULL},
    {"GetParametersByPath", ssm_get_parameters_by_path, NULL},
    {"LabelParameterVersion", ssm_label_parameter_version, NULL},
    {"ListTagsForResource", ssm_list_tags_for_resource, NULL},
    {"PutParameter", ssm_put_parameter, NULL},
    {"RemoveTagsFromResource", ssm_remove_tags_from_resource, NULL},
    {"UnlabelParameterVersion", ssm_unlabel_parameter_version, NULL},
};

const struct api_service ssm_api_service = {
    .name = "ssm",
    .operations = ssm_operations,
    .operation_count = ARRAY_SIZE(ssm_operations),
};
