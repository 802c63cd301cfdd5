/*
 * filter and prioritize. A pod of no gang that asks for no GPU passes
 * through untouched. A GPU pod keeps the nodes with room net of every plan
 * and claim. A gang member is steered to one open slot of its gang's plan
 * (planning the gang first when it has none); when kube-scheduler's own
 * filters left none of its slots, the member alone is re-planned onto an
 * offered node with room, never the gang split.
 */
#include "ext_internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"

#include <stdio.h>
#include <string.h>

#define NS_PER_S 1000000000LL

/* One request's nodes: names and view indices (-1 when raygate does not know the node). */
typedef struct req_nodes {
    const char **names;
    long *idx;
    size_t n;
    bool *keep;
    ext_failed_t *failed;
    size_t n_failed;
    /* The last "Insufficient" reason: nodes of one shape share it (no printf per node). */
    struct {
        gang_rid_t id;
        int64_t want, alloc, used, free;
        const char *text;
    } memo;
} req_nodes_t;

static void nodes_init(req_nodes_t *rn, const ext_args_t *a, const gang_view_t *v,
                       rg_arena_t *arena)
{
    rn->n = a->has_nodes ? a->n_nodes : a->n_names;
    rn->names = rg_arena_alloc(arena, (rn->n + 1) * sizeof(char *));
    rn->idx = rg_arena_alloc(arena, (rn->n + 1) * sizeof(long));
    rn->keep = rg_arena_alloc(arena, rn->n + 1);
    rn->failed = rg_arena_alloc(arena, (rn->n + 1) * sizeof(ext_failed_t));
    rn->n_failed = 0;
    rn->memo.text = NULL;
    for (size_t i = 0; i < rn->n; i++) {
        rn->names[i] = a->has_nodes ? a->nodes[i].name : a->names[i];
        if (rn->names[i] == NULL)
            rn->names[i] = "";
        rn->idx[i] = v ? gang_view_find(v, rn->names[i]) : -1;
        rn->keep[i] = false;
    }
}

static void fail_node(req_nodes_t *rn, size_t i, const char *reason, bool unresolvable)
{
    rn->keep[i] = false;
    rn->failed[rn->n_failed++] = (ext_failed_t){rn->names[i], reason, unresolvable};
}

/* Whether evicting every bound pod of node i would make room: preemption could help. */
static bool preemption_helps(const ext_round_t *r, long i, const gang_rvec_t *req)
{
    for (uint32_t k = 0; k < req->n; k++) {
        gang_rid_t id = req->v[k].id;
        if (gang_free_get(r->free, (size_t)i, id) + gang_view_used(r->v, (size_t)i, id) <
            req->v[k].v)
            return false;
    }
    return true;
}

/* "Insufficient nvidia.com/gpu: the pod requests 2, 1 free of 4 (2 held by pods, 1 reserved ...)" */
static const char *insufficient(const ext_round_t *r, long i, gang_rid_t id, int64_t want,
                                req_nodes_t *rn, rg_arena_t *arena)
{
    const gang_node_info_t *ni = gang_view_node_info(r->v, (size_t)i);
    int64_t alloc = gang_rvec_get(&ni->alloc, id);
    int64_t used = gang_view_used(r->v, (size_t)i, id);
    int64_t free = gang_free_get(r->free, (size_t)i, id);
    int64_t reserved = alloc - used - free;
    if (rn->memo.text && rn->memo.id == id && rn->memo.want == want && rn->memo.alloc == alloc &&
        rn->memo.used == used && rn->memo.free == free)
        return rn->memo.text;
    rn->memo.id = id;
    rn->memo.want = want;
    rn->memo.alloc = alloc;
    rn->memo.used = used;
    rn->memo.free = free;
    char a[QUOTA_QTY_STR_MAX], b[QUOTA_QTY_STR_MAX], c[QUOTA_QTY_STR_MAX], d[QUOTA_QTY_STR_MAX],
        e[QUOTA_QTY_STR_MAX];
    return rn->memo.text = rg_arena_sprintf(
               arena,
                            "Insufficient %s: the pod requests %s, %s free of %s allocatable (%s "
                            "held by pods, %s reserved for planned gangs and binds in flight)",
                            gang_res_name(id), gang_amount_format(id, want, a, sizeof(a)),
                            gang_amount_format(id, free > 0 ? free : 0, b, sizeof(b)),
                            gang_amount_format(id, alloc, c, sizeof(c)),
                            gang_amount_format(id, used, d, sizeof(d)),
                            gang_amount_format(id, reserved > 0 ? reserved : 0, e, sizeof(e)));
}

static const char *not_cached = "node is not in raygate's node cache yet";

/*
 * Static constraints and room of node i for the pod; NULL when it fits,
 * else the reason with *unresolvable set.
 */
static const char *node_refusal(const ext_round_t *r, const ext_pod_t *pod, req_nodes_t *rn,
                                size_t i, rg_arena_t *arena, bool *unresolvable)
{
    long idx = rn->idx[i];
    *unresolvable = false;
    if (idx < 0)
        return not_cached;
    char why[320];
    if (gang_cons_check(pod->cons, rn->names[i], gang_view_node_info(r->v, (size_t)idx), why,
                        sizeof(why)) != GANG_NODE_OK) {
        *unresolvable = true;
        return rg_arena_strdup(arena, why);
    }
    gang_rid_t short_id = GANG_RID_NONE;
    if (gang_free_fits(r->free, (size_t)idx, &pod->req, &short_id))
        return NULL;
    *unresolvable = !preemption_helps(r, idx, &pod->req);
    return insufficient(r, idx, short_id, gang_rvec_get(&pod->req, short_id), rn, arena);
}

/* A GPU pod of no gang: every node with room net of plans and claims. */
static void filter_gpu(ext_round_t *r, const ext_pod_t *pod, req_nodes_t *rn, rg_arena_t *arena,
                       ext_answer_t *out)
{
    size_t kept = 0;
    for (size_t i = 0; i < rn->n; i++) {
        bool unres;
        const char *why = node_refusal(r, pod, rn, i, arena, &unres);
        if (why)
            fail_node(rn, i, why, unres);
        else
            rn->keep[i] = true, kept++;
    }
    out->decision = kept ? "filtered" : "refused";
    if (kept == 0 && rn->n_failed)
        snprintf(out->reason, sizeof(out->reason), "%s: %s", rn->failed[0].node,
                 rn->failed[0].reason);
}

/* Refuses every node for the whole gang. */
static void refuse_all(ext_round_t *r, const ext_pod_t *pod, req_nodes_t *rn, const char *reason,
                       rg_arena_t *arena, ext_answer_t *out)
{
    for (size_t i = 0; i < rn->n; i++) {
        bool unres = true;
        if (rn->idx[i] >= 0) {
            char why[320];
            unres = gang_cons_check(pod->cons, rn->names[i],
                                    gang_view_node_info(r->v, (size_t)rn->idx[i]), why,
                                    sizeof(why)) != GANG_NODE_OK ||
                    !preemption_helps(r, rn->idx[i], &pod->req);
        }
        fail_node(rn, i, reason, unres);
    }
    (void)arena;
    out->decision = "refused";
    snprintf(out->reason, sizeof(out->reason), "%s", reason);
    ext__gang_outcome(r->x, "refused");
}

/* Adds count members of set to node in p (a slot appended when the node has none). */
static void plan_add_members(gang_plan_t *p, size_t set, const char *node, int32_t count)
{
    gang_plan_set_t *s = &p->sets[set];
    for (size_t j = 0; j < s->n_slots; j++)
        if (strcmp(s->slots[j].node, node) == 0) {
            s->slots[j].count += count;
            s->count += count;
            return;
        }
    s->slots = rg_realloc(s->slots, (s->n_slots + 1) * sizeof(*s->slots));
    s->slots[s->n_slots++] = (gang_slot_t){rg_strdup(node), count};
    s->count += count;
}

/*
 * Members of the gang already placed (bound in the cache, or claimed here
 * by another pod): they keep their nodes, the planner places the rest.
 */
static void count_placed(ext_round_t *r, const ext_pod_t *pod, gang_podsets_t *ps, int64_t *placed,
                         gang_plan_t *fixed)
{
    const cache_obj_t *const *members = NULL;
    size_t n = cache_snapshot_pods_of_cluster(r->snap[1], pod->ns, pod->cluster, &members);
    for (size_t m = 0; m < n; m++) {
        const gang_pod_info_t *pi = gang_pod_info_of(members[m]);
        if (members[m]->node_name == NULL || pi == NULL || !pi->holds || pi->podset == NULL)
            continue;
        for (size_t s = 0; s < ps->n; s++)
            if (strcmp(ps->names[s], pi->podset) == 0 && placed[s] < ps->sets[s].count) {
                placed[s]++;
                plan_add_members(fixed, s, members[m]->node_name, 1);
            }
    }
    for (size_t i = 0; i < r->x->n_claims; i++) {
        const ext_claim_t *c = &r->x->claims[i];
        if (c->gang == NULL || strcmp(c->gang, pod->gang) != 0 || strcmp(c->uid, pod->uid) == 0 ||
            c->podset == NULL)
            continue;
        for (size_t s = 0; s < ps->n; s++)
            if (strcmp(ps->names[s], c->podset) == 0 && placed[s] < ps->sets[s].count) {
                placed[s]++;
                plan_add_members(fixed, s, c->node, 1);
            }
    }
}

/* Plans an unqueued gang under the planning lock; NULL with reason when it does not fit. */
static ext_live_t *plan_gang(ext_round_t *r, const ext_pod_t *pod, rg_arena_t *arena,
                             const char **reason)
{
    ext_t *x = r->x;
    const cache_obj_t *rc = cache_snapshot_get(r->snap[3], pod->ns, pod->cluster);
    if (rc == NULL) {
        *reason = rg_arena_sprintf(arena, "gang %s: RayCluster %s is not in raygate's cache yet",
                                   pod->gang, pod->gang);
        return NULL;
    }
    bool suspended = false;
    (void)rg_json_get_bool(rg_json_get_object(rc->json, "spec"), "suspend", &suspended);
    if (suspended) {
        *reason = rg_arena_sprintf(arena, "gang %s: the RayCluster is suspended", pod->gang);
        return NULL;
    }
    gang_podsets_t ps = {0};
    rg_error_t err = {0};
    if (gang_podsets_from_raycluster(rc->json, &ps, &err) != RG_OK) {
        *reason = rg_arena_sprintf(arena, "gang %s: RayCluster %s", pod->gang, rg_error_str(&err));
        return NULL;
    }
    int64_t *placed = rg_calloc(ps.n + 1, sizeof(int64_t));
    gang_plan_t fixed = {rg_calloc(ps.n + 1, sizeof(gang_plan_set_t)), ps.n};
    for (size_t s = 0; s < ps.n; s++)
        fixed.sets[s].name = rg_strdup(ps.names[s]);
    count_placed(r, pod, &ps, placed, &fixed);
    int64_t total = 0;
    for (size_t s = 0; s < ps.n; s++) {
        total += ps.sets[s].count;
        ps.sets[s].count -= placed[s];
    }
    gang_plan_t *plan = NULL;
    char *why = NULL;
    int rc_ = gang_plan_make(r->v, r->free, ps.sets, ps.n, &x->opts.weights, &plan, &why);
    ext_live_t *l = NULL;
    if (rc_ == RG_OK) {
        for (size_t s = 0; s < ps.n; s++)
            for (size_t j = 0; j < fixed.sets[s].n_slots; j++)
                plan_add_members(plan, s, fixed.sets[s].slots[j].node,
                                 fixed.sets[s].slots[j].count);
        ext__plan_add(x, pod->ns, pod->cluster, plan, ps.reqs,
                      r->now + (int64_t)x->opts.plan_ttl_s * NS_PER_S);
        char *text = gang_plan_encode(plan, NULL, NULL);
        rg_log_info("extender", "gang planned gang=%s members=%lld plan=%s", pod->gang,
                    (long long)total, text ? text : "(too large to log)");
        rg_free(text);
        ext__gang_outcome(x, "planned");
        l = ext__round_gang(r, pod->ns, pod->cluster, pod->gang, pod->uid);
    } else {
        *reason = rg_arena_sprintf(arena, "gang %s (%lld pods): %s", pod->gang, (long long)total,
                                   why ? why : "the planner refused it");
        gang_plan_free(plan);
    }
    rg_free(why);
    rg_free(placed);
    for (size_t s = 0; s < fixed.n_sets; s++) {
        for (size_t j = 0; j < fixed.sets[s].n_slots; j++)
            rg_free(fixed.sets[s].slots[j].node);
        rg_free(fixed.sets[s].slots);
        rg_free(fixed.sets[s].name);
    }
    rg_free(fixed.sets);
    gang_podsets_release(&ps);
    return l;
}

/* The held plan to change for a re-planned member: the gang's own, or an override of the recorded one. */
static ext_plan_t *plan_to_change(ext_round_t *r, const ext_pod_t *pod, ext_live_t *l)
{
    if (l->mine)
        return l->mine;
    ext_plan_t *p = ext__plan_add(r->x, pod->ns, pod->cluster, gang_plan_copy(l->rec->plan),
                                  l->rec->reqs, 0);
    p->workload = rg_strdup(l->rec->workload);
    p->recorded_text = gang_plan_encode(l->rec->plan, NULL, NULL);
    l->mine = p;
    return p;
}

/* Where the gang's other slots are, to keep a re-planned member near them. */
static const char *gang_domain(const ext_round_t *r, const gang_plan_t *p)
{
    for (size_t s = 0; s < p->n_sets; s++)
        for (size_t j = 0; j < p->sets[s].n_slots; j++) {
            long i = gang_view_find(r->v, p->sets[s].slots[j].node);
            if (i >= 0)
                return gang_view_node_domain(r->v, (size_t)i);
        }
    return NULL;
}

/* The member's planned node is not offered: the best offered node with room takes its slot. */
static void replan_member(ext_round_t *r, const ext_pod_t *pod, ext_live_t *l, size_t set,
                          req_nodes_t *rn, rg_arena_t *arena, ext_answer_t *out)
{
    const char *domain = gang_domain(r, l->plan);
    long best = -1;
    int best_score = -1;
    for (size_t i = 0; i < rn->n; i++) {
        bool unres;
        const char *why = node_refusal(r, pod, rn, i, arena, &unres);
        if (why) {
            fail_node(rn, i, why, unres);
            continue;
        }
        int sc = gang_score_node(r->v, r->free, (size_t)rn->idx[i], &pod->req, domain,
                                 &r->x->opts.weights);
        if (sc > best_score)
            best_score = sc, best = (long)i;
    }
    const gang_plan_set_t *ps = &l->plan->sets[set];
    const char *from = NULL;
    /* A copy: moving the slot may free the plan's string. */
    for (size_t j = 0; j < ps->n_slots && from == NULL; j++)
        if (l->left[set][j] > 0)
            from = rg_arena_strdup(arena, ps->slots[j].node);
    if (best < 0) {
        char *planned = rg_arena_sprintf(arena, "gang %s: member of podSet \"%s\" is planned on "
                                         "node %s, which kube-scheduler did not offer, and no "
                                         "offered node has room for it",
                                         pod->gang, pod->podset, from ? from : "(none left)");
        for (size_t k = 0; k < rn->n_failed; k++)
            rn->failed[k].reason = rg_arena_sprintf(arena, "%s: %s", planned,
                                                    rn->failed[k].reason);
        out->decision = "refused";
        snprintf(out->reason, sizeof(out->reason), "%s", planned);
        ext__gang_outcome(r->x, "refused");
        return;
    }
    /* Keep only the chosen node: the failures above stay, the other fits are refused. */
    const char *to = rn->names[best];
    ext_plan_t *held = plan_to_change(r, pod, l);
    size_t hs = (size_t)(gang_plan_set(held->plan, pod->podset) - held->plan->sets);
    if (from == NULL || gang_plan_move(held->plan, pod->podset, from, to) != RG_OK)
        plan_add_members(held->plan, hs, to, 1);
    held->dirty = held->workload != NULL;
    if (held->expires_ns)
        held->expires_ns = r->now + (int64_t)r->x->opts.plan_ttl_s * NS_PER_S;
    for (size_t i = 0; i < rn->n; i++) {
        bool already = false;
        for (size_t k = 0; k < rn->n_failed && !already; k++)
            already = rn->failed[k].node == rn->names[i];
        if (!already && (long)i != best)
            fail_node(rn, i, rg_arena_sprintf(arena, "gang %s: member of podSet \"%s\" re-planned "
                                              "on node %s", pod->gang, pod->podset, to),
                      true);
    }
    rn->keep[best] = true;
    ext__claim_put(r->x, pod, to, r->now + (int64_t)r->x->opts.assume_ttl_s * NS_PER_S, false);
    rg_log_info("extender", "gang member re-planned pod=%s/%s gang=%s podset=%s from=%s to=%s",
                pod->ns, pod->name, pod->gang, pod->podset, from ? from : "-", to);
    out->decision = "replanned";
    snprintf(out->reason, sizeof(out->reason), "re-planned from %s to %s", from ? from : "-", to);
    ext__gang_outcome(r->x, "replanned");
}

/*
 * Whether an open slot's node still takes the member: its constraints
 * hold and nothing outside the plan over-committed it (the slot's own
 * reservation is the member's room, so free must not be negative).
 */
static bool slot_usable(const ext_round_t *r, const ext_pod_t *pod, const req_nodes_t *rn,
                        size_t i)
{
    char why[320];
    size_t idx = (size_t)rn->idx[i];
    if (gang_cons_check(pod->cons, rn->names[i], gang_view_node_info(r->v, idx), why,
                        sizeof(why)) != GANG_NODE_OK)
        return false;
    for (uint32_t k = 0; k < pod->req.n; k++)
        if (gang_free_get(r->free, idx, pod->req.v[k].id) < 0)
            return false;
    return true;
}

/* A gang member: to its open slot, else re-planned; the gang planned first when it has no plan. */
static void filter_member(ext_round_t *r, const ext_pod_t *pod, req_nodes_t *rn, rg_arena_t *arena,
                          ext_answer_t *out)
{
    ext_live_t *l = ext__round_gang(r, pod->ns, pod->cluster, pod->gang, pod->uid);
    if (l == NULL) {
        const char *reason = NULL;
        l = plan_gang(r, pod, arena, &reason);
        if (l == NULL) {
            refuse_all(r, pod, rn, reason, arena, out);
            return;
        }
    }
    const gang_plan_set_t *ps = pod->podset ? gang_plan_set(l->plan, pod->podset) : NULL;
    if (ps == NULL) {
        /* Not a member the plan knows (no podSet label): placed as a plain pod. */
        filter_gpu(r, pod, rn, arena, out);
        return;
    }
    size_t set = (size_t)(ps - l->plan->sets);
    if (l->mine && l->mine->expires_ns)
        l->mine->expires_ns = r->now + (int64_t)r->x->opts.plan_ttl_s * NS_PER_S;
    const ext_claim_t *mine = ext__claim_find(r->x, pod->uid);
    long choice = -1;
    for (int pass = 0; pass < 2 && choice < 0; pass++)
        for (size_t i = 0; i < rn->n && choice < 0; i++) {
            if (rn->idx[i] < 0)
                continue;
            /* The pod's own earlier claim first, then slots in plan order. */
            if (pass == 0 && !(mine && strcmp(mine->node, rn->names[i]) == 0))
                continue;
            bool open = false;
            for (size_t j = 0; j < ps->n_slots && !open; j++)
                open = l->left[set][j] > 0 && strcmp(ps->slots[j].node, rn->names[i]) == 0;
            if (open && slot_usable(r, pod, rn, i))
                choice = (long)i;
        }
    if (choice < 0) {
        replan_member(r, pod, l, set, rn, arena, out);
        return;
    }
    for (size_t i = 0; i < rn->n; i++)
        if ((long)i != choice)
            fail_node(rn, i, rg_arena_sprintf(arena, "gang %s: member of podSet \"%s\" is planned "
                                              "on node %s", pod->gang, pod->podset,
                                              rn->names[choice]),
                      true);
    rn->keep[choice] = true;
    ext__claim_put(r->x, pod, rn->names[choice],
                   r->now + (int64_t)r->x->opts.assume_ttl_s * NS_PER_S, false);
    out->decision = "steered";
    snprintf(out->reason, sizeof(out->reason), "planned on %s", rn->names[choice]);
    ext__gang_outcome(r->x, "steered");
}

/* ---- The verbs ---- */

/* Decodes ExtenderArgs and its Pod; false with out filled when the request cannot be served. */
static bool decode_request(ext_t *x, const char *body, size_t len, rg_arena_t *arena,
                           ext_args_t *args, ext_pod_t *pod, bool filter, ext_answer_t *out)
{
    rg_error_t err = {0};
    memset(pod, 0, sizeof(*pod));
    if (ext__args_decode(body, len, x->opts.max_nodes, arena, args, &err) != RG_OK) {
        ext__answer_error(out, err.code == RG_ERR_TOO_BIG ? 413 : 400, "error",
                          rg_error_str(&err));
        return false;
    }
    if (ext__pod_decode(x, args->pod, args->pod_len, pod, &err) != RG_OK) {
        ext__answer_error(out, 200, "error", rg_error_str(&err));
        rg_buf_t b = RG_BUF_INIT;
        if (filter)
            ext__filter_error_encode(&b, rg_error_str(&err));
        else
            ext__priorities_encode(&b, NULL, NULL, 0);
        out->body = rg_buf_detach(&b, &out->len);
        return false;
    }
    snprintf(out->pod, sizeof(out->pod), "%s/%s", pod->ns, pod->name);
    return true;
}

void ext_filter(ext_t *x, const char *body, size_t len, int64_t now_ns, ext_answer_t *out)
{
    memset(out, 0, sizeof(*out));
    rg_arena_t arena;
    rg_arena_init(&arena, 64 * 1024);
    ext_args_t args;
    ext_pod_t pod;
    if (!decode_request(x, body, len, &arena, &args, &pod, true, out)) {
        ext__pod_release(&pod);
        rg_arena_release(&arena);
        return;
    }
    out->status = 200;
    rg_buf_t b = RG_BUF_INIT;
    if (pod.cluster == NULL && !pod.gpu) {
        /* Neither GPUs nor a gang: nothing raygate decides; every node passes as sent. */
        out->decision = "passed";
        ext__filter_result_encode(&b, &args, NULL, NULL, 0);
    } else {
        ext_round_t r;
        ext__round_begin(x, now_ns, &r);
        req_nodes_t rn;
        nodes_init(&rn, &args, r.v, &arena);
        pthread_mutex_lock(&x->mu);
        ext__round_state(&r, pod.uid);
        if (pod.cluster)
            filter_member(&r, &pod, &rn, &arena, out);
        else
            filter_gpu(&r, &pod, &rn, &arena, out);
        pthread_mutex_unlock(&x->mu);
        ext__filter_result_encode(&b, &args, rn.keep, rn.failed, rn.n_failed);
        ext__round_end(&r);
    }
    out->body = rg_buf_detach(&b, &out->len);
    ext__pod_release(&pod);
    rg_arena_release(&arena);
}

/* Scores of a gang member: 10 on its claimed node or its open slots, 0 elsewhere. */
static bool score_member(ext_round_t *r, const ext_pod_t *pod, const req_nodes_t *rn, int *scores)
{
    ext_live_t *l = ext__round_gang(r, pod->ns, pod->cluster, pod->gang, pod->uid);
    const gang_plan_set_t *ps = l && pod->podset ? gang_plan_set(l->plan, pod->podset) : NULL;
    if (ps == NULL)
        return false;
    size_t set = (size_t)(ps - l->plan->sets);
    const ext_claim_t *c = ext__claim_find(r->x, pod->uid);
    for (size_t i = 0; i < rn->n; i++) {
        bool open = c && strcmp(c->node, rn->names[i]) == 0;
        for (size_t j = 0; j < ps->n_slots && !open; j++)
            open = l->left[set][j] > 0 && strcmp(ps->slots[j].node, rn->names[i]) == 0;
        scores[i] = open ? 10 : 0;
    }
    return true;
}

void ext_prioritize(ext_t *x, const char *body, size_t len, int64_t now_ns, ext_answer_t *out)
{
    memset(out, 0, sizeof(*out));
    rg_arena_t arena;
    rg_arena_init(&arena, 64 * 1024);
    ext_args_t args;
    ext_pod_t pod;
    if (!decode_request(x, body, len, &arena, &args, &pod, false, out)) {
        ext__pod_release(&pod);
        rg_arena_release(&arena);
        return;
    }
    out->status = 200;
    req_nodes_t rn;
    int *scores = NULL;
    if (pod.cluster == NULL && !pod.gpu) {
        nodes_init(&rn, &args, NULL, &arena);
        out->decision = "passed";
    } else {
        ext_round_t r;
        ext__round_begin(x, now_ns, &r);
        nodes_init(&rn, &args, r.v, &arena);
        scores = rg_arena_alloc(&arena, (rn.n + 1) * sizeof(int));
        pthread_mutex_lock(&x->mu);
        ext__round_state(&r, pod.uid);
        if (pod.cluster == NULL || !score_member(&r, &pod, &rn, scores)) {
            const char *domain = NULL;
            for (size_t i = 0; i < rn.n; i++)
                scores[i] = rn.idx[i] >= 0 && gang_free_fits(r.free, (size_t)rn.idx[i], &pod.req,
                                                             NULL)
                                ? gang_score_node(r.v, r.free, (size_t)rn.idx[i], &pod.req, domain,
                                                  &x->opts.weights)
                                : 0;
        }
        pthread_mutex_unlock(&x->mu);
        ext__round_end(&r);
        out->decision = "scored";
    }
    rg_buf_t b = RG_BUF_INIT;
    ext__priorities_encode(&b, rn.names, scores, rn.n);
    out->body = rg_buf_detach(&b, &out->len);
    ext__pod_release(&pod);
    rg_arena_release(&arena);
}
