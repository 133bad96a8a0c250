#ifndef SLIPWAY_SERVER_CONFIG_H
#define SLIPWAY_SERVER_CONFIG_H

#include "base/common.h"
#include "base/log.h"

/*
 * `slipway server` settings. One table in config.c describes every option
 * (name, default, help), used both to parse the command line and to print
 * --help, so the two cannot drift apart.
 */
struct server_config {
    char *listen;
    char *data_dir;
    char *auth; /* "strict" or "open" */
    char *account_id;
    char *region;
    unsigned workers;
    char *tls_cert;
    char *tls_key;
    bool allow_plain_http;
    char *log_level;
    size_t max_body_bytes;
    size_t max_header_bytes;
    unsigned timeout_seconds;
    unsigned request_seconds;
    char *s3_domain;  /* "<bucket>.<s3_domain>" hosts address buckets */
    char *cloudtrail; /* "on" or "off": record every API call */
};

/* Fills defaults. */
void server_config_init(struct server_config *cfg);
void server_config_release(struct server_config *cfg);

/*
 * Parses `slipway server` arguments (argv[0] is "server"). Returns 0, 1 when
 * --help was printed, or ERR_INVALID with err_msg() saying which option is
 * wrong and why. Also checks the combinations: TLS for non-loopback
 * listeners, --auth open only on loopback.
 */
int server_config_parse(struct server_config *cfg, int argc, char **argv);
void server_config_usage(FILE *out);

enum log_level server_config_log_level(const struct server_config *cfg);

#endif
