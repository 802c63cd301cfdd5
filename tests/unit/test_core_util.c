/*
 * Unit tests for the small core utilities: the string-keyed hash map
 * (growth and backward-shift deletion under churn) and RFC 3339 parsing.
 */
#include "raygate/alloc.h"
#include "raygate/strmap.h"
#include "raygate/timeutil.h"

#include <check.h>

#include "harness.h"
#include <stdio.h>
#include <string.h>

START_TEST(test_strmap__churn)
{
    enum { N = 2000 };
    static char keys[N][16];
    rg_strmap_t m = RG_STRMAP_INIT;
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof(keys[i]), "k%d", i);
        ck_assert_ptr_null(rg_strmap_put(&m, keys[i], keys[i]));
    }
    ck_assert_uint_eq(m.n, N);
    /* Delete every third, then check every key's presence. */
    for (int i = 0; i < N; i += 3)
        ck_assert_ptr_eq(rg_strmap_del(&m, keys[i]), keys[i]);
    for (int i = 0; i < N; i++) {
        void *v = rg_strmap_get(&m, keys[i]);
        if (i % 3 == 0)
            ck_assert_ptr_null(v);
        else
            ck_assert_ptr_eq(v, keys[i]);
    }
    ck_assert_ptr_null(rg_strmap_del(&m, "absent"));
    size_t seen = 0, it = 0;
    const char *k;
    void *v;
    while (rg_strmap_next(&m, &it, &k, &v)) {
        ck_assert_ptr_eq(k, v);
        seen++;
    }
    ck_assert_uint_eq(seen, m.n);
    ck_assert_ptr_eq(rg_strmap_put(&m, keys[1], NULL), keys[1]);
    rg_strmap_release(&m);
    ck_assert_ptr_null(rg_strmap_get(&m, "k1"));
}
END_TEST

typedef struct time_case {
    const char *in;
    long long want_s; /* seconds since the epoch; -1 = refused */
    long long want_frac_ns;
} time_case_t;

static const time_case_t TIME_CASES[] = {
    {"1970-01-01T00:00:00Z", 0, 0},
    {"2026-12-06T11:18:48Z", 1796555928, 0},
    {"2026-12-06T11:18:48.5Z", 1796555928, 500000000},
    {"2026-12-06T11:18:48.123456789Z", 1796555928, 123456789},
    {"2026-12-06T12:18:48+01:00", 1796555928, 0},
    {"2026-12-06t11:18:48z", 1796555928, 0},
    {"2026-12-06 11:18:48Z", -1, 0},
    {"2026-12-06T11:18:48", -1, 0},
    {"2026-13-06T11:18:48Z", -1, 0},
    {"2026-12-06T11:18:48.Z", -1, 0},
    {"2026-12-06T11:18:48Zjunk", -1, 0},
    {"", -1, 0},
};

START_TEST(test_time__parse)
{
    const time_case_t *c = &TIME_CASES[_i];
    int64_t ns = 42;
    int rc = rg_time_parse_rfc3339(c->in, &ns);
    if (c->want_s < 0) {
        ck_assert_msg(rc < 0, "case %d accepted", _i);
        ck_assert_int_eq(ns, 42);
        return;
    }
    ck_assert_msg(rc == 0, "case %d refused", _i);
    ck_assert_int_eq(ns, c->want_s * 1000000000LL + c->want_frac_ns);
    char out[40];
    rg_time_format_rfc3339_seconds(ns, out, sizeof(out));
    int64_t back;
    ck_assert_int_eq(rg_time_parse_rfc3339(out, &back), 0);
    ck_assert_int_eq(back, c->want_s * 1000000000LL);
}
END_TEST

static Suite *core_suite(void)
{
    Suite *s = suite_create("core_util");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_strmap__churn);
    tcase_add_loop_test(tc, test_time__parse, 0, sizeof(TIME_CASES) / sizeof(TIME_CASES[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(core_suite());
}
