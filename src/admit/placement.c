/*
 * "Admitted means placeable": the admission check after quota that plans
 * the whole gang on the nodes its assigned flavors select, net of every
 * earlier plan, and admits only when all of it fits now. The plan goes on
 * the Workload (annotation raygate.dev/placement) for the extender to steer
 * the members; until the cache shows it there, it is held here so that no
 * later decision counts the same capacity twice.
 */
#include "internal.h"

#include "raygate/alloc.h"
#include "raygate/gang.h"
#include "raygate/jobs.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"

#include <stdio.h>
#include <string.h>

#define PLACEMENT_ANNOTATION "raygate.dev/placement"

/* A plan decided here whose annotation the cache does not show yet. */
typedef struct held {
    char *key; /* "ns/name" */
    gang_plan_t *plan;
    gang_rvec_t *reqs; /* one member's request per plan set, same order */
    size_t n_reqs;
    int64_t until_ns; /* then given up (its annotation write failed for good) */
} held_t;

#define HELD_NS (60LL * 1000000000LL)

struct admit_placement {
    struct admit *a;
    admit_placement_mode_t mode;
    char **gpu;
    size_t n_gpu;
    char *topology;
    gang_weights_t weights;
    /* One pass's picture, built when first needed. */
    gang_view_t *view;
    gang_free_t *free;
    rg_strmap_t held;  /* key -> held_t */
    rg_strmap_t fresh; /* key -> owned annotation text of plans made this pass */
    size_t waiting;    /* workloads kept pending by placement since the last wake */
};

static void held_free(void *v)
{
    held_t *h = v;
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->n_reqs; i++)
        gang_rvec_release(&h->reqs[i]);
    rg_free(h->reqs);
    gang_plan_free(h->plan);
    rg_free(h->key);
    rg_free(h);
}

admit_placement_t *admit__placement_new(struct admit *a, const admit_placement_opts_t *o)
{
    admit_placement_t *p = rg_calloc(1, sizeof(*p));
    p->a = a;
    p->mode = o->mode;
    p->gpu = rg_calloc(o->n_gpu_resources + 1, sizeof(char *));
    for (size_t i = 0; i < o->n_gpu_resources; i++)
        p->gpu[p->n_gpu++] = rg_strdup(o->gpu_resources[i]);
    p->topology = o->topology_label && o->topology_label[0] ? rg_strdup(o->topology_label) : NULL;
    p->weights = o->weights;
    if (p->weights.packing + p->weights.exact + p->weights.topology == 0)
        p->weights = (gang_weights_t){2, 1, 1};
    return p;
}

void admit__placement_free(admit_placement_t *p)
{
    if (p == NULL)
        return;
    admit__placement_end(p);
    rg_strmap_release_with(&p->held, held_free);
    for (size_t i = 0; i < p->n_gpu; i++)
        rg_free(p->gpu[i]);
    rg_free(p->gpu);
    rg_free(p->topology);
    rg_free(p);
}

/* Whether placement is checked now: on, or auto with any Node in the cache. */
static bool active(admit_placement_t *p)
{
    if (p->mode == ADMIT_PLACEMENT_OFF)
        return false;
    if (p->mode == ADMIT_PLACEMENT_ON)
        return true;
    cache_snapshot_t *s = cache_snapshot_acquire_fresh(p->a->opts.caches, CACHE_KIND_NODE);
    bool any = cache_snapshot_count(s) > 0;
    cache_snapshot_release(s);
    return any;
}

/* Takes a plan's members off the free capacity (sign 1), or gives them back (-1). */
static void take_plan(gang_free_t *f, const gang_view_t *v, const gang_plan_t *plan,
                      const gang_rvec_t *reqs, int64_t sign)
{
    for (size_t s = 0; s < plan->n_sets; s++) {
        const gang_plan_set_t *set = &plan->sets[s];
        for (size_t k = 0; k < set->n_slots; k++) {
            long i = gang_view_find(v, set->slots[k].node);
            if (i >= 0)
                gang_free_take(f, (size_t)i, &reqs[s], sign * set->slots[k].count);
        }
    }
}

/* The pass's view, with the plans held here subtracted (those the cache
 * already shows are counted by the view itself and let go). */
static void ensure_view(admit_placement_t *p)
{
    if (p->view)
        return;
    cache_set_t *c = p->a->opts.caches;
    /* Fresh: the pass runs on events the published snapshots may not show yet. */
    cache_snapshot_t *nodes = cache_snapshot_acquire_fresh(c, CACHE_KIND_NODE);
    cache_snapshot_t *pods = cache_snapshot_acquire_fresh(c, CACHE_KIND_POD);
    cache_snapshot_t *wls = cache_snapshot_acquire_fresh(c, CACHE_KIND_WORKLOAD);
    cache_snapshot_t *rcs = cache_snapshot_acquire_fresh(c, CACHE_KIND_RAYCLUSTER);
    gang_view_src_t src = {nodes, pods, wls, rcs};
    gang_view_opts_t vo = {(const char *const *)p->gpu, p->n_gpu, p->topology};
    p->view = gang_view_build(&src, &vo);
    cache_snapshot_release(nodes);
    cache_snapshot_release(pods);
    cache_snapshot_release(wls);
    cache_snapshot_release(rcs);
    p->free = gang_free_new(p->view, NULL);
    int64_t now = rg_time_now_ns();
    char **gone = rg_malloc((p->held.n + 1) * sizeof(char *));
    size_t n_gone = 0, it = 0;
    const char *k;
    void *val;
    while (rg_strmap_next(&p->held, &it, &k, &val)) {
        held_t *h = val;
        char ns[256], name[256];
        if (sscanf(h->key, "%255[^/]/%255s", ns, name) == 2 &&
            (gang_view_recorded(p->view, ns, name) != NULL || h->until_ns < now))
            gone[n_gone++] = h->key;
        else
            take_plan(p->free, p->view, h->plan, h->reqs, 1);
    }
    for (size_t i = 0; i < n_gone; i++)
        held_free(rg_strmap_del(&p->held, gone[i]));
    rg_free(gone);
}

void admit__placement_end(admit_placement_t *p)
{
    if (p == NULL)
        return;
    gang_free_free(p->free);
    p->free = NULL;
    if (p->view)
        gang_view_unref(p->view);
    p->view = NULL;
    rg_strmap_release_with(&p->fresh, rg_free);
}

/* Restricts each podSet to the nodes its assigned flavors select. */
static int restrict_to_flavors(struct admit *a, gang_podsets_t *ps, const quota_admission_t *adm,
                               rg_error_t *err)
{
    for (size_t i = 0; i < ps->n; i++) {
        const quota_ps_admission_t *pa = NULL;
        for (size_t j = 0; j < adm->n_podsets && pa == NULL; j++)
            if (strcmp(adm->podsets[j].name, ps->sets[i].name) == 0)
                pa = &adm->podsets[j];
        for (size_t r = 0; pa && r < pa->n_res; r++) {
            bool seen = false;
            for (size_t q = 0; q < r; q++)
                seen = seen || strcmp(pa->res[q].flavor, pa->res[r].flavor) == 0;
            const cache_obj_t *f =
                seen ? NULL : admit__latest(a, CACHE_KIND_RESOURCEFLAVOR, pa->res[r].flavor);
            const cJSON *spec = f ? rg_json_get(f->json, "spec") : NULL;
            int rc = f ? gang_podsets_restrict(ps, i, rg_json_get(spec, "nodeLabels"),
                                               rg_json_get(spec, "tolerations"), err)
                       : RG_OK;
            if (rc != RG_OK)
                return rc;
        }
    }
    return RG_OK;
}

/* Keeps the plan: held until the cache shows its annotation, and the text to write. */
static int keep_plan(admit_placement_t *p, const char *key, gang_plan_t *plan,
                     const gang_podsets_t *ps, rg_error_t *err)
{
    size_t len;
    char *text = gang_plan_encode(plan, &len, err);
    if (text == NULL) {
        gang_plan_free(plan);
        return err ? err->code : RG_ERR_TOO_BIG;
    }
    held_t *h = rg_calloc(1, sizeof(*h));
    h->key = rg_strdup(key);
    h->plan = plan;
    h->reqs = rg_calloc(plan->n_sets ? plan->n_sets : 1, sizeof(*h->reqs));
    h->n_reqs = plan->n_sets;
    for (size_t s = 0; s < plan->n_sets; s++)
        for (size_t i = 0; i < ps->n; i++)
            if (strcmp(ps->sets[i].name, plan->sets[s].name) == 0)
                gang_rvec_copy(&h->reqs[s], ps->sets[i].req);
    h->until_ns = rg_time_now_ns() + HELD_NS;
    take_plan(p->free, p->view, plan, h->reqs, 1);
    held_free(rg_strmap_put(&p->held, h->key, h));
    rg_free(rg_strmap_put(&p->fresh, h->key, text));
    return RG_OK;
}

/*
 * Plans c's gang against free: its podSets restricted to what its assigned
 * flavors select. RG_OK with *plan (owned); else *why (owned, may be NULL:
 * then err says it). *ps is filled either way (caller releases).
 */
static int plan_gang(admit_placement_t *p, const quota_candidate_t *c, const cache_obj_t *w,
                     gang_free_t *free, gang_podsets_t *ps, gang_plan_t **plan, char **why,
                     rg_error_t *err)
{
    int rc = gang_podsets_from_workload(w->json, ps, err);
    if (rc == RG_OK)
        rc = restrict_to_flavors(p->a, ps, c->admission, err);
    if (rc == RG_OK)
        rc = gang_plan_make(p->view, free, ps->sets, ps->n, &p->weights, plan, why);
    return rc;
}

/* The candidate's Workload when placement is checked now (the pass's view then built), else NULL.
 */
static const cache_obj_t *subject(admit_placement_t *p, const quota_candidate_t *c, char *key,
                                  size_t size)
{
    if (!active(p))
        return NULL;
    ensure_view(p);
    snprintf(key, size, "%s/%s", c->wl->ns, c->wl->name);
    /* Gone meanwhile: nothing to plan; the admission write will say so. */
    return admit__latest(p->a, CACHE_KIND_WORKLOAD, key);
}

/*
 * Plans c's gang against free. Fits: true, and when keep_as is set the plan
 * is kept under that key. Short: false with the words, and the Workload
 * counted as waiting for capacity; after qualifies "placement is short".
 */
static bool judge(admit_placement_t *p, const quota_candidate_t *c, const cache_obj_t *w,
                  gang_free_t *free, const char *keep_as, const char *after, char **reason,
                  char **message)
{
    gang_podsets_t ps = {0};
    rg_error_t err = {0};
    gang_plan_t *plan = NULL;
    char *why = NULL;
    int rc = plan_gang(p, c, w, free, &ps, &plan, &why, &err);
    if (rc == RG_OK && keep_as)
        rc = keep_plan(p, keep_as, plan, &ps, &err);
    else
        gang_plan_free(plan);
    gang_podsets_release(&ps);
    if (rc == RG_OK)
        return true;
    *reason = rg_strdup("Pending");
    *message = rg_asprintf("quota reserved in ClusterQueue %s, but placement is short%s: %s",
                           c->cluster_queue, after, why ? why : rg_error_str(&err));
    rg_free(why);
    p->waiting++;
    return false;
}

static bool check(void *arg, const quota_candidate_t *c, int64_t now_ns, char **reason,
                  char **message)
{
    (void)now_ns;
    admit_placement_t *p = arg;
    char key[600];
    const cache_obj_t *w = subject(p, c, key, sizeof(key));
    return w == NULL || judge(p, c, w, p->free, key, "", reason, message);
}

/* Gives back to f what an admitted Workload holds: its held plan, its recorded plan, its pods. */
static void give_back_victim(admit_placement_t *p, gang_free_t *f, const cache_snapshot_t *pods,
                             const quota_wl_ref_t *v)
{
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", v->ns, v->name);
    const held_t *h = rg_strmap_get(&p->held, key);
    if (h)
        take_plan(f, p->view, h->plan, h->reqs, -1);
    const cache_obj_t *w = admit__latest(p->a, CACHE_KIND_WORKLOAD, key);
    const cache_obj_t *owner = NULL;
    const char *cluster =
        w && admit__ray_owner(p->a, w, &owner) && owner ? job_gang_cluster_name(owner->json) : NULL;
    gang_free_give_back(f, pods, v->ns, v->name, cluster ? &cluster : NULL, cluster ? 1 : 0);
}

/* Whether c's gang would fit once the victims (and their pods) are gone; the
 * plan itself is made for real when they are. */
static bool check_after(void *arg, const quota_candidate_t *c, const quota_wl_ref_t *victims,
                        size_t n_victims, int64_t now_ns, char **reason, char **message)
{
    (void)now_ns;
    admit_placement_t *p = arg;
    char key[600];
    const cache_obj_t *w = subject(p, c, key, sizeof(key));
    if (w == NULL)
        return true;
    gang_free_t *f = gang_free_clone(p->free);
    cache_snapshot_t *pods = cache_snapshot_acquire(p->a->opts.caches, CACHE_KIND_POD);
    for (size_t i = 0; i < n_victims; i++)
        give_back_victim(p, f, pods, &victims[i]);
    cache_snapshot_release(pods);
    char after[64];
    snprintf(after, sizeof(after), " even after preempting %zu workload(s)", n_victims);
    bool ok = judge(p, c, w, f, NULL, after, reason, message);
    gang_free_free(f);
    return ok;
}

static void release(void *arg, const char *ns, const char *name)
{
    admit_placement_t *p = arg;
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", ns, name);
    held_t *h = rg_strmap_del(&p->held, key);
    if (h) {
        if (p->free) /* the capacity comes back to this pass too */
            take_plan(p->free, p->view, h->plan, h->reqs, -1);
        held_free(h);
    }
    rg_free(rg_strmap_del(&p->fresh, key));
}

quota_check_t admit__placement_check(admit_placement_t *p)
{
    return (quota_check_t){.name = "placement",
                           .admit = check,
                           .release = release,
                           .arg = p,
                           .admit_after = check_after};
}

char *admit__placement_take_annotation(admit_placement_t *p, const char *ns, const char *name)
{
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", ns, name);
    return p ? rg_strmap_del(&p->fresh, key) : NULL;
}

bool admit__placement_capacity_changed(admit_placement_t *p)
{
    if (p == NULL || p->waiting == 0)
        return false;
    p->waiting = 0;
    return true;
}
