/*
 * raygate's own version and the versions of the libraries it links, read
 * at run time where the library can say (so a mismatched .so shows).
 * Thread-safe.
 */
#ifndef RAYGATE_VERSION_H
#define RAYGATE_VERSION_H

#include "raygate/buf.h"

/* raygate's version string, static. */
const char *rg_version(void);

#define RG_VERSION_LIBS 7

typedef struct rg_version_lib {
    const char *name;    /* static */
    const char *version; /* static, owned by the library */
} rg_version_lib_t;

/* Fills out with every linked library's name and run-time version. */
void rg_version_libraries(rg_version_lib_t out[RG_VERSION_LIBS]);

/* Appends "raygate X" and one "name version" line per library. */
void rg_version_report(rg_buf_t *out);

/* Appends {"raygate":"X","libraries":{"name":"version",...}}. */
void rg_version_json(rg_buf_t *out);

#endif
