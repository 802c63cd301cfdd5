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
};

qentry_t *quota__entry(qnode_t *n, qfr_t fr);     /* NULL when absent */
qentry_t *quota__entry_add(qnode_t *n, qfr_t fr); /* inserted as zero when absent */
qamt_t quota__local_quota(const qentry_t *e);     /* guaranteed (kept from the parent) */
qamt_t quota__available(qnode_t *n, qfr_t fr);    /* Kueue's Available (>= 0) */
qamt_t quota__potential_available(qnode_t *n, qfr_t fr);
void quota__usage_add(qnode_t *n, qfr_t fr, qamt_t v);
void quota__usage_remove(qnode_t *n, qfr_t fr, qamt_t v);
/* Height of the lowest subtree that fits val more; *borrows when above the CQ. */
int quota__borrow_height(qnode_t *cq, qfr_t fr, qamt_t val);
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

typedef struct qwl {
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
    bool evict_sent;   /* an EVICT decision is out for the current reservation */
} qwl_t;

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
    int borrow;    /* borrowing height: 0 = within the ClusterQueue's nominal quota */
    char *reason;  /* Kueue's QuotaReserved reason when !fits ("Pending") */
    char *message; /* Kueue's message when !fits */
    quota_admission_t *admission; /* when fits: owned */
} qassign_t;

/* Kueue's flavor assigner for w against cq's current usage. */
void quota__assign(quota_model_t *m, qcq_t *cq, const qwl_t *w, qassign_t *out);
void quota__assign_release(qassign_t *a);

#endif
