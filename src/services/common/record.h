#ifndef SLIPWAY_SERVICES_COMMON_RECORD_H
#define SLIPWAY_SERVICES_COMMON_RECORD_H

#include <jansson.h>

#include "store/store.h"

/*
 * Service records as jansson objects over the store's JSON documents: the
 * services keep their resources as objects and never touch JSON text.
 */

/* Reads a record; ERR_NOT_FOUND when absent. `version_out` may be NULL. */
int record_get(json_t **out, int64_t *version_out, struct store *st, struct store_tx *tx,
               const char *kind, const char *scope, const char *name);
/* True when the record exists (errors read as absent after logging none). */
int record_exists(bool *out, struct store *st, struct store_tx *tx, const char *kind,
                  const char *scope, const char *name);
/* Creates a record; ERR_EXISTS when the name is taken. */
int record_insert(struct store *st, struct store_tx *tx, const char *kind, const char *scope,
                  const char *name, json_t *value);
/* Replaces a record read at `version`; ERR_CONFLICT when it changed since. */
int record_update(struct store *st, struct store_tx *tx, const char *kind, const char *scope,
                  const char *name, int64_t version, json_t *value);
int record_upsert(struct store *st, struct store_tx *tx, const char *kind, const char *scope,
                  const char *name, json_t *value);

/*
 * A page of records in name order, as an array of objects (each with its
 * record name under "_name" removed again by the caller if unwanted).
 * `more_out` says whether another page follows.
 */
int record_list(json_t **out, bool *more_out, struct store *st, struct store_tx *tx,
                const char *kind, const char *scope, const char *prefix, const char *after,
                size_t limit);

/* Names of the records of (kind, scope) with `prefix`, all of them. */
int record_list_names(json_t **out, struct store *st, struct store_tx *tx, const char *kind,
                      const char *scope, const char *prefix);

#endif
