/*
 * A closed-loop simulation of the quota engine with a simulated clock: the
 * engine decides, and this plays the rest of the cluster as the admitter,
 * the API server and KubeRay would (each write applied with the admitter's
 * own status builders, a preempted job's pods gone some seconds later, its
 * quota released then, the Workload requeued). Test code only.
 */
#ifndef RG_TEST_QUOTA_SIM_H
#define RG_TEST_QUOTA_SIM_H

#include "raygate/quota.h"

#include <stddef.h>
#include <stdint.h>

typedef struct rgt_sim_opts {
    int64_t start_ns;   /* the first pass */
    int64_t horizon_ns; /* simulate until then */
    /* The admitter's policy (borrowed): the anti-thrash backoff it writes on release. */
    const quota_policy_cfg_t *policy;
    /* How long after its eviction a Workload's pods are gone ("ns/name"). */
    int64_t (*release_after)(void *arg, const char *key);
    void *arg;
} rgt_sim_opts_t;

typedef struct rgt_sim_result {
    size_t preemptions;         /* EVICT decisions of a preemption */
    size_t admissions;          /* ADMIT decisions */
    size_t passes;
    int64_t last_change_ns;     /* the last admission or eviction (start_ns: none) */
    int64_t last_preemption_ns; /* 0: none */
    char *admitted;             /* the admitted set at the end, "ns/a,ns/b" sorted (owned) */
    char *trace;                /* one line per admission, preemption and release (owned) */
} rgt_sim_result_t;

/*
 * Runs the engine m (borrowed; its objects and configuration already set)
 * over the Workloads' API objects wls (n, taken: the simulation owns and
 * frees them; each must already be in m as decoded from it) until the
 * horizon or until nothing is left to happen. Fails the running test when a
 * single instant never settles.
 */
void rgt_sim_run(quota_model_t *m, cJSON **wls, size_t n, const rgt_sim_opts_t *opts,
                 rgt_sim_result_t *out);
void rgt_sim_result_release(rgt_sim_result_t *r);

/* The n strings of v (sorted in place) joined by commas (owned; "" when none). */
char *rgt_sorted_join(const char **v, size_t n);

#endif
