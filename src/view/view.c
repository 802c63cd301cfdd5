/*
 * The standalone cluster view: manifests parsed once into cJSON and kept
 * read-only. Later the same queries are answered from API watch caches.
 */
#include "raygate/view.h"

#include "raygate/alloc.h"
#include "raygate/config.h"
#include "raygate/log.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

extern const size_t view__seed_len;
extern const unsigned char view__seed[];

struct view {
    char *source;
    cfg_yaml_docs_t *files; /* one parsed stream per file */
    size_t n_files;
    const cJSON **objects;  /* borrowed from files, in load order */
    size_t n_objects;
};

static void view_add_docs(view_t *v, cfg_yaml_docs_t *docs)
{
    v->files = rg_realloc(v->files, (v->n_files + 1) * sizeof(*v->files));
    v->files[v->n_files++] = *docs;
    v->objects = rg_realloc(v->objects, (v->n_objects + docs->count) * sizeof(*v->objects));
    for (size_t i = 0; i < docs->count; i++)
        v->objects[v->n_objects++] = docs->items[i].root;
}

static view_t *view_new(const char *source)
{
    view_t *v = rg_calloc(1, sizeof(*v));
    v->source = rg_strdup(source);
    return v;
}

static int has_manifest_suffix(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0 ||
                   strcmp(dot, ".json") == 0);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

view_t *view_load_dir(const char *dir, rg_error_t *err)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        rg_error_set(err, RG_ERR_IO, "standalone: cannot open directory \"%s\"", dir);
        return NULL;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !has_manifest_suffix(de->d_name))
            continue;
        names = rg_realloc(names, (n + 1) * sizeof(*names));
        names[n++] = rg_asprintf("%s/%s", dir, de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_names);
    view_t *v = view_new(dir);
    int rc = RG_OK;
    for (size_t i = 0; i < n; i++) {
        cfg_yaml_docs_t docs = {0};
        if (rc == RG_OK) {
            rc = cfg_yaml_docs_load_file(names[i], VIEW_MAX_FILE_BYTES, &docs, err);
            if (rc == RG_OK)
                view_add_docs(v, &docs);
        }
        rg_free(names[i]);
    }
    rg_free(names);
    if (rc != RG_OK) {
        view_free(v);
        return NULL;
    }
    return v;
}

view_t *view_load_embedded(rg_error_t *err)
{
    cfg_yaml_docs_t docs = {0};
    if (cfg_yaml_docs_parse((const char *)view__seed, view__seed_len, "embedded seed", &docs,
                            err) != RG_OK)
        return NULL;
    view_t *v = view_new("embedded seed manifests");
    view_add_docs(v, &docs);
    return v;
}

void view_free(view_t *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n_files; i++)
        cfg_yaml_docs_release(&v->files[i]);
    rg_free(v->files);
    rg_free(v->objects);
    rg_free(v->source);
    rg_free(v);
}

const char *view_source(const view_t *v)
{
    return v->source;
}

size_t view_count(const view_t *v)
{
    return v->n_objects;
}

const cJSON *view_object(const view_t *v, size_t i)
{
    return i < v->n_objects ? v->objects[i] : NULL;
}

