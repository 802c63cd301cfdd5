/*
 * Prometheus metrics: a registry of counters, gauges and histograms with
 * fixed label names, rendered in the text exposition format 0.0.4. The
 * registry owns every metric and every child series; nothing is freed
 * before metrics_registry_free, so metric pointers and child handles stay
 * valid until then.
 *
 * Threads: metrics are created at start-up by one thread, but creation,
 * rendering and every update may run concurrently. Updates are relaxed
 * atomics on a found series; finding one is a lock-free hash probe (a
 * per-metric mutex is taken only the first time a label set is seen). A
 * handle from metrics_*_with skips the look-up: one atomic add per update.
 * The module depends on core only.
 */
#ifndef RAYGATE_METRICS_H
#define RAYGATE_METRICS_H

#include "raygate/buf.h"
#include "raygate/err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct metrics_registry metrics_registry_t;
typedef struct metrics_counter metrics_counter_t;
typedef struct metrics_gauge metrics_gauge_t;
typedef struct metrics_histogram metrics_histogram_t;
typedef struct metrics_counter_child metrics_counter_child_t;
typedef struct metrics_gauge_child metrics_gauge_child_t;
typedef struct metrics_histogram_child metrics_histogram_child_t;

/* Default cap on child series per metric; past it, new label sets are dropped. */
#define METRICS_DEFAULT_MAX_CHILDREN 10000
/* Most label names a metric may have. */
#define METRICS_MAX_LABELS 16
/* Label values longer than this are cut (at a UTF-8 boundary). */
#define METRICS_LABEL_VALUE_MAX 256
/* Most buckets a histogram may have, besides +Inf. */
#define METRICS_MAX_BUCKETS 64

/* Latency buckets in seconds, 100 µs .. 10 s, used when a histogram gets none. */
extern const double metrics_default_buckets[];
extern const size_t metrics_default_buckets_len;

/* Returns an owned, empty registry; free with metrics_registry_free. */
metrics_registry_t *metrics_registry_new(void);
/* Frees the registry and all its metrics and children; NULL does nothing. */
void metrics_registry_free(metrics_registry_t *reg);

/*
 * Sets the child cap for metrics created after the call (default
 * METRICS_DEFAULT_MAX_CHILDREN; 0 restores the default).
 */
void metrics_registry_set_max_children(metrics_registry_t *reg, size_t max);

/*
 * Updates dropped because a metric had reached its child cap (or got NULL
 * label values), summed over all metrics. Export it with
 * metrics_counter_func_new if wanted.
 */
uint64_t metrics_registry_dropped(metrics_registry_t *reg);

/*
 * Renders every metric in creation order (children sorted by label values)
 * as Prometheus text, appended to out (the caller's buffer). Gauge and
 * counter callbacks run here, on the rendering thread.
 */
void metrics_registry_render(metrics_registry_t *reg, rg_buf_t *out);

/* The media type to serve the rendered text with. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Constructors. name must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 * [a-zA-Z_][a-zA-Z0-9_]* and not start with "__" (nor be "le" for a
 * histogram), unique within the metric; name is unique in the registry.
 * label_names (n_labels entries, copied) may be NULL when n_labels is 0;
 * help is copied (NULL = ""). Return a metric borrowed from reg (freed with
 * it) or NULL with err naming the offending name (RG_ERR_INVAL, or
 * RG_ERR_EXISTS for a duplicate).
 */
metrics_counter_t *metrics_counter_new(metrics_registry_t *reg, const char *name, const char *help,
                                       const char *const *label_names, size_t n_labels,
                                       rg_error_t *err);
metrics_gauge_t *metrics_gauge_new(metrics_registry_t *reg, const char *name, const char *help,
                                   const char *const *label_names, size_t n_labels,
                                   rg_error_t *err);
/*
 * buckets: strictly increasing finite upper bounds (a trailing +Inf is
 * accepted and implied anyway), n_buckets <= METRICS_MAX_BUCKETS; NULL uses
 * metrics_default_buckets. Copied.
 */
metrics_histogram_t *metrics_histogram_new(metrics_registry_t *reg, const char *name,
                                           const char *help, const char *const *label_names,
                                           size_t n_labels, const double *buckets, size_t n_buckets,
                                           rg_error_t *err);
/*
 * Unlabelled series whose value fn(arg) returns at render time (audit
 * failures, leadership, cache sizes). fn must be thread-safe and must not
 * call into this registry; arg is borrowed and must outlive the registry.
 */
metrics_gauge_t *metrics_gauge_func_new(metrics_registry_t *reg, const char *name, const char *help,
                                        double (*fn)(void *), void *arg, rg_error_t *err);
metrics_counter_t *metrics_counter_func_new(metrics_registry_t *reg, const char *name,
                                            const char *help, double (*fn)(void *), void *arg,
                                            rg_error_t *err);

/*
 * Updates by label values: label_values has exactly as many entries as the
 * metric has label names (NULL when it has none); a NULL entry means "".
 * Each call finds or creates the child; when the cap is reached the update
 * is dropped and counted. Updates on a callback metric are ignored.
 */
void metrics_counter_add(metrics_counter_t *c, const char *const *label_values, uint64_t delta);
void metrics_gauge_set(metrics_gauge_t *g, const char *const *label_values, double value);
void metrics_gauge_add(metrics_gauge_t *g, const char *const *label_values, double delta);
/* NaN observations are ignored. */
void metrics_histogram_observe(metrics_histogram_t *h, const char *const *label_values,
                               double value);

/*
 * Child handles for a fixed label set, looked up once and kept: borrowed
 * from the metric, valid until the registry is freed. NULL when the cap is
 * reached; the *_child_* updates accept NULL and do nothing.
 */
metrics_counter_child_t *metrics_counter_with(metrics_counter_t *c,
                                              const char *const *label_values);
void metrics_counter_child_add(metrics_counter_child_t *child, uint64_t delta);
metrics_gauge_child_t *metrics_gauge_with(metrics_gauge_t *g, const char *const *label_values);
void metrics_gauge_child_set(metrics_gauge_child_t *child, double value);
void metrics_gauge_child_add(metrics_gauge_child_t *child, double delta);
metrics_histogram_child_t *metrics_histogram_with(metrics_histogram_t *h,
                                                  const char *const *label_values);
void metrics_histogram_child_observe(metrics_histogram_child_t *child, double value);

/* Reads back a child's value (for tests and health checks); 0 for NULL. */
uint64_t metrics_counter_child_value(const metrics_counter_child_t *child);
double metrics_gauge_child_value(const metrics_gauge_child_t *child);
/* The total number of observations of a histogram child. */
uint64_t metrics_histogram_child_count(const metrics_histogram_child_t *child);

/* Children a metric holds, and the updates it dropped at the cap; 0 for NULL. */
size_t metrics_counter_children(metrics_counter_t *c);
uint64_t metrics_counter_dropped(metrics_counter_t *c);
size_t metrics_gauge_children(metrics_gauge_t *g);
uint64_t metrics_gauge_dropped(metrics_gauge_t *g);
size_t metrics_histogram_children(metrics_histogram_t *h);
uint64_t metrics_histogram_dropped(metrics_histogram_t *h);

#endif
