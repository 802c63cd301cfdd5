/*
 * Preemption in the quota engine (issue 10's targets): 10,000 admitted
 * Workloads in one cohort of 100 ClusterQueues (half of them borrowing),
 * withinClusterQueue LowerPriority and reclaimWithinCohort Any; then
 *   choose  - one high-priority preemptor in a queue under its nominal quota:
 *             the pass that chooses its victims (flavor assignment, the
 *             oracle, candidates across the cohort, the minimal set), best
 *             and median of N rounds (the victims are not released, so every
 *             round decides from the same state);
 *   storm   - P preemptors at once (one per queue, round robin): decisions
 *             per second of the pass (a decision = an ADMIT, an EVICT or a
 *             workload left pending).
 *   fair    - the same choice with fair sharing on.
 *
 *   cmake --build build --target bench_preempt && ./build/bench_preempt [admitted] [cqs] [rounds]
 */
#include "raygate/alloc.h"
#include "raygate/json.h"
#include "raygate/quota.h"
#include "raygate/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void add_cq(quota_model_t *m, int i, int gpus)
{
    char buf[1024];
    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"kueue.x-k8s.io/v1beta2\",\"kind\":\"ClusterQueue\","
             "\"metadata\":{\"name\":\"cq-%d\"},\"spec\":{\"cohortName\":\"all\","
             "\"namespaceSelector\":{},\"preemption\":{\"withinClusterQueue\":\"LowerPriority\","
             "\"reclaimWithinCohort\":\"Any\"},\"resourceGroups\":[{\"coveredResources\":"
             "[\"nvidia.com/gpu\"],\"flavors\":[{\"name\":\"a100\",\"resources\":[{\"name\":"
             "\"nvidia.com/gpu\",\"nominalQuota\":%d}]}]}]}}",
             i, gpus);
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

/* A Workload of gpus GPUs in cq's namespace; admitted there when admitted. */
static void add_wl(quota_model_t *m, const char *name, int cq, int prio, int gpus, bool admitted)
{
    char buf[2048], status[768] = "";
    if (admitted)
        snprintf(status, sizeof(status),
                 ",\"status\":{\"conditions\":[{\"type\":\"QuotaReserved\",\"status\":\"True\","
                 "\"reason\":\"QuotaReserved\",\"message\":\"\",\"lastTransitionTime\":"
                 "\"2026-01-01T00:00:00Z\"}],\"admission\":{\"clusterQueue\":\"cq-%d\","
                 "\"podSetAssignments\":[{\"name\":\"main\",\"count\":1,\"flavors\":"
                 "{\"nvidia.com/gpu\":\"a100\"},\"resourceUsage\":{\"nvidia.com/gpu\":\"%d\"}}]}}",
                 cq, gpus);
    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"kueue.x-k8s.io/v1beta2\",\"kind\":\"Workload\","
             "\"metadata\":{\"name\":\"%s\",\"namespace\":\"ns-%d\",\"uid\":\"%s\","
             "\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},\"spec\":{\"queueName\":\"lq\","
             "\"priority\":%d,\"podSets\":[{\"name\":\"main\",\"count\":1,\"template\":{\"spec\":"
             "{\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"nvidia.com/gpu\":"
             "\"%d\"}}}]}}}]}%s}",
             name, cq, name, prio, gpus, status);
    cJSON *o = parse(buf);
    quota_model_set_workload(m, quota_decode_workload(o, NULL));
    cJSON_Delete(o);
}

/* The model: cqs queues in one cohort, admitted workloads of 1 GPU, the
 * first half of the queues borrowing half again their nominal quota. */
static quota_model_t *build(int admitted, int cqs, bool fair)
{
    quota_model_t *m = quota_model_new();
    quota_policy_cfg_t cfg;
    quota_policy_cfg_defaults(&cfg);
    cfg.fair_sharing = fair;
    quota_model_configure(m, &cfg);
    cJSON *f = parse("{\"apiVersion\":\"kueue.x-k8s.io/v1beta2\",\"kind\":\"ResourceFlavor\","
                     "\"metadata\":{\"name\":\"a100\"}}");
    quota_model_set_flavor(m, quota_decode_flavor(f, NULL));
    cJSON_Delete(f);
    int per = admitted / cqs;
    for (int i = 0; i < cqs; i++)
        add_cq(m, i, per);
    char name[64];
    for (int i = 0; i < admitted; i++) {
        /* Queues 0..cqs/2-1 hold 1.5x their quota, the others 0.5x. */
        int q = i % cqs < cqs / 2 ? (i % cqs) : (i % cqs);
        int slot = i / cqs;
        if (q >= cqs / 2 && slot >= per / 2)
            q -= cqs / 2;
        snprintf(name, sizeof(name), "wl-%d", i);
        add_wl(m, name, q, i % 7, 1, true);
    }
    return m;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* One pass with the model as it is: (ns, decisions, evictions). */
static int64_t pass(quota_model_t *m, int64_t now, size_t *decisions, size_t *evicted)
{
    quota_decisions_t d = {0};
    quota_pass_stats_t st;
    quota_pass_opts_t opts = {0};
    int64_t t0 = rg_time_mono_ns();
    quota_model_pass(m, now, &opts, &d, &st);
    int64_t t = rg_time_mono_ns() - t0;
    *decisions = st.admitted + st.evicted + st.considered;
    *evicted = st.evicted;
    quota_decisions_release(&d);
    return t;
}

static void choose(int admitted, int cqs, int rounds, bool fair)
{
    int64_t *t = rg_calloc((size_t)rounds, sizeof(int64_t));
    size_t victims = 0;
    for (int r = 0; r < rounds; r++) {
        quota_model_t *m = build(admitted, cqs, fair);
        size_t dec, ev;
        int64_t now = 1767225600LL * 1000000000LL;
        pass(m, now, &dec, &ev); /* settle notes */
        char name[64];
        snprintf(name, sizeof(name), "preemptor-%d", r);
        /* In the last queue, under its nominal quota: reclaims from the borrowers. */
        add_wl(m, name, cqs - 1, 100, admitted / cqs / 2 + 10, false);
        t[r] = pass(m, now, &dec, &ev);
        victims = ev;
        quota_model_free(m);
    }
    qsort(t, (size_t)rounds, sizeof(int64_t), cmp_i64);
    printf("choose%s: %d admitted, %d queues: %zu victims, best %.3f ms, median %.3f ms\n",
           fair ? " (fair sharing)" : "", admitted, cqs, victims, (double)t[0] / 1e6,
           (double)t[rounds / 2] / 1e6);
    rg_free(t);
}

static void storm(int admitted, int cqs, int preemptors)
{
    quota_model_t *m = build(admitted, cqs, false);
    size_t dec, ev;
    int64_t now = 1767225600LL * 1000000000LL;
    pass(m, now, &dec, &ev);
    char name[64];
    for (int i = 0; i < preemptors; i++) {
        snprintf(name, sizeof(name), "storm-%d", i);
        add_wl(m, name, i % cqs, 50 + i % 50, 2, false);
    }
    int64_t t = pass(m, now, &dec, &ev);
    printf("storm: %d preemptors over %d admitted: %zu decisions (%zu evictions) in %.1f ms = "
           "%.0f decisions/s\n",
           preemptors, admitted, dec, ev, (double)t / 1e6, (double)dec / ((double)t / 1e9));
    quota_model_free(m);
}

int main(int argc, char **argv)
{
    int admitted = argc > 1 ? atoi(argv[1]) : 10000;
    int cqs = argc > 2 ? atoi(argv[2]) : 100;
    int rounds = argc > 3 ? atoi(argv[3]) : 11;
    if (admitted < cqs || cqs < 2 || rounds < 1) {
        fprintf(stderr, "usage: bench_preempt [admitted >= cqs] [cqs >= 2] [rounds >= 1]\n");
        return 2;
    }
    choose(admitted, cqs, rounds, false);
    choose(admitted, cqs, rounds, true);
    storm(admitted, cqs, 1000);
    return 0;
}
