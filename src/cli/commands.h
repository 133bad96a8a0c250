#ifndef SLIPWAY_CLI_COMMANDS_H
#define SLIPWAY_CLI_COMMANDS_H

/*
 * The subcommands, one file each (src/cli/cmd_<name>.c). Each returns the
 * process exit code: 0 on success, 1 on failure, 2 on a usage error.
 * Results go to stdout, errors and progress to stderr.
 */

int cmd_server(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_help(int argc, char **argv);

struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

extern const struct cli_command cli_commands[];
extern const unsigned cli_command_count;

#endif
