/*
 * Helpers shared by the unit suites. Test code only.
 */
#ifndef RG_TEST_HARNESS_H
#define RG_TEST_HARNESS_H

/* The API-server double's launcher (tests/unit/harness/double.h). */
#include "double.h"

#include "raygate/field.h"
#include "raygate/validate.h"

#include <stddef.h>

/*
 * Reads $RG_FIXTURES/<dir>/<name> (dir may be "" for a path relative to
 * the fixtures root) whole, NUL-terminated; fails the running test when it
 * cannot. Owned: rg_free.
 */
char *rgt_fixture_read(const char *dir, const char *name, size_t *len);

/* Every error rendered by field_error_format, one per line; "" when none.
 * Owned: rg_free. */
char *rgt_errors_text(const field_errors_t *errs);
/* Every warning, one per line; "" when none. Owned: rg_free. */
char *rgt_warnings_text(const wh_warnings_t *warns);

/* A validators' cluster view over the items of a cJSON array (borrowed). */
wh_cluster_t rgt_array_cluster(const cJSON *array);

#endif
