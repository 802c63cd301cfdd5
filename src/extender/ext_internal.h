/*
 * The extender's shared state and the per-request round: snapshots, the
 * capacity view, and free capacity net of every plan, claim and assumed
 * bind. Private to src/extender/.
 */
#ifndef RAYGATE_EXT_INTERNAL_H
#define RAYGATE_EXT_INTERNAL_H

#include "ext_codec.h"

#include "raygate/extender.h"

#include <pthread.h>

/* A gang plan held here: planned for an unqueued gang, or a recorded plan re-planned. */
typedef struct ext_plan {
    char *gang;       /* "ns/cluster" */
    char *ns, *cluster;
    gang_plan_t *plan;
    gang_rvec_t *reqs; /* per set */
    int64_t expires_ns; /* 0 = never (an override of a recorded plan) */
    char *workload;     /* "ns/name" of the Workload whose recorded plan this overrides */
    const gang_plan_t *recorded; /* identity of the recorded plan overridden (view-owned;
                                    compared by content, never dereferenced after the round) */
    char *recorded_text;         /* its encoding, to notice when the Workload's plan changes */
    bool dirty;                  /* to be written back to the Workload */
} ext_plan_t;

/* A member steered to a node by filter, or bound by bind, not yet seen bound in the cache. */
typedef struct ext_claim {
    char *uid, *ns, *name, *node;
    char *gang;   /* "ns/cluster", NULL for a pod of no gang */
    char *podset; /* NULL when unknown */
    gang_rvec_t req;
    int64_t expires_ns;
    bool bound;
} ext_claim_t;

struct ext {
    ext_opts_t opts;
    char **gpu;
    size_t n_gpu;
    char *topo;
    cache_set_t *caches;
    kube_client_t *client;
    pthread_mutex_t mu; /* the planning lock: plans and claims */
    ext_plan_t *plans;
    size_t n_plans;
    ext_claim_t *claims;
    size_t n_claims;
    pthread_mutex_t view_mu;
    gang_view_t *view;
    uint64_t view_seq[4];
};

/* What is known of the pod being scheduled (from the request's Pod). */
typedef struct ext_pod {
    cJSON *tree; /* owned */
    const char *ns, *name, *uid;
    const char *cluster; /* label ray.io/cluster, NULL when none */
    const char *podset;
    char podset_buf[256];
    char gang[320]; /* "ns/cluster" */
    gang_rvec_t req;
    gang_cons_t *cons;
    bool gpu; /* requests a GPU resource */
} ext_pod_t;

/* Decodes the Pod of a request: RG_ERR_* with err naming the field. */
int ext__pod_decode(ext_t *x, const char *json, size_t len, ext_pod_t *out, rg_error_t *err);
void ext__pod_release(ext_pod_t *p);

/* A gang's plan as this round sees it. */
typedef struct ext_live {
    char key[320];
    const gang_plan_t *plan;
    const gang_rvec_t *reqs;
    int32_t **left;    /* owned: slots still open after bound members and claims */
    ext_plan_t *mine;  /* held here, or NULL for a recorded plan */
    const gang_recorded_t *rec;
} ext_live_t;

/* One request's consistent picture. */
typedef struct ext_round {
    ext_t *x;
    int64_t now;
    cache_snapshot_t *snap[4]; /* nodes, pods, workloads, rayclusters */
    gang_view_t *v;
    gang_free_t *free;
    ext_live_t *live;
    size_t n_live;
} ext_round_t;

/* Acquires snapshots and the view; then, with x->mu held, ext__round_state. */
void ext__round_begin(ext_t *x, int64_t now, ext_round_t *r);
/*
 * With x->mu held: drops what expired or finished, and builds free = view
 * minus every held plan's open slots minus claims, with the recorded plans'
 * slots taken by claims given back. exclude_uid's own claim is left out
 * (the pod asks again).
 */
void ext__round_state(ext_round_t *r, const char *exclude_uid);
void ext__round_end(ext_round_t *r);
/*
 * The live plan of gang key (RayCluster ns/cluster): one held here or
 * recorded on its Workload, its slots settled against this round's free
 * capacity (x->mu held); NULL when the gang has no plan.
 */
ext_live_t *ext__round_gang(ext_round_t *r, const char *ns, const char *cluster, const char *key,
                            const char *exclude_uid);
/* The live plan of gang key if the round already has it, or NULL. */
ext_live_t *ext__round_live(ext_round_t *r, const char *gang);

/* Claims (x->mu held). */
ext_claim_t *ext__claim_find(ext_t *x, const char *uid);
/* Drops the claim of uid, if any. */
void ext__claim_forget(ext_t *x, const char *uid);
void ext__claim_put(ext_t *x, const ext_pod_t *pod, const char *node, int64_t expires, bool bound);
void ext__gang_outcome(ext_t *x, const char *outcome);
/* A held plan for gang (x->mu held), or NULL. */
ext_plan_t *ext__plan_find(ext_t *x, const char *gang);
ext_plan_t *ext__plan_add(ext_t *x, const char *ns, const char *cluster, gang_plan_t *plan,
                          const gang_rvec_t *reqs, int64_t expires);

/* Whether name is a GPU resource by the configured patterns. */
bool ext__is_gpu_name(const ext_t *x, const char *name);

/* Fills an error answer. */
void ext__answer_error(ext_answer_t *out, int status, const char *decision, const char *msg);

#endif
