/*
 * The gang planner: places every member of a gang at once against free
 * capacity (one topology domain first, then one zone, then anywhere; best
 * fit per member), or says precisely what is short and where. Pure: no
 * I/O, no locks, no clock; deterministic for equal inputs.
 */
#include "raygate/gang.h"

#include "raygate/alloc.h"
#include "raygate/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Domains (or zones) tried before the whole cluster; the tightest first. */
#define MAX_DOMAIN_TRIES 32
/* Nodes named in a reason. */
#define REASON_NODES 5

/* Eligibility of the view's nodes for one podSet, and why the others are not. */
typedef struct elig {
    uint32_t *nodes;
    size_t n;
    size_t excluded[GANG_NODE_SELECTOR + 1];
    char example[GANG_NODE_SELECTOR + 1][320]; /* "node-x: why" for the first of each kind */
} elig_t;

/* Scratch of one planning call. */
typedef struct planner {
    const gang_view_t *v;
    const gang_free_t *free;
    const gang_podset_t *sets;
    size_t n_sets;
    const gang_weights_t *w;
    elig_t *elig;
    int64_t *gpu_need; /* per set: GPUs per pod */
    size_t *order;     /* sets in placement order */
    /* Placements of the current attempt: per node, the sets' pods placed. */
    int32_t *touched_at; /* node -> index in touched, or -1 */
    uint32_t *touched;
    size_t n_touched;
    int32_t *placed; /* n_touched x n_sets */
    int64_t *unplaced; /* per set, of the last attempt */
    uint32_t *scratch; /* one attempt's candidate nodes */
} planner_t;

static int64_t gpu_of(const gang_view_t *v, const gang_rvec_t *r)
{
    int64_t g = 0;
    for (uint32_t k = 0; k < r->n; k++)
        if (gang_view_is_gpu(v, r->v[k].id))
            g += r->v[k].v;
    return g;
}

static void eligibility(planner_t *pl)
{
    size_t n = gang_view_node_count(pl->v);
    for (size_t s = 0; s < pl->n_sets; s++) {
        elig_t *e = &pl->elig[s];
        e->nodes = rg_malloc((n + 1) * sizeof(uint32_t));
        for (size_t i = 0; i < n; i++) {
            char why[256];
            gang_verdict_t vd = gang_cons_check(pl->sets[s].cons, gang_view_node_name(pl->v, i),
                                                gang_view_node_info(pl->v, i), why, sizeof(why));
            if (vd == GANG_NODE_OK) {
                e->nodes[e->n++] = (uint32_t)i;
                continue;
            }
            if (e->excluded[vd]++ == 0)
                snprintf(e->example[vd], sizeof(e->example[vd]), "%s: %s",
                         gang_view_node_name(pl->v, i), why);
        }
    }
}

/* ---- Placement within one attempt ---- */

static void attempt_reset(planner_t *pl)
{
    for (size_t t = 0; t < pl->n_touched; t++)
        pl->touched_at[pl->touched[t]] = -1;
    pl->n_touched = 0;
}

/* Free amount of id on node after this attempt's placements. */
static int64_t free_now(const planner_t *pl, size_t node, gang_rid_t id)
{
    int64_t f = gang_free_get(pl->free, node, id);
    int32_t t = pl->touched_at[node];
    if (t < 0)
        return f;
    for (size_t s = 0; s < pl->n_sets; s++) {
        int32_t k = pl->placed[(size_t)t * pl->n_sets + s];
        if (k)
            f -= gang_rvec_get(pl->sets[s].req, id) * k;
    }
    return f;
}

static bool fits_now(const planner_t *pl, size_t node, const gang_rvec_t *req, gang_rid_t *short_id)
{
    if (pl->touched_at[node] < 0)
        return gang_free_fits(pl->free, node, req, short_id);
    for (uint32_t k = 0; k < req->n; k++)
        if (free_now(pl, node, req->v[k].id) < req->v[k].v) {
            if (short_id)
                *short_id = req->v[k].id;
            return false;
        }
    return true;
}

static int64_t node_gpu_alloc(const planner_t *pl, size_t node)
{
    const gang_node_info_t *ni = gang_view_node_info(pl->v, node);
    return gpu_of(pl->v, &ni->alloc);
}

/* Higher is better; see gang_plan_make's contract for the order. */
static int64_t member_score(const planner_t *pl, size_t node, size_t set)
{
    const gang_rvec_t *req = pl->sets[set].req;
    int64_t g = pl->gpu_need[set], s = 0;
    if (g > 0) {
        int64_t left = 0;
        for (uint32_t k = 0; k < req->n; k++)
            if (gang_view_is_gpu(pl->v, req->v[k].id))
                left += free_now(pl, node, req->v[k].id) - req->v[k].v;
        s += (int64_t)pl->w->exact * (left == 0 ? 1024 : 0);
        s += (int64_t)pl->w->packing * (1024 / (1 + (left > 0 ? left : 0)));
    } else {
        s += (int64_t)pl->w->packing * (node_gpu_alloc(pl, node) == 0 ? 1024 : 0);
    }
    if (pl->touched_at[node] >= 0)
        s += (int64_t)pl->w->topology * 512;
    return s;
}

static void place(planner_t *pl, size_t node, size_t set)
{
    if (pl->touched_at[node] < 0) {
        pl->touched_at[node] = (int32_t)pl->n_touched;
        pl->touched[pl->n_touched] = (uint32_t)node;
        memset(&pl->placed[pl->n_touched * pl->n_sets], 0, pl->n_sets * sizeof(int32_t));
        pl->n_touched++;
    }
    pl->placed[(size_t)pl->touched_at[node] * pl->n_sets + set]++;
}

/*
 * Places every member on the nodes for which in_attempt (NULL = all)
 * says yes; returns whether all fit. With keep_going, members that do not
 * fit are counted in unplaced and the rest still placed (for the reason).
 */
static bool attempt(planner_t *pl, const uint8_t *in_attempt, bool keep_going)
{
    attempt_reset(pl);
    bool ok = true;
    for (size_t o = 0; o < pl->n_sets; o++) {
        size_t s = pl->order[o];
        const elig_t *e = &pl->elig[s];
        pl->unplaced[s] = 0;
        /* This attempt's candidates once, not a mask test per member and node. */
        uint32_t *cand = e->nodes;
        size_t n_cand = e->n;
        if (in_attempt) {
            cand = pl->scratch;
            n_cand = 0;
            for (size_t k = 0; k < e->n; k++)
                if (in_attempt[e->nodes[k]])
                    cand[n_cand++] = e->nodes[k];
        }
        for (int64_t m = 0; m < pl->sets[s].count; m++) {
            long best = -1;
            int64_t best_score = -1;
            for (size_t k = 0; k < n_cand; k++) {
                size_t node = cand[k];
                if (!fits_now(pl, node, pl->sets[s].req, NULL))
                    continue;
                int64_t sc = member_score(pl, node, s);
                if (sc > best_score) {
                    best_score = sc;
                    best = (long)node;
                }
            }
            if (best < 0) {
                ok = false;
                if (!keep_going)
                    return false;
                pl->unplaced[s] = pl->sets[s].count - m;
                break;
            }
            place(pl, (size_t)best, s);
        }
    }
    return ok;
}

/* ---- Domains ---- */

typedef struct grp {
    char name[300]; /* domain or zone */
    int64_t free_gpu;
    int64_t slack;  /* free GPUs minus what the gang needs; INT64_MAX = cannot hold it */
    bool feasible[GANG_PLAN_MAX_SETS];
} grp_t;

static int cmp_grp(const void *a, const void *b)
{
    const grp_t *x = a, *y = b;
    if (x->slack != y->slack)
        return x->slack < y->slack ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The zone part of a domain ("zone/rack" -> "zone"), into buf. */
static const char *zone_of(const char *domain, char *buf, size_t size)
{
    const char *slash = strchr(domain, '/');
    size_t n = slash ? (size_t)(slash - domain) : strlen(domain);
    if (n >= size)
        n = size - 1;
    memcpy(buf, domain, n);
    buf[n] = '\0';
    return buf;
}

/* Groups (domains, or zones) of the view; node_grp[i] = group of node i or -1. */
static size_t make_groups(const planner_t *pl, bool by_zone, grp_t **out, int32_t *node_grp)
{
    const gang_view_t *v = pl->v;
    size_t nd = gang_view_domain_count(v), ng = 0;
    int32_t *dg = rg_malloc((nd + 1) * sizeof(int32_t));
    grp_t *g = rg_calloc(nd + 1, sizeof(*g));
    for (size_t d = 0; d < nd; d++) {
        char z[300];
        const char *name = by_zone ? zone_of(gang_view_domain_name(v, d), z, sizeof(z))
                                   : gang_view_domain_name(v, d);
        dg[d] = -1;
        if (*name == '\0')
            continue;
        for (size_t k = 0; k < ng && dg[d] < 0; k++)
            if (strcmp(g[k].name, name) == 0)
                dg[d] = (int32_t)k;
        if (dg[d] < 0) {
            snprintf(g[ng].name, sizeof(g[ng].name), "%s", name);
            dg[d] = (int32_t)ng++;
        }
    }
    size_t n = gang_view_node_count(v);
    for (size_t i = 0; i < n; i++) {
        node_grp[i] = dg[gang_view_node_domain_index(v, i)];
        if (node_grp[i] < 0)
            continue;
        const gang_node_info_t *ni = gang_view_node_info(v, i);
        for (uint32_t r = 0; r < ni->alloc.n; r++)
            if (gang_view_is_gpu(v, ni->alloc.v[r].id))
                g[node_grp[i]].free_gpu += gang_free_get(pl->free, i, ni->alloc.v[r].id);
    }
    /* A group is worth a greedy pass only if each podSet fits at least one of its nodes. */
    for (size_t s = 0; s < pl->n_sets; s++)
        for (size_t k = 0; k < pl->elig[s].n; k++) {
            size_t i = pl->elig[s].nodes[k];
            if (node_grp[i] >= 0 && !g[node_grp[i]].feasible[s] &&
                gang_free_fits(pl->free, i, pl->sets[s].req, NULL))
                g[node_grp[i]].feasible[s] = true;
        }
    rg_free(dg);
    *out = g;
    return ng;
}

/* Tries the groups tightest first: the gang stays inside one when it fits there. */
static bool try_groups(planner_t *pl, bool by_zone, uint8_t *mask)
{
    size_t n = gang_view_node_count(pl->v);
    int32_t *node_grp = rg_malloc((n + 1) * sizeof(int32_t));
    grp_t *g = NULL;
    size_t ng = make_groups(pl, by_zone, &g, node_grp);
    int64_t need_gpu = 0;
    for (size_t s = 0; s < pl->n_sets; s++)
        need_gpu += pl->gpu_need[s] * pl->sets[s].count;
    for (size_t k = 0; k < ng; k++) {
        bool feasible = g[k].free_gpu >= need_gpu;
        for (size_t s = 0; s < pl->n_sets && feasible; s++)
            feasible = g[k].feasible[s] || pl->sets[s].count == 0;
        g[k].slack = feasible ? g[k].free_gpu - need_gpu : INT64_MAX;
    }
    /* Keep each group's index in free_gpu's place: the sort moves the structs. */
    for (size_t k = 0; k < ng; k++)
        g[k].free_gpu = (int64_t)k;
    qsort(g, ng, sizeof(*g), cmp_grp);
    bool ok = false;
    for (size_t k = 0; k < ng && k < MAX_DOMAIN_TRIES && !ok; k++) {
        if (g[k].slack == INT64_MAX)
            break;
        for (size_t i = 0; i < n; i++)
            mask[i] = node_grp[i] == (int32_t)g[k].free_gpu;
        ok = attempt(pl, mask, false);
    }
    rg_free(g);
    rg_free(node_grp);
    return ok;
}

/* Whether any domain splits a zone further (a topology label is set and used). */
static bool has_subzones(const gang_view_t *v)
{
    for (size_t d = 0; d < gang_view_domain_count(v); d++)
        if (strchr(gang_view_domain_name(v, d), '/'))
            return true;
    return false;
}

/* ---- The plan and the reason ---- */

static gang_plan_t *plan_of(const planner_t *pl)
{
    gang_plan_t *p = rg_calloc(1, sizeof(*p));
    p->sets = rg_calloc(pl->n_sets + 1, sizeof(*p->sets));
    p->n_sets = pl->n_sets;
    for (size_t s = 0; s < pl->n_sets; s++) {
        gang_plan_set_t *ps = &p->sets[s];
        ps->name = rg_strdup(pl->sets[s].name);
        ps->count = pl->sets[s].count;
        ps->slots = rg_calloc(pl->n_touched + 1, sizeof(*ps->slots));
        for (size_t t = 0; t < pl->n_touched; t++) {
            int32_t k = pl->placed[t * pl->n_sets + s];
            if (k)
                ps->slots[ps->n_slots++] =
                    (gang_slot_t){rg_strdup(gang_view_node_name(pl->v, pl->touched[t])), k};
        }
    }
    return p;
}

static void explain_exclusions(const elig_t *e, rg_buf_t *b)
{
    static const char *const kinds[] = {"", "not ready", "cordoned", "with an untolerated taint",
                                        "not matching the pod's node selection"};
    bool first = true;
    for (int vd = GANG_NODE_NOT_READY; vd <= GANG_NODE_SELECTOR; vd++) {
        if (e->excluded[vd] == 0)
            continue;
        rg_buf_appendf(b, "%s%zu %s (%s)", first ? "; excluded: " : ", ", e->excluded[vd],
                       kinds[vd], e->example[vd]);
        first = false;
    }
}

typedef struct node_free {
    size_t node;
    int64_t free;
} node_free_t;

static int cmp_node_free(const void *a, const void *b)
{
    const node_free_t *x = a, *y = b;
    if (x->free != y->free)
        return x->free > y->free ? -1 : 1;
    return (x->node > y->node) - (x->node < y->node);
}

/* Which resource most eligible nodes lack for one more pod of set s. */
static gang_rid_t short_resource(const planner_t *pl, size_t s)
{
    const gang_rvec_t *req = pl->sets[s].req;
    size_t counts[64] = {0};
    for (size_t k = 0; k < pl->elig[s].n; k++) {
        gang_rid_t id = GANG_RID_NONE;
        if (!fits_now(pl, pl->elig[s].nodes[k], req, &id))
            for (uint32_t r = 0; r < req->n && r < 64; r++)
                if (req->v[r].id == id)
                    counts[r]++;
    }
    size_t best = 0;
    for (uint32_t r = 1; r < req->n && r < 64; r++)
        if (counts[r] > counts[best])
            best = r;
    return req->n ? req->v[best].id : GANG_RID_NONE;
}

static void explain_set(const planner_t *pl, size_t s, rg_buf_t *b)
{
    const gang_podset_t *set = &pl->sets[s];
    const elig_t *e = &pl->elig[s];
    char reqtxt[256];
    rg_buf_appendf(b, "podSet \"%s\": %lld of %lld pods (%s each) do not fit", set->name,
                   (long long)pl->unplaced[s], (long long)set->count,
                   gang_rvec_format(set->req, reqtxt, sizeof(reqtxt)));
    if (e->n == 0) {
        rg_buf_append_str(b, ": no node is eligible");
        explain_exclusions(e, b);
        return;
    }
    gang_rid_t id = short_resource(pl, s);
    int64_t per_pod = gang_rvec_get(set->req, id), total = 0;
    node_free_t *nf = rg_malloc(e->n * sizeof(*nf));
    for (size_t k = 0; k < e->n; k++) {
        nf[k] = (node_free_t){e->nodes[k], free_now(pl, e->nodes[k], id)};
        total += nf[k].free > 0 ? nf[k].free : 0;
    }
    qsort(nf, e->n, sizeof(*nf), cmp_node_free);
    const char *rname = gang_res_name(id);
    char a[QUOTA_QTY_STR_MAX], c[QUOTA_QTY_STR_MAX];
    int64_t need = per_pod * pl->unplaced[s];
    if (total >= need)
        rg_buf_appendf(b, ": %s is fragmented: %s free on the %zu eligible nodes but no node has "
                       "%s free",
                       rname, gang_amount_format(id, total, a, sizeof(a)), e->n,
                       gang_amount_format(id, per_pod, c, sizeof(c)));
    else
        rg_buf_appendf(b, ": %s short by %s (%s free on the %zu eligible nodes, %s more needed)",
                       rname, gang_amount_format(id, need - total, a, sizeof(a)),
                       gang_amount_format(id, total, c, sizeof(c)), e->n,
                       gang_amount_format(id, need, (char[QUOTA_QTY_STR_MAX]){0},
                                          QUOTA_QTY_STR_MAX));
    rg_buf_append_str(b, "; most free:");
    for (size_t k = 0; k < e->n && k < REASON_NODES; k++)
        rg_buf_appendf(b, "%s %s %s", k ? "," : "", gang_view_node_name(pl->v, nf[k].node),
                       gang_amount_format(id, nf[k].free > 0 ? nf[k].free : 0, a, sizeof(a)));
    if (e->n > REASON_NODES)
        rg_buf_appendf(b, " (+%zu more)", e->n - REASON_NODES);
    rg_free(nf);
    explain_exclusions(e, b);
}

static char *explain(const planner_t *pl)
{
    rg_buf_t b = RG_BUF_INIT;
    int64_t total = 0;
    for (size_t s = 0; s < pl->n_sets; s++)
        total += pl->sets[s].count;
    rg_buf_appendf(&b, "cannot place all %lld pods at once: ", (long long)total);
    bool first = true;
    for (size_t o = 0; o < pl->n_sets; o++) {
        size_t s = pl->order[o];
        if (pl->unplaced[s] == 0)
            continue;
        if (!first)
            rg_buf_append_str(&b, "; ");
        explain_set(pl, s, &b);
        first = false;
    }
    return rg_buf_detach(&b, NULL);
}

static int cmp_order(const void *a, const void *b, const planner_t *pl)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    if (pl->gpu_need[x] != pl->gpu_need[y])
        return pl->gpu_need[x] > pl->gpu_need[y] ? -1 : 1;
    return (x > y) - (x < y);
}

/* Insertion sort: few podSets, and qsort has no context argument in C11. */
static void order_sets(planner_t *pl)
{
    for (size_t i = 0; i < pl->n_sets; i++)
        pl->order[i] = i;
    for (size_t i = 1; i < pl->n_sets; i++)
        for (size_t j = i; j > 0 && cmp_order(&pl->order[j], &pl->order[j - 1], pl) < 0; j--) {
            size_t t = pl->order[j];
            pl->order[j] = pl->order[j - 1];
            pl->order[j - 1] = t;
        }
}

static void planner_release(planner_t *pl)
{
    for (size_t s = 0; pl->elig && s < pl->n_sets; s++)
        rg_free(pl->elig[s].nodes);
    rg_free(pl->elig);
    rg_free(pl->gpu_need);
    rg_free(pl->order);
    rg_free(pl->touched_at);
    rg_free(pl->touched);
    rg_free(pl->placed);
    rg_free(pl->unplaced);
    rg_free(pl->scratch);
}

int gang_plan_make(const gang_view_t *v, const gang_free_t *free, const gang_podset_t *sets,
                   size_t n_sets, const gang_weights_t *w, gang_plan_t **out, char **reason)
{
    *out = NULL;
    if (reason)
        *reason = NULL;
    int64_t members = 0;
    if (n_sets > GANG_PLAN_MAX_SETS)
        return RG_ERR_RANGE;
    for (size_t s = 0; s < n_sets; s++) {
        if (sets[s].count < 0 || sets[s].count > GANG_SIZE_MAX)
            return RG_ERR_RANGE;
        members += sets[s].count;
    }
    if (members > GANG_SIZE_MAX)
        return RG_ERR_RANGE;
    static const gang_weights_t defaults = {2, 1, 1};
    size_t n = gang_view_node_count(v);
    planner_t pl = {
        .v = v,
        .free = free,
        .sets = sets,
        .n_sets = n_sets,
        .w = w ? w : &defaults,
        .elig = rg_calloc(n_sets + 1, sizeof(elig_t)),
        .gpu_need = rg_calloc(n_sets + 1, sizeof(int64_t)),
        .order = rg_calloc(n_sets + 1, sizeof(size_t)),
        .touched_at = rg_malloc((n + 1) * sizeof(int32_t)),
        .touched = rg_malloc((n + 1) * sizeof(uint32_t)),
        .placed = rg_malloc((n + 1) * (n_sets + 1) * sizeof(int32_t)),
        .unplaced = rg_calloc(n_sets + 1, sizeof(int64_t)),
        .scratch = rg_malloc((n + 1) * sizeof(uint32_t)),
    };
    for (size_t i = 0; i < n; i++)
        pl.touched_at[i] = -1;
    for (size_t s = 0; s < n_sets; s++)
        pl.gpu_need[s] = gpu_of(v, sets[s].req);
    order_sets(&pl);
    eligibility(&pl);

    uint8_t *mask = rg_malloc(n + 1);
    bool ok = false;
    if (pl.w->topology > 0)
        ok = try_groups(&pl, false, mask) || (has_subzones(v) && try_groups(&pl, true, mask));
    if (!ok)
        ok = attempt(&pl, NULL, true);
    rg_free(mask);
    if (ok)
        *out = plan_of(&pl);
    else if (reason)
        *reason = explain(&pl);
    planner_release(&pl);
    return ok ? RG_OK : GANG_PLAN_SHORT;
}

int gang_score_node(const gang_view_t *v, const gang_free_t *free, size_t i,
                    const gang_rvec_t *req, const char *domain, const gang_weights_t *w)
{
    static const gang_weights_t defaults = {2, 1, 1};
    if (w == NULL)
        w = &defaults;
    unsigned total = w->packing + w->exact + (domain ? w->topology : 0);
    if (total == 0)
        return 0;
    int64_t need = 0, left = 0, alloc = 0;
    for (uint32_t k = 0; k < req->n; k++)
        if (gang_view_is_gpu(v, req->v[k].id)) {
            need += req->v[k].v;
            left += gang_free_get(free, i, req->v[k].id) - req->v[k].v;
        }
    const gang_node_info_t *ni = gang_view_node_info(v, i);
    for (uint32_t r = 0; r < ni->alloc.n; r++)
        if (gang_view_is_gpu(v, ni->alloc.v[r].id))
            alloc += ni->alloc.v[r].v;
    double pack, exact;
    if (need > 0) {
        pack = alloc > 0 ? 1.0 - (double)(left > 0 ? left : 0) / (double)alloc : 0;
        exact = left == 0 ? 1 : 0;
    } else {
        /* A pod without GPUs scores best where it takes no GPU node's room. */
        pack = alloc == 0 ? 1 : 0;
        exact = pack;
    }
    double topo = domain && strcmp(gang_view_node_domain(v, i), domain) == 0 ? 1 : 0;
    double raw = w->packing * pack + w->exact * exact + (domain ? w->topology * topo : 0);
    int score = (int)(10.0 * raw / total + 0.5);
    return score < 0 ? 0 : score > 10 ? 10 : score;
}
