#ifndef SLIPWAY_SERVICES_SECRETSMANAGER_SECRETSMANAGER_INTERNAL_H
#define SLIPWAY_SERVICES_SECRETSMANAGER_SECRETSMANAGER_INTERNAL_H

#include "services/secretsmanager/secretsmanager.h"

/* The handlers of the operation table (api.c), one per operation. */
int sm_batch_get_secret_value(struct api_call *call, json_t *in, json_t **out);
int sm_create_secret(struct api_call *call, json_t *in, json_t **out);
int sm_delete_resource_policy(struct api_call *call, json_t *in, json_t **out);
int sm_delete_secret(struct api_call *call, json_t *in, json_t **out);
int sm_describe_secret(struct api_call *call, json_t *in, json_t **out);
int sm_get_random_password(struct api_call *call, json_t *in, json_t **out);
int sm_get_resource_policy(struct api_call *call, json_t *in, json_t **out);
int sm_get_secret_value(struct api_call *call, json_t *in, json_t **out);
int sm_list_secret_version_ids(struct api_call *call, json_t *in, json_t **out);
int sm_list_secrets(struct api_call *call, json_t *in, json_t **out);
int sm_put_resource_policy(struct api_call *call, json_t *in, json_t **out);
int sm_put_secret_value(struct api_call *call, json_t *in, json_t **out);
int sm_restore_secret(struct api_call *call, json_t *in, json_t **out);
int sm_rotate_secret_unsupported(struct api_call *call, json_t *in, json_t **out);
int sm_tag_resource(struct api_call *call, json_t *in, json_t **out);
int sm_untag_resource(struct api_call *call, json_t *in, json_t **out);
int sm_update_secret(struct api_call *call, json_t *in, json_t **out);
int sm_update_secret_version_stage(struct api_call *call, json_t *in, json_t **out);
int sm_validate_resource_policy(struct api_call *call, json_t *in, json_t **out);

#endif
