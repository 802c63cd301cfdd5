/*
 * The capacity view: per node what it offers, what bound pods hold and what
 * recorded plans still reserve, built once per set of snapshots and shared
 * read-only; and the mutable free-capacity scratch the planner works on.
 */
#include "raygate/gang.h"

#include "raygate/alloc.h"
#include "raygate/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Distinct resources a view tracks per node (cpu, memory, pods, GPUs, MIG profiles...). */
#define VIEW_RES_MAX 64

typedef struct recorded_priv {
    gang_recorded_t pub;
    char *workload;
    char *ns;
    char *owner_kind, *owner_name; /* the Workload's controller (RayCluster or RayJob) */
    gang_plan_t *plan;
    gang_rvec_t *reqs;
    int32_t **left;
    char **clusters; /* the RayClusters whose pods are the gang */
    size_t n_clusters;
} recorded_priv_t;

typedef struct key_idx {
    char *key; /* "ns/name" */
    size_t idx;
} key_idx_t;

struct gang_view {
    atomic_uint refs;
    size_t n_nodes;
    const cache_obj_t **nodes; /* referenced */
    const gang_node_info_t **info;
    uint32_t *domain_of; /* node -> index in domains */
    char **domains;
    size_t n_domains;
    uint32_t *hash; /* node index + 1; 0 = empty */
    size_t hash_size;
    size_t n_res;
    gang_rid_t res[VIEW_RES_MAX];
    bool is_gpu[VIEW_RES_MAX];
    int8_t local[GANG_RES_NAMES_MAX]; /* global id -> local index, -1 = not offered */
    int64_t *alloc, *used, *reserved; /* n_nodes x n_res */
    int64_t *base_free;               /* alloc - used - reserved, copied by gang_free_new */
    recorded_priv_t *recorded;
    size_t n_recorded;
    key_idx_t *by_cluster; /* sorted by key */
    size_t n_by_cluster;
    key_idx_t *by_workload;
    size_t n_by_workload;
};

struct gang_free {
    const gang_view_t *v;
    int64_t *free; /* n_nodes x n_res */
};

/* ---- Small helpers ---- */

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const key_idx_t *)a)->key, ((const key_idx_t *)b)->key);
}

static const key_idx_t *find_key(const key_idx_t *arr, size_t n, const char *key)
{
    key_idx_t k = {(char *)key, 0};
    return n ? bsearch(&k, arr, n, sizeof(*arr), cmp_key) : NULL;
}

static bool gpu_name(const gang_view_opts_t *o, const char *name)
{
    if (o == NULL || o->n_gpu_resources == 0)
        return strcmp(name, "nvidia.com/gpu") == 0;
    for (size_t i = 0; i < o->n_gpu_resources; i++) {
        const char *p = o->gpu_resources[i];
        size_t n = strlen(p);
        if (n > 0 && p[n - 1] == '*' ? strncmp(name, p, n - 1) == 0 : strcmp(name, p) == 0)
            return true;
    }
    return false;
}

/* ---- Nodes, resources and domains ---- */

static int local_of(gang_view_t *v, gang_rid_t id, const gang_view_opts_t *o)
{
    if (id >= GANG_RES_NAMES_MAX)
        return -1;
    if (v->local[id] >= 0)
        return v->local[id];
    if (v->n_res == VIEW_RES_MAX)
        return -1;
    v->res[v->n_res] = id;
    v->is_gpu[v->n_res] = gpu_name(o, gang_res_name(id));
    v->local[id] = (int8_t)v->n_res;
    return (int)v->n_res++;
}

/* The index of a domain name; dh is a build-time hash (index + 1, size dh_size, a power of 2). */
static uint32_t domain_index(gang_view_t *v, const char *domain, uint32_t *dh, size_t dh_size)
{
    size_t h = hash_str(domain) & (dh_size - 1);
    for (; dh[h]; h = (h + 1) & (dh_size - 1))
        if (strcmp(v->domains[dh[h] - 1], domain) == 0)
            return dh[h] - 1;
    v->domains = rg_realloc(v->domains, (v->n_domains + 1) * sizeof(char *));
    v->domains[v->n_domains] = rg_strdup(domain);
    dh[h] = (uint32_t)++v->n_domains;
    return dh[h] - 1;
}

static void add_nodes(gang_view_t *v, const cache_snapshot_t *snap, const gang_view_opts_t *o)
{
    size_t n = cache_snapshot_count(snap);
    v->nodes = rg_calloc(n + 1, sizeof(*v->nodes));
    v->info = rg_calloc(n + 1, sizeof(*v->info));
    v->domain_of = rg_calloc(n + 1, sizeof(*v->domain_of));
    const char *topo = o && o->topology_label && *o->topology_label ? o->topology_label : NULL;
    size_t dh_size = 16;
    while (dh_size < n * 2)
        dh_size *= 2;
    uint32_t *dh = rg_calloc(dh_size, sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) {
        const cache_obj_t *obj = cache_snapshot_at(snap, i);
        const gang_node_info_t *ni = gang_node_info_of(obj);
        if (ni == NULL)
            continue;
        for (uint32_t r = 0; r < ni->alloc.n; r++)
            (void)local_of(v, ni->alloc.v[r].id, o);
        const char *zone = gang_node_label(ni, "topology.kubernetes.io/zone");
        if (zone == NULL)
            zone = gang_node_label(ni, "failure-domain.beta.kubernetes.io/zone");
        const char *rack = topo ? gang_node_label(ni, topo) : NULL;
        char domain[600];
        snprintf(domain, sizeof(domain), "%s%s%s", zone ? zone : "", rack ? "/" : "",
                 rack ? rack : "");
        v->domain_of[v->n_nodes] = domain_index(v, domain, dh, dh_size);
        v->nodes[v->n_nodes] = cache_obj_ref(obj);
        v->info[v->n_nodes++] = ni;
    }
    rg_free(dh);
    v->hash_size = 16;
    while (v->hash_size < v->n_nodes * 2)
        v->hash_size *= 2;
    v->hash = rg_calloc(v->hash_size, sizeof(*v->hash));
    for (size_t i = 0; i < v->n_nodes; i++) {
        size_t h = hash_str(v->nodes[i]->name) & (v->hash_size - 1);
        while (v->hash[h])
            h = (h + 1) & (v->hash_size - 1);
        v->hash[h] = (uint32_t)i + 1;
    }
}

static void fill_alloc(gang_view_t *v)
{
    size_t cells = v->n_nodes * v->n_res + 1;
    v->alloc = rg_calloc(cells, sizeof(int64_t));
    v->used = rg_calloc(cells, sizeof(int64_t));
    v->reserved = rg_calloc(cells, sizeof(int64_t));
    for (size_t i = 0; i < v->n_nodes; i++)
        for (uint32_t r = 0; r < v->info[i]->alloc.n; r++) {
            gang_rid_t id = v->info[i]->alloc.v[r].id;
            if (id < GANG_RES_NAMES_MAX && v->local[id] >= 0)
                v->alloc[i * v->n_res + (size_t)v->local[id]] = v->info[i]->alloc.v[r].v;
        }
}

/* Adds times x r to row i of a per-node matrix (resources the view does not track are skipped). */
static void add_row(const gang_view_t *v, int64_t *m, size_t i, const gang_rvec_t *r, int64_t times)
{
    for (uint32_t k = 0; k < r->n; k++) {
        gang_rid_t id = r->v[k].id;
        if (id < GANG_RES_NAMES_MAX && v->local[id] >= 0)
            m[i * v->n_res + (size_t)v->local[id]] += r->v[k].v * times;
    }
}

static void add_pods(gang_view_t *v, const cache_snapshot_t *pods)
{
    size_t n = pods ? cache_snapshot_count(pods) : 0;
    for (size_t p = 0; p < n; p++) {
        const cache_obj_t *o = cache_snapshot_at(pods, p);
        const gang_pod_info_t *pi = gang_pod_info_of(o);
        if (o->node_name == NULL || pi == NULL || !pi->holds)
            continue;
        long i = gang_view_find(v, o->node_name);
        if (i >= 0)
            add_row(v, v->used, (size_t)i, &pi->reqs, 1);
    }
}

/* ---- Recorded plans ---- */

static bool slot_take(int32_t *left, const gang_plan_set_t *s, const char *node)
{
    for (size_t j = 0; j < s->n_slots; j++)
        if (left[j] > 0 && strcmp(s->slots[j].node, node) == 0) {
            left[j]--;
            return true;
        }
    return false;
}

int32_t **gang_plan_left_new(const gang_plan_t *p, const cache_snapshot_t *pods, const char *ns,
                             const char *const *clusters, size_t n_clusters, int64_t *bound)
{
    int32_t **left = rg_calloc(p->n_sets + 1, sizeof(*left));
    for (size_t s = 0; s < p->n_sets; s++) {
        left[s] = rg_calloc(p->sets[s].n_slots + 1, sizeof(int32_t));
        for (size_t j = 0; j < p->sets[s].n_slots; j++)
            left[s][j] = p->sets[s].slots[j].count;
    }
    *bound = 0;
    for (size_t c = 0; pods && c < n_clusters; c++) {
        const cache_obj_t *const *members = NULL;
        size_t n = cache_snapshot_pods_of_cluster(pods, ns, clusters[c], &members);
        /* Members on a planned node first, so strays take only what is left. */
        for (int pass = 0; pass < 2; pass++)
            for (size_t m = 0; m < n; m++) {
                const gang_pod_info_t *pi = gang_pod_info_of(members[m]);
                if (members[m]->node_name == NULL || pi == NULL || !pi->holds || !pi->podset)
                    continue;
                const gang_plan_set_t *set = gang_plan_set(p, pi->podset);
                if (set == NULL)
                    continue;
                int32_t *l = left[set - p->sets];
                if (pass == 0) {
                    if (slot_take(l, set, members[m]->node_name))
                        (*bound)++;
                    continue;
                }
                bool planned_here = false;
                for (size_t j = 0; j < set->n_slots; j++)
                    planned_here |= strcmp(set->slots[j].node, members[m]->node_name) == 0;
                if (planned_here)
                    continue; /* counted in pass 0, or beyond the slot's count */
                for (size_t j = set->n_slots; j-- > 0;)
                    if (l[j] > 0) {
                        l[j]--;
                        (*bound)++;
                        break;
                    }
            }
    }
    return left;
}

void gang_plan_left_free(int32_t **left, size_t n_sets)
{
    if (left == NULL)
        return;
    for (size_t s = 0; s < n_sets; s++)
        rg_free(left[s]);
    rg_free(left);
}

static bool workload_finished(const cJSON *wl)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, rg_json_get_array(rg_json_get_object(wl, "status"), "conditions"))
    {
        const char *type = rg_json_get_string(c, "type");
        const char *st = rg_json_get_string(c, "status");
        if (type && st && strcmp(type, "Finished") == 0 && strcmp(st, "True") == 0)
            return true;
    }
    return false;
}

/* A plan reserves only while its Workload holds quota: admitted, not finished. */
static bool workload_reserving(const cJSON *wl)
{
    return rg_json_path(wl, "status", "admission", NULL) != NULL && !workload_finished(wl);
}

/* The controller ownerReference's kind and name, or the first owner's. */
static void controller_of(const cJSON *obj, const char **kind, const char **name)
{
    *kind = *name = NULL;
    const cJSON *o;
    cJSON_ArrayForEach(o, rg_json_path(obj, "metadata", "ownerReferences", NULL))
    {
        bool ctl = false;
        (void)rg_json_get_bool(o, "controller", &ctl);
        if (*kind == NULL || ctl) {
            *kind = rg_json_get_string(o, "kind");
            *name = rg_json_get_string(o, "name");
        }
        if (ctl)
            break;
    }
}

/* Requests per set of the plan, from the Workload's podSets by name. */
static int plan_reqs(const cJSON *wl, const gang_plan_t *plan, gang_rvec_t *out, rg_error_t *err)
{
    gang_podsets_t ps = {0};
    int rc = gang_podsets_from_workload(wl, &ps, err);
    for (size_t s = 0; rc == RG_OK && s < plan->n_sets; s++) {
        size_t k = 0;
        while (k < ps.n && strcmp(ps.names[k], plan->sets[s].name) != 0)
            k++;
        if (k == ps.n)
            rc = rg_error_set(err, RG_ERR_NOT_FOUND, "podSet \"%s\" of the plan is not in "
                              "spec.podSets", plan->sets[s].name);
        else
            gang_rvec_copy(&out[s], &ps.reqs[k]);
    }
    gang_podsets_release(&ps);
    return rc;
}

static void add_recorded(gang_view_t *v, const cache_obj_t *o)
{
    const cJSON *wl = o->json;
    const char *text = rg_json_get_string(rg_json_path(wl, "metadata", "annotations", NULL),
                                          GANG_PLACEMENT_ANNOTATION);
    if (text == NULL || !workload_reserving(wl))
        return;
    rg_error_t err = {0};
    gang_plan_t *plan = gang_plan_decode(text, strlen(text), &err);
    gang_rvec_t *reqs = plan ? rg_calloc(plan->n_sets + 1, sizeof(*reqs)) : NULL;
    if (plan == NULL || plan_reqs(wl, plan, reqs, &err) != RG_OK) {
        rg_log_warn("gang", "recorded plan ignored workload=%s error=\"%s: %s\"", o->key,
                    GANG_PLACEMENT_ANNOTATION, rg_error_str(&err));
        for (size_t s = 0; plan && s < plan->n_sets; s++)
            gang_rvec_release(&reqs[s]);
        rg_free(reqs);
        gang_plan_free(plan);
        return;
    }
    const char *kind, *name;
    controller_of(wl, &kind, &name);
    v->recorded = rg_realloc(v->recorded, (v->n_recorded + 1) * sizeof(*v->recorded));
    v->recorded[v->n_recorded++] = (recorded_priv_t){
        .workload = rg_strdup(o->key),
        .ns = rg_strdup(o->ns),
        .owner_kind = kind ? rg_strdup(kind) : NULL,
        .owner_name = name ? rg_strdup(name) : NULL,
        .plan = plan,
        .reqs = reqs,
    };
}

static void add_cluster_key(gang_view_t *v, size_t r, const char *ns, const char *cluster)
{
    recorded_priv_t *rp = &v->recorded[r];
    rp->clusters = rg_realloc(rp->clusters, (rp->n_clusters + 1) * sizeof(char *));
    rp->clusters[rp->n_clusters++] = rg_strdup(cluster);
    v->by_cluster = rg_realloc(v->by_cluster, (v->n_by_cluster + 1) * sizeof(*v->by_cluster));
    v->by_cluster[v->n_by_cluster++] = (key_idx_t){rg_asprintf("%s/%s", ns, cluster), r};
}

/* Which RayClusters' pods are each recorded gang: the owner itself, or the RayJob's clusters. */
static void map_clusters(gang_view_t *v, const cache_snapshot_t *rayclusters)
{
    key_idx_t *jobs = rg_calloc(v->n_recorded + 1, sizeof(*jobs));
    size_t n_jobs = 0;
    for (size_t r = 0; r < v->n_recorded; r++) {
        recorded_priv_t *rp = &v->recorded[r];
        if (rp->owner_kind && strcmp(rp->owner_kind, "RayCluster") == 0 && rp->owner_name)
            add_cluster_key(v, r, rp->ns, rp->owner_name);
        else if (rp->owner_kind && strcmp(rp->owner_kind, "RayJob") == 0 && rp->owner_name)
            jobs[n_jobs++] = (key_idx_t){rg_asprintf("%s/%s", rp->ns, rp->owner_name), r};
    }
    qsort(jobs, n_jobs, sizeof(*jobs), cmp_key);
    size_t n_rc = rayclusters && n_jobs ? cache_snapshot_count(rayclusters) : 0;
    for (size_t i = 0; i < n_rc; i++) {
        const cache_obj_t *rc = cache_snapshot_at(rayclusters, i);
        const char *kind, *name;
        controller_of(rc->json, &kind, &name);
        if (kind == NULL || name == NULL || strcmp(kind, "RayJob") != 0)
            continue;
        char key[600];
        snprintf(key, sizeof(key), "%s/%s", rc->ns, name);
        const key_idx_t *j = find_key(jobs, n_jobs, key);
        if (j)
            add_cluster_key(v, j->idx, rc->ns, rc->name);
    }
    for (size_t i = 0; i < n_jobs; i++)
        rg_free(jobs[i].key);
    rg_free(jobs);
    if (v->n_by_cluster)
        qsort(v->by_cluster, v->n_by_cluster, sizeof(*v->by_cluster), cmp_key);
}

static void reserve_recorded(gang_view_t *v, const cache_snapshot_t *pods)
{
    v->by_workload = rg_calloc(v->n_recorded + 1, sizeof(*v->by_workload));
    for (size_t r = 0; r < v->n_recorded; r++) {
        recorded_priv_t *rp = &v->recorded[r];
        rp->left = gang_plan_left_new(rp->plan, pods, rp->ns, (const char *const *)rp->clusters,
                                      rp->n_clusters, &rp->pub.bound);
        for (size_t s = 0; s < rp->plan->n_sets; s++)
            for (size_t j = 0; j < rp->plan->sets[s].n_slots; j++) {
                long i = gang_view_find(v, rp->plan->sets[s].slots[j].node);
                if (i >= 0 && rp->left[s][j] > 0)
                    add_row(v, v->reserved, (size_t)i, &rp->reqs[s], rp->left[s][j]);
            }
        rp->pub = (gang_recorded_t){rp->workload, rp->ns, rp->plan, rp->reqs,
                                    (int32_t *const *)rp->left, rp->pub.bound};
        v->by_workload[v->n_by_workload++] = (key_idx_t){rp->workload, r};
    }
    qsort(v->by_workload, v->n_by_workload, sizeof(*v->by_workload), cmp_key);
}

/* ---- The view ---- */

gang_view_t *gang_view_build(const gang_view_src_t *src, const gang_view_opts_t *opts)
{
    gang_view_t *v = rg_calloc(1, sizeof(*v));
    atomic_init(&v->refs, 1);
    memset(v->local, -1, sizeof(v->local));
    add_nodes(v, src->nodes, opts);
    fill_alloc(v);
    add_pods(v, src->pods);
    size_t n_wl = src->workloads ? cache_snapshot_count(src->workloads) : 0;
    for (size_t i = 0; i < n_wl; i++)
        add_recorded(v, cache_snapshot_at(src->workloads, i));
    map_clusters(v, src->rayclusters);
    reserve_recorded(v, src->pods);
    size_t cells = v->n_nodes * v->n_res;
    v->base_free = rg_malloc((cells + 1) * sizeof(int64_t));
    for (size_t c = 0; c < cells; c++)
        v->base_free[c] = v->alloc[c] - v->used[c] - v->reserved[c];
    return v;
}

gang_view_t *gang_view_ref(gang_view_t *v)
{
    if (v)
        atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
    return v;
}

void gang_view_unref(gang_view_t *v)
{
    if (v == NULL || atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < v->n_nodes; i++)
        cache_obj_unref(v->nodes[i]);
    for (size_t i = 0; i < v->n_domains; i++)
        rg_free(v->domains[i]);
    for (size_t r = 0; r < v->n_recorded; r++) {
        recorded_priv_t *rp = &v->recorded[r];
        for (size_t s = 0; s < rp->plan->n_sets; s++)
            gang_rvec_release(&rp->reqs[s]);
        gang_plan_left_free(rp->left, rp->plan->n_sets);
        gang_plan_free(rp->plan);
        rg_free(rp->reqs);
        for (size_t c = 0; c < rp->n_clusters; c++)
            rg_free(rp->clusters[c]);
        rg_free(rp->clusters);
        rg_free(rp->workload);
        rg_free(rp->ns);
        rg_free(rp->owner_kind);
        rg_free(rp->owner_name);
    }
    for (size_t i = 0; i < v->n_by_cluster; i++)
        rg_free(v->by_cluster[i].key);
    rg_free(v->by_cluster);
    rg_free(v->by_workload);
    rg_free(v->recorded);
    rg_free(v->domains);
    rg_free(v->nodes);
    rg_free(v->info);
    rg_free(v->domain_of);
    rg_free(v->hash);
    rg_free(v->alloc);
    rg_free(v->used);
    rg_free(v->reserved);
    rg_free(v->base_free);
    rg_free(v);
}

size_t gang_view_node_count(const gang_view_t *v)
{
    return v->n_nodes;
}

long gang_view_find(const gang_view_t *v, const char *name)
{
    if (v->n_nodes == 0 || name == NULL)
        return -1;
    size_t h = hash_str(name) & (v->hash_size - 1);
    while (v->hash[h]) {
        size_t i = v->hash[h] - 1;
        if (strcmp(v->nodes[i]->name, name) == 0)
            return (long)i;
        h = (h + 1) & (v->hash_size - 1);
    }
    return -1;
}

const char *gang_view_node_name(const gang_view_t *v, size_t i)
{
    return v->nodes[i]->name;
}

const gang_node_info_t *gang_view_node_info(const gang_view_t *v, size_t i)
{
    return v->info[i];
}

const char *gang_view_node_domain(const gang_view_t *v, size_t i)
{
    return v->domains[v->domain_of[i]];
}

size_t gang_view_domain_count(const gang_view_t *v)
{
    return v->n_domains;
}

const char *gang_view_domain_name(const gang_view_t *v, size_t d)
{
    return d < v->n_domains ? v->domains[d] : "";
}

size_t gang_view_node_domain_index(const gang_view_t *v, size_t i)
{
    return v->domain_of[i];
}

bool gang_view_is_gpu(const gang_view_t *v, gang_rid_t id)
{
    return id < GANG_RES_NAMES_MAX && v->local[id] >= 0 && v->is_gpu[v->local[id]];
}

static int64_t cell(const gang_view_t *v, const int64_t *m, size_t i, gang_rid_t id)
{
    if (id >= GANG_RES_NAMES_MAX || v->local[id] < 0 || i >= v->n_nodes)
        return 0;
    return m[i * v->n_res + (size_t)v->local[id]];
}

int64_t gang_view_used(const gang_view_t *v, size_t i, gang_rid_t id)
{
    return cell(v, v->used, i, id);
}

int64_t gang_view_reserved(const gang_view_t *v, size_t i, gang_rid_t id)
{
    return cell(v, v->reserved, i, id);
}

const gang_recorded_t *gang_view_recorded_for_cluster(const gang_view_t *v, const char *ns,
                                                      const char *raycluster)
{
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", ns, raycluster);
    const key_idx_t *k = find_key(v->by_cluster, v->n_by_cluster, key);
    return k ? &v->recorded[k->idx].pub : NULL;
}

const gang_recorded_t *gang_view_recorded(const gang_view_t *v, const char *ns,
                                          const char *workload)
{
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", ns, workload);
    const key_idx_t *k = find_key(v->by_workload, v->n_by_workload, key);
    return k ? &v->recorded[k->idx].pub : NULL;
}

/* ---- Free capacity ---- */

/* Gives back a recorded plan's reservation: the members still to come. */
static void give_back_plan(gang_free_t *f, const recorded_priv_t *rp)
{
    for (size_t s = 0; s < rp->plan->n_sets; s++)
        for (size_t j = 0; j < rp->plan->sets[s].n_slots; j++) {
            long i = gang_view_find(f->v, rp->plan->sets[s].slots[j].node);
            if (i >= 0 && rp->left[s][j] > 0)
                add_row(f->v, f->free, (size_t)i, &rp->reqs[s], rp->left[s][j]);
        }
}

gang_free_t *gang_free_new(const gang_view_t *v, const char *except_workload)
{
    gang_free_t *f = rg_calloc(1, sizeof(*f));
    f->v = v;
    size_t cells = v->n_nodes * v->n_res;
    f->free = rg_malloc((cells + 1) * sizeof(int64_t));
    memcpy(f->free, v->base_free, cells * sizeof(int64_t));
    const key_idx_t *k =
        except_workload ? find_key(v->by_workload, v->n_by_workload, except_workload) : NULL;
    if (k)
        give_back_plan(f, &v->recorded[k->idx]);
    return f;
}

gang_free_t *gang_free_clone(const gang_free_t *f)
{
    gang_free_t *c = rg_calloc(1, sizeof(*c));
    c->v = f->v;
    size_t cells = f->v->n_nodes * f->v->n_res;
    c->free = rg_malloc((cells + 1) * sizeof(int64_t));
    memcpy(c->free, f->free, cells * sizeof(int64_t));
    return c;
}

/* Gives back the requests of the pods of RayCluster ns/cluster that hold a node of the view. */
static void give_back_pods(gang_free_t *f, const cache_snapshot_t *pods, const char *ns,
                           const char *cluster)
{
    const cache_obj_t *const *members;
    size_t n = pods ? cache_snapshot_pods_of_cluster(pods, ns, cluster, &members) : 0;
    for (size_t k = 0; k < n; k++) {
        const gang_pod_info_t *pi = gang_pod_info_of(members[k]);
        long i = members[k]->node_name ? gang_view_find(f->v, members[k]->node_name) : -1;
        if (pi && pi->holds && i >= 0)
            add_row(f->v, f->free, (size_t)i, &pi->reqs, 1);
    }
}

void gang_free_give_back(gang_free_t *f, const cache_snapshot_t *pods, const char *ns,
                         const char *workload, const char *const *clusters, size_t n_clusters)
{
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", ns, workload);
    const gang_view_t *v = f->v;
    const key_idx_t *k = find_key(v->by_workload, v->n_by_workload, key);
    const recorded_priv_t *rp = k ? &v->recorded[k->idx] : NULL;
    if (rp)
        give_back_plan(f, rp);
    if (n_clusters == 0 && rp) {
        clusters = (const char *const *)rp->clusters;
        n_clusters = rp->n_clusters;
    }
    for (size_t c = 0; c < n_clusters; c++)
        give_back_pods(f, pods, ns, clusters[c]);
}

void gang_free_free(gang_free_t *f)
{
    if (f == NULL)
        return;
    rg_free(f->free);
    rg_free(f);
}

int64_t gang_free_get(const gang_free_t *f, size_t i, gang_rid_t id)
{
    return cell(f->v, f->free, i, id);
}

void gang_free_take(gang_free_t *f, size_t i, const gang_rvec_t *r, int64_t times)
{
    if (i < f->v->n_nodes)
        add_row(f->v, f->free, i, r, -times);
}

bool gang_free_fits(const gang_free_t *f, size_t i, const gang_rvec_t *r, gang_rid_t *short_id)
{
    const gang_view_t *v = f->v;
    const int64_t *row = f->free + i * v->n_res;
    for (uint32_t k = 0; k < r->n; k++) {
        gang_rid_t id = r->v[k].id;
        int l = id < GANG_RES_NAMES_MAX ? v->local[id] : -1;
        if (l < 0 || row[l] < r->v[k].v) {
            if (short_id)
                *short_id = id;
            return false;
        }
    }
    return true;
}
