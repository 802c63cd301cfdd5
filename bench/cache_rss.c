/*
 * Memory and relist-time bench of the caches (docs/caches.md).
 *   cache_rss rss [NODES PODS]        RSS with NODES Nodes and PODS Pods cached
 *                                     (default 5000 / 50000); realistic ~4.3 KB
 *                                     pods and ~2.3 KB nodes fed as watch events,
 *                                     with the placement digests raygate keeps
 *                                     beside them (RG_BENCH_NO_DIGESTS=1: without).
 *   cache_rss seed KUBECONFIG N [START] creates N such pods (from index START).
 *   cache_rss relist KUBECONFIG       times the first list of pods and nodes.
 */
#include "kube/cache_internal.h"

#include "raygate/alloc.h"
#include "raygate/cache.h"
#include "raygate/gang.h"
#include "raygate/json.h"
#include "raygate/kube.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <malloc.h>
#ifdef RG_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A KubeRay worker pod as the API server returns it (managedFields, env, probes, statuses). */
static const char POD_FMT[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"rc-%05d-worker-gpu-%05d\","
    "\"generateName\":\"rc-%05d-worker-gpu-\",\"namespace\":\"team-%02d\",\"uid\":"
    "\"5b0c2a4e-2f3d-4a4e-9d0a-%012d\",\"resourceVersion\":\"%d\",\"creationTimestamp\":"
    "\"2026-01-12T09:30:00Z\",\"labels\":{\"app.kubernetes.io/created-by\":\"kuberay-operator\","
    "\"app.kubernetes.io/name\":\"kuberay\",\"ray.io/cluster\":\"rc-%05d\",\"ray.io/group\":"
    "\"gpu-group\",\"ray.io/identifier\":\"rc-%05d-worker\",\"ray.io/is-ray-node\":\"yes\","
    "\"ray.io/node-type\":\"worker\"},\"annotations\":{\"ray.io/ft-enabled\":\"false\"},"
    "\"ownerReferences\":[{\"apiVersion\":\"ray.io/v1\",\"kind\":\"RayCluster\",\"name\":"
    "\"rc-%05d\",\"uid\":\"0c9a3b1e-1111-4a4e-9d0a-%012d\",\"controller\":true,"
    "\"blockOwnerDeletion\":true}],\"managedFields\":[{\"manager\":\"kuberay-operator\","
    "\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":\"2026-01-12T09:30:00Z\","
    "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{\".\":{},"
    "\"f:ray.io/cluster\":{},\"f:ray.io/group\":{},\"f:ray.io/node-type\":{}},"
    "\"f:ownerReferences\":{}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"ray-worker\\\"}"
    "\":"
    "{\"f:image\":{},\"f:resources\":{}}}}}},{\"manager\":\"kubelet\",\"operation\":\"Update\","
    "\"apiVersion\":\"v1\",\"time\":\"2026-01-12T09:31:02Z\",\"fieldsType\":\"FieldsV1\","
    "\"subresource\":\"status\",\"fieldsV1\":{\"f:status\":{\"f:conditions\":{},\"f:phase\":{},"
    "\"f:podIP\":{}}}}]},\"spec\":{\"volumes\":[{\"name\":\"log-volume\",\"emptyDir\":{}},"
    "{\"name\":\"kube-api-access-abcde\",\"projected\":{\"sources\":[{\"serviceAccountToken\":"
    "{\"expirationSeconds\":3607,\"path\":\"token\"}},{\"configMap\":{\"name\":\"kube-root-ca."
    "crt\","
    "\"items\":[{\"key\":\"ca.crt\",\"path\":\"ca.crt\"}]}}],\"defaultMode\":420}}],"
    "\"initContainers\":[{\"name\":\"wait-gcs-ready\",\"image\":\"rayproject/ray:2.9.0\","
    "\"command\":[\"/bin/bash\",\"-lc\",\"--\"],\"args\":[\"until ray health-check --address "
    "rc-%05d-head-svc.team-%02d.svc.cluster.local:6379 > /dev/null 2>&1; do sleep 5; done\"],"
    "\"resources\":{\"limits\":{\"cpu\":\"200m\",\"memory\":\"256Mi\"},\"requests\":{\"cpu\":"
    "\"200m\",\"memory\":\"256Mi\"}},\"terminationMessagePath\":\"/dev/termination-log\","
    "\"imagePullPolicy\":\"IfNotPresent\"}],\"containers\":[{\"name\":\"ray-worker\",\"image\":"
    "\"rayproject/ray-ml:2.9.0-gpu\",\"command\":[\"/bin/bash\",\"-lc\",\"--\"],\"args\":"
    "[\"ulimit -n 65536; ray start --num-cpus=8 --num-gpus=1 --address=rc-%05d-head-svc:6379 "
    "--block\"],\"ports\":[{\"name\":\"metrics\",\"containerPort\":8080,\"protocol\":\"TCP\"}],"
    "\"env\":[{\"name\":\"RAY_IP\",\"value\":\"rc-%05d-head-svc\"},{\"name\":"
    "\"RAY_USAGE_STATS_KUBERAY_IN_USE\",\"value\":\"1\"},{\"name\":\"RAY_CLUSTER_NAME\","
    "\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":"
    "\"metadata.labels['ray.io/cluster']\"}}}],\"resources\":{\"limits\":{\"cpu\":\"8\","
    "\"memory\":\"32Gi\",\"nvidia.com/gpu\":\"1\"},\"requests\":{\"cpu\":\"8\",\"memory\":"
    "\"32Gi\",\"nvidia.com/gpu\":\"1\"}},\"volumeMounts\":[{\"name\":\"log-volume\",\"mountPath\":"
    "\"/tmp/ray\"},{\"name\":\"kube-api-access-abcde\",\"readOnly\":true,\"mountPath\":"
    "\"/var/run/secrets/kubernetes.io/serviceaccount\"}],\"livenessProbe\":{\"exec\":{\"command\":"
    "[\"bash\",\"-c\",\"wget -T 2 -q -O- http://localhost:52365/api/local_raylet_healthz | grep "
    "success\"]},\"initialDelaySeconds\":30,\"periodSeconds\":5,\"timeoutSeconds\":1,"
    "\"failureThreshold\":120},\"terminationMessagePath\":\"/dev/termination-log\","
    "\"imagePullPolicy\":\"IfNotPresent\"}],\"restartPolicy\":\"Always\","
    "\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\",\"serviceAccountName\":"
    "\"default\",\"nodeName\":\"gpu-node-%05d\",\"schedulerName\":\"default-scheduler\","
    "\"priority\":1000,\"priorityClassName\":\"ray-high\",\"nodeSelector\":{"
    "\"nvidia.com/gpu.product\":\"NVIDIA-A100-SXM4-80GB\"},\"tolerations\":[{\"key\":"
    "\"nvidia.com/gpu\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"},{\"key\":"
    "\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\","
    "\"tolerationSeconds\":300}],\"enableServiceLinks\":true,\"preemptionPolicy\":"
    "\"PreemptLowerPriority\"},\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":"
    "\"Initialized\",\"status\":\"True\",\"lastProbeTime\":null,\"lastTransitionTime\":"
    "\"2026-01-12T09:30:12Z\"},{\"type\":\"Ready\",\"status\":\"True\",\"lastProbeTime\":null,"
    "\"lastTransitionTime\":\"2026-01-12T09:31:02Z\"},{\"type\":\"ContainersReady\",\"status\":"
    "\"True\",\"lastProbeTime\":null,\"lastTransitionTime\":\"2026-01-12T09:31:02Z\"},{\"type\":"
    "\"PodScheduled\",\"status\":\"True\",\"lastProbeTime\":null,\"lastTransitionTime\":"
    "\"2026-01-12T09:30:00Z\"}],\"hostIP\":\"10.0.3.42\",\"podIP\":\"10.244.42.17\",\"startTime\":"
    "\"2026-01-12T09:30:00Z\",\"containerStatuses\":[{\"name\":\"ray-worker\",\"ready\":true,"
    "\"restartCount\":0,\"image\":\"rayproject/ray-ml:2.9.0-gpu\",\"imageID\":"
    "\"docker.io/rayproject/ray-ml@sha256:0123456789abcdef0123456789abcdef\",\"containerID\":"
    "\"containerd://abcdef0123456789\",\"started\":true,\"state\":{\"running\":{\"startedAt\":"
    "\"2026-01-12T09:30:40Z\"}}}],\"qosClass\":\"Guaranteed\"}}";

static const char NODE_FMT[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"gpu-node-%05d\",\"uid\":"
    "\"8a1d9e0c-0000-4a4e-9d0a-%012d\",\"resourceVersion\":\"%d\",\"creationTimestamp\":"
    "\"2025-12-01T00:00:00Z\",\"labels\":{\"kubernetes.io/hostname\":\"gpu-node-%05d\","
    "\"kubernetes.io/os\":\"linux\",\"kubernetes.io/arch\":\"amd64\","
    "\"node.kubernetes.io/instance-type\":\"p4d.24xlarge\",\"topology.kubernetes.io/zone\":"
    "\"us-east-1%c\",\"nvidia.com/gpu.product\":\"NVIDIA-A100-SXM4-80GB\",\"nvidia.com/"
    "gpu.memory\":"
    "\"81920\",\"nvidia.com/gpu.count\":\"8\"},\"annotations\":{\"node.alpha.kubernetes.io/ttl\":"
    "\"0\",\"volumes.kubernetes.io/controller-managed-attach-detach\":\"true\"}},\"spec\":{"
    "\"podCIDR\":\"10.244.42.0/24\",\"providerID\":\"aws:///us-east-1a/i-0123456789\",\"taints\":"
    "[{\"key\":\"nvidia.com/gpu\",\"value\":\"present\",\"effect\":\"NoSchedule\"}]},\"status\":{"
    "\"capacity\":{\"cpu\":\"96\",\"memory\":\"1176Gi\",\"nvidia.com/gpu\":\"8\",\"pods\":\"110\","
    "\"ephemeral-storage\":\"500Gi\"},\"allocatable\":{\"cpu\":\"95500m\",\"memory\":\"1170Gi\","
    "\"nvidia.com/gpu\":\"8\",\"pods\":\"110\",\"ephemeral-storage\":\"460Gi\"},\"conditions\":[{"
    "\"type\":\"MemoryPressure\",\"status\":\"False\",\"lastHeartbeatTime\":\"2026-01-12T09:00:"
    "00Z\","
    "\"lastTransitionTime\":\"2025-12-01T00:00:00Z\",\"reason\":\"KubeletHasSufficientMemory\","
    "\"message\":\"kubelet has sufficient memory "
    "available\"},{\"type\":\"DiskPressure\",\"status\":"
    "\"False\",\"lastHeartbeatTime\":\"2026-01-12T09:00:00Z\",\"lastTransitionTime\":"
    "\"2025-12-01T00:00:00Z\",\"reason\":\"KubeletHasNoDiskPressure\",\"message\":\"kubelet has no "
    "disk pressure\"},{\"type\":\"Ready\",\"status\":\"True\",\"lastHeartbeatTime\":"
    "\"2026-01-12T09:00:00Z\",\"lastTransitionTime\":\"2025-12-01T00:01:00Z\",\"reason\":"
    "\"KubeletReady\",\"message\":\"kubelet is posting ready status\"}],\"addresses\":[{\"type\":"
    "\"InternalIP\",\"address\":\"10.0.3.42\"},{\"type\":\"Hostname\",\"address\":"
    "\"gpu-node-%05d\"}],\"nodeInfo\":{\"kubeletVersion\":\"v1.29.0\",\"containerRuntimeVersion\":"
    "\"containerd://1.7.11\",\"osImage\":\"Ubuntu 22.04.3 LTS\"},\"images\":[{\"names\":["
    "\"rayproject/ray-ml@sha256:0123\",\"rayproject/ray-ml:2.9.0-gpu\"],\"sizeBytes\":"
    "12000000000}]}}";

static char *pod_json(int i, int nodes)
{
    int rc = i / 8; /* eight workers per RayCluster */
    return rg_asprintf(POD_FMT, rc, i, rc, rc % 50, i, 1000 + i, rc, rc, rc, rc, rc, rc % 50, rc,
                       rc, i % nodes);
}

static char *node_json(int i)
{
    return rg_asprintf(NODE_FMT, i, i, 100 + i, i, 'a' + i % 3, i);
}

static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            v = atol(line + n + 1);
    if (f)
        fclose(f);
    return v;
}

static int64_t feed_ns; /* time spent parsing and applying, not generating */

static int feed(cache_store_t *st, const char *text)
{
    int64_t t0 = rg_time_mono_ns();
    rg_error_t err = {0};
    cJSON *j = rg_json_parse(text, strlen(text), &err);
    if (!j || cache__store_apply(st, KUBE_EVENT_ADDED, j, &err) < 0) {
        fprintf(stderr, "feed: %s\n", rg_error_str(&err));
        cJSON_Delete(j);
        return 1;
    }
    cJSON_Delete(j);
    feed_ns += rg_time_mono_ns() - t0;
    return 0;
}

static int bench_rss(int nodes, int pods)
{
    long base = status_kb("VmRSS");
    cache_set_opts_t so = {.publish_interval_ms =
                               getenv("PUB_MS") ? (unsigned)atoi(getenv("PUB_MS")) : 0};
    cache_set_t *set = cache_set_new(&so, NULL);
    /* raygate keeps the placement digests of every Node and Pod beside them. */
    const char *no_digests = getenv("RG_BENCH_NO_DIGESTS");
    if (!(no_digests && *no_digests && strcmp(no_digests, "0") != 0) &&
        gang_digests_install(set, NULL) != RG_OK)
        return 1;
    int64_t t0 = rg_time_mono_ns();
    size_t in_bytes = 0;
    for (int i = 0; i < nodes; i++) {
        char *t = node_json(i);
        in_bytes += strlen(t);
        if (feed(&set->stores[CACHE_KIND_NODE], t))
            return 1;
        rg_free(t);
    }
    for (int i = 0; i < pods; i++) {
        char *t = pod_json(i, nodes);
        in_bytes += strlen(t);
        if (feed(&set->stores[CACHE_KIND_POD], t))
            return 1;
        rg_free(t);
    }
    cache_set_flush(set);
    int64_t dt = rg_time_mono_ns() - t0;
    long rss = status_kb("VmRSS"), hwm = status_kb("VmHWM");
    /* What the allocator keeps of the freed input (parse trees, texts) goes back to the
     * kernel: at once for glibc, after the decay time for jemalloc (forced here). */
    malloc_trim(0);
#ifdef RG_WITH_JEMALLOC
    (void)mallctl("arena.4096.purge", NULL, NULL, NULL, 0); /* MALLCTL_ARENAS_ALL */
#endif
    long trimmed = status_kb("VmRSS");

    cache_snapshot_t *s = cache_snapshot_acquire(set, CACHE_KIND_POD);
    size_t text = 0;
    for (size_t i = 0; i < cache_snapshot_count(s); i++)
        text += cache_snapshot_at(s, i)->text_len;
    const cache_obj_t *const *v;
    size_t on0 = cache_snapshot_pods_on_node(s, "gpu-node-00000", &v);
    printf("nodes=%d pods=%d input_json_mb=%.1f avg_object_json=%zu avg_pod_trimmed=%zu\n", nodes,
           pods, in_bytes / 1048576.0, in_bytes / (size_t)(pods + nodes ? pods + nodes : 1),
           cache_snapshot_count(s) ? text / cache_snapshot_count(s) : 0);
    printf("load_ms=%lld parse_apply_ms=%lld pods_on_node0=%zu\n", (long long)(dt / 1000000),
           (long long)(feed_ns / 1000000), on0);
    printf("rss_base_mb=%.1f rss_loaded_mb=%.1f rss_after_purge_mb=%.1f peak_mb=%.1f\n",
           base / 1024.0, rss / 1024.0, trimmed / 1024.0, hwm / 1024.0);
    cache_snapshot_release(s);
    cache_set_free(set);
    return 0;
}

static kube_client_t *client_from(const char *kubeconfig)
{
    kube_creds_t cr;
    rg_error_t err = {0};
    if (kube_creds_load_kubeconfig(kubeconfig, NULL, &cr, &err) < 0) {
        fprintf(stderr, "kubeconfig: %s\n", rg_error_str(&err));
        return NULL;
    }
    kube_client_opts_t o = {.qps = 5000, .burst = 5000, .timeout_ms = 300000};
    kube_client_t *c = kube_client_new(&cr, &o, &err);
    kube_creds_release(&cr);
    if (!c)
        fprintf(stderr, "client: %s\n", rg_error_str(&err));
    return c;
}

static int bench_seed(const char *kubeconfig, int start, int n)
{
    kube_client_t *c = client_from(kubeconfig);
    if (!c)
        return 1;
    int nodes = 5000;
    int64_t t0 = rg_time_mono_ns();
    for (int ns = 0; ns < 50; ns++) {
        char *t = rg_asprintf("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":"
                              "{\"name\":\"team-%02d\"}}",
                              ns);
        kube_result_t r = {0};
        kube_request(c, "POST", "/api/v1/namespaces", "application/json", t, strlen(t), &r, NULL);
        kube_result_release(&r);
        rg_free(t);
    }
    for (int i = start; i < start + n; i++) {
        char *t = pod_json(i, nodes);
        cJSON *j = cJSON_Parse(t);
        /* The double sets nodeName only through binding; resourceVersion is its own. */
        cJSON_DeleteItemFromObject(cJSON_GetObjectItem(j, "spec"), "nodeName");
        cJSON_DeleteItemFromObject(cJSON_GetObjectItem(j, "metadata"), "resourceVersion");
        cJSON_DeleteItemFromObject(cJSON_GetObjectItem(j, "metadata"), "uid");
        kube_result_t r = {0};
        rg_error_t err = {0};
        const char *ns = rg_json_get_string(rg_json_get_object(j, "metadata"), "namespace");
        if (kube_create(c, &kube_res_pods, ns, j, &r, &err) < 0 || r.http_status != 201) {
            fprintf(stderr, "create %d: %d %s %s\n", i, r.http_status, rg_error_str(&err),
                    r.message ? r.message : "");
            kube_result_release(&r);
            cJSON_Delete(j);
            rg_free(t);
            kube_client_free(c);
            return 1;
        }
        kube_result_release(&r);
        cJSON_Delete(j);
        rg_free(t);
    }
    printf("seeded pods=%d ms=%lld\n", n, (long long)((rg_time_mono_ns() - t0) / 1000000));
    kube_client_free(c);
    return 0;
}

static int bench_relist(const char *kubeconfig)
{
    kube_client_t *c = client_from(kubeconfig);
    if (!c)
        return 1;
    cache_set_opts_t o = {.client = c, .kinds = CACHE_KIND_BIT(CACHE_KIND_POD)};
    cache_set_t *set = cache_set_new(&o, NULL);
    int64_t t0 = rg_time_mono_ns();
    if (cache_set_start(set, NULL) < 0 || !cache_set_wait_synced(set, 600000)) {
        fprintf(stderr, "no sync\n");
        return 1;
    }
    int64_t dt = rg_time_mono_ns() - t0;
    cache_stats_t st;
    cache_set_stats_get(set, CACHE_KIND_POD, &st);
    printf("pods=%zu list_ms=%lld sync_ms=%lld rss_mb=%.1f\n", st.objects,
           (long long)(st.last_list_ns / 1000000), (long long)(dt / 1000000),
           status_kb("VmRSS") / 1024.0);
    cache_set_free(set);
    kube_client_free(c);
    return 0;
}

int main(int argc, char **argv)
{
    rg_json_init();
    rg_log_set_level(RG_LOG_WARN);
    if (argc >= 2 && strcmp(argv[1], "rss") == 0)
        return bench_rss(argc > 2 ? atoi(argv[2]) : 5000, argc > 3 ? atoi(argv[3]) : 50000);
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "seed") == 0)
        return bench_seed(argv[2], argc == 5 ? atoi(argv[4]) : 0, atoi(argv[3]));
    if (argc == 3 && strcmp(argv[1], "relist") == 0)
        return bench_relist(argv[2]);
    fprintf(stderr,
            "usage: cache_rss rss [NODES PODS] | seed KUBECONFIG N [START] | relist KUBECONFIG\n");
    return 2;
}
