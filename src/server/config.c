#include <getopt.h>

#include "base/common.h"
#include "server/config.h"
#include "base/alloc.h"
#include "base/err.h"
#include "http/httpd.h"

enum option_type { OPT_STRING, OPT_UINT, OPT_SIZE, OPT_FLAG };

struct config_option {
    const char *name;
    enum option_type type;
    size_t offset;
    const char *default_value;
    const char *arg; /* placeholder in the help */
    const char *help;
};

#define FIELD(f) offsetof(struct server_config, f)

static const struct config_option options[] = {
    {"listen", OPT_STRING, FIELD(listen), "127.0.0.1:4566", "ADDR:PORT",
     "address to serve on; port 0 picks a free port"},
    {"data", OPT_STRING, FIELD(data_dir), "./.slipway", "DIR",
     "data directory (state, blobs, credentials)"},
    {"auth", OPT_STRING, FIELD(auth), "strict", "strict|open",
     "strict verifies SigV4 against known keys; open accepts any well-formed signature as the "
     "admin (loopback only)"},
    {"account-id", OPT_STRING, FIELD(account_id), "000000000000", "ID",
     "the default account (12 digits)"},
    {"region", OPT_STRING, FIELD(region), "us-east-1", "REGION",
     "region used where a request names none"},
    {"workers", OPT_UINT, FIELD(workers), "0", "N", "HTTP worker threads (0: one per core)"},
    {"tls-cert", OPT_STRING, FIELD(tls_cert), NULL, "FILE", "PEM certificate for HTTPS"},
    {"tls-key", OPT_STRING, FIELD(tls_key), NULL, "FILE", "PEM private key for HTTPS"},
    {"allow-plain-http", OPT_FLAG, FIELD(allow_plain_http), NULL, NULL,
     "allow plain HTTP on a non-loopback address"},
    {"log-level", OPT_STRING, FIELD(log_level), "info", "LEVEL", "debug, info, warn or error"},
    {"max-body", OPT_SIZE, FIELD(max_body_bytes), "16777216", "BYTES",
     "largest request body accepted"},
    {"max-header", OPT_SIZE, FIELD(max_header_bytes), "32768", "BYTES",
     "largest request line plus headers accepted"},
    {"timeout", OPT_UINT, FIELD(timeout_seconds), "60", "SECONDS", "idle connection timeout"},
    {"request-timeout", OPT_UINT, FIELD(request_seconds), "300", "SECONDS",
     "longest a request may take to arrive in full (a streamed S3 upload is bounded by the "
     "idle timeout instead)"},
    {"s3-domain", OPT_STRING, FIELD(s3_domain), "localhost", "DOMAIN",
     "S3 virtual-host addressing: a request to BUCKET.DOMAIN addresses BUCKET (\"\" for path "
     "style only)"},
    {"cloudtrail", OPT_STRING, FIELD(cloudtrail), "on", "on|off",
     "record every API call as a CloudTrail event (LookupEvents reads them)"},
};

static int set_option(struct server_config *cfg, const struct config_option *o, const char *value)
{
    void *field = (char *)cfg + o->offset;
    char *end;
    switch (o->type) {
    case OPT_STRING:
        free(*(char **)field);
        *(char **)field = value ? xstrdup(value) : NULL;
        return 0;
    case OPT_FLAG:
        *(bool *)field = true;
        return 0;
    case OPT_UINT: {
        errno = 0;
        unsigned long v = strtoul(value, &end, 10);
        if (errno || *end || end == value || v > 1024)
            return err_set(ERR_INVALID, "--%s: '%s' is not a number from 0 to 1024", o->name,
                           value);
        *(unsigned *)field = (unsigned)v;
        return 0;
    }
    case OPT_SIZE: {
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (errno || *end || end == value || v == 0)
            return err_set(ERR_INVALID, "--%s: '%s' is not a positive number of bytes", o->name,
                           value);
        *(size_t *)field = (size_t)v;
        return 0;
    }
    }
    return 0;
}

void server_config_init(struct server_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < ARRAY_SIZE(options); i++)
        if (options[i].default_value)
            set_option(cfg, &options[i], options[i].default_value);
}

void server_config_release(struct server_config *cfg)
{
    for (size_t i = 0; i < ARRAY_SIZE(options); i++)
        if (options[i].type == OPT_STRING)
            free(*(char **)((char *)cfg + options[i].offset));
    memset(cfg, 0, sizeof(*cfg));
}

void server_config_usage(FILE *out)
{
    fprintf(out, "usage: slipway server [OPTIONS]\n\n"
                 "Serves the AWS APIs (IAM, STS and the services built on them) on one port.\n\n"
                 "options:\n");
    for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
        const struct config_option *o = &options[i];
        char left[64];
        snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(out, "  %-28s %s", left, o->help);
        if (o->default_value && o->type != OPT_FLAG)
            fprintf(out, " (default %s)", o->default_value);
        fputc('\n', out);
    }
}

static bool valid_account_id(const char *s)
{
    if (strlen(s) != 12)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static bool valid_region(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 32)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}

int server_config_parse(struct server_config *cfg, int argc, char **argv)
{
    struct option long_opts[ARRAY_SIZE(options) + 2];
    for (size_t i = 0; i < ARRAY_SIZE(options); i++)
        long_opts[i] = (struct option){
            options[i].name, options[i].type == OPT_FLAG ? no_argument : required_argument, NULL,
            (int)i};
    long_opts[ARRAY_SIZE(options)] = (struct option){"help", no_argument, NULL, 'h'};
    long_opts[ARRAY_SIZE(options) + 1] = (struct option){NULL, 0, NULL, 0};

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
        if (c == 'h') {
            server_config_usage(stdout);
            return 1;
        }
        if (c == '?')
            return err_set(ERR_INVALID, "unknown option '%s'", argv[optind - 1]);
        if (c == ':')
            return err_set(ERR_INVALID, "option '%s' needs a value", argv[optind - 1]);
        int rc = set_option(cfg, &options[c], optarg);
        if (rc < 0)
            return rc;
    }
    if (optind < argc)
        return err_set(ERR_INVALID, "unexpected argument '%s'", argv[optind]);

    if (strcmp(cfg->cloudtrail, "on") != 0 && strcmp(cfg->cloudtrail, "off") != 0)
        return err_set(ERR_INVALID, "--cloudtrail: '%s' must be 'on' or 'off'", cfg->cloudtrail);
    if (strcmp(cfg->auth, "strict") != 0 && strcmp(cfg->auth, "open") != 0)
        return err_set(ERR_INVALID, "--auth: '%s' must be 'strict' or 'open'", cfg->auth);
    if (!valid_account_id(cfg->account_id))
        return err_set(ERR_INVALID, "--account-id: '%s' must be 12 digits", cfg->account_id);
    if (!valid_region(cfg->region))
        return err_set(ERR_INVALID, "--region: '%s' is not a region name", cfg->region);
    if (strcmp(cfg->log_level, "debug") && strcmp(cfg->log_level, "info") &&
        strcmp(cfg->log_level, "warn") && strcmp(cfg->log_level, "error"))
        return err_set(ERR_INVALID, "--log-level: '%s' must be debug, info, warn or error",
                       cfg->log_level);
    if (!!cfg->tls_cert != !!cfg->tls_key)
        return err_set(ERR_INVALID, "--tls-cert and --tls-key go together");

    bool loopback = http_listen_is_loopback(cfg->listen);
    if (!loopback && !cfg->tls_cert && !cfg->allow_plain_http)
        return err_set(ERR_INVALID,
                       "--listen %s is not a loopback address: serve it with --tls-cert and "
                       "--tls-key, or pass --allow-plain-http to send credentials in clear",
                       cfg->listen);
    if (!loopback && strcmp(cfg->auth, "open") == 0)
        return err_set(ERR_INVALID, "--auth open is refused on '%s': it is for loopback only",
                       cfg->listen);
    return 0;
}

enum log_level server_config_log_level(const struct server_config *cfg)
{
    if (strcmp(cfg->log_level, "debug") == 0)
        return LOG_DEBUG;
    if (strcmp(cfg->log_level, "warn") == 0)
        return LOG_WARN;
    if (strcmp(cfg->log_level, "error") == 0)
        return LOG_ERROR;
    return LOG_INFO;
}
