#ifndef SLIPWAY_SERVICES_SSM_SSM_H
#define SLIPWAY_SERVICES_SSM_SSM_H

#include "aws/api.h"

/* SSM Parameter Store: configuration values, SecureString sealed at rest. */
extern const struct api_service ssm_api_service;

#endif
