/*
 * raygate's entry point: picks the subcommand; all logic lives in the
 * library (src/cmd/ parses each subcommand's flags).
 */
#include "raygate/cmd.h"

#include <stdio.h>
#include <string.h>

#ifdef RG_WITH_JEMALLOC
/*
 * jemalloc's defaults, read at its start (MALLOC_CONF still overrides).
 * Allocations past oversize_threshold (8 MiB) go to an arena that returns
 * pages to the kernel at once; the extender's 20 MB bodies and answers then
 * fault in fresh zeroed pages on every call (a third of a full-Nodes filter
 * over HTTPS). Kept in the ordinary arenas, they reuse the dirty pages of
 * the last call and decay back to the kernel after dirty_decay_ms (10 s).
 */
const char *malloc_conf = "oversize_threshold:0";
#endif

static void usage(FILE *out)
{
    fputs("usage: raygate <command> [options]\n"
          "\n"
          "commands:\n"
          "  serve     run the admission webhooks and scheduler extender (HTTPS)\n"
          "  check     validate Kueue/Ray manifests offline with the webhook's rules\n"
          "  status    queues against quota, pending Workloads with reasons, gangs and nodes\n"
          "  certs     make a CA and a serving certificate for the webhooks\n"
          "  version   print raygate's and its libraries' versions\n"
          "\n"
          "`raygate <command> --help` describes each command.\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve_main(argc - 1, argv + 1);
    if (strcmp(cmd, "certs") == 0)
        return cmd_certs_main(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return cmd_check_main(argc - 1, argv + 1);
    if (strcmp(cmd, "status") == 0)
        return cmd_status_main(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        return cmd_version_main(argc - 1, argv + 1);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "raygate: unknown command \"%s\"\n", cmd);
    usage(stderr);
    return 2;
}
