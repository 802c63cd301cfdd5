/*
 * Allocation wrapper. The daemon links jemalloc, which replaces malloc
 * process-wide, so these stay thin; under sanitizers the libc allocator is
 * used and ASan sees every allocation.
 */
#include "raygate/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t size)
{
    fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", size);
    abort();
}

void *rg_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        oom(size);
    return p;
}

void *rg_calloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (p == NULL)
        oom(nmemb * size);
    return p;
}

void *rg_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL)
        oom(size);
    return p;
}

char *rg_strdup(const char *s)
{
    return rg_strndup(s, strlen(s));
}

char *rg_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = rg_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *rg_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = rg_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void rg_free(void *ptr)
{
    free(ptr);
}
