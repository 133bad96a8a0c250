#include <getopt.h>
#include <jansson.h>

#include "base/common.h"
#include "base/buf.h"
#include "cli/commands.h"
#include "server/server.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: slipway env [--data DIR]\n\n"
                 "Prints shell exports that point the aws CLI and the SDKs at slipway with the\n"
                 "admin credentials:  eval \"$(slipway env)\"\n\n"
                 "options:\n"
                 "  --data DIR   the server's data directory (default ./.slipway)\n");
}

/* Reads `key = value` from the [default] profile. */
static bool credential(char *out, size_t size, const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[512];
    bool in_default = false, found = false;
    size_t klen = strlen(key);
    while (!found && fgets(line, sizeof(line), f)) {
        char *p = line + strspn(line, " \t");
        if (*p == '[') {
            in_default = strncmp(p, "[default]", 9) == 0;
            continue;
        }
        if (!in_default || strncmp(p, key, klen) != 0)
            continue;
        p += klen;
        p += strspn(p, " \t");
        if (*p != '=')
            continue;
        p++;
        p += strspn(p, " \t");
        size_t n = strcspn(p, " \t\r\n");
        if (n && n < size) {
            memcpy(out, p, n);
            out[n] = '\0';
            found = true;
        }
    }
    fclose(f);
    return found;
}

int cmd_env(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *data = "./.slipway";
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case ':':
            fprintf(stderr, "slipway env: option '%s' needs a value\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "slipway env: unknown option '%s'\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "slipway env: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }

    struct buf path = BUF_INIT;
    buf_addf(&path, "%s/%s", data, SERVER_CREDENTIALS_FILE);
    char key_id[128], secret[128];
    if (!credential(key_id, sizeof(key_id), path.data, "aws_access_key_id") ||
        !credential(secret, sizeof(secret), path.data, "aws_secret_access_key")) {
        fprintf(stderr,
                "slipway env: no credentials in '%s': start the server once with "
                "'slipway server --data %s'\n",
                path.data, data);
        buf_release(&path);
        return 1;
    }

    const char *endpoint = "http://127.0.0.1:4566", *region = "us-east-1";
    buf_reset(&path);
    buf_addf(&path, "%s/%s", data, SERVER_ENDPOINT_FILE);
    json_t *info = json_load_file(path.data, 0, NULL);
    if (json_is_string(json_object_get(info, "endpoint")))
        endpoint = json_string_value(json_object_get(info, "endpoint"));
    if (json_is_string(json_object_get(info, "region")))
        region = json_string_value(json_object_get(info, "region"));

    printf("export AWS_ENDPOINT_URL='%s'\n", endpoint);
    printf("export AWS_ACCESS_KEY_ID='%s'\n", key_id);
    printf("export AWS_SECRET_ACCESS_KEY='%s'\n", secret);
    printf("export AWS_DEFAULT_REGION='%s'\n", region);
    printf("export AWS_REGION='%s'\n", region);
    printf("unset AWS_SESSION_TOKEN AWS_PROFILE\n");
    json_decref(info);
    buf_release(&path);
    return 0;
}
