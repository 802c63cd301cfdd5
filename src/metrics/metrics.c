/*
 * The metrics registry: per-metric open-addressed tables of child series
 * read without locks, values as relaxed atomics, and the Prometheus text
 * renderer. Series are never removed, so handles to them stay valid.
 */
#include "raygate/metrics.h"

#include "raygate/alloc.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double metrics_default_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                          0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                          1,      2.5,     5,      10};
const size_t metrics_default_buckets_len =
    sizeof(metrics_default_buckets) / sizeof(metrics_default_buckets[0]);

enum metric_kind { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM };

struct metric;
struct series;

/* An open-addressed table of series; at most half full, so probes end. */
struct table {
    struct table *retired_next;
    size_t size; /* a power of two */
    _Atomic(struct series *) slots[];
};

/* One child series: a label set and its values. */
struct series {
    const struct metric *metric;
    uint64_t hash;
    char **values;          /* n_labels strings, one allocation with the strings */
    _Atomic uint64_t value; /* counter: the count; gauge: the double's bits */
    _Atomic uint64_t sum;   /* histogram: the double's bits */
    /* histogram: per-bucket (not cumulative) counts; the last is +Inf */
    _Atomic uint64_t buckets[];
};

struct metric {
    struct metric *next; /* creation order */
    enum metric_kind kind;
    char *name;
    char *help;
    size_t n_labels;
    char **label_names;
    double *bounds; /* histogram upper bounds, +Inf implied after them */
    size_t n_bounds;
    double (*fn)(void *); /* callback metrics: value read at render */
    void *arg;
    /*
     * Readers load the table and probe it with no lock. Writers (creating a
     * series) hold mu; a full table is copied into one twice its size and
     * published, and the old one is retired, not freed, so a reader still
     * probing it stays safe: it holds a subset of the series, and a miss
     * there falls through to the locked path, which looks again.
     */
    _Atomic(struct table *) table;
    pthread_mutex_t mu; /* guards inserts, n_series, retired */
    size_t n_series;
    struct table *retired;
    size_t max_series;
    _Atomic uint64_t dropped;
};

struct metrics_counter {
    struct metric m;
};
struct metrics_gauge {
    struct metric m;
};
struct metrics_histogram {
    struct metric m;
};

struct metrics_registry {
    pthread_mutex_t mu; /* guards the list; held while rendering */
    struct metric *head;
    struct metric **tail;
    size_t max_children;
};

/*
 * Child handle types are never defined: a handle is a struct series seen
 * through a distinct pointer type, so a counter handle cannot be passed
 * where a histogram handle is expected.
 */
static struct series *counter_series(const metrics_counter_child_t *c)
{
    return (struct series *)(uintptr_t)c;
}
static struct series *gauge_series(const metrics_gauge_child_t *c)
{
    return (struct series *)(uintptr_t)c;
}
static struct series *histogram_series(const metrics_histogram_child_t *c)
{
    return (struct series *)(uintptr_t)c;
}

/* ---- doubles in atomics -------------------------------------------------- */

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static double bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

static void atomic_add_double(_Atomic uint64_t *slot, double delta)
{
    uint64_t old = atomic_load_explicit(slot, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(slot, &old, dbits(bitsd(old) + delta),
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}

/* ---- names ----------------------------------------------------------------- */

static bool valid_name(const char *s, bool colon_ok)
{
    if (s == NULL || *s == '\0')
        return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool alpha =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':');
        if (!alpha && !(p != s && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

/* ---- series ------------------------------------------------------------------ */

/* Length of s cut to at most max bytes without splitting a UTF-8 sequence. */
static size_t cut_len(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static const char *value_at(const char *const *vals, size_t i)
{
    return vals[i] ? vals[i] : "";
}

/* FNV-1a over the values, each followed by a byte no UTF-8 text contains. */
static uint64_t hash_values(const struct metric *m, const char *const *vals)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < m->n_labels; i++) {
        const char *v = value_at(vals, i);
        size_t len = cut_len(v, METRICS_LABEL_VALUE_MAX);
        for (size_t j = 0; j < len; j++) {
            h ^= (unsigned char)v[j];
            h *= 1099511628211ULL;
        }
        h ^= 0xff;
        h *= 1099511628211ULL;
    }
    return h;
}

static bool values_equal(const struct metric *m, const struct series *s, const char *const *vals)
{
    for (size_t i = 0; i < m->n_labels; i++) {
        const char *v = value_at(vals, i);
        size_t len = cut_len(v, METRICS_LABEL_VALUE_MAX);
        if (strncmp(s->values[i], v, len) != 0 || s->values[i][len] != '\0')
            return false;
    }
    return true;
}

/* Probes t for vals; safe without the lock (acquire pairs with insert's release). */
static struct series *table_find(const struct metric *m, const struct table *t, uint64_t h,
                                 const char *const *vals)
{
    size_t mask = t->size - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct series *s =
            atomic_load_explicit(&((struct table *)t)->slots[i], memory_order_acquire);
        if (s == NULL)
            return NULL;
        if (s->hash == h && values_equal(m, s, vals))
            return s;
    }
}

static struct table *table_new(size_t size)
{
    struct table *t = rg_malloc(sizeof(*t) + size * sizeof(t->slots[0]));
    t->retired_next = NULL;
    t->size = size;
    for (size_t i = 0; i < size; i++)
        atomic_init(&t->slots[i], NULL);
    return t;
}

/* Puts s in the first free slot of its probe sequence; with mu held. */
static void table_put(struct table *t, struct series *s)
{
    size_t mask = t->size - 1;
    size_t i = s->hash & mask;
    while (atomic_load_explicit(&t->slots[i], memory_order_relaxed) != NULL)
        i = (i + 1) & mask;
    atomic_store_explicit(&t->slots[i], s, memory_order_release);
}

static struct series *series_alloc(const struct metric *m, uint64_t h, const char *const *vals)
{
    size_t nb = m->kind == KIND_HISTOGRAM ? m->n_bounds + 1 : 0;
    struct series *s = rg_malloc(sizeof(*s) + nb * sizeof(s->buckets[0]));
    s->metric = m;
    s->hash = h;
    atomic_init(&s->value, m->kind == KIND_GAUGE ? dbits(0.0) : 0);
    atomic_init(&s->sum, dbits(0.0));
    for (size_t i = 0; i < nb; i++)
        atomic_init(&s->buckets[i], 0);

    s->values = NULL;
    if (m->n_labels == 0)
        return s;
    size_t bytes = m->n_labels * sizeof(char *);
    for (size_t i = 0; i < m->n_labels; i++)
        bytes += cut_len(value_at(vals, i), METRICS_LABEL_VALUE_MAX) + 1;
    s->values = rg_malloc(bytes);
    char *p = (char *)(s->values + m->n_labels);
    for (size_t i = 0; i < m->n_labels; i++) {
        const char *v = value_at(vals, i);
        size_t len = cut_len(v, METRICS_LABEL_VALUE_MAX);
        memcpy(p, v, len);
        p[len] = '\0';
        s->values[i] = p;
        p += len + 1;
    }
    return s;
}

static void series_free(struct series *s)
{
    rg_free(s->values);
    rg_free(s);
}

/* Publishes a copy of the table twice the size; with mu held. */
static struct table *table_grow(struct metric *m, struct table *old)
{
    struct table *t = table_new(old->size * 2);
    for (size_t i = 0; i < old->size; i++) {
        struct series *s = atomic_load_explicit(&old->slots[i], memory_order_relaxed);
        if (s)
            table_put(t, s);
    }
    atomic_store_explicit(&m->table, t, memory_order_release);
    old->retired_next = m->retired;
    m->retired = old;
    return t;
}

/*
 * Finds the child for vals, creating it if new and the cap allows. The
 * common case (the child exists) takes no lock: an atomic load of the
 * table and a probe.
 */
static struct series *series_get(struct metric *m, const char *const *vals)
{
    if (m->fn != NULL)
        return NULL; /* callback metrics have no children to update */
    if (vals == NULL && m->n_labels > 0) {
        atomic_fetch_add_explicit(&m->dropped, 1, memory_order_relaxed);
        return NULL;
    }
    uint64_t h = hash_values(m, vals);
    struct series *s =
        table_find(m, atomic_load_explicit(&m->table, memory_order_acquire), h, vals);
    if (s)
        return s;

    pthread_mutex_lock(&m->mu);
    struct table *t = atomic_load_explicit(&m->table, memory_order_relaxed);
    s = table_find(m, t, h, vals); /* another thread may have made it meanwhile */
    if (s == NULL && m->n_series < m->max_series) {
        s = series_alloc(m, h, vals);
        if (2 * (m->n_series + 1) > t->size)
            t = table_grow(m, t);
        table_put(t, s);
        m->n_series++;
    }
    pthread_mutex_unlock(&m->mu);
    if (s == NULL)
        atomic_fetch_add_explicit(&m->dropped, 1, memory_order_relaxed);
    return s;
}

/* ---- registry and construction ------------------------------------------------- */

metrics_registry_t *metrics_registry_new(void)
{
    metrics_registry_t *reg = rg_calloc(1, sizeof(*reg));
    pthread_mutex_init(&reg->mu, NULL);
    reg->head = NULL;
    reg->tail = &reg->head;
    reg->max_children = METRICS_DEFAULT_MAX_CHILDREN;
    return reg;
}

static void metric_free(struct metric *m)
{
    struct table *t = atomic_load(&m->table);
    if (t) {
        for (size_t i = 0; i < t->size; i++) {
            struct series *s = atomic_load_explicit(&t->slots[i], memory_order_relaxed);
            if (s)
                series_free(s);
        }
        rg_free(t);
    }
    while (m->retired) {
        struct table *next = m->retired->retired_next;
        rg_free(m->retired);
        m->retired = next;
    }
    pthread_mutex_destroy(&m->mu);
    for (size_t i = 0; i < m->n_labels; i++)
        rg_free(m->label_names[i]);
    rg_free(m->label_names);
    rg_free(m->bounds);
    rg_free(m->name);
    rg_free(m->help);
    rg_free(m);
}

void metrics_registry_free(metrics_registry_t *reg)
{
    if (reg == NULL)
        return;
    struct metric *m = reg->head;
    while (m) {
        struct metric *next = m->next;
        metric_free(m);
        m = next;
    }
    pthread_mutex_destroy(&reg->mu);
    rg_free(reg);
}

void metrics_registry_set_max_children(metrics_registry_t *reg, size_t max)
{
    pthread_mutex_lock(&reg->mu);
    reg->max_children = max ? max : METRICS_DEFAULT_MAX_CHILDREN;
    pthread_mutex_unlock(&reg->mu);
}

uint64_t metrics_registry_dropped(metrics_registry_t *reg)
{
    uint64_t total = 0;
    pthread_mutex_lock(&reg->mu);
    for (struct metric *m = reg->head; m; m = m->next)
        total += atomic_load_explicit(&m->dropped, memory_order_relaxed);
    pthread_mutex_unlock(&reg->mu);
    return total;
}

static int check_labels(const char *name, enum metric_kind kind, const char *const *labels,
                        size_t n, rg_error_t *err)
{
    if (n > METRICS_MAX_LABELS)
        return rg_error_set(err, RG_ERR_INVAL, "metrics: \"%s\" has %zu labels, more than %d", name,
                            n, METRICS_MAX_LABELS);
    if (n > 0 && labels == NULL)
        return rg_error_set(err, RG_ERR_INVAL, "metrics: \"%s\" has %zu labels but no names", name,
                            n);
    for (size_t i = 0; i < n; i++) {
        const char *l = labels[i];
        if (!valid_name(l, false) || strncmp(l, "__", 2) == 0)
            return rg_error_set(err, RG_ERR_INVAL, "metrics: \"%s\" label name \"%s\" is invalid",
                                name, l ? l : "(null)");
        if (kind == KIND_HISTOGRAM && strcmp(l, "le") == 0)
            return rg_error_set(err, RG_ERR_INVAL,
                                "metrics: \"%s\" label name \"le\" is reserved for buckets", name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(labels[j], l) == 0)
                return rg_error_set(err, RG_ERR_INVAL,
                                    "metrics: \"%s\" label name \"%s\" is repeated", name, l);
    }
    return RG_OK;
}

static int check_buckets(const char *name, const double *b, size_t n, rg_error_t *err)
{
    if (n > 0 && isinf(b[n - 1]) && b[n - 1] > 0)
        n--; /* an explicit +Inf is the implied one */
    if (n > METRICS_MAX_BUCKETS)
        return rg_error_set(err, RG_ERR_INVAL, "metrics: \"%s\" has %zu buckets, more than %d",
                            name, n, METRICS_MAX_BUCKETS);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(b[i]))
            return rg_error_set(err, RG_ERR_INVAL, "metrics: \"%s\" bucket %zu is not finite", name,
                                i);
        if (i > 0 && !(b[i] > b[i - 1]))
            return rg_error_set(err, RG_ERR_INVAL,
                                "metrics: \"%s\" bucket %zu (%g) does not exceed bucket %zu (%g)",
                                name, i, b[i], i - 1, b[i - 1]);
    }
    return RG_OK;
}

/*
 * Builds and registers a metric; the one path every constructor shares.
 * Validation happens before anything is allocated, so failure frees nothing.
 */
static struct metric *metric_add(metrics_registry_t *reg, size_t size, enum metric_kind kind,
                                 const char *name, const char *help, const char *const *labels,
                                 size_t n_labels, const double *buckets, size_t n_buckets,
                                 double (*fn)(void *), void *arg, rg_error_t *err)
{
    if (reg == NULL) {
        rg_error_set(err, RG_ERR_INVAL, "metrics: no registry for \"%s\"", name ? name : "(null)");
        return NULL;
    }
    if (!valid_name(name, true)) {
        rg_error_set(err, RG_ERR_INVAL, "metrics: metric name \"%s\" is invalid",
                     name ? name : "(null)");
        return NULL;
    }
    if (check_labels(name, kind, labels, n_labels, err) != RG_OK)
        return NULL;
    if (kind == KIND_HISTOGRAM) {
        if (buckets == NULL) {
            buckets = metrics_default_buckets;
            n_buckets = metrics_default_buckets_len;
        }
        if (check_buckets(name, buckets, n_buckets, err) != RG_OK)
            return NULL;
        if (n_buckets > 0 && isinf(buckets[n_buckets - 1]))
            n_buckets--;
    }

    struct metric *m = rg_calloc(1, size);
    m->kind = kind;
    m->name = rg_strdup(name);
    m->help = rg_strdup(help ? help : "");
    m->n_labels = n_labels;
    if (n_labels) {
        m->label_names = rg_calloc(n_labels, sizeof(char *));
        for (size_t i = 0; i < n_labels; i++)
            m->label_names[i] = rg_strdup(labels[i]);
    }
    if (kind == KIND_HISTOGRAM && n_buckets) {
        m->bounds = rg_malloc(n_buckets * sizeof(double));
        memcpy(m->bounds, buckets, n_buckets * sizeof(double));
    }
    m->n_bounds = kind == KIND_HISTOGRAM ? n_buckets : 0;
    m->fn = fn;
    m->arg = arg;
    pthread_mutex_init(&m->mu, NULL);
    atomic_init(&m->table, table_new(n_labels ? 32 : 2));
    atomic_init(&m->dropped, 0);

    pthread_mutex_lock(&reg->mu);
    for (struct metric *o = reg->head; o; o = o->next) {
        if (strcmp(o->name, name) == 0) {
            pthread_mutex_unlock(&reg->mu);
            rg_error_set(err, RG_ERR_EXISTS, "metrics: metric \"%s\" is already registered", name);
            metric_free(m);
            return NULL;
        }
    }
    m->max_series = reg->max_children;
    *reg->tail = m;
    reg->tail = &m->next;
    pthread_mutex_unlock(&reg->mu);

    /* An unlabelled metric shows 0 from the start, as scrapers expect. */
    if (n_labels == 0 && fn == NULL)
        series_get(m, NULL);
    return m;
}

metrics_counter_t *metrics_counter_new(metrics_registry_t *reg, const char *name, const char *help,
                                       const char *const *label_names, size_t n_labels,
                                       rg_error_t *err)
{
    return (metrics_counter_t *)metric_add(reg, sizeof(metrics_counter_t), KIND_COUNTER, name, help,
                                           label_names, n_labels, NULL, 0, NULL, NULL, err);
}

metrics_gauge_t *metrics_gauge_new(metrics_registry_t *reg, const char *name, const char *help,
                                   const char *const *label_names, size_t n_labels, rg_error_t *err)
{
    return (metrics_gauge_t *)metric_add(reg, sizeof(metrics_gauge_t), KIND_GAUGE, name, help,
                                         label_names, n_labels, NULL, 0, NULL, NULL, err);
}

metrics_histogram_t *metrics_histogram_new(metrics_registry_t *reg, const char *name,
                                           const char *help, const char *const *label_names,
                                           size_t n_labels, const double *buckets, size_t n_buckets,
                                           rg_error_t *err)
{
    return (metrics_histogram_t *)metric_add(reg, sizeof(metrics_histogram_t), KIND_HISTOGRAM, name,
                                             help, label_names, n_labels, buckets, n_buckets, NULL,
                                             NULL, err);
}

metrics_gauge_t *metrics_gauge_func_new(metrics_registry_t *reg, const char *name, const char *help,
                                        double (*fn)(void *), void *arg, rg_error_t *err)
{
    if (fn == NULL) {
        rg_error_set(err, RG_ERR_INVAL, "metrics: \"%s\" has no callback", name ? name : "(null)");
        return NULL;
    }
    return (metrics_gauge_t *)metric_add(reg, sizeof(metrics_gauge_t), KIND_GAUGE, name, help, NULL,
                                         0, NULL, 0, fn, arg, err);
}

metrics_counter_t *metrics_counter_func_new(metrics_registry_t *reg, const char *name,
                                            const char *help, double (*fn)(void *), void *arg,
                                            rg_error_t *err)
{
    if (fn == NULL) {
        rg_error_set(err, RG_ERR_INVAL, "metrics: \"%s\" has no callback", name ? name : "(null)");
        return NULL;
    }
    return (metrics_counter_t *)metric_add(reg, sizeof(metrics_counter_t), KIND_COUNTER, name, help,
                                           NULL, 0, NULL, 0, fn, arg, err);
}

/* ---- updates ----------------------------------------------------------------- */

void metrics_counter_child_add(metrics_counter_child_t *child, uint64_t delta)
{
    if (child)
        atomic_fetch_add_explicit(&counter_series(child)->value, delta, memory_order_relaxed);
}

void metrics_gauge_child_set(metrics_gauge_child_t *child, double value)
{
    if (child)
        atomic_store_explicit(&gauge_series(child)->value, dbits(value), memory_order_relaxed);
}

void metrics_gauge_child_add(metrics_gauge_child_t *child, double delta)
{
    if (child)
        atomic_add_double(&gauge_series(child)->value, delta);
}

void metrics_histogram_child_observe(metrics_histogram_child_t *child, double value)
{
    if (child == NULL || isnan(value))
        return;
    struct series *s = histogram_series(child);
    const struct metric *m = s->metric;
    /* First bound >= value (upper bounds are inclusive); n_bounds = +Inf. */
    size_t lo = 0, hi = m->n_bounds;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (value <= m->bounds[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    atomic_fetch_add_explicit(&s->buckets[lo], 1, memory_order_relaxed);
    atomic_add_double(&s->sum, value);
}

metrics_counter_child_t *metrics_counter_with(metrics_counter_t *c, const char *const *label_values)
{
    return c ? (metrics_counter_child_t *)series_get(&c->m, label_values) : NULL;
}

metrics_gauge_child_t *metrics_gauge_with(metrics_gauge_t *g, const char *const *label_values)
{
    return g ? (metrics_gauge_child_t *)series_get(&g->m, label_values) : NULL;
}

metrics_histogram_child_t *metrics_histogram_with(metrics_histogram_t *h,
                                                  const char *const *label_values)
{
    return h ? (metrics_histogram_child_t *)series_get(&h->m, label_values) : NULL;
}

void metrics_counter_add(metrics_counter_t *c, const char *const *label_values, uint64_t delta)
{
    metrics_counter_child_add(metrics_counter_with(c, label_values), delta);
}

void metrics_gauge_set(metrics_gauge_t *g, const char *const *label_values, double value)
{
    metrics_gauge_child_set(metrics_gauge_with(g, label_values), value);
}

void metrics_gauge_add(metrics_gauge_t *g, const char *const *label_values, double delta)
{
    metrics_gauge_child_add(metrics_gauge_with(g, label_values), delta);
}

void metrics_histogram_observe(metrics_histogram_t *h, const char *const *label_values,
                               double value)
{
    if (isnan(value))
        return; /* before the look-up, so NaN cannot create a child */
    metrics_histogram_child_observe(metrics_histogram_with(h, label_values), value);
}

uint64_t metrics_counter_child_value(const metrics_counter_child_t *child)
{
    return child ? atomic_load(&counter_series(child)->value) : 0;
}

double metrics_gauge_child_value(const metrics_gauge_child_t *child)
{
    return child ? bitsd(atomic_load(&gauge_series(child)->value)) : 0.0;
}

uint64_t metrics_histogram_child_count(const metrics_histogram_child_t *child)
{
    if (child == NULL)
        return 0;
    struct series *s = histogram_series(child);
    uint64_t n = 0;
    for (size_t i = 0; i <= s->metric->n_bounds; i++)
        n += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
    return n;
}

static size_t metric_children(struct metric *m)
{
    pthread_mutex_lock(&m->mu);
    size_t n = m->n_series;
    pthread_mutex_unlock(&m->mu);
    return n;
}

size_t metrics_counter_children(metrics_counter_t *c)
{
    return c ? metric_children(&c->m) : 0;
}
uint64_t metrics_counter_dropped(metrics_counter_t *c)
{
    return c ? atomic_load(&c->m.dropped) : 0;
}
size_t metrics_gauge_children(metrics_gauge_t *g)
{
    return g ? metric_children(&g->m) : 0;
}
uint64_t metrics_gauge_dropped(metrics_gauge_t *g)
{
    return g ? atomic_load(&g->m.dropped) : 0;
}
size_t metrics_histogram_children(metrics_histogram_t *h)
{
    return h ? metric_children(&h->m) : 0;
}
uint64_t metrics_histogram_dropped(metrics_histogram_t *h)
{
    return h ? atomic_load(&h->m.dropped) : 0;
}

/* ---- rendering --------------------------------------------------------------- */

/* Shortest text that reads back as v, with Prometheus' spellings of the specials. */
static void format_double(double v, char *text, size_t size)
{
    if (isnan(v)) {
        snprintf(text, size, "NaN");
    } else if (isinf(v)) {
        snprintf(text, size, "%s", v > 0 ? "+Inf" : "-Inf");
    } else {
        snprintf(text, size, "%.15g", v);
        if (strtod(text, NULL) != v)
            snprintf(text, size, "%.17g", v);
    }
}

static void put_double(rg_buf_t *out, double v)
{
    char text[40];
    format_double(v, text, sizeof(text));
    rg_buf_append_str(out, text);
}

/* HELP text escapes backslash and newline; label values also escape '"'. */
static void put_escaped(rg_buf_t *out, const char *s, bool quote)
{
    const char *run = s;
    for (const char *p = s; *p; p++) {
        const char *esc = NULL;
        if (*p == '\\')
            esc = "\\\\";
        else if (*p == '\n')
            esc = "\\n";
        else if (quote && *p == '"')
            esc = "\\\"";
        if (esc == NULL)
            continue;
        rg_buf_append(out, run, (size_t)(p - run));
        rg_buf_append(out, esc, 2);
        run = p + 1;
    }
    rg_buf_append_str(out, run);
}

/* name{l1="v1",...,le="bound"} with suffix after the name; le may be NULL. */
static void put_series_name(rg_buf_t *out, const struct metric *m, const char *suffix,
                            const struct series *s, const char *le)
{
    rg_buf_append_str(out, m->name);
    if (suffix)
        rg_buf_append_str(out, suffix);
    if (m->n_labels == 0 && le == NULL) {
        rg_buf_append_char(out, ' ');
        return;
    }
    rg_buf_append_char(out, '{');
    for (size_t i = 0; i < m->n_labels; i++) {
        if (i)
            rg_buf_append_char(out, ',');
        rg_buf_append_str(out, m->label_names[i]);
        rg_buf_append_str(out, "=\"");
        put_escaped(out, s->values[i], true);
        rg_buf_append_char(out, '"');
    }
    if (le) {
        if (m->n_labels)
            rg_buf_append_char(out, ',');
        rg_buf_append_str(out, "le=\"");
        rg_buf_append_str(out, le);
        rg_buf_append_char(out, '"');
    }
    rg_buf_append_str(out, "} ");
}

static int cmp_series(const void *a, const void *b)
{
    const struct series *x = *(const struct series *const *)a;
    const struct series *y = *(const struct series *const *)b;
    for (size_t i = 0; i < x->metric->n_labels; i++) {
        int c = strcmp(x->values[i], y->values[i]);
        if (c)
            return c;
    }
    return 0;
}

static void render_histogram(rg_buf_t *out, const struct metric *m, struct series *s)
{
    /* Counts are read once each, so the buckets stay cumulative and
     * _count equals the +Inf bucket even while observations land. */
    uint64_t cum = 0;
    char le[40];
    for (size_t i = 0; i <= m->n_bounds; i++) {
        cum += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
        format_double(i < m->n_bounds ? m->bounds[i] : INFINITY, le, sizeof(le));
        put_series_name(out, m, "_bucket", s, le);
        rg_buf_appendf(out, "%" PRIu64 "\n", cum);
    }
    put_series_name(out, m, "_sum", s, NULL);
    put_double(out, bitsd(atomic_load_explicit(&s->sum, memory_order_relaxed)));
    rg_buf_append_char(out, '\n');
    put_series_name(out, m, "_count", s, NULL);
    rg_buf_appendf(out, "%" PRIu64 "\n", cum);
}

static void render_metric(rg_buf_t *out, struct metric *m)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    rg_buf_append_str(out, "# HELP ");
    rg_buf_append_str(out, m->name);
    rg_buf_append_char(out, ' ');
    put_escaped(out, m->help, false);
    rg_buf_append_str(out, "\n# TYPE ");
    rg_buf_append_str(out, m->name);
    rg_buf_append_char(out, ' ');
    rg_buf_append_str(out, type_names[m->kind]);
    rg_buf_append_char(out, '\n');

    if (m->fn) {
        put_series_name(out, m, NULL, NULL, NULL);
        put_double(out, m->fn(m->arg));
        rg_buf_append_char(out, '\n');
        return;
    }

    /* Snapshot the series list under the insert lock, then render without
     * it: series are never freed while the registry lives. */
    pthread_mutex_lock(&m->mu);
    struct table *t = atomic_load_explicit(&m->table, memory_order_relaxed);
    struct series **all = rg_malloc((m->n_series ? m->n_series : 1) * sizeof(*all));
    size_t k = 0;
    for (size_t i = 0; i < t->size; i++) {
        struct series *s = atomic_load_explicit(&t->slots[i], memory_order_relaxed);
        if (s)
            all[k++] = s;
    }
    pthread_mutex_unlock(&m->mu);
    qsort(all, k, sizeof(*all), cmp_series);

    for (size_t i = 0; i < k; i++) {
        struct series *s = all[i];
        switch (m->kind) {
        case KIND_COUNTER:
            put_series_name(out, m, NULL, s, NULL);
            rg_buf_appendf(out, "%" PRIu64 "\n",
                           atomic_load_explicit(&s->value, memory_order_relaxed));
            break;
        case KIND_GAUGE:
            put_series_name(out, m, NULL, s, NULL);
            put_double(out, bitsd(atomic_load_explicit(&s->value, memory_order_relaxed)));
            rg_buf_append_char(out, '\n');
            break;
        case KIND_HISTOGRAM: render_histogram(out, m, s); break;
        }
    }
    rg_free(all);
}

void metrics_registry_render(metrics_registry_t *reg, rg_buf_t *out)
{
    if (reg == NULL)
        return;
    pthread_mutex_lock(&reg->mu);
    for (struct metric *m = reg->head; m; m = m->next)
        render_metric(out, m);
    pthread_mutex_unlock(&reg->mu);
}
