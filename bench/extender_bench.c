/*
 * The scheduler extender's figures (docs/performance.md): filter +
 * prioritize with N full Node objects (~4.2 KB each, as kube-scheduler
 * marshals them: ~21 MB at 5,000) and with N NodeNames, a gang plan of W
 * workers over N nodes, the capacity view's rebuild, and RSS. In-process:
 * decode, decide and encode, as the HTTPS handler runs them.
 *   extender_bench [NODES PODS WORKERS ROUNDS]   defaults 5000 50000 64 15
 * Environment: RG_BENCH_NAMES=N or RG_BENCH_PLANS=N repeat only those calls (for a
 * profiler); RG_BENCH_NO_DIGESTS=1 loads without the placement digests and prints RSS;
 * RG_BENCH_DUMP=DIR writes DIR/cluster/ manifests and the request bodies for the HTTPS run.
 * Build and run: sh bench/extender.sh
 */
#include "raygate/alloc.h"
#include "raygate/buf.h"
#include "raygate/cache.h"
#include "raygate/extender.h"
#include "raygate/gang.h"
#include "raygate/json.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A Node as client-go marshals it, with the images list real kubelets report. */
static void node_json(rg_buf_t *b, int i)
{
    rg_buf_appendf(
        b,
        "{\"metadata\":{\"name\":\"gpu-node-%05d\",\"uid\":\"7f1c2d3e-0000-4000-8000-%012d\","
        "\"resourceVersion\":\"%d\",\"creationTimestamp\":\"2026-01-10T08:00:00Z\",\"labels\":{"
        "\"beta.kubernetes.io/arch\":\"amd64\",\"beta.kubernetes.io/os\":\"linux\","
        "\"kubernetes.io/arch\":\"amd64\",\"kubernetes.io/hostname\":\"gpu-node-%05d\","
        "\"kubernetes.io/os\":\"linux\",\"node.kubernetes.io/instance-type\":\"p4d.24xlarge\","
        "\"topology.kubernetes.io/region\":\"us-east-1\",\"topology.kubernetes.io/zone\":"
        "\"us-east-1%c\",\"nvidia.com/gpu.product\":\"NVIDIA-A100-SXM4-80GB\","
        "\"nvidia.com/gpu.memory\":\"81920\",\"nvidia.com/gpu.count\":\"8\","
        "\"nvidia.com/cuda.driver.major\":\"550\",\"rack\":\"rack-%03d\"},\"annotations\":{"
        "\"node.alpha.kubernetes.io/ttl\":\"0\",\"volumes.kubernetes.io/controller-managed-attach-"
        "detach\":\"true\",\"csi.volume.kubernetes.io/nodeid\":\"{\\\"ebs.csi.aws.com\\\":\\\"i-"
        "0abc%08d\\\"}\"}},\"spec\":{\"podCIDR\":\"10.%d.%d.0/24\",\"podCIDRs\":[\"10.%d.%d.0/24\"],"
        "\"providerID\":\"aws:///us-east-1a/i-0abc%08d\"},\"status\":{\"capacity\":{\"cpu\":\"96\","
        "\"ephemeral-storage\":\"104845292Ki\",\"hugepages-1Gi\":\"0\",\"hugepages-2Mi\":\"0\","
        "\"memory\":\"1176529172Ki\",\"nvidia.com/gpu\":\"8\",\"pods\":\"110\"},\"allocatable\":{"
        "\"cpu\":\"95690m\",\"ephemeral-storage\":\"95551679124\",\"hugepages-1Gi\":\"0\","
        "\"hugepages-2Mi\":\"0\",\"memory\":\"1168063252Ki\",\"nvidia.com/gpu\":\"8\",\"pods\":"
        "\"110\"},\"conditions\":[{\"type\":\"MemoryPressure\",\"status\":\"False\","
        "\"lastHeartbeatTime\":\"2026-12-01T10:00:00Z\",\"lastTransitionTime\":"
        "\"2026-01-10T08:00:00Z\",\"reason\":\"KubeletHasSufficientMemory\",\"message\":\"kubelet "
        "has sufficient memory available\"},{\"type\":\"DiskPressure\",\"status\":\"False\","
        "\"lastHeartbeatTime\":\"2026-12-01T10:00:00Z\",\"lastTransitionTime\":"
        "\"2026-01-10T08:00:00Z\",\"reason\":\"KubeletHasNoDiskPressure\",\"message\":\"kubelet "
        "has no disk pressure\"},{\"type\":\"PIDPressure\",\"status\":\"False\","
        "\"lastHeartbeatTime\":\"2026-12-01T10:00:00Z\",\"lastTransitionTime\":"
        "\"2026-01-10T08:00:00Z\",\"reason\":\"KubeletHasSufficientPID\",\"message\":\"kubelet "
        "has sufficient PID available\"},{\"type\":\"Ready\",\"status\":\"True\","
        "\"lastHeartbeatTime\":\"2026-12-01T10:00:00Z\",\"lastTransitionTime\":"
        "\"2026-01-10T08:01:00Z\",\"reason\":\"KubeletReady\",\"message\":\"kubelet is posting "
        "ready status\"}],\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.%d.%d.10\"},"
        "{\"type\":\"Hostname\",\"address\":\"gpu-node-%05d\"}],\"daemonEndpoints\":{"
        "\"kubeletEndpoint\":{\"Port\":10250}},\"nodeInfo\":{\"machineID\":"
        "\"ec2a1b2c3d4e5f60718293a4b5c6d7e8\",\"systemUUID\":\"ec2a1b2c-3d4e-5f60-7182-93a4b5c6d7e8\","
        "\"bootID\":\"0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6\",\"kernelVersion\":\"6.1.0-27-amd64\","
        "\"osImage\":\"Debian GNU/Linux 12 (bookworm)\",\"containerRuntimeVersion\":"
        "\"containerd://1.7.22\",\"kubeletVersion\":\"v1.31.2\",\"kubeProxyVersion\":\"\","
        "\"operatingSystem\":\"linux\",\"architecture\":\"amd64\"},\"images\":[",
        i, i, 1000 + i, i, 'a' + i % 3, i / 40, i, i / 250, i % 250, i / 250, i % 250, i,
        i / 250, i % 250, i);
    static const char *const images[] = {
        "rayproject/ray-ml:2.41.0-py310-gpu", "nvcr.io/nvidia/k8s-device-plugin:v0.17.0",
        "nvcr.io/nvidia/gpu-feature-discovery:v0.17.0", "registry.k8s.io/kube-proxy:v1.31.2",
        "nvcr.io/nvidia/dcgm-exporter:3.3.9-3.6.1-ubuntu22.04", "rayproject/ray:2.41.0-py310",
        "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.19.0",
        "registry.k8s.io/pause:3.10"};
    for (size_t k = 0; k < sizeof(images) / sizeof(images[0]); k++)
        rg_buf_appendf(b,
                       "%s{\"names\":[\"%s@sha256:%064d\",\"%s\"],\"sizeBytes\":%d}",
                       k ? "," : "", images[k], (int)k, images[k], 100000000 + (int)k * 7919);
    rg_buf_append_str(b, "]}}");
}

static cJSON *parse(const char *s, size_t n)
{
    rg_error_t err = {0};
    cJSON *o = rg_json_parse(s, n, &err);
    if (o == NULL) {
        fprintf(stderr, "bench JSON: %s\n", rg_error_str(&err));
        exit(1);
    }
    return o;
}

/* A pod bound to node (or pending), gpus of 8 (0 = none), optionally a gang member. */
static char *pod_json(const char *name, const char *node, int gpus, const char *cluster)
{
    char labels[256] = "";
    if (cluster)
        snprintf(labels, sizeof(labels), "\"ray.io/cluster\":\"%s\",\"ray.io/node-type\":"
                 "\"worker\",\"ray.io/group\":\"workers\"", cluster);
    char nodefield[64] = "";
    if (node)
        snprintf(nodefield, sizeof(nodefield), "\"nodeName\":\"%s\",", node);
    return rg_asprintf(
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\",\"namespace\":"
        "\"team\",\"uid\":\"uid-%s\",\"creationTimestamp\":null,\"labels\":{%s}},\"spec\":{%s"
        "\"containers\":[{\"name\":\"w\",\"image\":\"rayproject/ray:2.41.0\",\"resources\":{"
        "\"requests\":{\"cpu\":\"2\",\"memory\":\"16Gi\",\"nvidia.com/gpu\":\"%d\"},\"limits\":{"
        "\"nvidia.com/gpu\":\"%d\"}}}],\"schedulerName\":\"default-scheduler\",\"tolerations\":"
        "[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":"
        "\"NoExecute\",\"tolerationSeconds\":300}]},\"status\":{\"phase\":\"%s\"}}",
        name, name, labels, nodefield, gpus, gpus, node ? "Running" : "Pending");
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double median_ms(int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_i64);
    return (double)v[n / 2] / 1e6;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

int main(int argc, char **argv)
{
    int nodes = argc > 1 ? atoi(argv[1]) : 5000;
    int pods = argc > 2 ? atoi(argv[2]) : 50000;
    int workers = argc > 3 ? atoi(argv[3]) : 64;
    int rounds = argc > 4 ? atoi(argv[4]) : 15;
    rg_json_init();
    rg_log_set_level(RG_LOG_ERROR);
    long rss0 = rss_kb();

    /* The cluster: nodes, and pods bound round-robin holding 1..4 of each node's 8 GPUs. */
    size_t n_objs = (size_t)nodes + (size_t)pods + 1;
    cJSON **objs = rg_calloc(n_objs, sizeof(*objs));
    rg_buf_t nodelist = RG_BUF_INIT;
    rg_buf_append_str(&nodelist, "{\"metadata\":{},\"items\":[");
    for (int i = 0; i < nodes; i++) {
        rg_buf_t one = RG_BUF_INIT;
        node_json(&one, i);
        if (i)
            rg_buf_append_char(&nodelist, ',');
        rg_buf_append(&nodelist, one.data, one.len);
        cJSON *o = parse(one.data, one.len);
        cJSON_AddStringToObject(o, "apiVersion", "v1");
        cJSON_AddStringToObject(o, "kind", "Node");
        objs[i] = o;
        rg_buf_release(&one);
    }
    rg_buf_append_str(&nodelist, "]}");
    for (int p = 0; p < pods; p++) {
        char name[64], node[32];
        snprintf(name, sizeof(name), "busy-%06d", p);
        snprintf(node, sizeof(node), "gpu-node-%05d", p % nodes);
        char *j = pod_json(name, node, p % 10 == 0 ? 1 + p % 4 : 0, NULL);
        objs[nodes + p] = parse(j, strlen(j));
        rg_free(j);
    }
    static const char rc[] = "{\"apiVersion\":\"ray.io/v1\",\"kind\":\"RayCluster\",\"metadata\":"
                             "{\"name\":\"big\",\"namespace\":\"team\"},\"spec\":{}}";
    objs[nodes + pods] = parse(rc, sizeof(rc) - 1);
    rg_error_t err = {0};
    cache_set_opts_t co = {0};
    cache_set_t *caches = cache_set_new(&co, &err);
    /* RG_BENCH_NO_DIGESTS=1: load without the placement digests, print RSS, stop (their cost). */
    bool no_digests = getenv("RG_BENCH_NO_DIGESTS") != NULL;
    if (!no_digests)
        gang_digests_install(caches, &err);
    int64_t t0 = rg_time_mono_ns();
    if (cache_set_load_objects(caches, (const cJSON *const *)objs, n_objs, &err) != RG_OK) {
        fprintf(stderr, "load: %s\n", rg_error_str(&err));
        return 1;
    }
    double load_s = (double)(rg_time_mono_ns() - t0) / 1e9;
    for (size_t i = 0; i < n_objs; i++)
        cJSON_Delete(objs[i]);
    rg_free(objs);
    long rss_loaded = rss_kb();
    if (no_digests) {
        printf("cache load without digests: RSS %ld MB\n", rss_loaded / 1024);
        return 0;
    }

    ext_opts_t eo = {.topology_label = "rack"};
    ext_t *x = ext_new(&eo, caches, NULL, &err);

    /* Requests: a 2-GPU pod of no gang, in both node modes. */
    char *pod = pod_json("train", NULL, 2, NULL);
    rg_buf_t full = RG_BUF_INIT, names = RG_BUF_INIT;
    rg_buf_appendf(&full, "{\"Pod\":%s,\"Nodes\":", pod);
    rg_buf_append(&full, nodelist.data, nodelist.len);
    rg_buf_append_str(&full, ",\"NodeNames\":null}");
    rg_buf_appendf(&names, "{\"Pod\":%s,\"Nodes\":null,\"NodeNames\":[", pod);
    for (int i = 0; i < nodes; i++)
        rg_buf_appendf(&names, "%s\"gpu-node-%05d\"", i ? "," : "", i);
    rg_buf_append_str(&names, "]}");
    rg_free(pod);

    /* RG_BENCH_DUMP=DIR: the nodes and the first PODS_DUMPED pods as one List for
     * `raygate serve --standalone DIR/cluster`, and both request bodies, for the HTTPS run. */
    const char *dump = getenv("RG_BENCH_DUMP");
    if (dump) {
        /* Files of 1,000 nodes: the standalone loader reads files of up to 16 MiB. */
        char path[512];
        FILE *f = NULL;
        for (int i = 0; i < nodes; i++) {
            if (i % 1000 == 0) {
                if (f)
                    fputs("]}\n", f), fclose(f);
                snprintf(path, sizeof(path), "%s/cluster/nodes-%d.json", dump, i / 1000);
                if ((f = fopen(path, "w")) == NULL) {
                    perror(path);
                    return 1;
                }
                fputs("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[", f);
            }
            rg_buf_t one = RG_BUF_INIT;
            node_json(&one, i);
            fprintf(f, "%s{\"apiVersion\":\"v1\",\"kind\":\"Node\",%s", i % 1000 ? "," : "",
                    one.data + 1);
            rg_buf_release(&one);
        }
        if (f)
            fputs("]}\n", f), fclose(f);
        snprintf(path, sizeof(path), "%s/cluster/pods.json", dump);
        if ((f = fopen(path, "w")) == NULL) {
            perror(path);
            return 1;
        }
        fputs("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[", f);
        for (int p = 0; p < pods && p < 5000; p++) {
            char name[64], node[32];
            snprintf(name, sizeof(name), "busy-%06d", p);
            snprintf(node, sizeof(node), "gpu-node-%05d", p % nodes);
            char *j = pod_json(name, node, 1 + p % 4, NULL);
            fprintf(f, "%s%s", p ? "," : "", j);
            rg_free(j);
        }
        fputs("]}\n", f);
        fclose(f);
        const char *files[2] = {"filter-full.json", "filter-names.json"};
        const rg_buf_t *bodies[2] = {&full, &names};
        for (int k = 0; k < 2; k++) {
            snprintf(path, sizeof(path), "%s/%s", dump, files[k]);
            f = fopen(path, "w");
            if (f == NULL || fwrite(bodies[k]->data, 1, bodies[k]->len, f) != bodies[k]->len) {
                perror(path);
                return 1;
            }
            fclose(f);
        }
        return 0;
    }

    int64_t *tf = rg_calloc((size_t)rounds, sizeof(int64_t));
    int64_t *tn = rg_calloc((size_t)rounds, sizeof(int64_t));
    int64_t *tf1 = rg_calloc((size_t)rounds, sizeof(int64_t));
    int64_t *tn1 = rg_calloc((size_t)rounds, sizeof(int64_t));
    int64_t *tp = rg_calloc((size_t)rounds, sizeof(int64_t));
    int64_t *tv = rg_calloc((size_t)rounds, sizeof(int64_t));
    size_t answer_len = 0;
    /* RG_BENCH_NAMES=N repeats only the NodeNames calls N times (for a profiler). */
    const char *names_only = getenv("RG_BENCH_NAMES");
    for (int r = 0; names_only && r < atoi(names_only); r++) {
        ext_answer_t a, b;
        ext_filter(x, names.data, names.len, 0, &a);
        ext_prioritize(x, names.data, names.len, 0, &b);
        rg_free(a.body);
        rg_free(b.body);
    }
    for (int r = 0; r < rounds && !names_only; r++) {
        ext_answer_t a, b;
        int64_t s = rg_time_mono_ns();
        ext_filter(x, full.data, full.len, s, &a);
        int64_t mid = rg_time_mono_ns();
        ext_prioritize(x, full.data, full.len, s, &b);
        tf[r] = rg_time_mono_ns() - s;
        tf1[r] = mid - s;
        answer_len = a.len;
        if (a.status != 200 || strcmp(a.decision, "filtered") != 0) {
            fprintf(stderr, "filter: %d %s %s\n", a.status, a.decision, a.reason);
            return 1;
        }
        rg_free(a.body);
        rg_free(b.body);
        s = rg_time_mono_ns();
        ext_filter(x, names.data, names.len, s, &a);
        mid = rg_time_mono_ns();
        ext_prioritize(x, names.data, names.len, s, &b);
        tn[r] = rg_time_mono_ns() - s;
        tn1[r] = mid - s;
        rg_free(a.body);
        rg_free(b.body);
    }

    /* The gang plan, and the view it plans on. */
    cache_snapshot_t *snap[4] = {cache_snapshot_acquire(caches, CACHE_KIND_NODE),
                                 cache_snapshot_acquire(caches, CACHE_KIND_POD),
                                 cache_snapshot_acquire(caches, CACHE_KIND_WORKLOAD),
                                 cache_snapshot_acquire(caches, CACHE_KIND_RAYCLUSTER)};
    gang_view_src_t src = {snap[0], snap[1], snap[2], snap[3]};
    gang_view_opts_t vo = {.topology_label = "rack"};
    gang_view_t *v = NULL;
    for (int r = 0; r < rounds; r++) {
        int64_t s = rg_time_mono_ns();
        gang_view_t *nv = gang_view_build(&src, &vo);
        tv[r] = rg_time_mono_ns() - s;
        gang_view_unref(v);
        v = nv;
    }
    podspec_reqs_t pr = {0};
    quota_qty_t q = quota_qty_from_int(4, QUOTA_QTY_DECIMAL_SI);
    podspec_reqs_add(&pr, "nvidia.com/gpu", &q, NULL);
    q = quota_qty_from_int(16, QUOTA_QTY_DECIMAL_SI);
    podspec_reqs_add(&pr, "cpu", &q, NULL);
    gang_rvec_t req = {0};
    gang_rvec_from_reqs(&pr, &req);
    gang_podset_t set = {"workers", workers, &req, NULL};
    gang_free_t *f = gang_free_new(v, NULL);
    gang_weights_t w = {2, 1, 1};
    /* RG_BENCH_PLANS=N: that many plans only, for a profiler. */
    const char *plans_only = getenv("RG_BENCH_PLANS");
    int n_plans = plans_only ? atoi(plans_only) : rounds;
    if (plans_only) {
        rg_free(tp);
        tp = rg_calloc((size_t)n_plans + 1, sizeof(int64_t));
    }
    for (int r = 0; r < n_plans; r++) {
        gang_plan_t *plan = NULL;
        char *reason = NULL;
        int64_t s = rg_time_mono_ns();
        int rc = gang_plan_make(v, f, &set, 1, &w, &plan, &reason);
        tp[r] = rg_time_mono_ns() - s;
        if (rc != 0) {
            fprintf(stderr, "plan: %s\n", reason);
            return 1;
        }
        gang_plan_free(plan);
    }
    long rss_end = rss_kb();

    if (names_only)
        return 0;
    printf("nodes %d, pods %d, full request %.1f MB, names request %.1f KB, answer %.1f MB\n",
           nodes, pods, (double)full.len / 1e6, (double)names.len / 1e3, (double)answer_len / 1e6);
    printf("cache load %.2f s; RSS %ld MB before, %ld MB loaded, %ld MB at the end\n", load_s,
           rss0 / 1024, rss_loaded / 1024, rss_end / 1024);
    printf("median of %d: full Nodes: filter %.2f ms, filter+prioritize %.2f ms | NodeNames: "
           "filter %.3f ms, filter+prioritize %.3f ms | gang plan %d workers %.3f ms | view "
           "rebuild %.2f ms\n",
           rounds, median_ms(tf1, rounds), median_ms(tf, rounds), median_ms(tn1, rounds),
           median_ms(tn, rounds), workers, median_ms(tp, rounds), median_ms(tv, rounds));

    gang_free_free(f);
    gang_rvec_release(&req);
    podspec_reqs_release(&pr);
    gang_view_unref(v);
    for (int k = 0; k < 4; k++)
        cache_snapshot_release(snap[k]);
    rg_free(tf);
    rg_free(tn);
    rg_free(tf1);
    rg_free(tn1);
    rg_free(tp);
    rg_free(tv);
    rg_buf_release(&full);
    rg_buf_release(&names);
    rg_buf_release(&nodelist);
    ext_free(x);
    cache_set_free(caches);
    return 0;
}
