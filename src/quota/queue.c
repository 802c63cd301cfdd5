/*
 * A ClusterQueue's pending workloads in Kueue's order (a binary heap keyed
 * by priority, queue-order timestamp and uid), and the intrusive lists that
 * hold parked, blocked and backed-off workloads.
 */
#include "internal.h"

#include "raygate/alloc.h"

#include <string.h>

int quota__order_cmp(const qwl_t *a, const qwl_t *b)
{
    if (a->prio != b->prio)
        return a->prio > b->prio ? -1 : 1;
    if (a->order_ns != b->order_ns)
        return a->order_ns < b->order_ns ? -1 : 1;
    int c = strcmp(a->spec->uid, b->spec->uid);
    return c ? c : strcmp(a->key, b->key);
}

static void heap_set(qcq_t *cq, size_t i, qwl_t *w)
{
    cq->heap[i] = w;
    w->heap_i = i;
}

static void sift_up(qcq_t *cq, size_t i)
{
    qwl_t *w = cq->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (quota__order_cmp(w, cq->heap[parent]) >= 0)
            break;
        heap_set(cq, i, cq->heap[parent]);
        i = parent;
    }
    heap_set(cq, i, w);
}

static void sift_down(qcq_t *cq, size_t i)
{
    qwl_t *w = cq->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, best = i;
        qwl_t *bw = w;
        if (l < cq->n_heap && quota__order_cmp(cq->heap[l], bw) < 0) {
            best = l;
            bw = cq->heap[l];
        }
        if (l + 1 < cq->n_heap && quota__order_cmp(cq->heap[l + 1], bw) < 0) {
            best = l + 1;
            bw = cq->heap[l + 1];
        }
        if (best == i)
            break;
        heap_set(cq, i, bw);
        i = best;
    }
    heap_set(cq, i, w);
}

void quota__heap_push(qcq_t *cq, qwl_t *w)
{
    if (cq->n_heap == cq->cap_heap) {
        cq->cap_heap = cq->cap_heap ? cq->cap_heap * 2 : 16;
        cq->heap = rg_realloc(cq->heap, cq->cap_heap * sizeof(*cq->heap));
    }
    cq->heap[cq->n_heap] = w;
    w->heap_i = cq->n_heap++;
    sift_up(cq, w->heap_i);
}

qwl_t *quota__heap_top(const qcq_t *cq)
{
    return cq->n_heap ? cq->heap[0] : NULL;
}

void quota__heap_remove(qcq_t *cq, qwl_t *w)
{
    size_t i = w->heap_i;
    qwl_t *last = cq->heap[--cq->n_heap];
    if (i == cq->n_heap)
        return;
    heap_set(cq, i, last);
    if (i > 0 && quota__order_cmp(last, cq->heap[(i - 1) / 2]) < 0)
        sift_up(cq, i);
    else
        sift_down(cq, i);
}

qwl_t *quota__heap_pop(qcq_t *cq)
{
    qwl_t *top = quota__heap_top(cq);
    if (top)
        quota__heap_remove(cq, top);
    return top;
}

void quota__list_push(qwl_list_t *l, qwl_t *w)
{
    w->prev = NULL;
    w->next = l->head;
    if (l->head)
        l->head->prev = w;
    l->head = w;
    w->on_list = true;
    l->n++;
}

void quota__list_remove(qwl_list_t *l, qwl_t *w)
{
    if (!w->on_list)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        l->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
    w->on_list = false;
    l->n--;
}
