#ifndef SLIPWAY_SERVICES_SECRETSMANAGER_SECRETSMANAGER_H
#define SLIPWAY_SERVICES_SECRETSMANAGER_SECRETSMANAGER_H

#include "aws/api.h"

/* Secrets Manager: versioned secrets, sealed at rest. */
extern const struct api_service secretsmanager_api_service;

/*
 * The deletion task (a scheduler_task_fn; `store` is the struct store):
 * removes, for good, secrets whose recovery window has ended by `now_ms`,
 * at most a batch per run. Returns 1 when more are due, 0 when none, or a
 * negative err kind.
 */
int secretsmanager_purge_task(void *store, int64_t now_ms);

#endif
