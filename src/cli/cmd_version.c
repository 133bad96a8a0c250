#include "base/common.h"
#include "cli/commands.h"

int cmd_version(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: slipway version\n\nPrints slipway's version.\n");
        return 0;
    }
    if (argc >= 2) {
        fprintf(stderr, "slipway version: unexpected argument '%s'\n", argv[1]);
        return 2;
    }
    printf("slipway %s\n", SLIPWAY_VERSION);
    return 0;
}
