/*
 * libFuzzer target over the resource.Quantity parser: whatever parses must
 * format to a canonical text that parses back to the same value, and sums
 * with a fixed value must stay defined. Input: one quantity string.
 */
#include "raygate/err.h"
#include "raygate/json.h"
#include "raygate/quantity.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rg_json_init();
    return 0;
}

/* Aborts with both texts so the crash report says what went wrong. */
static void fail(const char *what, const uint8_t *data, size_t size, const char *canon)
{
    fprintf(stderr, "fuzz_quantity: %s: input \"%.*s\" canonical \"%s\"\n", what, (int)size,
            (const char *)data, canon);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    quota_qty_t q;
    rg_error_t err = {0};
    if (quota_qty_parse_n((const char *)data, size, &q, &err) != RG_OK)
        return 0;

    char canon[QUOTA_QTY_STR_MAX];
    size_t n = quota_qty_format(&q, canon, sizeof(canon));
    if (n == 0 || n >= sizeof(canon) || strlen(canon) != n)
        fail("format length", data, size, canon);
    quota_qty_t back;
    rg_error_t err2 = {0};
    if (quota_qty_parse(canon, &back, &err2) != RG_OK)
        fail(rg_error_str(&err2), data, size, canon);
    if (quota_qty_cmp(&q, &back) != 0)
        fail("round trip changed the value", data, size, canon);
    /* Reparsing the canonical text may change the format, as in Kubernetes
     * ("62.5Ki" prints "64000", BinarySI without a suffix, which reads back
     * as DecimalSI "64k"), so the canonical form is a fixed point only from
     * the second print on. */
    char again[QUOTA_QTY_STR_MAX];
    quota_qty_format(&back, again, sizeof(again));
    quota_qty_t back2;
    if (quota_qty_parse(again, &back2, NULL) != RG_OK || quota_qty_cmp(&q, &back2) != 0)
        fail("second round trip changed the value", data, size, again);
    char third[QUOTA_QTY_STR_MAX];
    quota_qty_format(&back2, third, sizeof(third));
    if (strcmp(again, third) != 0)
        fail("canonical form not stable", data, size, third);

    (void)quota_qty_sign(&q);
    (void)quota_qty_is_zero(&q);
    int64_t v;
    rg_error_t e3 = {0};
    (void)quota_qty_milli(&q, &v, &e3);
    rg_error_t e4 = {0};
    (void)quota_qty_value(&q, &v, &e4);

    /* Sums near the bounds must fail cleanly, never overflow. */
    static const char *const fixed[] = {"1", "-1500m", "1Ei", "9999999999999999999999999999"};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        quota_qty_t y;
        rg_error_t ey = {0};
        if (quota_qty_parse(fixed[i], &y, &ey) != RG_OK)
            continue;
        quota_qty_t s = q;
        rg_error_t ea = {0};
        if (quota_qty_add(&s, &y, &ea) == RG_OK) {
            rg_error_t es = {0};
            /* (q + y) - y == q when both steps succeed. */
            if (quota_qty_sub(&s, &y, &es) == RG_OK && quota_qty_cmp(&s, &q) != 0)
                fail("add then sub changed the value", data, size, canon);
        }
        quota_qty_t d = q;
        rg_error_t ed = {0};
        (void)quota_qty_sub(&d, &y, &ed);
        quota_qty_neg(&d);
    }
    return 0;
}
