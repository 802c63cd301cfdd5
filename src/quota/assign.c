/*
 * Kueue's flavor assigner: for each podSet and resource group, the flavors
 * of the ClusterQueue in order, every resource of a group from one flavor,
 * quota checked against what the podSets before it already took, the
 * flavor fungibility rules choosing between borrowing and moving on, and
 * Kueue's reasons when nothing fits. Also the namespace label selector.
 */
#include "internal.h"

#include "raygate/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- amounts in messages ---- */

/* Prints v of resource as Kueue's ResourceFormatter does (cpu decimal,
 * memory, ephemeral-storage and hugepages binary, the rest decimal). */
static void fmt_amount(const char *resource, qamt_t v, char *buf, size_t size)
{
    quota_qty_format_t f = QUOTA_QTY_DECIMAL_SI;
    if (strcmp(resource, "memory") == 0 || strcmp(resource, "ephemeral-storage") == 0 ||
        strncmp(resource, "hugepages-", 10) == 0)
        f = QUOTA_QTY_BINARY_SI;
    quota_qty_t q = {.nano = v, .format = f};
    quota_qty_format(&q, buf, size);
}

/* ---- modes (Kueue's granularMode) ---- */

typedef enum pmode {
    PM_NOFIT = 0,
    PM_NO_CANDIDATES, /* preemption could make room, but the preemptor finds no victims */
    PM_PREEMPT,       /* victims found, some in the preemptor's own ClusterQueue */
    PM_RECLAIM,       /* victims found, all elsewhere in the cohort */
    PM_FIT,
} pmode_t;

typedef struct gmode {
    pmode_t p;
    int borrow;
} gmode_t;

static bool preferred(gmode_t a, gmode_t b, quota_preference_t pref)
{
    if (a.p == PM_NOFIT)
        return false;
    if (b.p == PM_NOFIT)
        return true;
    if ((a.p == PM_NO_CANDIDATES) != (b.p == PM_NO_CANDIDATES))
        return a.p != PM_NO_CANDIDATES;
    if (pref == QUOTA_PREF_PREEMPTION_OVER_BORROWING) {
        if (a.borrow != b.borrow)
            return a.borrow < b.borrow;
        return a.p > b.p;
    }
    if (a.p != b.p)
        return a.p > b.p;
    return a.borrow < b.borrow;
}

/* Kueue's shouldTryNextFlavor. */
static bool try_next_flavor(gmode_t m, const quota_cq_spec_t *s)
{
    if (m.p == PM_NOFIT || m.p == PM_NO_CANDIDATES)
        return true;
    if ((m.p == PM_PREEMPT || m.p == PM_RECLAIM) && s->when_can_preempt == QUOTA_TRY_NEXT_FLAVOR)
        return true;
    return m.borrow > 0 && s->when_can_borrow == QUOTA_TRY_NEXT_FLAVOR;
}

/* ---- reasons ---- */

typedef struct reasons {
    char **v;
    size_t n;
} reasons_t;

static void reason_add(reasons_t *r, char *owned)
{
    r->v = rg_realloc(r->v, (r->n + 1) * sizeof(char *));
    r->v[r->n++] = owned;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Kueue's Status.Message: the reasons sorted, joined by ", ". Owned. */
static char *reasons_join(reasons_t *r)
{
    qsort(r->v, r->n, sizeof(char *), cmp_str);
    rg_buf_t b = RG_BUF_INIT;
    for (size_t i = 0; i < r->n; i++)
        rg_buf_appendf(&b, "%s%s", i ? ", " : "", r->v[i]);
    if (b.data == NULL)
        rg_buf_append_str(&b, "");
    return rg_buf_detach(&b, NULL);
}

static void reasons_release(reasons_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        rg_free(r->v[i]);
    rg_free(r->v);
    *r = (reasons_t){0};
}

/* ---- the assignment in progress ---- */

typedef struct qreq {
    uint32_t res;
    const char *name;
    qamt_t v;
    quota_qty_format_t format;
} qreq_t;

typedef struct ctx {
    quota_model_t *m;
    qcq_t *cq;
    const qwl_t *w;
    qusage_t *taken; /* what earlier podSets took, by fr */
    size_t n_taken;
    qfr_t *need; /* flavor/resources assigned in Preempt mode */
    size_t n_need;
} ctx_t;

static qamt_t taken(const ctx_t *c, qfr_t fr)
{
    for (size_t i = 0; i < c->n_taken; i++)
        if (c->taken[i].fr == fr)
            return c->taken[i].v;
    return 0;
}

static void take(ctx_t *c, qfr_t fr, qamt_t v)
{
    for (size_t i = 0; i < c->n_taken; i++) {
        if (c->taken[i].fr == fr) {
            c->taken[i].v += v;
            return;
        }
    }
    c->taken = rg_realloc(c->taken, (c->n_taken + 1) * sizeof(*c->taken));
    c->taken[c->n_taken].fr = fr;
    c->taken[c->n_taken++].v = v;
}

static int group_of(const qcq_t *cq, uint32_t res)
{
    for (size_t g = 0; g < cq->n_groups; g++)
        for (size_t r = 0; r < cq->groups[g].n_res; r++)
            if (cq->groups[g].res[r] == res)
                return (int)g;
    return -1;
}

static bool flavor_key(const char *key, void *arg)
{
    return rg_json_get((const cJSON *)arg, key) != NULL;
}

/* Kueue's checkFlavorForPodSets: taints, then the node selector. */
static char *flavor_mismatch(const ctx_t *c, const char *flavor, const quota_podset_spec_t *ps)
{
    const quota_flavor_spec_t *f = rg_strmap_get(&c->m->flavors, flavor);
    if (f == NULL && strcmp(flavor, QUOTA_SHORTHAND_FLAVOR) != 0)
        return rg_asprintf("flavor %s not found", flavor);
    if (f == NULL)
        return NULL;
    const cJSON *taint = podspec_untolerated_taint(
        f->node_taints, rg_json_get(ps->placement, "tolerations"), f->tolerations);
    if (taint) {
        const char *k = rg_json_get_string(taint, "key");
        const char *v = rg_json_get_string(taint, "value");
        const char *e = rg_json_get_string(taint, "effect");
        /* kubectl's taint notation: key=value:Effect */
        return rg_asprintf("untolerated taint %s%s%s:%s in flavor %s", k ? k : "",
                           v && v[0] ? "=" : "", v && v[0] ? v : "", e ? e : "", flavor);
    }
    const cJSON *labels = f->node_labels;
    if (!podspec_node_matches(ps->placement, labels, flavor_key, (void *)labels))
        return rg_asprintf("flavor %s doesn't match node affinity", flavor);
    return NULL;
}

/* Kueue's canPreemptWhileBorrowing. */
static bool can_preempt_while_borrowing(const ctx_t *c)
{
    const quota_preemption_t *p = &c->cq->spec->policy;
    return p->borrow_within_cohort ||
           (c->m->cfg.fair_sharing && p->reclaim != QUOTA_PREEMPT_NEVER);
}

/* Kueue's fitsResourceQuota for one flavor/resource. */
static gmode_t fits_quota(ctx_t *c, uint32_t fid, const qreq_t *q, reasons_t *why)
{
    qfr_t fr = QFR(fid, q->res);
    qamt_t before = taken(c, fr);
    qamt_t val = before + q->v;
    qnode_t *node = &c->cq->node;
    const char *fname = c->m->flavor_names.names[fid];
    qamt_t max = quota__potential_available(node, fr);
    char a[QUOTA_QTY_STR_MAX], b[QUOTA_QTY_STR_MAX], d[QUOTA_QTY_STR_MAX];
    if (val > max) {
        fmt_amount(q->name, before, a, sizeof(a));
        fmt_amount(q->name, q->v, b, sizeof(b));
        fmt_amount(q->name, max, d, sizeof(d));
        reason_add(why, rg_asprintf("insufficient quota for %s in flavor %s, previously "
                                    "considered podsets requests (%s) + current podset request "
                                    "(%s) > maximum capacity (%s)",
                                    q->name, fname, a, b, d));
        return (gmode_t){PM_NOFIT, 0};
    }
    bool may_reclaim;
    int borrow = quota__borrow_height(node, fr, val, &may_reclaim);
    qamt_t avail = quota__available(node, fr);
    if (val <= avail)
        return (gmode_t){PM_FIT, borrow};
    fmt_amount(q->name, val - avail, a, sizeof(a));
    reason_add(why, rg_asprintf("insufficient unused quota for %s in flavor %s, %s more needed",
                                q->name, fname, a));
    /* Room exists within nominal quota or lower in the cohort tree, or the
     * queue may preempt while borrowing: ask the preemptor whether victims
     * would make it (Kueue's oracle). */
    const qentry_t *e = quota__entry(node, fr);
    qamt_t nominal = e && e->quota ? e->nominal : 0;
    if (nominal >= val || may_reclaim || can_preempt_while_borrowing(c)) {
        int after = 0;
        qpossible_t p = quota__preempt_simulate(c->m, c->cq, c->w, fr, val, c->m->now_ns, &after);
        pmode_t mode = p == QPOSSIBLE_NO_CANDIDATES ? PM_NO_CANDIDATES
                       : p == QPOSSIBLE_PREEMPT     ? PM_PREEMPT
                                                    : PM_RECLAIM;
        return (gmode_t){mode, after};
    }
    return (gmode_t){PM_NOFIT, borrow};
}

/*
 * The best flavor of group g for the podSet's requests; -1 when none fits.
 * modes[r] gets each request's own mode in the chosen flavor (Kueue's
 * per-resource FlavorAssignment.Mode).
 */
static int find_flavor(ctx_t *c, int g, const quota_podset_spec_t *ps, const qreq_t *reqs,
                       size_t n_reqs, reasons_t *why, gmode_t *out, pmode_t *modes)
{
    const qgroup_t *grp = &c->cq->groups[g];
    int best = -1;
    gmode_t best_mode = {PM_NOFIT, 1 << 30};
    pmode_t *cur = rg_calloc(n_reqs ? n_reqs : 1, sizeof(*cur));
    for (size_t fi = 0; fi < grp->n_flv; fi++) {
        uint32_t fid = grp->flv[fi];
        char *mismatch = flavor_mismatch(c, c->m->flavor_names.names[fid], ps);
        if (mismatch) {
            reason_add(why, mismatch);
            continue;
        }
        gmode_t rep = {PM_FIT, 0};
        for (size_t r = 0; r < n_reqs; r++) {
            if (group_of(c->cq, reqs[r].res) != g)
                continue;
            gmode_t m = fits_quota(c, fid, &reqs[r], why);
            cur[r] = m.p;
            if (preferred(rep, m, c->cq->spec->preference))
                rep = m;
            if (rep.p == PM_NOFIT)
                break;
        }
        bool stop = !try_next_flavor(rep, c->cq->spec);
        if (stop || preferred(rep, best_mode, c->cq->spec->preference)) {
            best = (int)fi;
            best_mode = rep;
            memcpy(modes, cur, n_reqs * sizeof(*cur));
        }
        if (stop)
            break;
    }
    rg_free(cur);
    *out = best_mode;
    return best_mode.p == PM_NOFIT ? -1 : best;
}

/* The podSet's total requests (per pod × count, plus pods when covered). */
static qreq_t *podset_requests(ctx_t *c, const quota_podset_spec_t *ps, size_t *n)
{
    const podspec_reqs_t *per = &ps->per_pod;
    qreq_t *v = rg_calloc(per->n + 1, sizeof(*v));
    *n = 0;
    bool has_pods = false;
    for (size_t i = 0; i < per->n; i++) {
        uint32_t rid = quota__intern(&c->m->resource_names, per->v[i].name);
        has_pods = has_pods || strcmp(per->v[i].name, "pods") == 0;
        v[(*n)++] = (qreq_t){rid, c->m->resource_names.names[rid], per->v[i].qty.nano * ps->count,
                             per->v[i].qty.format};
    }
    uint32_t pods = quota__lookup(&c->m->resource_names, "pods");
    if (!has_pods && pods != UINT32_MAX && group_of(c->cq, pods) >= 0)
        v[(*n)++] = (qreq_t){pods, "pods", (qamt_t)ps->count * 1000000000, QUOTA_QTY_DECIMAL_SI};
    return v;
}

static void need_add(ctx_t *c, qfr_t fr)
{
    for (size_t i = 0; i < c->n_need; i++)
        if (c->need[i] == fr)
            return;
    c->need = rg_realloc(c->need, (c->n_need + 1) * sizeof(*c->need));
    c->need[c->n_need++] = fr;
}

typedef enum ps_result {
    PS_NOFIT = 0,
    PS_PREEMPT, /* assigned, some resources only after preemption */
    PS_FIT,
} ps_result_t;

/* Assigns one podSet; fills pa (resources with flavors), or PS_NOFIT with why. */
static ps_result_t assign_podset(ctx_t *c, const quota_podset_spec_t *ps,
                                 quota_ps_admission_t *pa, int *borrow, reasons_t *why)
{
    size_t n;
    qreq_t *reqs = podset_requests(c, ps, &n);
    int chosen[QUOTA_MAX_GROUPS];
    for (size_t g = 0; g < QUOTA_MAX_GROUPS; g++)
        chosen[g] = -2;
    pmode_t *modes = rg_calloc(n ? n : 1, sizeof(*modes));
    bool ok = true, all_fit = true;
    pa->res = rg_calloc(n ? n : 1, sizeof(*pa->res));
    for (size_t r = 0; r < n && ok; r++) {
        int g = group_of(c->cq, reqs[r].res);
        if (g < 0) {
            if (reqs[r].v == 0)
                continue;
            reason_add(why, rg_asprintf("resource %s unavailable in ClusterQueue", reqs[r].name));
            ok = false;
            break;
        }
        if (chosen[g] == -2) {
            gmode_t mode;
            chosen[g] = find_flavor(c, g, ps, reqs, n, why, &mode, modes);
            if (chosen[g] < 0) {
                ok = false;
                break;
            }
            *borrow = mode.borrow > *borrow ? mode.borrow : *borrow;
        }
        uint32_t fid = c->cq->groups[g].flv[chosen[g]];
        if (modes[r] != PM_FIT) {
            all_fit = false;
            need_add(c, QFR(fid, reqs[r].res));
        }
        quota_ps_res_t *pr = &pa->res[pa->n_res++];
        pr->resource = rg_strdup(reqs[r].name);
        pr->flavor = rg_strdup(c->m->flavor_names.names[fid]);
        pr->usage = (quota_qty_t){.nano = reqs[r].v, .format = reqs[r].format};
    }
    if (ok)
        for (size_t r = 0; r < pa->n_res; r++)
            take(c,
                 QFR(quota__lookup(&c->m->flavor_names, pa->res[r].flavor),
                     quota__lookup(&c->m->resource_names, pa->res[r].resource)),
                 pa->res[r].usage.nano);
    rg_free(reqs);
    rg_free(modes);
    return !ok ? PS_NOFIT : all_fit ? PS_FIT : PS_PREEMPT;
}

/* Kueue's Assignment.Message: each podSet that does not simply fit, "; "-joined. */
static void note_podset(rg_buf_t *msg, const char *podset, reasons_t *why)
{
    char *joined = reasons_join(why);
    rg_buf_appendf(msg, "%scouldn't assign flavors to pod set %s: %s", msg->len ? "; " : "",
                   podset, joined);
    rg_free(joined);
}

void quota__assign(quota_model_t *m, qcq_t *cq, const qwl_t *w, qassign_t *out)
{
    *out = (qassign_t){0};
    ctx_t c = {.m = m, .cq = cq, .w = w};
    const quota_wl_spec_t *s = w->spec;
    quota_admission_t *adm = rg_calloc(1, sizeof(*adm));
    adm->cluster_queue = rg_strdup(cq->spec->name);
    adm->podsets = rg_calloc(s->n_podsets ? s->n_podsets : 1, sizeof(*adm->podsets));
    reasons_t why = {0};
    rg_buf_t msg = RG_BUF_INIT;
    bool preempt = false;
    for (size_t i = 0; i < s->n_podsets; i++) {
        quota_ps_admission_t *pa = &adm->podsets[adm->n_podsets++];
        pa->name = rg_strdup(s->podsets[i].name);
        pa->count = s->podsets[i].count;
        ps_result_t r = assign_podset(&c, &s->podsets[i], pa, &out->borrow, &why);
        if (r != PS_FIT)
            note_podset(&msg, s->podsets[i].name, &why);
        reasons_release(&why);
        if (r == PS_NOFIT) {
            out->reason = rg_strdup("Pending");
            out->message = rg_buf_detach(&msg, NULL);
            quota_admission_free(adm);
            rg_free(c.taken);
            rg_free(c.need);
            return;
        }
        preempt = preempt || r == PS_PREEMPT;
    }
    out->fits = !preempt;
    out->preempt = preempt;
    out->admission = adm;
    out->usage = c.taken;
    out->n_usage = c.n_taken;
    out->need = c.need;
    out->n_need = c.n_need;
    if (preempt) {
        out->reason = rg_strdup("Pending");
        out->message = rg_buf_detach(&msg, NULL);
    }
    rg_buf_release(&msg);
}

void quota__assign_release(qassign_t *a)
{
    rg_free(a->reason);
    rg_free(a->message);
    quota_admission_free(a->admission);
    rg_free(a->usage);
    rg_free(a->need);
    *a = (qassign_t){0};
}
