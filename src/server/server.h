#ifndef SLIPWAY_SERVER_SERVER_H
#define SLIPWAY_SERVER_SERVER_H

#include "server/config.h"

/*
 * Runs `slipway server` until SIGTERM or SIGINT: opens the data directory,
 * makes sure the admin credentials exist, serves, and on the signal
 * finishes the requests in flight and exits. Returns the exit code.
 */
int server_run(const struct server_config *cfg);

/* Where `slipway server` keeps the admin credentials and its endpoint. */
#define SERVER_CREDENTIALS_FILE "credentials"
#define SERVER_ENDPOINT_FILE    "endpoint.json"

#endif
