/*
 * `raygate status`: queues with usage against quota, pending Workloads in
 * queue order with their reasons, gangs and their planned nodes — read
 * from a cluster through a kubeconfig, or from a running raygate's
 * /status.json — as tables or JSON. `--probe` turns it into the health
 * check of a raygate that only listens on loopback.
 */
#include "raygate/cmd.h"

#include "raygate/alloc.h"
#include "raygate/kube.h"
#include "raygate/log.h"
#include "raygate/status.h"
#include "raygate/timeutil.h"

#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

enum { OPT_KUBECONFIG = 256, OPT_CONTEXT, OPT_SERVER, OPT_CA, OPT_PROBE, OPT_MAX_PENDING };

static void usage(FILE *f)
{
    fputs("usage: raygate status [--kubeconfig FILE [--context NAME] | --server URL [--ca FILE]]\n"
          "                      [-o table|json] [--max-pending N]\n"
          "       raygate status --server URL [--ca FILE] --probe healthz|readyz\n"
          "\n"
          "ClusterQueues with their usage against quota, pending Workloads in queue order with\n"
          "the reason each waits, and admitted gangs with the nodes their plan puts them on.\n"
          "\n"
          "  --kubeconfig FILE  read the cluster (default: $KUBECONFIG, else ~/.kube/config)\n"
          "  --context NAME     kubeconfig context (default: its current-context)\n"
          "  --server URL       read a running raygate's GET /status.json instead\n"
          "                     (https://raygate.raygate-system.svc, https://127.0.0.1:9443)\n"
          "  --ca FILE          CA to verify --server with (default: the system's)\n"
          "  -o, --output FMT   table (default) or json\n"
          "  --max-pending N    pending Workloads listed, 1..100000 (default 200)\n"
          "  --probe PATH       GET PATH (healthz or readyz) of --server; exit 0 when it answers\n"
          "                     200, 1 otherwise, printing nothing else (a container probe)\n"
          "  -h, --help         this text\n"
          "\n"
          "Exit status: 0, 1 when the source cannot be read, 2 for bad flags.\n",
          f);
}

typedef struct opts {
    const char *kubeconfig, *context, *server, *ca, *probe, *output;
    unsigned long max_pending;
} opts_t;

static int parse(int argc, char **argv, opts_t *o)
{
    static const struct option longs[] = {
        {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
        {"context", required_argument, NULL, OPT_CONTEXT},
        {"server", required_argument, NULL, OPT_SERVER},
        {"ca", required_argument, NULL, OPT_CA},
        {"probe", required_argument, NULL, OPT_PROBE},
        {"max-pending", required_argument, NULL, OPT_MAX_PENDING},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case OPT_KUBECONFIG: o->kubeconfig = optarg; break;
        case OPT_CONTEXT: o->context = optarg; break;
        case OPT_SERVER: o->server = optarg; break;
        case OPT_CA: o->ca = optarg; break;
        case OPT_PROBE: o->probe = optarg; break;
        case 'o': o->output = optarg; break;
        case OPT_MAX_PENDING: {
            char *end = NULL;
            o->max_pending = strtoul(optarg, &end, 10);
            if (*optarg < '1' || *optarg > '9' || *end || o->max_pending > 100000) {
                fprintf(stderr,
                        "raygate status: --max-pending: invalid value \"%s\": must be "
                        "1..100000\n",
                        optarg);
                return 2;
            }
            break;
        }
        case 'h': usage(stdout); return 1;
        default:
            fprintf(stderr, "raygate status: unknown or incomplete option \"%s\"\n",
                    argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    const char *why = NULL;
    if (optind < argc)
        why = "takes no arguments";
    else if (o->server && (o->kubeconfig || o->context))
        why = "--server and --kubeconfig/--context are alternatives";
    else if (o->probe && !o->server)
        why = "--probe needs --server";
    else if (o->probe && strcmp(o->probe, "healthz") != 0 && strcmp(o->probe, "readyz") != 0)
        why = "--probe: must be healthz or readyz";
    else if (o->ca && !o->server)
        why = "--ca goes with --server (a kubeconfig names its own CA)";
    else if (o->output && strcmp(o->output, "table") != 0 && strcmp(o->output, "json") != 0)
        why = "-o: must be table or json";
    if (why) {
        fprintf(stderr, "raygate status: %s\n", why);
        return 2;
    }
    return 0;
}

/* A client for a running raygate: its URL, a CA, no credentials. */
static kube_client_t *server_client(const opts_t *o, rg_error_t *err)
{
    size_t n = strlen(o->server);
    while (n > 0 && o->server[n - 1] == '/')
        n--;
    kube_creds_t creds = {.server = rg_strndup(o->server, n),
                          .ca_file = o->ca ? rg_strdup(o->ca) : NULL};
    kube_client_opts_t copts = {.timeout_ms = 5000, .max_retries = 1};
    kube_client_t *c = kube_client_new(&creds, &copts, err);
    kube_creds_release(&creds);
    return c;
}

/* GET /healthz or /readyz: they answer text, which kube_request reports as a
 * 2xx body that is not JSON (RG_ERR_PARSE); a refusal is its HTTP status. */
static int probe(const opts_t *o)
{
    rg_error_t err = {0};
    kube_client_t *c = server_client(o, &err);
    if (c == NULL) {
        fprintf(stderr, "raygate status: %s\n", rg_error_str(&err));
        return 1;
    }
    char path[32];
    snprintf(path, sizeof(path), "/%s", o->probe);
    kube_result_t r;
    int rc = kube_request(c, "GET", path, NULL, NULL, 0, &r, &err);
    bool ok = rc == RG_ERR_PARSE || (rc == 0 && r.http_status == 200);
    if (!ok)
        fprintf(stderr, "raygate status: %s %s: %s\n", o->server, path,
                rc == 0 ? (r.message ? r.message : "not ok") : rg_error_str(&err));
    kube_result_release(&r);
    kube_client_free(c);
    return ok ? 0 : 1;
}

static cJSON *from_server(const opts_t *o, rg_error_t *err)
{
    kube_client_t *c = server_client(o, err);
    if (c == NULL)
        return NULL;
    kube_result_t r;
    cJSON *doc = NULL;
    if (kube_request(c, "GET", "/status.json", NULL, NULL, 0, &r, err) == 0 &&
        r.http_status == 200 && cJSON_IsObject(r.body)) {
        doc = r.body;
        r.body = NULL;
    } else if (err && err->code == 0) {
        rg_error_set(err, RG_ERR_HTTP, "GET %s/status.json: answer %d", o->server, r.http_status);
    }
    kube_result_release(&r);
    kube_client_free(c);
    return doc;
}

/* The items of one list, detached into an array the caller frees (with the list). */
static int list_items(kube_client_t *c, const kube_resource_t *res, cJSON **list,
                      const cJSON ***items, size_t *n, rg_error_t *err)
{
    kube_result_t r;
    *list = NULL;
    *items = NULL;
    *n = 0;
    int rc = kube_list(c, res, NULL, NULL, &r, err);
    if (rc == 0 && r.http_status != 200)
        rc = err->code ? err->code : RG_ERR_HTTP;
    if (rc == 0) {
        *list = r.body;
        r.body = NULL;
        const cJSON *arr = rg_json_get(*list, "items");
        *n = (size_t)cJSON_GetArraySize(arr);
        *items = rg_calloc(*n ? *n : 1, sizeof(**items));
        size_t i = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, arr)(*items)[i++] = it;
    }
    kube_result_release(&r);
    return rc;
}

static cJSON *from_cluster(const opts_t *o, size_t max_pending, rg_error_t *err)
{
    kube_creds_t creds = {0};
    if (kube_creds_load_kubeconfig(o->kubeconfig, o->context, &creds, err) != 0)
        return NULL;
    char *source = rg_strdup(creds.server ? creds.server : "the API server");
    kube_client_opts_t copts = {.timeout_ms = 30000};
    kube_client_t *c = kube_client_new(&creds, &copts, err);
    kube_creds_release(&creds);
    cJSON *lists[3] = {NULL, NULL, NULL};
    const cJSON **items[3] = {NULL, NULL, NULL};
    size_t n[3] = {0, 0, 0};
    const kube_resource_t *res[3] = {&kube_res_clusterqueues, &kube_res_localqueues,
                                     &kube_res_workloads};
    int rc = c ? 0 : RG_ERR_STATE;
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = list_items(c, res[i], &lists[i], &items[i], &n[i], err);
    cJSON *doc = NULL;
    if (rc == 0) {
        status_input_t in = {items[0], n[0],   items[1],         n[1],       items[2],
                             n[2],     source, rg_time_now_ns(), max_pending};
        doc = status_build(&in);
    }
    for (int i = 0; i < 3; i++) {
        rg_free(items[i]);
        cJSON_Delete(lists[i]);
    }
    kube_client_free(c);
    rg_free(source);
    return doc;
}

int cmd_status_main(int argc, char **argv)
{
    opts_t o = {0};
    int rc = parse(argc, argv, &o);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    rg_log_set_level(RG_LOG_ERROR);
    if (o.probe)
        return probe(&o);
    rg_error_t err = {0};
    cJSON *doc = o.server ? from_server(&o, &err) : from_cluster(&o, o.max_pending, &err);
    if (doc == NULL) {
        fprintf(stderr, "raygate status: %s\n", rg_error_str(&err));
        return 1;
    }
    rg_buf_t b = RG_BUF_INIT;
    if (o.output && strcmp(o.output, "json") == 0) {
        char *text = cJSON_Print(doc);
        rg_buf_append_str(&b, text);
        rg_buf_append_char(&b, '\n');
        cJSON_free(text);
    } else {
        status_render_table(doc, &b);
    }
    fwrite(b.data, 1, b.len, stdout);
    rg_buf_release(&b);
    cJSON_Delete(doc);
    return 0;
}
