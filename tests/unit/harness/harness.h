/*
 * Helpers shared by the unit suites. Test code only.
 */
#ifndef RG_TEST_HARNESS_H
#define RG_TEST_HARNESS_H

#endif
