/*
 * The quota engine's private structures: interned names, resource nodes
 * (ClusterQueues and cohorts) with Kueue's quota arithmetic, workloads and
 * the per-ClusterQueue queues. Shared by the files of src/quota only.
 */
#ifndef RAYGATE_QUOTA_INTERNAL_H
#define RAYGATE_QUOTA_INTERNAL_H

#include "raygate/quota.h"
#include "raygate/strmap.h"

/* Amounts are exact nano-units (quantities without their print format). */
typedef quota_i128_t qamt_t;

/* A flavor/resource pair: interned flavor id << 16 | resource id. */
typedef uint32_t qfr_t;
#define QFR(f, r) (((uint32_t)(f) << 16) | (uint32_t)(r))
#define QFR_FLAVOR(fr) ((fr) >> 16)
#define QFR_RESOURCE(fr) ((fr)&0xffffu)
#define QNAMES_MAX 0xffffu

/* Interned strings: stable ids for flavor and resource names. */
typedef struct qnames {
    rg_strmap_t ids; /* name -> (id + 1) cast to a pointer */
    char **names;
    size_t n;
    size_t cap;
} qnames_t;

uint32_t quota__intern(qnames_t *t, const char *name);
/* The id of name, or UINT32_MAX when never interned. */
uint32_t quota__lookup(const qnames_t *t, const char *name);
void quota__names_release(qnames_t *t);

/* One flavor/resource of a node: its quota and Kueue's derived sums. */
typedef struct qentry {
    qfr_t fr;
    bool quota; /* the node's own spec sets it (nominal, limits) */
    qamt_t nominal;
    bool has_borrowing;
    qamt_t borrowing;
    bool has_lending;
    qamt_t lending;
    qamt_t subtree; /* SubtreeQuota */
    qamt_t usage;   /* Usage (for cohorts: children's usage past their local quota) */
} qentry_t;

typedef struct qnode qnode_t;

struct qnode {
    bool is_cohort;
    const char *name; /* the CQ spec's name, or the cohort's owned copy */
    qnode_t *parent;
    qentry_t *e; /* sorted by fr */
    size_t n_e;
    size_t cap_e;
    /* Cohorts: children (ClusterQueues and, later, cohorts). */
    qnode_t **kids;
    size_t n_kids;
    size_t cap_kids;
    bool dirty; /* something in this tree may now fit (roots only) */
    int64_t left_ns; /* roots: when a workload last gave its quota back for good (model clock) */
    double weight; /* fairSharing.weight (1 unless set) */
    /* Cohorts only (cohort.c). */
    quota_cohort_spec_t *cspec; /* the Cohort object, NULL when implicit */
    size_t refs;                /* ClusterQueues and cohorts naming it */
    bool cycle;                 /* its parentName chain loops back to it */
};

qentry_t *quota__entry(qnode_t *n, qfr_t fr);     /* NULL when absent */
qentry_t *quota__entry_add(qnode_t *n, qfr_t fr); /* inserted as zero when absent */
/* n's entry for flavor and q's resource, holding q's quota (nominal and limits). */
void quota__entry_set_quota(quota_model_t *m, qnode_t *n, uint32_t flavor,
                            const quota_res_quota_t *q);
qamt_t quota__local_quota(const qentry_t *e);     /* guaranteed (kept from the parent) */
qamt_t quota__available(qnode_t *n, qfr_t fr);    /* Kueue's Available (>= 0) */
qamt_t quota__potential_available(qnode_t *n, qfr_t fr);
void quota__usage_add(qnode_t *n, qfr_t fr, qamt_t v);
void quota__usage_remove(qnode_t *n, qfr_t fr, qamt_t v);
/* Kueue's FindHeightOfLowestSubtreeThatFits: the height of the lowest subtree
 * that fits val more; *may_reclaim (may be NULL) when that subtree is not the root. */
int quota__borrow_height(qnode_t *cq, qfr_t fr, qamt_t val, bool *may_reclaim);
/* Kueue's LocalAvailable and BorrowingWith (ClusterQueue: nominal; cohort: SubtreeQuota). */
qamt_t quota__local_available(qnode_t *n, qfr_t fr);
bool quota__borrowing_with(qnode_t *n, qfr_t fr, qamt_t val);
/* Recomputes SubtreeQuota and Usage of a whole tree from its root down. */
void quota__tree_update(qnode_t *root);
qnode_t *quota__root(qnode_t *n);

/* ---- Workloads ---- */

typedef enum qwl_state {
    QWL_IDLE = 0, /* inactive, finished, or waiting for nothing: not queued */
    QWL_BLOCKED,  /* its queue does not resolve or is stopped: reported, not evaluated */
    QWL_QUEUED,   /* in its ClusterQueue's heap */
    QWL_PARKED,   /* evaluated, did not fit; waits for a relevant change */
    QWL_BACKOFF,  /* requeueAt in the future */
    QWL_RESERVED, /* holds quota (from the API, or assumed) */
} qwl_state_t;

typedef struct qcq qcq_t;

/* A usage contribution: exactly what was added to a CQ, so removal matches. */
typedef struct qusage {
    qfr_t fr;
    qamt_t v;
} qusage_t;

typedef struct qwl qwl_t;

/* Links of a workload in its ClusterQueue's list of reservations. */
typedef struct qrlink {
    qwl_t *prev;
    qwl_t *next;
} qrlink_t;

struct qwl {
    char *key; /* "ns/name", owned */
    quota_wl_spec_t *spec;
    qwl_state_t state;
    qcq_t *cq;        /* queued/parked/blocked in; the reserving CQ when RESERVED */
    size_t heap_i;    /* in cq->heap when QUEUED */
    struct qwl *prev; /* in cq->parked, the model's blocked or backoff list */
    struct qwl *next;
    bool on_list;
    int32_t prio;
    int64_t order_ns;
    /* Reservation. */
    bool assumed;                   /* decided here, not yet seen from the API */
    quota_admission_t *assumed_adm; /* owned while assumed */
    qcq_t *usage_cq;                /* where usage counts */
    qusage_t *usage;
    size_t n_usage;
    bool counts_admitted; /* counted in usage_cq->n_admitted */
    /* What the status says (or what was last decided) about why it waits. */
    char *note_reason;
    char *note_base; /* message without the position suffix */
    char *note_message;
    int64_t note_ns;
    char *wait_reason; /* the current reason (set by the last evaluation) */
    char *wait_base;   /* the current message without position */
    const qcq_t *wait_cq; /* the queue the wait words were evaluated in (NULL: blocked) */
    bool evict_sent;   /* an EVICT decision is out for the current reservation */
    /* Preemption (preempt.c). */
    qrlink_t rlink;       /* in usage_cq->reserving while usage counts */
    bool preempt_sent;    /* evicted by a preemption decided here, not yet seen */
    uint64_t preempt_pass; /* the pass that decided it */
    int64_t assumed_ns;   /* when the assumed admission was decided */
    bool wake_on_confirm; /* skipped as a candidate while assumed: wake its tree once confirmed */
    bool unready_listed;  /* on the model's waitForPodsReady list */
    qrlink_t ulink;
};

/* ---- ClusterQueues ---- */

typedef struct qgroup {
    uint32_t *res; /* covered resource ids */
    size_t n_res;
    uint32_t *flv; /* flavor ids in order */
    size_t n_flv;
} qgroup_t;

typedef struct qwl_list {
    qwl_t *head;
    size_t n;
} qwl_list_t;

/* A list threaded through one qrlink_t of its workloads. */
typedef struct qrlist {
    qwl_t *head;
    size_t n;
    size_t link_off; /* offsetof(qwl_t, the link) */
} qrlist_t;

void quota__rlist_push(qrlist_t *l, qwl_t *w);
void quota__rlist_remove(qrlist_t *l, qwl_t *w);
qwl_t *quota__rlist_next(const qrlist_t *l, const qwl_t *w);

struct qcq {
    qnode_t node; /* first: a qcq_t is a qnode_t */
    quota_cq_spec_t *spec;
    qgroup_t *groups;
    size_t n_groups;
    bool active;
    const char *inactive_reason;
    char *inactive_message;
    qwl_t **heap; /* pending in Kueue's order */
    size_t n_heap;
    size_t cap_heap;
    qwl_list_t parked;
    bool blocked;        /* StrictFIFO: the head did not fit */
    bool renote;         /* positions may have moved: note its pending workloads */
    int64_t note_due_ns; /* a deferred note falls due then (0 = none) */
    size_t n_reserving;
    size_t n_admitted;
    quota_fr_status_t *frs; /* for quota_model_cq_status */
    size_t n_frs;
    qrlist_t reserving; /* workloads whose usage counts here (preemption candidates) */
};

void quota__list_push(qwl_list_t *l, qwl_t *w);
void quota__list_remove(qwl_list_t *l, qwl_t *w);

/* Kueue's queue order: higher priority first, then the older timestamp, then uid. */
int quota__order_cmp(const qwl_t *a, const qwl_t *b);
void quota__heap_push(qcq_t *cq, qwl_t *w);
qwl_t *quota__heap_top(const qcq_t *cq);
qwl_t *quota__heap_pop(qcq_t *cq);
void quota__heap_remove(qcq_t *cq, qwl_t *w);

/* ---- The model ---- */

typedef struct qclass {
    char *key; /* "W/name" or "P/name" */
    int32_t value;
    bool global_default;
} qclass_t;

struct quota_model {
    qnames_t flavor_names;
    qnames_t resource_names;
    rg_strmap_t cqs;        /* name -> qcq_t */
    rg_strmap_t cohorts;    /* name -> qnode_t (implicit: made by member CQs) */
    rg_strmap_t flavors;    /* name -> quota_flavor_spec_t */
    rg_strmap_t lqs;        /* "ns/name" -> quota_lq_spec_t (key owned by the entry below) */
    rg_strmap_t lq_keys;    /* "ns/name" -> owned key string */
    rg_strmap_t classes;    /* key -> qclass_t */
    rg_strmap_t namespaces; /* name -> cJSON labels (key: the tree's string) */
    rg_strmap_t ns_keys;    /* name -> owned key */
    rg_strmap_t wls;        /* "ns/name" -> qwl_t */
    qwl_list_t blocked;     /* QWL_BLOCKED */
    qwl_list_t backoff;     /* QWL_BACKOFF */
    qwl_list_t evicting;    /* QWL_RESERVED that must be evicted (see quota__eviction_cause) */
    bool renote_blocked;    /* a workload became blocked since the last pass */
    int64_t blocked_due_ns; /* a deferred note of a blocked workload falls due then */
    uint64_t generation;    /* bumps on every usage change */
    int64_t now_ns;         /* the running pass's clock (for the preemption oracle) */
    uint64_t pass_serial;   /* bumps on every pass */
    int64_t recheck_ns;     /* a protection ends then: preemptors look again (0 = none) */
    int64_t spec_changed_ns; /* a queue, cohort, flavor, class, namespace or the config last changed */
    quota_policy_cfg_t cfg; /* preemption, fair sharing, waitForPodsReady */
    bool cfg_set;
    qrlist_t unready;       /* admitted, PodsReady not True (waitForPodsReady) */
};

qcq_t *quota__cq(const quota_model_t *m, const char *name);
/* Resolves a workload's ClusterQueue and why it cannot be queued (reason/message owned). */
qcq_t *quota__route(quota_model_t *m, qwl_t *w, char **reason, char **message);
/* Puts a pending workload where it belongs (queue, blocked list, backoff). */
void quota__enqueue(quota_model_t *m, qwl_t *w, int64_t now_ns);
/* Takes a workload out of whatever queue or list holds it. */
void quota__dequeue(quota_model_t *m, qwl_t *w);
/* Counts / uncounts an admission's usage in cq. */
void quota__reserve(quota_model_t *m, qwl_t *w, qcq_t *cq, const quota_admission_t *adm);
void quota__unreserve(quota_model_t *m, qwl_t *w);
/* Moves every parked workload of the tree back to its heap and unblocks its queues. */
void quota__wake_tree(quota_model_t *m, qnode_t *root);
void quota__set_str(char **dst, const char *src);
/*
 * Why a reserving workload must be evicted (its queue drains, it was
 * deactivated): Kueue's reason and message (static), or false.
 */
bool quota__eviction_cause(const quota_model_t *m, const qwl_t *w, const char **reason,
                           const char **message);

/* ---- Flavor assignment ---- */

typedef struct qassign {
    bool fits;
    bool preempt;  /* fits only once others are preempted (Kueue's Preempt mode) */
    int borrow;    /* borrowing height: 0 = within the ClusterQueue's nominal quota */
    char *reason;  /* Kueue's QuotaReserved reason when !fits ("Pending") */
    char *message; /* Kueue's message when !fits (also set in Preempt mode) */
    quota_admission_t *admission; /* when fits or preempt: owned */
    qusage_t *usage; /* fits or preempt: the workload's total per flavor/resource */
    size_t n_usage;
    qfr_t *need; /* preempt: the flavor/resources in Preempt mode */
    size_t n_need;
} qassign_t;

/* Kueue's flavor assigner for w against cq's current usage. */
void quota__assign(quota_model_t *m, qcq_t *cq, const qwl_t *w, qassign_t *out);
void quota__assign_release(qassign_t *a);

/* ---- Preemption (preempt.c, fairshare.c) ---- */

typedef enum qpossible {
    QPOSSIBLE_NO_CANDIDATES = 0,
    QPOSSIBLE_PREEMPT, /* targets found, some in the preemptor's ClusterQueue */
    QPOSSIBLE_RECLAIM, /* targets found, all outside it */
} qpossible_t;

typedef struct qtarget {
    qwl_t *w;
    const char *reason; /* Kueue's Preempted reason (static) */
} qtarget_t;

typedef struct qtargets {
    qtarget_t *v;
    size_t n;
    size_t cap;
} qtargets_t;

void quota__targets_push(qtargets_t *t, qwl_t *w, const char *reason);
void quota__targets_release(qtargets_t *t);

/* The preemption request: the preemptor, its ClusterQueue, its total usage
 * and the flavor/resources that need preemption. */
typedef struct qpreq {
    quota_model_t *m;
    qcq_t *cq;
    const qwl_t *w;
    const qusage_t *usage;
    size_t n_usage;
    const qfr_t *need;
    size_t n_need;
    int64_t now_ns;
} qpreq_t;

/* Whether w is an assumed admission, which is no candidate until the API
 * shows it; the preemptor that skips one looks again then. */
bool quota__skip_assumed(const qpreq_t *r, qwl_t *w);
/* Kueue's Preemptor.GetTargets: the minimal set of victims, or none. */
void quota__preempt_targets(const qpreq_t *r, qtargets_t *out);
/* Kueue's workloadFits / fillBackWorkloads, and restoring simulated removals. */
bool quota__preemptor_fits(const qpreq_t *r, bool allow_borrowing);
void quota__fill_back(const qpreq_t *r, qtargets_t *t, bool borrow);
void quota__targets_restore(qtargets_t *t);
/* Sorts candidates in Kueue's CandidatesOrdering. */
void quota__sort_candidates(const qpreq_t *r, qwl_t **v, size_t n);
/* Kueue's preemption oracle for one flavor/resource and amount. */
qpossible_t quota__preempt_simulate(quota_model_t *m, qcq_t *cq, const qwl_t *w, qfr_t fr,
                                    qamt_t val, int64_t now_ns, int *borrow_after);
/* When w may be queued again: requeueState.requeueAt or the anti-thrash backoff. */
int64_t quota__requeue_at(const quota_model_t *m, const qwl_t *w);
/* Whether w may preempt at all (not thrashing, see quota_thrash_count);
 * *until (may be NULL) gets when it may again, 0 when only a change in its
 * cohort tree can let it (quota__spec_changed, a workload leaving). */
bool quota__may_preempt(const quota_model_t *m, const qwl_t *w, int64_t now_ns, int64_t *until);
/* Notes a change of a queue, cohort, flavor, class, namespace or the configuration. */
void quota__spec_changed(quota_model_t *m);

/* Removing and restoring a workload's usage in its ClusterQueue's tree
 * (a simulation; exactly undone by the other). */
void quota__sim_remove(qwl_t *w);
void quota__sim_add(qwl_t *w);
bool quota__uses_any(const qwl_t *w, const qfr_t *frs, size_t n);
bool quota__within_nominal(qnode_t *n, const qfr_t *frs, size_t n_frs);

/* Candidate ordering (Kueue's CandidatesOrdering). */
bool quota__is_evicted(const qwl_t *w);
int quota__candidate_cmp(const qwl_t *a, const qwl_t *b, const qcq_t *preemptor_cq, int64_t now_ns);
bool quota__satisfies_policy(const qwl_t *preemptor, const qwl_t *cand, quota_preempt_policy_t p);
/* Minimum runtime: w was admitted too recently to be a candidate (the
 * model's recheck time notes when that ends). */
bool quota__protected(quota_model_t *m, const qwl_t *w, int64_t now_ns);
/* Notes a time when preemptors must look again (a protection ends). */
void quota__recheck_at(quota_model_t *m, int64_t t);

/* A Workload's status condition of that type (borrowed), NULL when none;
 * its status (1 True, 0 otherwise, -1 no condition or no status); its
 * lastTransitionTime in unix ns (0 when none or unreadable). */
const cJSON *quota__condition(const cJSON *status, const char *type);
int quota__condition_status(const cJSON *c);
int64_t quota__condition_time(const cJSON *c);

/* Fair sharing: a node's dominant resource share. */
typedef struct qdrs {
    double weight;
    double ratio; /* unweighted, per mille of lendable */
    uint32_t resource; /* dominant resource id (UINT32_MAX none) */
    bool borrowing;
} qdrs_t;

qdrs_t quota__drs(quota_model_t *m, qnode_t *n);
int quota__drs_cmp(const quota_model_t *m, qdrs_t a, qdrs_t b);
double quota__drs_value(qdrs_t d);
/* Kueue's fairPreemptions. */
void quota__fair_targets(const qpreq_t *r, qtargets_t *out);
/* Kueue's fair sharing tournament: the index of the winning head among c (n heads). */
typedef struct qfs_entry {
    qcq_t *cq;
    const qwl_t *w;
    const qusage_t *usage;
    size_t n_usage;
} qfs_entry_t;
int quota__fs_tournament(quota_model_t *m, qnode_t *root, const qfs_entry_t *e, size_t n,
                         const bool *done);

/* ---- Decisions (pass.c) ---- */

quota_decision_t *quota__decision_add(quota_decisions_t *d, quota_decision_kind_t kind,
                                      const qwl_t *w);
/* Issues the preemptions a preempt-mode head needs (pass_preempt.c); returns
 * the pending message for the preemptor (owned). */
char *quota__pass_preempt(quota_model_t *m, qcq_t *cq, qwl_t *w, const qassign_t *a,
                          const quota_pass_opts_t *opts, int64_t now_ns, quota_decisions_t *out,
                          quota_pass_stats_t *st);
/* waitForPodsReady's timeouts in a pass (podsready.c). */
void quota__podsready_pass(quota_model_t *m, int64_t now_ns, quota_decisions_t *out,
                           quota_pass_stats_t *st);

/* ---- waitForPodsReady (podsready.c) ---- */

/* Keeps w on or off the model's list of admitted, not-ready workloads. */
void quota__unready_track(quota_model_t *m, qwl_t *w);

/* ---- Decoding (spec_preempt.c), called by spec.c ---- */

void quota__decode_preemption(const cJSON *pre, quota_preemption_t *out);
void quota__decode_cq_extras(const cJSON *obj, quota_cq_spec_t *s);
void quota__decode_wl_extras(const cJSON *obj, quota_wl_spec_t *s);
void quota__wl_extras_release(quota_wl_spec_t *s);

/* ---- Cohorts (cohort.c) ---- */

/* The implicit or explicit cohort of that name, created (implicit) when absent. */
qnode_t *quota__cohort_ref(quota_model_t *m, const char *name);
/* Drops one reference; frees an implicit cohort nobody names. */
void quota__cohort_unref(quota_model_t *m, qnode_t *c);
void quota__cohort_free(qnode_t *c);
void quota__node_attach(qnode_t *parent, qnode_t *kid);
/* Detaches kid from its cohort; an implicit cohort left empty goes. */
void quota__node_detach(quota_model_t *m, qnode_t *kid);
/* Relinks the cohort forest after a Cohort changed (cycles detected). */
void quota__cohorts_relink(quota_model_t *m);
/* "/root/.../cq": the path Kueue prints in preemption messages (owned). */
char *quota__cq_path(const qcq_t *cq);

#endif
