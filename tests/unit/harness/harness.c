/*
 * Shared test helpers (the API-server double's launcher lives beside it).
 */
#include "harness.h"

/* ISO C forbids an empty translation unit. */
typedef int rg_test_harness_unused_t;
