#ifndef SLIPWAY_SERVICES_SSM_SSM_INTERNAL_H
#define SLIPWAY_SERVICES_SSM_SSM_INTERNAL_H

#include <jansson.h>

#include "aws/api.h"

/*
 * Parameter Store. One document per parameter (kind SSM_KIND_PARAMETER,
 * scope "ACCOUNT/REGION", named by the parameter's name) holding its tags
 * and its versions, oldest first:
 *
 *   {"Name": ..., "Tags": {key: value},
 *    "Versions": [{"Version", "Type", "Value" | "Sealed", "KeyId",
 *                  "Description", "AllowedPattern", "Tier", "DataType",
 *                  "LastModifiedDate", "LastModifiedUser", "Labels": [...]}]}
 *
 * A SecureString version keeps only "Sealed": master_key_seal() of the value
 * with the context "ssm/ACCOUNT/REGION/NAME/VERSION".
 */

#define SSM_KIND_PARAMETER "ssm.parameter"
#define SSM_SCOPE_MAX      64
#define SSM_ARN_MAX        1011 /* AWS: a name counts with its whole ARN */
#define SSM_LEVELS_MAX     15
#define SSM_VERSIONS_MAX   100
#define SSM_LABELS_MAX     10 /* per version */
#define SSM_LABEL_LEN_MAX  100
#define SSM_TAGS_MAX       50
#define SSM_STANDARD_MAX   10000 /* parameters per account and region */
#define SSM_STANDARD_VALUE 4096
#define SSM_ADVANCED_VALUE 8192
#define SSM_DEFAULT_KEY_ID "alias/aws/ssm"

int ssm_put_parameter(struct api_call *call, json_t *in, json_t **out);
int ssm_get_parameter(struct api_call *call, json_t *in, json_t **out);
int ssm_get_parameters(struct api_call *call, json_t *in, json_t **out);
int ssm_get_parameters_by_path(struct api_call *call, json_t *in, json_t **out);
int ssm_delete_parameter(struct api_call *call, json_t *in, json_t **out);
int ssm_delete_parameters(struct api_call *call, json_t *in, json_t **out);
int ssm_describe_parameters(struct api_call *call, json_t *in, json_t **out);
int ssm_get_parameter_history(struct api_call *call, json_t *in, json_t **out);
int ssm_label_parameter_version(struct api_call *call, json_t *in, json_t **out);
int ssm_unlabel_parameter_version(struct api_call *call, json_t *in, json_t **out);
int ssm_add_tags_to_resource(struct api_call *call, json_t *in, json_t **out);
int ssm_list_tags_for_resource(struct api_call *call, json_t *in, json_t **out);
int ssm_remove_tags_from_resource(struct api_call *call, json_t *in, json_t **out);

#endif
