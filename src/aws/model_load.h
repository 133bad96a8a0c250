#ifndef SLIPWAY_AWS_MODEL_LOAD_H
#define SLIPWAY_AWS_MODEL_LOAD_H

#include <jansson.h>

#include "aws/model.h"

/*
 * Builds a model_service from a botocore-style JSON model
 * ({"metadata": ..., "operations": ..., "shapes": ...}). Used by the build's
 * model compiler and by tests that carry their own models (the protocol
 * vectors); the server itself uses compiled tables.
 *
 * Returns 0 and a service owned by the caller (free with
 * model_service_free), or ERR_INVALID with a message naming the shape or
 * operation at fault.
 */
int model_load(struct model_service **out, json_t *root, const char *name);
int model_load_file(struct model_service **out, const char *path, const char *name);
void model_service_free(struct model_service *svc);

#endif
