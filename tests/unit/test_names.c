/*
 * Unit tests for webhooks/names.c: apimachinery's name, label, annotation
 * and label-selector checks, each rule at its edge and just past it, with
 * the exact rendered field errors.
 */
#include "raygate/alloc.h"
#include "raygate/json.h"
#include "raygate/validate.h"

#include <check.h>

#include "harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBDOMAIN_MSG                                                                           \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' " \
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "     \
    "regex used for validation is "                                                           \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define LABEL_MSG                                                                             \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', " \
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or "           \
    "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define QNAME_MSG                                                                          \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end " \
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "      \
    "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define LVALUE_MSG                                                                          \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', " \
    "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', " \
    " or 'my_value',  or '12345', regex used for validation is "                          \
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

/* Renders every error, one per line, into an owned string. */
static char *render(const field_errors_t *e)
{
    rg_buf_t b = RG_BUF_INIT;
    for (size_t i = 0; i < e->n; i++) {
        if (i)
            rg_buf_append_char(&b, '\n');
        field_error_format(&e->items[i], &b);
    }
    if (b.data == NULL)
        rg_buf_append_str(&b, "");
    return rg_buf_detach(&b, NULL);
}

static char *repeat(char c, size_t n)
{
    char *s = rg_malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

typedef enum kind { SUB, LBL, QN, LV } kind_t;

typedef struct name_case {
    kind_t kind;
    const char *value; /* "@N" = N copies of 'a'; "@N.@M" etc. not used */
    size_t repeat_n;   /* when value is NULL: a string of repeat_n 'a' */
    const char *want;  /* rendered errors joined by '\n'; "" = valid */
} name_case_t;

static const name_case_t NAME_CASES[] = {
    /* DNS-1123 subdomain */
    {SUB, "example.com", 0, ""},
    {SUB, "a", 0, ""},
    {SUB, "0-9.a-b", 0, ""},
    {SUB, NULL, 253, ""},
    {SUB, NULL, 254, "f: Invalid value: \"" "%s" "\": must be no more than 253 characters"},
    {SUB, "Example.com", 0, "f: Invalid value: \"Example.com\": " SUBDOMAIN_MSG},
    {SUB, "-a", 0, "f: Invalid value: \"-a\": " SUBDOMAIN_MSG},
    {SUB, "a-", 0, "f: Invalid value: \"a-\": " SUBDOMAIN_MSG},
    {SUB, "a..b", 0, "f: Invalid value: \"a..b\": " SUBDOMAIN_MSG},
    {SUB, "a.", 0, "f: Invalid value: \"a.\": " SUBDOMAIN_MSG},
    {SUB, "", 0, "f: Invalid value: \"\": " SUBDOMAIN_MSG},
    {SUB, "a_b", 0, "f: Invalid value: \"a_b\": " SUBDOMAIN_MSG},
    /* DNS-1123 label */
    {LBL, "my-name", 0, ""},
    {LBL, "123-abc", 0, ""},
    {LBL, NULL, 63, ""},
    {LBL, NULL, 64, "f: Invalid value: \"%s\": must be no more than 63 characters"},
    {LBL, "a.b", 0, "f: Invalid value: \"a.b\": must not contain dots"},
    {LBL, "A", 0, "f: Invalid value: \"A\": " LABEL_MSG},
    {LBL, "", 0, "f: Invalid value: \"\": " LABEL_MSG},
    {LBL, "a-", 0, "f: Invalid value: \"a-\": " LABEL_MSG},
    /* qualified names */
    {QN, "cpu", 0, ""},
    {QN, "nvidia.com/gpu", 0, ""},
    {QN, "My_Name.x-1", 0, ""},
    {QN, NULL, 63, ""},
    {QN, NULL, 64, "f: Invalid value: \"%s\": name part must be no more than 63 characters"},
    {QN, "", 0,
     "f: Invalid value: \"\": name part must be non-empty\n"
     "f: Invalid value: \"\": name part " QNAME_MSG},
    {QN, "/gpu", 0, "f: Invalid value: \"/gpu\": prefix part must be non-empty"},
    {QN, "nvidia.com/", 0,
     "f: Invalid value: \"nvidia.com/\": name part must be non-empty\n"
     "f: Invalid value: \"nvidia.com/\": name part " QNAME_MSG},
    {QN, "Nvidia.com/gpu", 0,
     "f: Invalid value: \"Nvidia.com/gpu\": prefix part " SUBDOMAIN_MSG},
    {QN, "a/b/c", 0,
     "f: Invalid value: \"a/b/c\": a qualified name " QNAME_MSG
     " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"},
    {QN, "-cpu", 0, "f: Invalid value: \"-cpu\": name part " QNAME_MSG},
    {QN, "cpu!", 0, "f: Invalid value: \"cpu!\": name part " QNAME_MSG},
    /* label values */
    {LV, "", 0, ""},
    {LV, "my_value", 0, ""},
    {LV, NULL, 63, ""},
    {LV, NULL, 64, "f: Invalid value: \"%s\": must be no more than 63 characters"},
    {LV, "a b", 0, "f: Invalid value: \"a b\": " LVALUE_MSG},
    {LV, "_a", 0, "f: Invalid value: \"_a\": " LVALUE_MSG},
};

START_TEST(test_names__checks)
{
    const name_case_t *c = &NAME_CASES[_i];
    char *value = c->value ? rg_strdup(c->value) : repeat('a', c->repeat_n);
    field_errors_t e = FIELD_ERRORS_INIT;
    bool ok = false;
    switch (c->kind) {
    case SUB: ok = wh_check_dns1123_subdomain(&e, "f", value); break;
    case LBL: ok = wh_check_dns1123_label(&e, "f", value); break;
    case QN: ok = wh_check_qualified_name(&e, "f", value); break;
    case LV: ok = wh_check_label_value(&e, "f", value); break;
    }
    char *want = c->value ? rg_strdup(c->want) : rg_asprintf(c->want, value);
    char *got = render(&e);
    ck_assert_str_eq(got, want);
    ck_assert(ok == (want[0] == '\0'));
    rg_free(got);
    rg_free(want);
    rg_free(value);
    field_errors_release(&e);
}
END_TEST

typedef struct map_case {
    int which; /* 0 labels, 1 annotations, 2 selector */
    const char *json;
    const char *want;
} map_case_t;

static const map_case_t MAP_CASES[] = {
    {0, "{\"app\":\"ray\",\"example.com/x\":\"\"}", ""},
    {0, "null", ""},
    {0, "{\"bad key\":\"v\"}", "m: Invalid value: \"bad key\": name part " QNAME_MSG},
    {0, "{\"k\":\"bad value\"}", "m: Invalid value: \"bad value\": " LVALUE_MSG},
    {0, "{\"k\":3}",
     "m.k: Invalid value: \"number\": m.k in body must be of type string: \"number\""},
    {0, "[]", "m: Invalid value: \"array\": m in body must be of type object: \"array\""},
    {1, "{\"Example.COM/Key\":\"any value at all\"}", ""},
    {1, "{\"a b\":\"x\"}", "m: Invalid value: \"a b\": name part " QNAME_MSG},
    {2, "{}", ""},
    {2, "{\"matchLabels\":{\"env\":\"production\"}}", ""},
    {2, "{\"matchLabels\":{\"env\":\"prod uction\"}}",
     "m.matchLabels: Invalid value: \"prod uction\": " LVALUE_MSG},
    {2, "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"x\"]}]}", ""},
    {2, "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\",\"values\":[\"x\"]}]}", ""},
    {2, "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}",
     "m.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' "
     "or 'NotIn'"},
    {2, "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\",\"values\":[]}]}",
     "m.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' "
     "or 'NotIn'"},
    {2, "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"}]}", ""},
    {2, "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"DoesNotExist\",\"values\":[\"x\"]}]}",
     "m.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' "
     "or 'DoesNotExist'"},
    {2, "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Gt\",\"values\":[\"1\"]}]}",
     "m.matchExpressions[0].operator: Invalid value: \"Gt\": not a valid selector operator"},
    {2, "{\"matchExpressions\":[{\"key\":\"a b\",\"operator\":\"Exists\"}]}",
     "m.matchExpressions[0].key: Invalid value: \"a b\": name part " QNAME_MSG},
    {2, "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"ok\",\"n o\"]}]}",
     "m.matchExpressions[0].values[1]: Invalid value: \"n o\": " LVALUE_MSG},
};

START_TEST(test_names__maps_and_selectors)
{
    const map_case_t *c = &MAP_CASES[_i];
    cJSON *j = cJSON_Parse(c->json);
    ck_assert_ptr_nonnull(j);
    field_errors_t e = FIELD_ERRORS_INIT;
    if (c->which == 0)
        wh_check_labels(&e, "m", j);
    else if (c->which == 1)
        wh_check_annotations(&e, "m", j);
    else
        wh_check_label_selector(&e, "m", j);
    char *got = render(&e);
    ck_assert_str_eq(got, c->want);
    rg_free(got);
    field_errors_release(&e);
    cJSON_Delete(j);
}
END_TEST

START_TEST(test_names__annotations_size)
{
    /* 256 KiB of keys plus values is allowed; one byte more is Too long. */
    for (int extra = 0; extra <= 1; extra++) {
        cJSON *a = cJSON_CreateObject();
        char *v = repeat('x', 256 * 1024 - 1 + (size_t)extra);
        cJSON_AddStringToObject(a, "k", v);
        field_errors_t e = FIELD_ERRORS_INIT;
        wh_check_annotations(&e, "metadata.annotations", a);
        char *got = render(&e);
        ck_assert_str_eq(got, extra ? "metadata.annotations: Too long: may not be more than "
                                      "262144 bytes"
                                    : "");
        rg_free(got);
        rg_free(v);
        field_errors_release(&e);
        cJSON_Delete(a);
    }
}
END_TEST

static Suite *names_suite(void)
{
    Suite *s = suite_create("names");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_names__checks, 0, sizeof(NAME_CASES) / sizeof(NAME_CASES[0]));
    tcase_add_loop_test(tc, test_names__maps_and_selectors, 0,
                        sizeof(MAP_CASES) / sizeof(MAP_CASES[0]));
    tcase_add_test(tc, test_names__annotations_size);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(names_suite());
}
