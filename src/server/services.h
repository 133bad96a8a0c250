#ifndef SLIPWAY_SERVER_SERVICES_H
#define SLIPWAY_SERVER_SERVICES_H

#include "aws/api.h"

/* The service implementations this binary serves, by model name. */
const struct api_service *services_find(const char *name);
/* The table entry of an operation, NULL when the service has no handler. */
const struct api_operation *services_operation(const struct api_service *svc,
                                               const char *operation);

#endif
