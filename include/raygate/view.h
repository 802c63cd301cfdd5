/*
 * Standalone manifests: Kueue and Ray objects read from local files (the
 * seed's examples, compiled in, by default) so a newcomer can run raygate
 * with no cluster; serve loads them into the same caches the watches feed.
 * Built once, read-only afterwards.
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
/* Number of objects. */
size_t view_count(const view_t *v);
/* The i-th object (borrowed), in load order; NULL past the end. */
const cJSON *view_object(const view_t *v, size_t i);

#endif
