#include "base/common.h"
#include "base/err.h"
#include "cli/commands.h"
#include "server/config.h"
#include "server/server.h"

int cmd_server(int argc, char **argv)
{
    struct server_config cfg;
    server_config_init(&cfg);
    int rc = server_config_parse(&cfg, argc, argv);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "slipway server: %s\n", err_msg());
        server_config_release(&cfg);
        return rc > 0 ? 0 : 2;
    }
    int code = server_run(&cfg);
    server_config_release(&cfg);
    return code;
}
