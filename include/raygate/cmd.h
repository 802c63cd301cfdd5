/*
 * The raygate subcommands: each takes main's argc/argv from the subcommand
 * name on (argv[0] is the subcommand) and returns the process exit status
 * (0 success, 1 failure, 2 usage error). Called from the main thread only;
 * they parse with getopt and print to stdout/stderr.
 */
#ifndef RAYGATE_CMD_H
#define RAYGATE_CMD_H

/*
 * `raygate certs --out DIR [--dns NAME]... [--ip ADDR]... [--days N] [--force]`:
 * writes a CA, a serving certificate and its key into DIR and prints the
 * caBundle for the webhook configurations.
 */
int cmd_certs_main(int argc, char **argv);

/*
 * `raygate serve [--config FILE] [--listen ADDR:PORT] [--cert FILE --key FILE]
 * [--standalone DIR] ...`: runs the daemon until SIGTERM/SIGINT.
 */
int cmd_serve_main(int argc, char **argv);

/*
 * `raygate check FILE... | -`: validates manifests offline with the
 * validating webhook's rules; 0 clean, 1 violations, 2 unreadable input.
 */
int cmd_check_main(int argc, char **argv);

/* `raygate version`: raygate's and the linked libraries' versions. */
int cmd_version_main(int argc, char **argv);

/*
 * `raygate status`: queues, pending Workloads and gangs from a cluster
 * (kubeconfig) or a running raygate (--server), as tables or JSON; with
 * --probe, a health check. Returns the exit status (0, 1 unreadable source
 * or failed probe, 2 bad flags).
 */
int cmd_status_main(int argc, char **argv);

#endif
