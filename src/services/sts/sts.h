#ifndef SLIPWAY_SERVICES_STS_STS_H
#define SLIPWAY_SERVICES_STS_STS_H

#include "aws/api.h"

/* STS: who am I, and temporary credentials for roles. */
extern const struct api_service sts_api_service;

#endif
