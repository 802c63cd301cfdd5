/*
 * Plans as values (copy, move a slot) and as the raygate.dev/placement
 * annotation: compact JSON with podSets in plan order and each podSet's
 * nodes in placement order, bounded so hundreds of members stay small.
 */
#include "raygate/gang.h"

#include "raygate/alloc.h"
#include "raygate/buf.h"

#include <math.h>
#include <string.h>

void gang_plan_free(gang_plan_t *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_sets; i++) {
        for (size_t j = 0; j < p->sets[i].n_slots; j++)
            rg_free(p->sets[i].slots[j].node);
        rg_free(p->sets[i].slots);
        rg_free(p->sets[i].name);
    }
    rg_free(p->sets);
    rg_free(p);
}

gang_plan_t *gang_plan_copy(const gang_plan_t *p)
{
    gang_plan_t *c = rg_calloc(1, sizeof(*c));
    c->sets = rg_calloc(p->n_sets ? p->n_sets : 1, sizeof(*c->sets));
    c->n_sets = p->n_sets;
    for (size_t i = 0; i < p->n_sets; i++) {
        const gang_plan_set_t *s = &p->sets[i];
        gang_plan_set_t *d = &c->sets[i];
        d->name = rg_strdup(s->name);
        d->count = s->count;
        d->n_slots = s->n_slots;
        d->slots = rg_calloc(s->n_slots ? s->n_slots : 1, sizeof(*d->slots));
        for (size_t j = 0; j < s->n_slots; j++)
            d->slots[j] = (gang_slot_t){rg_strdup(s->slots[j].node), s->slots[j].count};
    }
    return c;
}

const gang_plan_set_t *gang_plan_set(const gang_plan_t *p, const char *name)
{
    for (size_t i = 0; p && name && i < p->n_sets; i++)
        if (strcmp(p->sets[i].name, name) == 0)
            return &p->sets[i];
    return NULL;
}

int64_t gang_plan_members(const gang_plan_t *p)
{
    int64_t n = 0;
    for (size_t i = 0; p && i < p->n_sets; i++)
        n += p->sets[i].count;
    return n;
}

static gang_slot_t *slot_of(gang_plan_set_t *s, const char *node)
{
    for (size_t j = 0; j < s->n_slots; j++)
        if (strcmp(s->slots[j].node, node) == 0)
            return &s->slots[j];
    return NULL;
}

int gang_plan_move(gang_plan_t *p, const char *set, const char *from, const char *to)
{
    gang_plan_set_t *s = (gang_plan_set_t *)gang_plan_set(p, set);
    gang_slot_t *f = s ? slot_of(s, from) : NULL;
    if (f == NULL || f->count <= 0)
        return RG_ERR_NOT_FOUND;
    f->count--;
    gang_slot_t *t = slot_of(s, to);
    if (t == NULL) {
        s->slots = rg_realloc(s->slots, (s->n_slots + 1) * sizeof(*s->slots));
        s->slots[s->n_slots++] = (gang_slot_t){rg_strdup(to), 0};
        t = &s->slots[s->n_slots - 1];
    }
    t->count++;
    /* Keep no empty slots: a reader sees only where members go. */
    for (size_t j = 0; j < s->n_slots; j++) {
        if (s->slots[j].count == 0) {
            rg_free(s->slots[j].node);
            memmove(&s->slots[j], &s->slots[j + 1], (s->n_slots - j - 1) * sizeof(*s->slots));
            s->n_slots--;
            break;
        }
    }
    return RG_OK;
}

char *gang_plan_encode(const gang_plan_t *p, size_t *len, rg_error_t *err)
{
    rg_buf_t b = RG_BUF_INIT;
    rg_buf_append_str(&b, "{\"v\":1,\"podSets\":[");
    for (size_t i = 0; i < p->n_sets; i++) {
        rg_buf_append_str(&b, i ? ",{\"name\":" : "{\"name\":");
        rg_buf_append_json_str(&b, p->sets[i].name);
        rg_buf_append_str(&b, ",\"nodes\":{");
        for (size_t j = 0; j < p->sets[i].n_slots; j++) {
            if (j)
                rg_buf_append_char(&b, ',');
            rg_buf_append_json_str(&b, p->sets[i].slots[j].node);
            rg_buf_appendf(&b, ":%d", (int)p->sets[i].slots[j].count);
        }
        rg_buf_append_str(&b, "}}");
        if (b.len > GANG_PLAN_MAX_BYTES)
            break;
    }
    rg_buf_append_str(&b, "]}");
    if (b.len > GANG_PLAN_MAX_BYTES) {
        rg_buf_release(&b);
        rg_error_set(err, RG_ERR_TOO_BIG, "%s: the plan needs more than %d bytes",
                     GANG_PLACEMENT_ANNOTATION, GANG_PLAN_MAX_BYTES);
        return NULL;
    }
    return rg_buf_detach(&b, len);
}

static int decode_set(const cJSON *js, size_t i, gang_plan_set_t *s, rg_error_t *err)
{
    const char *name = rg_json_get_string(js, "name");
    if (name == NULL || *name == '\0' || strlen(name) > 253)
        return rg_error_set(err, RG_ERR_PARSE, "podSets[%zu].name: Required value", i);
    const cJSON *nodes = rg_json_get_object(js, "nodes");
    if (nodes == NULL)
        return rg_error_set(err, RG_ERR_PARSE, "podSets[%zu].nodes: Required value: an object of "
                            "node name to count", i);
    int n = cJSON_GetArraySize(nodes);
    if (n > GANG_PLAN_MAX_NODES)
        return rg_error_set(err, RG_ERR_RANGE, "podSets[%zu].nodes: Too many: %d", i, n);
    s->name = rg_strdup(name);
    s->slots = rg_calloc((size_t)n + 1, sizeof(*s->slots));
    const cJSON *it;
    cJSON_ArrayForEach(it, nodes)
    {
        double d = cJSON_IsNumber(it) ? it->valuedouble : -1;
        if (it->string == NULL || *it->string == '\0' || strlen(it->string) > 253 ||
            !(d >= 1 && d <= GANG_SIZE_MAX) || d != floor(d))
            return rg_error_set(err, RG_ERR_PARSE, "podSets[%zu].nodes[%s]: Invalid value: must be "
                                "a count between 1 and %d", i, it->string ? it->string : "",
                                GANG_SIZE_MAX);
        if (slot_of(s, it->string))
            return rg_error_set(err, RG_ERR_PARSE, "podSets[%zu].nodes[%s]: Duplicate value", i,
                                it->string);
        s->slots[s->n_slots++] = (gang_slot_t){rg_strdup(it->string), (int32_t)d};
        s->count += (int64_t)d;
        if (s->count > GANG_SIZE_MAX)
            return rg_error_set(err, RG_ERR_RANGE, "podSets[%zu]: more than %d members", i,
                                GANG_SIZE_MAX);
    }
    return RG_OK;
}

gang_plan_t *gang_plan_decode(const char *text, size_t len, rg_error_t *err)
{
    if (len > GANG_PLAN_MAX_BYTES) {
        rg_error_set(err, RG_ERR_TOO_BIG, "longer than %d bytes", GANG_PLAN_MAX_BYTES);
        return NULL;
    }
    cJSON *root = rg_json_parse(text, len, err);
    if (root == NULL)
        return NULL;
    gang_plan_t *p = rg_calloc(1, sizeof(*p));
    const cJSON *v = rg_json_get(root, "v");
    const cJSON *sets = rg_json_get_array(root, "podSets");
    int rc = RG_OK;
    if (!cJSON_IsNumber(v) || v->valuedouble != 1)
        rc = rg_error_set(err, RG_ERR_UNSUPPORTED, "v: Unsupported value: only version 1 is known");
    else if (sets == NULL || cJSON_GetArraySize(sets) > GANG_PLAN_MAX_SETS)
        rc = rg_error_set(err, RG_ERR_PARSE, "podSets: Required value: an array of at most %d",
                          GANG_PLAN_MAX_SETS);
    if (rc == RG_OK) {
        p->sets = rg_calloc((size_t)cJSON_GetArraySize(sets) + 1, sizeof(*p->sets));
        const cJSON *js;
        cJSON_ArrayForEach(js, sets)
        {
            rc = decode_set(js, p->n_sets, &p->sets[p->n_sets], err);
            p->n_sets++;
            if (rc == RG_OK && gang_plan_set(p, p->sets[p->n_sets - 1].name) !=
                                   &p->sets[p->n_sets - 1])
                rc = rg_error_set(err, RG_ERR_PARSE, "podSets[%zu].name: Duplicate value: \"%s\"",
                                  p->n_sets - 1, p->sets[p->n_sets - 1].name);
            if (rc != RG_OK)
                break;
        }
    }
    cJSON_Delete(root);
    if (rc != RG_OK) {
        gang_plan_free(p);
        return NULL;
    }
    return p;
}
