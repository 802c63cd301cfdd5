/*
 * raygate's own version and the versions of the libraries it links, read
 * at run time where the library can say (so a mismatched .so shows).
 */
#ifndef RAYGATE_VERSION_H
#define RAYGATE_VERSION_H

#include "raygate/buf.h"

/* raygate's version string, static. */
const char *rg_version(void);

/* Appends "name version\n" lines for raygate and each linked library. */
void rg_version_report(rg_buf_t *out);

#endif
