/*
 * The status document from ClusterQueue, LocalQueue and Workload objects:
 * queue usage against quota, pending Workloads in queue order with their
 * reasons, admitted gangs with their planned nodes.
 */
#include "raygate/status.h"

#include "raygate/alloc.h"
#include "raygate/clusterqueue.h"
#include "raygate/gang.h"
#include "raygate/quantity.h"
#include "raygate/timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str_at(const cJSON *obj, const char *a, const char *b, const char *key)
{
    const cJSON *o = b ? rg_json_path(obj, a, b, NULL) : rg_json_get(obj, a);
    return rg_json_get_string(o, key);
}

static const cJSON *condition(const cJSON *obj, const char *type)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, rg_json_path(obj, "status", "conditions", NULL))
    {
        const char *t = rg_json_get_string(c, "type");
        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}

static bool condition_true(const cJSON *obj, const char *type)
{
    const char *s = rg_json_get_string(condition(obj, type), "status");
    return s && strcmp(s, "True") == 0;
}

static double number_at(const cJSON *obj, const char *key, double dflt)
{
    const cJSON *n = rg_json_get(obj, key);
    return cJSON_IsNumber(n) ? n->valuedouble : dflt;
}

/* A quantity's value as a double (0 when absent or malformed). */
static double qty_value(const cJSON *node)
{
    quota_qty_t q;
    if (node == NULL || quota_qty_parse_json(node, &q, NULL) != 0)
        return 0;
    return (double)q.nano / 1e9;
}

static void add_qty(cJSON *to, const char *key, const cJSON *node)
{
    quota_qty_t q = {0};
    char buf[QUOTA_QTY_STR_MAX];
    if (node)
        quota_qty_parse_json(node, &q, NULL);
    quota_qty_format(&q, buf, sizeof(buf));
    cJSON_AddStringToObject(to, key, buf);
}

/* The `total` of flavor/resource in a status list (flavorsReservation, flavorsUsage). */
static const cJSON *flavor_total(const cJSON *cq, const char *list, const char *flavor,
                                 const char *resource)
{
    const cJSON *f, *r;
    cJSON_ArrayForEach(f, rg_json_path(cq, "status", list, NULL))
    {
        const char *fn = rg_json_get_string(f, "name");
        if (!fn || strcmp(fn, flavor) != 0)
            continue;
        cJSON_ArrayForEach(r, rg_json_get(f, "resources"))
        {
            const char *rn = rg_json_get_string(r, "name");
            if (rn && strcmp(rn, resource) == 0)
                return rg_json_get(r, "total");
        }
    }
    return NULL;
}

static cJSON *cluster_queue_entry(const cJSON *cq)
{
    const char *name = str_at(cq, "metadata", NULL, "name");
    if (name == NULL)
        return NULL;
    const cJSON *spec = rg_json_get(cq, "spec");
    const cJSON *st = rg_json_get(cq, "status");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", name);
    const char *cohort = rg_json_get_string(spec, "cohortName");
    cJSON_AddStringToObject(e, "cohort", cohort ? cohort : "");
    const char *strategy = rg_json_get_string(spec, "queueingStrategy");
    cJSON_AddStringToObject(e, "strategy", strategy ? strategy : "BestEffortFIFO");
    const char *active = rg_json_get_string(condition(cq, "Active"), "status");
    cJSON_AddStringToObject(e, "active", active ? active : "Unknown");
    cJSON_AddNumberToObject(e, "pending", number_at(st, "pendingWorkloads", 0));
    cJSON_AddNumberToObject(e, "reserving", number_at(st, "reservingWorkloads", 0));
    cJSON_AddNumberToObject(e, "admitted", number_at(st, "admittedWorkloads", 0));
    cJSON *res = cJSON_AddArrayToObject(e, "resources");
    /* The seed's shorthand (raygate standalone shows it unrewritten) as the canonical form. */
    cJSON *groups = spec ? wh_clusterqueue_expand_shorthand(spec, NULL) : NULL;
    const cJSON *rg, *fl, *r;
    cJSON_ArrayForEach(rg, groups)
    {
        cJSON_ArrayForEach(fl, rg_json_get(rg, "flavors"))
        {
            const char *flavor = rg_json_get_string(fl, "name");
            cJSON_ArrayForEach(r, rg_json_get(fl, "resources"))
            {
                const char *rn = rg_json_get_string(r, "name");
                if (!flavor || !rn)
                    continue;
                const cJSON *nominal = rg_json_get(r, "nominalQuota");
                const cJSON *reserved = flavor_total(cq, "flavorsReservation", flavor, rn);
                cJSON *x = cJSON_CreateObject();
                cJSON_AddStringToObject(x, "flavor", flavor);
                cJSON_AddStringToObject(x, "resource", rn);
                add_qty(x, "nominal", nominal);
                add_qty(x, "reserved", reserved);
                add_qty(x, "usage", flavor_total(cq, "flavorsUsage", flavor, rn));
                double n = qty_value(nominal);
                cJSON_AddNumberToObject(x, "fraction", n > 0 ? qty_value(reserved) / n : 0);
                cJSON_AddItemToArray(res, x);
            }
        }
    }
    cJSON_Delete(groups);
    return e;
}

/* The ClusterQueue a Workload is queued to: its admission's, else its LocalQueue's. */
static const char *cluster_queue_of(const status_input_t *in, const cJSON *wl)
{
    const char *cq = str_at(wl, "status", "admission", "clusterQueue");
    if (cq)
        return cq;
    const char *ns = str_at(wl, "metadata", NULL, "namespace");
    const char *q = str_at(wl, "spec", NULL, "queueName");
    for (size_t i = 0; ns && q && i < in->n_local_queues; i++) {
        const cJSON *lq = in->local_queues[i];
        const char *lns = str_at(lq, "metadata", NULL, "namespace");
        const char *ln = str_at(lq, "metadata", NULL, "name");
        if (lns && ln && strcmp(lns, ns) == 0 && strcmp(ln, q) == 0)
            return str_at(lq, "spec", NULL, "clusterQueue");
    }
    return NULL;
}

typedef struct pending {
    const cJSON *wl;
    const char *cq;
    double priority;
    int64_t created_ns;
    const char *ns, *name;
} pending_t;

/* Kueue's queue order: ClusterQueue, priority high to low, creation time, then name. */
static int pending_cmp(const void *pa, const void *pb)
{
    const pending_t *a = pa, *b = pb;
    int c = strcmp(a->cq, b->cq);
    if (c)
        return c;
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    if (a->created_ns != b->created_ns)
        return a->created_ns < b->created_ns ? -1 : 1;
    c = strcmp(a->ns, b->ns);
    return c ? c : strcmp(a->name, b->name);
}

static bool waiting(const cJSON *wl)
{
    if (condition_true(wl, "QuotaReserved") || condition_true(wl, "Finished"))
        return false;
    const cJSON *active = rg_json_path(wl, "spec", "active", NULL);
    return !cJSON_IsFalse(active);
}

static void add_pending(const status_input_t *in, cJSON *doc)
{
    pending_t *p = rg_calloc(in->n_workloads ? in->n_workloads : 1, sizeof(*p));
    size_t n = 0;
    for (size_t i = 0; i < in->n_workloads; i++) {
        const cJSON *wl = in->workloads[i];
        const char *ns = str_at(wl, "metadata", NULL, "namespace");
        const char *name = str_at(wl, "metadata", NULL, "name");
        if (!ns || !name || !waiting(wl))
            continue;
        const char *cq = cluster_queue_of(in, wl);
        int64_t created = 0;
        const char *ts = str_at(wl, "metadata", NULL, "creationTimestamp");
        if (ts)
            rg_time_parse_rfc3339(ts, &created);
        p[n++] = (pending_t){
            wl, cq ? cq : "", number_at(rg_json_get(wl, "spec"), "priority", 0), created, ns, name};
    }
    qsort(p, n, sizeof(*p), pending_cmp);
    size_t max = in->max_pending ? in->max_pending : STATUS_MAX_PENDING_DEFAULT;
    cJSON *arr = cJSON_AddArrayToObject(doc, "pending");
    int position = 0;
    for (size_t i = 0; i < n; i++) {
        position = i > 0 && strcmp(p[i].cq, p[i - 1].cq) == 0 ? position + 1 : 1;
        if (i >= max)
            continue;
        const cJSON *qr = condition(p[i].wl, "QuotaReserved");
        const char *reason = rg_json_get_string(qr, "reason");
        const char *msg = rg_json_get_string(qr, "message");
        const char *queue = str_at(p[i].wl, "spec", NULL, "queueName");
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "position", position);
        cJSON_AddStringToObject(e, "clusterQueue", p[i].cq);
        cJSON_AddStringToObject(e, "namespace", p[i].ns);
        cJSON_AddStringToObject(e, "name", p[i].name);
        cJSON_AddStringToObject(e, "queue", queue ? queue : "");
        cJSON_AddNumberToObject(e, "priority", p[i].priority);
        double age = p[i].created_ns ? (double)(in->now_ns - p[i].created_ns) / 1e9 : 0;
        cJSON_AddNumberToObject(e, "ageSeconds", age > 0 ? (double)(int64_t)age : 0);
        cJSON_AddStringToObject(e, "reason", reason ? reason : "Pending");
        cJSON_AddStringToObject(e, "message", msg ? msg : "not evaluated yet");
        cJSON_AddItemToArray(arr, e);
    }
    cJSON_AddNumberToObject(doc, "pendingNotListed", n > max ? (double)(n - max) : 0);
    rg_free(p);
}

/* "RayCluster/name" of the controller owner, or "". */
static void owner_of(const cJSON *wl, char *out, size_t cap)
{
    out[0] = '\0';
    const cJSON *ref;
    cJSON_ArrayForEach(ref, rg_json_path(wl, "metadata", "ownerReferences", NULL))
    {
        const char *k = rg_json_get_string(ref, "kind");
        const char *n = rg_json_get_string(ref, "name");
        if (k && n && cJSON_IsTrue(rg_json_get(ref, "controller"))) {
            snprintf(out, cap, "%s/%s", k, n);
            return;
        }
    }
}

static cJSON *podset_nodes(const gang_plan_t *plan, const char *podset)
{
    cJSON *nodes = cJSON_CreateObject();
    const gang_plan_set_t *s = plan ? gang_plan_set(plan, podset) : NULL;
    for (size_t i = 0; s && i < s->n_slots; i++)
        cJSON_AddNumberToObject(nodes, s->slots[i].node, s->slots[i].count);
    return nodes;
}

static cJSON *gang_entry(const cJSON *wl)
{
    const char *ns = str_at(wl, "metadata", NULL, "namespace");
    const char *name = str_at(wl, "metadata", NULL, "name");
    if (!ns || !name)
        return NULL;
    const char *text = str_at(wl, "metadata", "annotations", GANG_PLACEMENT_ANNOTATION);
    gang_plan_t *plan = text ? gang_plan_decode(text, strlen(text), NULL) : NULL;
    char owner[600];
    owner_of(wl, owner, sizeof(owner));
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "namespace", ns);
    cJSON_AddStringToObject(e, "name", name);
    cJSON_AddStringToObject(e, "owner", owner);
    const char *cq = str_at(wl, "status", "admission", "clusterQueue");
    cJSON_AddStringToObject(e, "clusterQueue", cq ? cq : "");
    cJSON_AddBoolToObject(e, "admitted", condition_true(wl, "Admitted"));
    cJSON_AddBoolToObject(e, "planned", plan != NULL);
    cJSON *sets = cJSON_AddArrayToObject(e, "podSets");
    const cJSON *a;
    cJSON_ArrayForEach(a, rg_json_path(wl, "status", "admission", "podSetAssignments", NULL))
    {
        const char *ps = rg_json_get_string(a, "name");
        if (ps == NULL)
            continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", ps);
        cJSON_AddNumberToObject(x, "count", number_at(a, "count", 1));
        const cJSON *fl = rg_json_get(a, "flavors");
        cJSON_AddItemToObject(
            x, "flavors", cJSON_IsObject(fl) ? cJSON_Duplicate(fl, true) : cJSON_CreateObject());
        cJSON_AddItemToObject(x, "nodes", podset_nodes(plan, ps));
        cJSON_AddItemToArray(sets, x);
    }
    gang_plan_free(plan);
    return e;
}

static int by_name(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(rg_json_get_string(x, "name"), rg_json_get_string(y, "name"));
}

/* Sorts a document array of objects that all have a "name". */
static void sort_by_name(cJSON *arr)
{
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n < 2)
        return;
    cJSON **items = rg_calloc(n, sizeof(*items));
    for (size_t i = 0; i < n; i++)
        items[i] = cJSON_DetachItemFromArray(arr, 0);
    qsort(items, n, sizeof(*items), by_name);
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, items[i]);
    rg_free(items);
}

cJSON *status_build(const status_input_t *in)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "apiVersion", "raygate.dev/v1");
    cJSON_AddStringToObject(doc, "kind", "RaygateStatus");
    cJSON_AddStringToObject(doc, "source", in->source ? in->source : "");
    char ts[40];
    rg_time_format_rfc3339_seconds(in->now_ns, ts, sizeof(ts));
    cJSON_AddStringToObject(doc, "generated", ts);
    cJSON *cqs = cJSON_AddArrayToObject(doc, "clusterQueues");
    for (size_t i = 0; i < in->n_cluster_queues; i++) {
        cJSON *e = cluster_queue_entry(in->cluster_queues[i]);
        if (e)
            cJSON_AddItemToArray(cqs, e);
    }
    sort_by_name(cqs);
    add_pending(in, doc);
    cJSON *gangs = cJSON_AddArrayToObject(doc, "gangs");
    for (size_t i = 0; i < in->n_workloads; i++) {
        const cJSON *wl = in->workloads[i];
        if (!condition_true(wl, "QuotaReserved") || condition_true(wl, "Finished"))
            continue;
        cJSON *e = gang_entry(wl);
        if (e)
            cJSON_AddItemToArray(gangs, e);
    }
    return doc;
}
