/*
 * The quota engine in process (DESIGN.md §6: ≥ 20,000 decisions/s with
 * 10,000 pending over 100 ClusterQueues in 10 cohorts). Builds the model
 * from real API objects through the decoders, then measures:
 *   load   - decoding and inserting the objects;
 *   drain  - passes until nothing more changes (admissions + pending notes);
 *   churn  - finish 10% of the admitted, pass again (the steady state:
 *            every release re-evaluates the parked workloads of its cohort).
 * A decision is one ADMIT or one workload evaluated and left pending.
 *
 *   cmake --build build --target bench_quota && ./build/bench_quota [pending] [cqs] [cohorts]
 */
#include "raygate/alloc.h"
#include "raygate/json.h"
#include "raygate/quota.h"
#include "raygate/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double secs(int64_t a, int64_t b)
{
    return (double)(b - a) / 1e9;
}

static cJSON *parse(const char *text)
{
    rg_error_t err = {0};
    cJSON *o = rg_json_parse(text, strlen(text), &err);
    if (o == NULL) {
        fprintf(stderr, "bad fixture: %s\n", rg_error_str(&err));
        exit(2);
    }
    return o;
}

static void add_cq(quota_model_t *m, int i, int cohorts)
{
    char buf[1024];
    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"kueue.x-k8s.io/v1beta2\",\"kind\":\"ClusterQueue\","
             "\"metadata\":{\"name\":\"cq-%d\"},\"spec\":{\"cohortName\":\"cohort-%d\","
             "\"namespaceSelector\":{},\"resourceGroups\":[{\"coveredResources\":"
             "[\"cpu\",\"memory\",\"nvidia.com/gpu\"],\"flavors\":["
             "{\"name\":\"a100\",\"resources\":[{\"name\":\"cpu\",\"nominalQuota\":\"64\"},"
             "{\"name\":\"memory\",\"nominalQuota\":\"512Gi\"},{\"name\":\"nvidia.com/gpu\","
             "\"nominalQuota\":8,\"borrowingLimit\":8}]},"
             "{\"name\":\"h100\",\"resources\":[{\"name\":\"cpu\",\"nominalQuota\":\"32\"},"
             "{\"name\":\"memory\",\"nominalQuota\":\"256Gi\"},{\"name\":\"nvidia.com/gpu\","
             "\"nominalQuota\":4}]}]}]}}",
             i, i % cohorts);
    cJSON *o = parse(buf);
    quota_model_set_cluster_queue(m, quota_decode_cluster_queue(o, NULL));
    cJSON_Delete(o);
    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"kueue.x-k8s.io/v1beta2\",\"kind\":\"LocalQueue\","
             "\"metadata\":{\"name\":\"lq\",\"namespace\":\"ns-%d\"},"
             "\"spec\":{\"clusterQueue\":\"cq-%d\"}}",
             i, i);
    o = parse(buf);
    quota_model_set_local_queue(m, quota_decode_local_queue(o, NULL));
    cJSON_Delete(o);
}

static void add_wl(quota_model_t *m, int i, int cqs)
{
    char buf[1024];
    int gpus = 1 + (i * 7) % 4, workers = 1 + (i * 13) % 3;
    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"kueue.x-k8s.io/v1beta2\",\"kind\":\"Workload\","
             "\"metadata\":{\"name\":\"wl-%d\",\"namespace\":\"ns-%d\",\"uid\":\"u%d\","
             "\"creationTimestamp\":\"2026-01-01T%02d:%02d:%02dZ\"},"
             "\"spec\":{\"queueName\":\"lq\",\"priority\":%d,\"podSets\":["
             "{\"name\":\"head\",\"count\":1,\"template\":{\"spec\":{\"containers\":[{\"name\":"
             "\"h\",\"resources\":{\"requests\":{\"cpu\":\"2\",\"memory\":\"8Gi\"}}}]}}},"
             "{\"name\":\"workers\",\"count\":%d,\"template\":{\"spec\":{\"containers\":[{\"name\":"
             "\"w\",\"resources\":{\"requests\":{\"cpu\":\"4\",\"memory\":\"16Gi\"},"
             "\"limits\":{\"nvidia.com/gpu\":%d}}}]}}}]}}",
             i, i % cqs, i, (i / 3600) % 24, (i / 60) % 60, i % 60, (i * 31) % 5, workers, gpus);
    cJSON *o = parse(buf);
    quota_model_set_workload(m, quota_decode_workload(o, NULL));
    cJSON_Delete(o);
}

int main(int argc, char **argv)
{
    int pending = argc > 1 ? atoi(argv[1]) : 10000;
    int cqs = argc > 2 ? atoi(argv[2]) : 100;
    int cohorts = argc > 3 ? atoi(argv[3]) : 10;
    rg_json_init();
    quota_model_t *m = quota_model_new();
    int64_t t0 = rg_time_mono_ns();
    static const char *const flavors[] = {"a100", "h100"};
    for (int f = 0; f < 2; f++) {
        char buf[256];
        snprintf(buf, sizeof(buf),
                 "{\"apiVersion\":\"kueue.x-k8s.io/v1beta2\",\"kind\":\"ResourceFlavor\","
                 "\"metadata\":{\"name\":\"%s\"},\"spec\":{\"nodeLabels\":"
                 "{\"nvidia.com/gpu.product\":\"%s\"}}}",
                 flavors[f], flavors[f]);
        cJSON *o = parse(buf);
        quota_model_set_flavor(m, quota_decode_flavor(o, NULL));
        cJSON_Delete(o);
    }
    for (int i = 0; i < cqs; i++)
        add_cq(m, i, cohorts);
    for (int i = 0; i < pending; i++)
        add_wl(m, i, cqs);
    int64_t t1 = rg_time_mono_ns();

    quota_pass_opts_t opts = {0};
    quota_pass_stats_t st;
    size_t admitted = 0, considered = 0, notes = 0, passes = 0;
    int64_t now = 0;
    rg_time_parse_rfc3339("2026-01-02T00:00:00Z", &now);
    do {
        quota_decisions_t d = {0};
        quota_model_pass(m, now, &opts, &d, &st);
        admitted += st.admitted;
        considered += st.considered;
        notes += st.pending_written;
        if (getenv("RG_BENCH_DEBUG") && d.n)
            fprintf(stderr, "first decision: %s/%s %s %s\n", d.v[0].ns, d.v[0].name,
                    d.v[0].reason ? d.v[0].reason : "", d.v[0].message ? d.v[0].message : "");
        passes++;
        quota_decisions_release(&d);
    } while (st.admitted > 0);
    int64_t t2 = rg_time_mono_ns();

    /* Churn: the first tenth of the admitted finish (removed), pass again. */
    size_t removed = 0;
    for (int i = 0; i < pending && removed < admitted / 10; i++) {
        char ns[32], name[32];
        snprintf(ns, sizeof(ns), "ns-%d", i % cqs);
        snprintf(name, sizeof(name), "wl-%d", i);
        quota_model_remove_workload(m, ns, name);
        removed++;
    }
    quota_decisions_t d = {0};
    int64_t t3 = rg_time_mono_ns();
    quota_model_pass(m, now + 1000000000LL, &opts, &d, &st);
    int64_t t4 = rg_time_mono_ns();
    quota_decisions_release(&d);

    printf("model: %d ClusterQueues in %d cohorts, %d workloads; load %.3f s\n", cqs, cohorts,
           pending, secs(t0, t1));
    printf("drain: %zu passes, %zu evaluated, %zu admitted, %zu pending notes in %.3f s"
           " -> %.0f decisions/s\n",
           passes, considered, admitted, notes, secs(t1, t2), (double)considered / secs(t1, t2));
    printf("churn: %zu finished, then one pass: %zu evaluated, %zu admitted in %.3f s"
           " -> %.0f decisions/s\n",
           removed, st.considered, st.admitted, secs(t3, t4),
           (double)st.considered / secs(t3, t4));
    quota_model_free(m);
    return 0;
}
