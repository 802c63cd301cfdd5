/*
 * `raygate serve`: the configuration file first, then each flag on top of
 * it (validated exactly as the file's keys are), then the daemon.
 */
#include "raygate/cmd.h"

#include "raygate/config.h"
#include "raygate/json.h"
#include "raygate/log.h"
#include "raygate/serve.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: raygate serve [options]\n"
          "\n"
          "Serves the admission webhooks and the scheduler extender over HTTPS.\n"
          "With no options: standalone on https://127.0.0.1:9443 with a self-signed\n"
          "certificate under .raygate/ and the seed's example manifests built in.\n"
          "\n"
          "options (each overrides the configuration file):\n"
          "  -c, --config FILE        YAML configuration file\n"
          "  -l, --listen ADDR:PORT   listen address (server.listen), e.g. 0.0.0.0:9443, [::]:9443, :9443\n"
          "      --port PORT          listen port (server.port)\n"
          "      --metrics-listen ADDR:PORT  a second listener serving only GET /metrics and\n"
          "                           /healthz (server.metricsListen)\n"
          "      --cert FILE          serving certificate, PEM (tls.certFile)\n"
          "      --key FILE           its private key, PEM (tls.keyFile)\n"
          "      --standalone DIR     run on the manifests in DIR instead of a cluster\n"
          "      --kubeconfig FILE    kubeconfig for the API server (else in-cluster when in a pod)\n"
          "      --context NAME       kubeconfig context (context)\n"
          "      --state-dir DIR      self-signed certificates, default audit log (stateDir)\n"
          "      --threads N          HTTP worker threads, 0 = one per CPU (server.threads)\n"
          "      --reuse-port         share the port with other processes on purpose\n"
          "                           (server.reusePort); without it a busy port fails the start\n"
          "      --audit-log PATH     audit log file, - for stdout (audit.path)\n"
          "      --log-level LEVEL    debug, info, warn or error (log.level)\n"
          "      --gpu-resources LIST GPU resources, e.g. nvidia.com/gpu,nvidia.com/mig-*\n"
          "                           (extender.gpuResources)\n"
          "      --topology-label KEY node label of a rack/NVLink domain (extender.topologyLabel)\n"
          "      --planning-ttl SECS  hold of an unqueued gang's plan (extender.planningTTLSeconds)\n"
          "  -h, --help               this text\n",
          out);
}

/* Flag long name -> configuration key; the order of options[] below. */
static const char *const flag_keys[] = {
    NULL, "server.listen", "server.port", "tls.certFile", "tls.keyFile", "standalone",
    "kubeconfig", "stateDir", "server.threads", "audit.path", "log.level", "context",
    "extender.gpuResources", "extender.topologyLabel", "extender.planningTTLSeconds",
    "server.reusePort", "server.metricsListen",
};

int cmd_serve_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 0},     {"listen", required_argument, NULL, 1},
        {"port", required_argument, NULL, 2},       {"cert", required_argument, NULL, 3},
        {"key", required_argument, NULL, 4},        {"standalone", required_argument, NULL, 5},
        {"kubeconfig", required_argument, NULL, 6}, {"state-dir", required_argument, NULL, 7},
        {"threads", required_argument, NULL, 8},    {"audit-log", required_argument, NULL, 9},
        {"log-level", required_argument, NULL, 10}, {"context", required_argument, NULL, 11},
        {"gpu-resources", required_argument, NULL, 12},
        {"topology-label", required_argument, NULL, 13},
        {"planning-ttl", required_argument, NULL, 14},
        {"reuse-port", no_argument, NULL, 15},
        {"metrics-listen", required_argument, NULL, 16},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_file = NULL;
    const char *values[sizeof(flag_keys) / sizeof(flag_keys[0])] = {0};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:l:h", options, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return 0;
        case 'c': config_file = optarg; break;
        case 'l': values[1] = optarg; break;
        case ':':
            fprintf(stderr, "raygate serve: option %s needs a value\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        case '?':
            fprintf(stderr, "raygate serve: unknown option \"%s\"\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        default:
            if (c == 0)
                config_file = optarg;
            else
                values[c] = c == 15 ? "true" : optarg; /* --reuse-port takes no value */
        }
    }
    if (optind < argc) {
        fprintf(stderr, "raygate serve: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    cfg_config_t cfg;
    cfg_config_init_defaults(&cfg);
    rg_error_t err = {0};
    int rc = config_file ? cfg_config_load_file(&cfg, config_file, &err) : RG_OK;
    for (size_t i = 1; rc == RG_OK && i < sizeof(values) / sizeof(values[0]); i++)
        if (values[i])
            rc = cfg_config_set(&cfg, flag_keys[i], values[i], &err);
    if (rc == RG_OK)
        rc = cfg_config_check(&cfg, &err);
    if (rc != RG_OK) {
        fprintf(stderr, "raygate serve: %s\n", rg_error_str(&err));
        cfg_config_release(&cfg);
        return 2;
    }

    rg_json_init();
    serve_signals_block();
    serve_app_t *app = serve_app_new(&cfg, &err);
    cfg_config_release(&cfg);
    if (app == NULL) {
        rg_log_error("serve", "cannot start error=\"%s\"", rg_error_str(&err));
        return 1;
    }
    rc = serve_app_run(app);
    serve_app_free(app);
    return rc == 0 ? 0 : 1;
}
