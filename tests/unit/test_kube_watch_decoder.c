/*
 * The watch stream decoder: events split at every byte boundary, packed
 * together, blank lines, malformed and oversize events, callback stops.
 */
#include "raygate/json.h"
#include "raygate/kube.h"

#include <check.h>

#include "harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEEN 16

typedef struct seen {
    int n;
    kube_event_type_t types[MAX_SEEN];
    char names[MAX_SEEN][32];
    int stop_after; /* return 7 from the callback after this many; 0 = never */
} seen_t;

static int on_event(void *arg, kube_event_type_t type, cJSON *object)
{
    seen_t *s = arg;
    if (s->n < MAX_SEEN) {
        const char *name = rg_json_get_string(rg_json_get_object(object, "metadata"), "name");
        s->types[s->n] = type;
        snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name ? name : "-");
    }
    s->n++;
    cJSON_Delete(object);
    return s->stop_after && s->n >= s->stop_after ? 7 : 0;
}

static const char SAMPLE[] =
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\","
    "\"resourceVersion\":\"10\"}}}\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\\n\","
    "\"resourceVersion\":\"11\"},\"spec\":{\"x\":[1,2,{\"y\":\"}\"}]}}}\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":\"12\"}}"
    "}\n"
    "{\"type\":\"DELETED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"c\"}}}\n"
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}}\n";

static void check_sample(const seen_t *s)
{
    ck_assert_int_eq(s->n, 5);
    ck_assert_int_eq(s->types[0], KUBE_EVENT_ADDED);
    ck_assert_str_eq(s->names[0], "a");
    ck_assert_int_eq(s->types[1], KUBE_EVENT_MODIFIED);
    ck_assert_str_eq(s->names[1], "b\n");
    ck_assert_int_eq(s->types[2], KUBE_EVENT_BOOKMARK);
    ck_assert_str_eq(s->names[2], "-");
    ck_assert_int_eq(s->types[3], KUBE_EVENT_DELETED);
    ck_assert_str_eq(s->names[3], "c");
    ck_assert_int_eq(s->types[4], KUBE_EVENT_ERROR);
}

static void setup(void)
{
    rg_json_init();
}

START_TEST(test_kube_watch_decoder__split_at_every_byte)
{
    size_t len = strlen(SAMPLE);
    for (size_t cut = 0; cut <= len; cut++) {
        seen_t s = {0};
        rg_error_t err = {0};
        kube_watch_decoder_t *d = kube_watch_decoder_new(0, on_event, &s);
        ck_assert_int_eq(kube_watch_decoder_feed(d, SAMPLE, cut, &err), 0);
        ck_assert_int_eq(kube_watch_decoder_feed(d, SAMPLE + cut, len - cut, &err), 0);
        ck_assert(!kube_watch_decoder_pending(d));
        check_sample(&s);
        kube_watch_decoder_free(d);
    }
}
END_TEST

START_TEST(test_kube_watch_decoder__byte_by_byte_and_three_pieces)
{
    size_t len = strlen(SAMPLE);
    seen_t s = {0};
    rg_error_t err = {0};
    kube_watch_decoder_t *d = kube_watch_decoder_new(0, on_event, &s);
    for (size_t i = 0; i < len; i++)
        ck_assert_int_eq(kube_watch_decoder_feed(d, SAMPLE + i, 1, &err), 0);
    check_sample(&s);
    kube_watch_decoder_free(d);

    for (size_t a = 0; a <= len; a += 7) {
        for (size_t b = a; b <= len; b += 13) {
            seen_t s2 = {0};
            d = kube_watch_decoder_new(0, on_event, &s2);
            ck_assert_int_eq(kube_watch_decoder_feed(d, SAMPLE, a, &err), 0);
            ck_assert_int_eq(kube_watch_decoder_feed(d, SAMPLE + a, b - a, &err), 0);
            ck_assert_int_eq(kube_watch_decoder_feed(d, SAMPLE + b, len - b, &err), 0);
            check_sample(&s2);
            kube_watch_decoder_free(d);
        }
    }
}
END_TEST

/* Table: streams fed in one piece and what they give. */
static const struct {
    const char *name;
    const char *data;
    size_t max;      /* 0 = default bound */
    int rc;          /* expected result of the feed */
    int events;      /* events delivered */
    bool pending;    /* a partial event left */
    const char *msg; /* a substring of the error, when rc < 0 */
} CASES[] = {
    {"several in one chunk",
     "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"x\"}}}\n"
     "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"y\"}}}\n"
     "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"x\"}}}\n",
     0, 0, 3, false, NULL},
    {"blank lines and CRLF",
     "\n\n{\"type\":\"ADDED\",\"object\":{}}\r\n\r\n  \n{\"type\":\"MODIFIED\",\"object\":{}}\n\n",
     0, 0, 2, false, NULL},
    {"partial tail", "{\"type\":\"ADDED\",\"object\":{}}\n{\"type\":\"ADD", 0, 0, 1, true, NULL},
    {"only whitespace tail", "{\"type\":\"ADDED\",\"object\":{}}\n  ", 0, 0, 1, false, NULL},
    {"bad json", "{\"type\":\"ADDED\",\"object\":{}}\n{\"type\":\"ADDED\",\"object\":{]}\n", 0,
     RG_ERR_PARSE, 1, false, "watch event 1: malformed JSON"},
    {"unknown type", "{\"type\":\"CHANGED\",\"object\":{}}\n", 0, RG_ERR_PARSE, 0, false,
     "\"CHANGED\""},
    {"missing type", "{\"object\":{}}\n", 0, RG_ERR_PARSE, 0, false, "(missing)"},
    {"object not an object", "{\"type\":\"ADDED\",\"object\":[1]}\n", 0, RG_ERR_PARSE, 0, false,
     "object is missing"},
    {"not an object at all", "[]\n", 0, RG_ERR_PARSE, 0, false, "type"},
    {"oversize complete",
     "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"0123456789\"}}}\n", 32,
     RG_ERR_TOO_BIG, 0, false, "exceeds 32 bytes"},
    {"oversize partial", "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"0123456789", 32,
     RG_ERR_TOO_BIG, 0, false, "exceeds 32 bytes"},
    {"exactly at the bound", "{\"type\":\"ADDED\",\"object\":{}}\n", 29, 0, 1, false, NULL},
};

START_TEST(test_kube_watch_decoder__table)
{
    seen_t s = {0};
    rg_error_t err = {0};
    kube_watch_decoder_t *d = kube_watch_decoder_new(CASES[_i].max, on_event, &s);
    int rc = kube_watch_decoder_feed(d, CASES[_i].data, strlen(CASES[_i].data), &err);
    ck_assert_msg(rc == CASES[_i].rc, "%s: rc %d want %d (%s)", CASES[_i].name, rc, CASES[_i].rc,
                  rg_error_str(&err));
    ck_assert_msg(s.n == CASES[_i].events, "%s: %d events", CASES[_i].name, s.n);
    ck_assert_msg(kube_watch_decoder_pending(d) == CASES[_i].pending, "%s: pending",
                  CASES[_i].name);
    if (CASES[_i].msg)
        ck_assert_msg(strstr(err.msg, CASES[_i].msg) != NULL, "%s: message \"%s\"", CASES[_i].name,
                      err.msg);
    kube_watch_decoder_free(d);
}
END_TEST

START_TEST(test_kube_watch_decoder__oversize_split_across_feeds)
{
    seen_t s = {0};
    rg_error_t err = {0};
    kube_watch_decoder_t *d = kube_watch_decoder_new(40, on_event, &s);
    ck_assert_int_eq(kube_watch_decoder_feed(d, "{\"type\":\"ADDED\",", 16, &err), 0);
    ck_assert_int_eq(kube_watch_decoder_feed(d, "\"object\":{\"a\":\"0123456789\"}}\n", 29, &err),
                     RG_ERR_TOO_BIG);
    ck_assert_int_eq(s.n, 0);
    kube_watch_decoder_free(d);
}
END_TEST

START_TEST(test_kube_watch_decoder__callback_stops)
{
    seen_t s = {.stop_after = 2};
    rg_error_t err = {0};
    kube_watch_decoder_t *d = kube_watch_decoder_new(0, on_event, &s);
    ck_assert_int_eq(kube_watch_decoder_feed(d, SAMPLE, strlen(SAMPLE), &err), 7);
    ck_assert_int_eq(s.n, 2);
    kube_watch_decoder_free(d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kube_watch_decoder");
    TCase *tc = tcase_create("decoder");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_kube_watch_decoder__split_at_every_byte);
    tcase_add_test(tc, test_kube_watch_decoder__byte_by_byte_and_three_pieces);
    tcase_add_loop_test(tc, test_kube_watch_decoder__table, 0,
                        (int)(sizeof(CASES) / sizeof(CASES[0])));
    tcase_add_test(tc, test_kube_watch_decoder__oversize_split_across_feeds);
    tcase_add_test(tc, test_kube_watch_decoder__callback_stops);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(suite());
}
