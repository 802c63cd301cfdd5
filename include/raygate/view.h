/*
 * The cluster view in standalone mode: Kueue and Ray objects read from
 * local manifests instead of API watches (the seed's examples by default),
 * so a newcomer can run raygate with no cluster. Built once before serving
 * and read-only afterwards, so any thread may read it.
 */
#ifndef RAYGATE_VIEW_H
#define RAYGATE_VIEW_H

#include "raygate/err.h"
#include "raygate/json.h"

#include <stddef.h>

typedef struct view view_t;

/* Largest manifest file the view reads. */
#define VIEW_MAX_FILE_BYTES ((size_t)16 << 20)

/*
 * Loads every *.yaml, *.yml and *.json file directly in dir (sorted by
 * name, not recursive). Returns an owned view (view_free) or NULL with err
 * naming the file and line of the first bad document.
 */
view_t *view_load_dir(const char *dir, rg_error_t *err);

/* Loads the seed manifests compiled into the binary. Owned; view_free. */
view_t *view_load_embedded(rg_error_t *err);

void view_free(view_t *v);

/* Where the objects came from ("manifests/examples/seed", "embedded seed"). */
const char *view_source(const view_t *v);
/* Number of objects, and of objects of one kind ("ClusterQueue"). */
size_t view_count(const view_t *v);
size_t view_count_kind(const view_t *v, const char *kind);
/* The i-th object (borrowed), in load order; NULL past the end. */
const cJSON *view_object(const view_t *v, size_t i);

#endif
