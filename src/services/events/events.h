#ifndef SLIPWAY_SERVICES_EVENTS_EVENTS_H
#define SLIPWAY_SERVICES_EVENTS_EVENTS_H

#include "aws/api.h"

/* EventBridge: event buses, rules, targets, the pattern language, schedules. */
extern const struct api_service events_api_service;

#endif
