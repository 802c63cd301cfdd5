/*
 * bind and preempt. bind records the member's claim before it POSTs the
 * Binding (with the pod's UID as precondition, so a recreated pod is never
 * bound), so filters that overlap it already count the pod; a re-planned
 * member's new slot is then written back to its Workload's plan. preempt
 * keeps only the nodes whose victims split no running gang.
 */
#include "ext_internal.h"

#include "raygate/alloc.h"
#include "raygate/log.h"

#include <stdio.h>
#include <string.h>

#define NS_PER_S 1000000000LL

static void bind_answer(ext_answer_t *out, const char *decision, const char *error)
{
    out->status = 200;
    out->decision = decision;
    snprintf(out->reason, sizeof(out->reason), "%s", error ? error : "");
    rg_buf_t b = RG_BUF_INIT;
    ext__bind_result_encode(&b, error);
    out->body = rg_buf_detach(&b, &out->len);
}

/* Claims the pod on node before binding; what the pod cache knows of it fills the claim. */
static void claim_for_bind(ext_t *x, const ext_bind_args_t *a, int64_t now)
{
    cache_snapshot_t *pods = cache_snapshot_acquire(x->caches, CACHE_KIND_POD);
    const cache_obj_t *o = cache_snapshot_get(pods, a->pod_namespace, a->pod_name);
    const gang_pod_info_t *pi = o && strcmp(o->uid, a->pod_uid) == 0 ? gang_pod_info_of(o) : NULL;
    ext_pod_t pod = {.ns = a->pod_namespace, .name = a->pod_name, .uid = a->pod_uid};
    if (pi) {
        pod.cluster = o->ray_cluster;
        pod.podset = pi->podset;
        pod.req = pi->reqs; /* copied by ext__claim_put, never released here */
        if (pod.cluster)
            snprintf(pod.gang, sizeof(pod.gang), "%s/%s", pod.ns, pod.cluster);
    }
    pthread_mutex_lock(&x->mu);
    ext__claim_put(x, &pod, a->node, now + (int64_t)x->opts.assume_ttl_s * NS_PER_S, true);
    pthread_mutex_unlock(&x->mu);
    cache_snapshot_release(pods);
}

static void claim_forget(ext_t *x, const char *uid)
{
    pthread_mutex_lock(&x->mu);
    ext__claim_forget(x, uid);
    pthread_mutex_unlock(&x->mu);
}

/* Writes re-planned slots back to the Workloads they override (best effort, logged). */
static void write_back_plans(ext_t *x)
{
    for (;;) {
        char *workload = NULL, *text = NULL;
        pthread_mutex_lock(&x->mu);
        for (size_t i = 0; i < x->n_plans && workload == NULL; i++) {
            ext_plan_t *p = &x->plans[i];
            if (!p->dirty)
                continue;
            p->dirty = false;
            text = gang_plan_encode(p->plan, NULL, NULL);
            if (text == NULL)
                continue;
            workload = rg_strdup(p->workload);
            /* Once written, the Workload's plan is this one: no longer an override. */
            rg_free(p->recorded_text);
            p->recorded_text = rg_strdup(text);
        }
        pthread_mutex_unlock(&x->mu);
        if (workload == NULL)
            return;
        char *slash = strchr(workload, '/');
        rg_buf_t patch = RG_BUF_INIT;
        rg_buf_append_str(&patch, "{\"metadata\":{\"annotations\":{\"" GANG_PLACEMENT_ANNOTATION
                                  "\":");
        rg_buf_append_json_str(&patch, text);
        rg_buf_append_str(&patch, "}}}");
        kube_result_t res = {0};
        rg_error_t err = {0};
        if (slash) {
            *slash = '\0';
            int rc = kube_patch(x->client, &kube_res_workloads, workload, slash + 1,
                                KUBE_PATCH_MERGE, patch.data, false, &res, &err);
            if (rc < 0 || res.http_status / 100 != 2)
                rg_log_warn("extender", "cannot record the re-planned gang workload=%s/%s "
                            "error=\"%s\"", workload, slash + 1, rg_error_str(&err));
            else
                rg_log_info("extender", "re-planned gang recorded workload=%s/%s plan=%s",
                            workload, slash + 1, text);
        }
        kube_result_release(&res);
        rg_buf_release(&patch);
        rg_free(workload);
        rg_free(text);
    }
}

void ext_bind(ext_t *x, const char *body, size_t len, int64_t now_ns, ext_answer_t *out)
{
    memset(out, 0, sizeof(*out));
    rg_arena_t arena;
    rg_arena_init(&arena, 4096);
    ext_bind_args_t a;
    rg_error_t err = {0};
    if (ext__bind_args_decode(body, len, &arena, &a, &err) != RG_OK) {
        ext__answer_error(out, 400, "error", rg_error_str(&err));
        rg_arena_release(&arena);
        return;
    }
    snprintf(out->pod, sizeof(out->pod), "%s/%s", a.pod_namespace, a.pod_name);
    if (!*a.pod_name || !*a.pod_namespace || !*a.node) {
        bind_answer(out, "error", "ExtenderBindingArgs: PodName, PodNamespace and Node are "
                                  "required");
    } else if (x->client == NULL) {
        bind_answer(out, "error", "raygate runs standalone: there is no API server to bind with");
    } else {
        claim_for_bind(x, &a, now_ns);
        kube_result_t res = {0};
        int rc = kube_bind_pod(x->client, a.pod_namespace, a.pod_name, a.pod_uid, a.node, &res,
                               &err);
        if (rc < 0 || res.http_status / 100 != 2) {
            claim_forget(x, a.pod_uid);
            char msg[768];
            snprintf(msg, sizeof(msg), "binding pod %s/%s to node %s: %s", a.pod_namespace,
                     a.pod_name, a.node, rg_error_str(&err));
            rg_log_warn("extender", "bind failed pod=%s/%s node=%s error=\"%s\"",
                        a.pod_namespace, a.pod_name, a.node, rg_error_str(&err));
            bind_answer(out, "error", msg);
        } else {
            bind_answer(out, "bound", NULL);
            write_back_plans(x);
        }
        kube_result_release(&res);
    }
    rg_arena_release(&arena);
}

/* ---- preempt ---- */

static bool in_victims(const ext_victims_t *v, const char *uid)
{
    for (size_t i = 0; i < v->n_uids; i++)
        if (strcmp(v->uids[i], uid) == 0)
            return true;
    return false;
}

/* Why evicting node v's victims would split a running gang; NULL when it would not. */
static const char *splits_gang(const cache_snapshot_t *pods, const ext_victims_t *v,
                               rg_arena_t *arena)
{
    const cache_obj_t *const *on_node = NULL;
    size_t n = cache_snapshot_pods_on_node(pods, v->node, &on_node);
    for (size_t i = 0; i < n; i++) {
        const cache_obj_t *victim = on_node[i];
        if (victim->ray_cluster == NULL || !in_victims(v, victim->uid))
            continue;
        const cache_obj_t *const *members = NULL;
        size_t m = cache_snapshot_pods_of_cluster(pods, victim->ns, victim->ray_cluster, &members);
        for (size_t k = 0; k < m; k++) {
            const gang_pod_info_t *pi = gang_pod_info_of(members[k]);
            if (members[k]->node_name == NULL || (pi && !pi->holds))
                continue;
            if (strcmp(members[k]->node_name, v->node) != 0 || !in_victims(v, members[k]->uid))
                return rg_arena_sprintf(arena, "victim %s/%s is a member of running gang %s/%s "
                                        "whose member %s on node %s would stay",
                                        victim->ns, victim->name, victim->ns, victim->ray_cluster,
                                        members[k]->name, members[k]->node_name);
        }
    }
    return NULL;
}

void ext_preempt(ext_t *x, const char *body, size_t len, int64_t now_ns, ext_answer_t *out)
{
    (void)now_ns;
    memset(out, 0, sizeof(*out));
    rg_arena_t arena;
    rg_arena_init(&arena, 16 * 1024);
    ext_preempt_args_t a;
    rg_error_t err = {0};
    if (ext__preempt_args_decode(body, len, x->opts.max_nodes, &arena, &a, &err) != RG_OK) {
        ext__answer_error(out, err.code == RG_ERR_TOO_BIG ? 413 : 400, "error",
                          rg_error_str(&err));
        rg_arena_release(&arena);
        return;
    }
    if (a.pod) {
        cJSON *pod = rg_json_parse(a.pod, a.pod_len, NULL);
        const cJSON *meta = rg_json_get_object(pod, "metadata");
        snprintf(out->pod, sizeof(out->pod), "%s/%s",
                 rg_json_get_string(meta, "namespace") ? rg_json_get_string(meta, "namespace")
                                                       : "",
                 rg_json_get_string(meta, "name") ? rg_json_get_string(meta, "name") : "");
        cJSON_Delete(pod);
    }
    cache_snapshot_t *pods = cache_snapshot_acquire(x->caches, CACHE_KIND_POD);
    bool *keep = rg_arena_alloc(&arena, a.n_nodes + 1);
    size_t kept = 0;
    for (size_t i = 0; i < a.n_nodes; i++) {
        const char *why = a.nodes[i].n_uids == 0 ? "no victims" : splits_gang(pods, &a.nodes[i],
                                                                               &arena);
        keep[i] = why == NULL;
        kept += keep[i];
        if (why) {
            rg_log_info("extender", "preemption candidate dropped pod=%s node=%s reason=\"%s\"",
                        out->pod, a.nodes[i].node, why);
            snprintf(out->reason, sizeof(out->reason), "%s: %s", a.nodes[i].node, why);
        }
    }
    cache_snapshot_release(pods);
    rg_buf_t b = RG_BUF_INIT;
    ext__preempt_result_encode(&b, &a, keep);
    out->body = rg_buf_detach(&b, &out->len);
    out->status = 200;
    out->decision = kept == a.n_nodes ? "kept" : kept ? "narrowed" : "refused";
    rg_arena_release(&arena);
}
