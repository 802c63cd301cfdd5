/*
 * The one allocation wrapper: every heap allocation in raygate goes through
 * it (cJSON included, see rg_json_init). Out of memory aborts the process,
 * since no path in a webhook can recover sensibly; real limits (body sizes,
 * object counts) are checked explicitly by the callers. Thread-safe.
 */
#ifndef RAYGATE_ALLOC_H
#define RAYGATE_ALLOC_H

#include <stddef.h>

/* Return owned memory; free with rg_free. Never return NULL. */
void *rg_malloc(size_t size);
void *rg_calloc(size_t nmemb, size_t size);
void *rg_realloc(void *ptr, size_t size);
char *rg_strdup(const char *s);
char *rg_strndup(const char *s, size_t n);
/* Returns an owned, formatted string; free with rg_free. */
char *rg_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Frees memory from the functions above; rg_free(NULL) does nothing. */
void rg_free(void *ptr);

#endif
