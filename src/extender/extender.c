/*
 * The extender's state and rounds: the shared capacity view (rebuilt when
 * the snapshots it came from change), the plans held for unqueued gangs
 * (TTL, released when the gang completes or its RayCluster is suspended or
 * deleted), and the claims of members steered or bound but not yet seen
 * bound in the pod cache. Everything mutable is behind x->mu.
 */
#include "ext_internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"

#include <stdio.h>
#include <string.h>

#define NS_PER_S 1000000000LL

/* ---- Lifecycle ---- */

ext_t *ext_new(const ext_opts_t *opts, cache_set_t *caches, kube_client_t *client,
               rg_error_t *err)
{
    if (caches == NULL) {
        rg_error_set(err, RG_ERR_INVAL, "extender: no caches");
        return NULL;
    }
    ext_t *x = rg_calloc(1, sizeof(*x));
    x->opts = *opts;
    if (x->opts.plan_ttl_s == 0)
        x->opts.plan_ttl_s = 60;
    if (x->opts.assume_ttl_s == 0)
        x->opts.assume_ttl_s = 30;
    if (x->opts.max_nodes == 0)
        x->opts.max_nodes = EXT_MAX_NODES_DEFAULT;
    if (x->opts.weights.packing + x->opts.weights.exact + x->opts.weights.topology == 0)
        x->opts.weights = (gang_weights_t){2, 1, 1};
    x->n_gpu = opts->n_gpu_resources;
    x->gpu = rg_calloc(x->n_gpu + 1, sizeof(char *));
    for (size_t i = 0; i < x->n_gpu; i++)
        x->gpu[i] = rg_strdup(opts->gpu_resources[i]);
    if (x->n_gpu == 0) {
        x->gpu[0] = rg_strdup("nvidia.com/gpu");
        x->n_gpu = 1;
    }
    x->opts.gpu_resources = (const char *const *)x->gpu;
    x->opts.n_gpu_resources = x->n_gpu;
    x->topo = opts->topology_label && *opts->topology_label ? rg_strdup(opts->topology_label)
                                                            : NULL;
    x->opts.topology_label = x->topo;
    x->caches = caches;
    x->client = client;
    pthread_mutex_init(&x->mu, NULL);
    pthread_mutex_init(&x->view_mu, NULL);
    return x;
}

static void plan_release(ext_plan_t *p)
{
    for (size_t s = 0; p->plan && s < p->plan->n_sets; s++)
        gang_rvec_release(&p->reqs[s]);
    rg_free(p->reqs);
    gang_plan_free(p->plan);
    rg_free(p->gang);
    rg_free(p->ns);
    rg_free(p->cluster);
    rg_free(p->workload);
    rg_free(p->recorded_text);
}

static void claim_release(ext_claim_t *c)
{
    rg_free(c->uid);
    rg_free(c->ns);
    rg_free(c->name);
    rg_free(c->node);
    rg_free(c->gang);
    rg_free(c->podset);
    gang_rvec_release(&c->req);
}

void ext_free(ext_t *x)
{
    if (x == NULL)
        return;
    for (size_t i = 0; i < x->n_plans; i++)
        plan_release(&x->plans[i]);
    rg_free(x->plans);
    for (size_t i = 0; i < x->n_claims; i++)
        claim_release(&x->claims[i]);
    rg_free(x->claims);
    for (size_t i = 0; i < x->n_gpu; i++)
        rg_free(x->gpu[i]);
    rg_free(x->gpu);
    rg_free(x->topo);
    gang_view_unref(x->view);
    pthread_mutex_destroy(&x->mu);
    pthread_mutex_destroy(&x->view_mu);
    rg_free(x);
}

void ext__gang_outcome(ext_t *x, const char *outcome)
{
    if (x->opts.on_gang)
        x->opts.on_gang(x->opts.on_gang_arg, outcome);
}

bool ext__is_gpu_name(const ext_t *x, const char *name)
{
    for (size_t i = 0; i < x->n_gpu; i++) {
        size_t n = strlen(x->gpu[i]);
        if (n > 0 && x->gpu[i][n - 1] == '*' ? strncmp(name, x->gpu[i], n - 1) == 0
                                             : strcmp(name, x->gpu[i]) == 0)
            return true;
    }
    return false;
}

void ext__answer_error(ext_answer_t *out, int status, const char *decision, const char *msg)
{
    out->status = status;
    out->decision = decision;
    snprintf(out->reason, sizeof(out->reason), "%s", msg);
}

/* ---- The pod being scheduled ---- */

int ext__pod_decode(ext_t *x, const char *json, size_t len, ext_pod_t *out, rg_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (json == NULL)
        return rg_error_set(err, RG_ERR_INVAL, "Pod: Required value");
    out->tree = rg_json_parse(json, len, err);
    if (out->tree == NULL)
        return rg_error_prefix(err, "Pod");
    const cJSON *meta = rg_json_get_object(out->tree, "metadata");
    const cJSON *labels = rg_json_get_object(meta, "labels");
    out->ns = rg_json_get_string(meta, "namespace");
    out->name = rg_json_get_string(meta, "name");
    out->uid = rg_json_get_string(meta, "uid");
    if (out->ns == NULL || *out->ns == '\0')
        out->ns = "default";
    if (out->name == NULL)
        out->name = "";
    if (out->uid == NULL)
        out->uid = "";
    out->cluster = rg_json_get_string(labels, "ray.io/cluster");
    if (out->cluster && (*out->cluster == '\0' || strlen(out->cluster) > 253))
        out->cluster = NULL;
    out->podset = gang_podset_of_labels(labels, out->podset_buf, sizeof(out->podset_buf));
    if (out->cluster)
        snprintf(out->gang, sizeof(out->gang), "%s/%s", out->ns, out->cluster);
    const cJSON *spec = rg_json_get(out->tree, "spec");
    podspec_reqs_t reqs = {0};
    int rc = podspec_requests(spec, "Pod.spec", &reqs, err);
    if (rc == RG_OK) {
        for (size_t i = 0; i < reqs.n && !out->gpu; i++)
            out->gpu = ext__is_gpu_name(x, reqs.v[i].name) && !quota_qty_is_zero(&reqs.v[i].qty);
        gang_rvec_from_reqs(&reqs, &out->req);
        rc = gang_cons_from_podspec(spec, &out->cons, err);
        if (rc != RG_OK)
            rg_error_prefix(err, "Pod");
    }
    podspec_reqs_release(&reqs);
    return rc;
}

void ext__pod_release(ext_pod_t *p)
{
    cJSON_Delete(p->tree);
    gang_rvec_release(&p->req);
    gang_cons_free(p->cons);
    memset(p, 0, sizeof(*p));
}

/* ---- Claims and held plans ---- */

ext_claim_t *ext__claim_find(ext_t *x, const char *uid)
{
    for (size_t i = 0; uid && *uid && i < x->n_claims; i++)
        if (strcmp(x->claims[i].uid, uid) == 0)
            return &x->claims[i];
    return NULL;
}

static void claim_drop(ext_t *x, size_t i)
{
    claim_release(&x->claims[i]);
    x->claims[i] = x->claims[--x->n_claims];
}

void ext__claim_forget(ext_t *x, const char *uid)
{
    ext_claim_t *c = ext__claim_find(x, uid);
    if (c)
        claim_drop(x, (size_t)(c - x->claims));
}

void ext__claim_put(ext_t *x, const ext_pod_t *pod, const char *node, int64_t expires, bool bound)
{
    if (pod->uid == NULL || *pod->uid == '\0')
        return; /* a pod without a UID cannot be told apart from its successor: never held */
    ext_claim_t *c = ext__claim_find(x, pod->uid);
    if (c == NULL) {
        x->claims = rg_realloc(x->claims, (x->n_claims + 1) * sizeof(*x->claims));
        c = &x->claims[x->n_claims++];
        memset(c, 0, sizeof(*c));
        c->uid = rg_strdup(pod->uid);
        c->ns = rg_strdup(pod->ns);
        c->name = rg_strdup(pod->name);
        c->gang = pod->cluster ? rg_strdup(pod->gang) : NULL;
        c->podset = pod->podset ? rg_strdup(pod->podset) : NULL;
        gang_rvec_copy(&c->req, &pod->req);
    }
    rg_free(c->node);
    c->node = rg_strdup(node);
    c->expires_ns = expires;
    c->bound = c->bound || bound;
}

ext_plan_t *ext__plan_find(ext_t *x, const char *gang)
{
    for (size_t i = 0; i < x->n_plans; i++)
        if (strcmp(x->plans[i].gang, gang) == 0)
            return &x->plans[i];
    return NULL;
}

ext_plan_t *ext__plan_add(ext_t *x, const char *ns, const char *cluster, gang_plan_t *plan,
                          const gang_rvec_t *reqs, int64_t expires)
{
    x->plans = rg_realloc(x->plans, (x->n_plans + 1) * sizeof(*x->plans));
    ext_plan_t *p = &x->plans[x->n_plans++];
    memset(p, 0, sizeof(*p));
    p->gang = rg_asprintf("%s/%s", ns, cluster);
    p->ns = rg_strdup(ns);
    p->cluster = rg_strdup(cluster);
    p->plan = plan;
    p->reqs = rg_calloc(plan->n_sets + 1, sizeof(*p->reqs));
    for (size_t s = 0; s < plan->n_sets; s++)
        gang_rvec_copy(&p->reqs[s], &reqs[s]);
    p->expires_ns = expires;
    return p;
}

static void plan_drop(ext_t *x, size_t i, const char *outcome)
{
    rg_log_info("extender", "gang plan %s gang=%s", outcome, x->plans[i].gang);
    ext__gang_outcome(x, outcome);
    plan_release(&x->plans[i]);
    x->plans[i] = x->plans[--x->n_plans];
}

/* ---- Rounds ---- */

static const cache_kind_t round_kinds[4] = {CACHE_KIND_NODE, CACHE_KIND_POD, CACHE_KIND_WORKLOAD,
                                            CACHE_KIND_RAYCLUSTER};

/* The shared view of these snapshots: reused while none of them changed. */
static gang_view_t *view_for(ext_t *x, cache_snapshot_t *const snap[4])
{
    uint64_t seq[4];
    for (int k = 0; k < 4; k++)
        seq[k] = cache_snapshot_seq(snap[k]);
    pthread_mutex_lock(&x->view_mu);
    if (x->view == NULL || memcmp(seq, x->view_seq, sizeof(seq)) != 0) {
        gang_view_src_t src = {snap[0], snap[1], snap[2], snap[3]};
        gang_view_opts_t vo = {(const char *const *)x->gpu, x->n_gpu, x->topo};
        gang_view_unref(x->view);
        x->view = gang_view_build(&src, &vo);
        memcpy(x->view_seq, seq, sizeof(seq));
    }
    gang_view_t *v = gang_view_ref(x->view);
    pthread_mutex_unlock(&x->view_mu);
    return v;
}

void ext__round_begin(ext_t *x, int64_t now, ext_round_t *r)
{
    memset(r, 0, sizeof(*r));
    r->x = x;
    r->now = now;
    for (int k = 0; k < 4; k++)
        r->snap[k] = cache_snapshot_acquire(x->caches, round_kinds[k]);
    r->v = view_for(x, r->snap);
}

void ext__round_end(ext_round_t *r)
{
    for (size_t i = 0; i < r->n_live; i++) {
        const gang_plan_t *p = r->live[i].plan;
        gang_plan_left_free(r->live[i].left, p ? p->n_sets : 0);
    }
    rg_free(r->live);
    gang_free_free(r->free);
    gang_view_unref(r->v);
    for (int k = 0; k < 4; k++)
        cache_snapshot_release(r->snap[k]);
}

ext_live_t *ext__round_live(ext_round_t *r, const char *gang)
{
    for (size_t i = 0; gang && i < r->n_live; i++)
        if (strcmp(r->live[i].key, gang) == 0)
            return &r->live[i];
    return NULL;
}

/* Whether the pod of a claim is already counted by the pod cache (bound), or gone for good. */
static bool claim_settled(const ext_round_t *r, const ext_claim_t *c)
{
    const cache_obj_t *o = cache_snapshot_get(r->snap[1], c->ns, c->name);
    if (o == NULL)
        return false; /* not in the cache yet, or deleted: the TTL decides */
    if (strcmp(o->uid, c->uid) != 0)
        return true; /* replaced by a new pod of the same name */
    return o->node_name != NULL;
}

static void clean_claims(ext_round_t *r)
{
    ext_t *x = r->x;
    for (size_t i = x->n_claims; i-- > 0;)
        if (x->claims[i].expires_ns <= r->now || claim_settled(r, &x->claims[i]))
            claim_drop(x, i);
}

/* Why a held plan should go: NULL when it stays. */
static const char *plan_obsolete(ext_round_t *r, const ext_plan_t *p)
{
    if (p->expires_ns && p->expires_ns <= r->now)
        return "expired";
    const cache_obj_t *rc = cache_snapshot_get(r->snap[3], p->ns, p->cluster);
    bool suspended = false;
    if (rc)
        (void)rg_json_get_bool(rg_json_get_object(rc->json, "spec"), "suspend", &suspended);
    if (rc == NULL || suspended)
        return "released";
    if (p->workload) {
        const gang_recorded_t *rec = gang_view_recorded_for_cluster(r->v, p->ns, p->cluster);
        char *text = rec ? gang_plan_encode(rec->plan, NULL, NULL) : NULL;
        bool same = text && strcmp(text, p->recorded_text) == 0;
        rg_free(text);
        if (!same)
            return "released"; /* the Workload's plan changed: it is the truth again */
    }
    return NULL;
}

static ext_live_t *live_add(ext_round_t *r, const char *key)
{
    r->live = rg_realloc(r->live, (r->n_live + 1) * sizeof(*r->live));
    ext_live_t *l = &r->live[r->n_live++];
    memset(l, 0, sizeof(*l));
    snprintf(l->key, sizeof(l->key), "%s", key);
    return l;
}

static int32_t **left_copy(const gang_plan_t *p, int32_t *const *src)
{
    int32_t **left = rg_calloc(p->n_sets + 1, sizeof(*left));
    for (size_t s = 0; s < p->n_sets; s++) {
        left[s] = rg_calloc(p->sets[s].n_slots + 1, sizeof(int32_t));
        memcpy(left[s], src[s], p->sets[s].n_slots * sizeof(int32_t));
    }
    return left;
}

/* A claim of the gang takes one open slot of its podSet: on its node if open, else the last. */
static void claim_take_slot(ext_live_t *l, const ext_claim_t *c)
{
    const gang_plan_set_t *set = c->podset ? gang_plan_set(l->plan, c->podset) : NULL;
    if (set == NULL)
        return;
    int32_t *left = l->left[set - l->plan->sets];
    for (size_t j = 0; j < set->n_slots; j++)
        if (left[j] > 0 && strcmp(set->slots[j].node, c->node) == 0) {
            left[j]--;
            return;
        }
    for (size_t j = set->n_slots; j-- > 0;)
        if (left[j] > 0) {
            left[j]--;
            return;
        }
}

/* free -= times x (open slots of l) */
static void reserve_slots(ext_round_t *r, const gang_plan_t *p, const gang_rvec_t *reqs,
                          int32_t *const *left, int64_t sign)
{
    for (size_t s = 0; s < p->n_sets; s++)
        for (size_t j = 0; j < p->sets[s].n_slots; j++) {
            long i = gang_view_find(r->v, p->sets[s].slots[j].node);
            if (i >= 0 && left[s][j] > 0)
                gang_free_take(r->free, (size_t)i, &reqs[s], sign * left[s][j]);
        }
}

static bool live_complete(const ext_live_t *l)
{
    for (size_t s = 0; s < l->plan->n_sets; s++)
        for (size_t j = 0; j < l->plan->sets[s].n_slots; j++)
            if (l->left[s][j] > 0)
                return false;
    return true;
}

/* The live entry of a gang with a plan here or on its Workload; NULL when it has none. */
static ext_live_t *live_for(ext_round_t *r, const char *ns, const char *cluster, const char *key)
{
    ext_live_t *l = ext__round_live(r, key);
    if (l)
        return l;
    ext_plan_t *mine = ext__plan_find(r->x, key);
    const gang_recorded_t *rec = gang_view_recorded_for_cluster(r->v, ns, cluster);
    if (mine == NULL && rec == NULL)
        return NULL;
    l = live_add(r, key);
    l->mine = mine;
    l->rec = rec;
    if (mine) {
        const char *clusters[1] = {cluster};
        int64_t bound = 0;
        l->plan = mine->plan;
        l->reqs = mine->reqs;
        l->left = gang_plan_left_new(mine->plan, r->snap[1], ns, clusters, 1, &bound);
    } else {
        l->plan = rec->plan;
        l->reqs = rec->reqs;
        l->left = left_copy(rec->plan, rec->left);
    }
    return l;
}

ext_live_t *ext__round_gang(ext_round_t *r, const char *ns, const char *cluster, const char *key,
                            const char *exclude_uid)
{
    ext_live_t *l = ext__round_live(r, key);
    if (l)
        return l;
    size_t before = r->n_live;
    l = live_for(r, ns, cluster, key);
    if (l == NULL || r->n_live == before)
        return l;
    /* New this late in the round: settle its slots as ext__round_state does. */
    for (size_t i = 0; i < r->x->n_claims; i++) {
        const ext_claim_t *c = &r->x->claims[i];
        if (c->gang && strcmp(c->gang, key) == 0 &&
            !(exclude_uid && strcmp(c->uid, exclude_uid) == 0))
            claim_take_slot(l, c);
    }
    if (l->rec)
        reserve_slots(r, l->rec->plan, l->rec->reqs, l->rec->left, -1);
    reserve_slots(r, l->plan, l->reqs, l->left, 1);
    return l;
}

void ext__round_state(ext_round_t *r, const char *exclude_uid)
{
    ext_t *x = r->x;
    r->free = gang_free_new(r->v, NULL);
    clean_claims(r);
    for (size_t i = x->n_plans; i-- > 0;) {
        const char *why = plan_obsolete(r, &x->plans[i]);
        if (why)
            plan_drop(x, i, why);
    }
    /* Every held plan, and every gang with claims, gets its live slots. */
    for (size_t i = 0; i < x->n_plans; i++)
        (void)live_for(r, x->plans[i].ns, x->plans[i].cluster, x->plans[i].gang);
    for (size_t i = 0; i < x->n_claims; i++) {
        const ext_claim_t *c = &x->claims[i];
        if (c->gang == NULL)
            continue;
        const char *slash = strchr(c->gang, '/');
        if (slash)
            (void)live_for(r, c->ns, slash + 1, c->gang);
    }
    for (size_t i = 0; i < x->n_claims; i++) {
        const ext_claim_t *c = &x->claims[i];
        if (exclude_uid && strcmp(c->uid, exclude_uid) == 0)
            continue;
        ext_live_t *l = c->gang ? ext__round_live(r, c->gang) : NULL;
        if (l)
            claim_take_slot(l, c);
        long n = gang_view_find(r->v, c->node);
        if (n >= 0)
            gang_free_take(r->free, (size_t)n, &c->req, 1);
    }
    /* The view reserved recorded plans' open slots; settle each to what this round sees. */
    for (size_t i = 0; i < r->n_live; i++) {
        ext_live_t *l = &r->live[i];
        if (l->rec)
            reserve_slots(r, l->rec->plan, l->rec->reqs, l->rec->left, -1);
        reserve_slots(r, l->plan, l->reqs, l->left, 1);
    }
    for (size_t i = x->n_plans; i-- > 0;) {
        ext_live_t *l = ext__round_live(r, x->plans[i].gang);
        if (l && live_complete(l) && x->plans[i].expires_ns) {
            l->mine = NULL; /* the live entry keeps its own copy of nothing held */
            l->plan = NULL;
            gang_plan_left_free(l->left, x->plans[i].plan->n_sets);
            l->left = NULL;
            l->key[0] = '\0';
            plan_drop(x, i, "completed");
        }
    }
    /* Dropping moved held plans around: point each live entry at its plan again. */
    for (size_t i = 0; i < r->n_live; i++)
        if (r->live[i].mine)
            r->live[i].mine = ext__plan_find(x, r->live[i].key);
}

void ext_stats_get(ext_t *x, int64_t now_ns, ext_stats_t *out)
{
    (void)now_ns;
    pthread_mutex_lock(&x->mu);
    out->plans = x->n_plans;
    out->claims = x->n_claims;
    pthread_mutex_unlock(&x->mu);
}
