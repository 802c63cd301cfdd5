/*
 * Helpers shared by the unit suites. Test code only.
 */
#ifndef RG_TEST_HARNESS_H
#define RG_TEST_HARNESS_H

/* The API-server double's launcher (tests/unit/harness/double.h). */
#include "double.h"

#endif
