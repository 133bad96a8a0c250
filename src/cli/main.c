#include "base/common.h"
#include "cli/commands.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        cmd_help(1, argv);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        name = "help";
    if (strcmp(name, "--version") == 0)
        name = "version";
    for (unsigned i = 0; i < cli_command_count; i++)
        if (strcmp(cli_commands[i].name, name) == 0)
            return cli_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "slipway: '%s' is not a slipway command; see 'slipway help'\n", name);
    return 2;
}
