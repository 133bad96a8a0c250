#include "base/common.h"
#include "cli/commands.h"

const struct cli_command cli_commands[] = {
    {"server", cmd_server, "serve the AWS APIs on one port"},
    {"env", cmd_env, "print shell exports for the aws CLI and SDKs"},
    {"version", cmd_version, "print the version"},
    {"help", cmd_help, "show this help, or a command's with 'slipway help COMMAND'"},
};
const unsigned cli_command_count = ARRAY_SIZE(cli_commands);

int cmd_help(int argc, char **argv)
{
    if (argc >= 2) {
        for (unsigned i = 0; i < cli_command_count; i++) {
            if (strcmp(cli_commands[i].name, argv[1]) == 0) {
                char *help_argv[] = {argv[1], (char *)"--help", NULL};
                return cli_commands[i].run(2, help_argv);
            }
        }
        fprintf(stderr, "slipway: no help for '%s': not a command\n", argv[1]);
        return 2;
    }
    printf("usage: slipway COMMAND [OPTIONS]\n\ncommands:\n");
    for (unsigned i = 0; i < cli_command_count; i++)
        printf("  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
    printf("\n'slipway COMMAND --help' describes a command's options.\n");
    return 0;
}
