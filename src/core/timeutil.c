/*
 * Clock reads and RFC 3339 formatting without locale or static buffers.
 */
#include "raygate/timeutil.h"

#include <stdio.h>
#include <time.h>

int64_t rg_time_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t rg_time_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

size_t rg_time_format_rfc3339(int64_t unix_ns, char *out, size_t out_size)
{
    time_t secs = (time_t)(unix_ns / 1000000000LL);
    long usec = (long)((unix_ns % 1000000000LL) / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int n = snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
    if (n < 0)
        return 0;
    return (size_t)n < out_size ? (size_t)n : out_size - 1;
}

size_t rg_time_format_rfc3339_seconds(int64_t unix_ns, char *out, size_t out_size)
{
    time_t secs = (time_t)(unix_ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int n = snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (n < 0)
        return 0;
    return (size_t)n < out_size ? (size_t)n : out_size - 1;
}

/* Reads exactly n digits at *p into *v, advancing *p. */
static int read_digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return -1;
        *v = *v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return 0;
}

static int expect(const char **p, char c)
{
    if (**p != c && !(c == 'T' && **p == 't'))
        return -1;
    (*p)++;
    return 0;
}

int rg_time_parse_rfc3339(const char *s, int64_t *out)
{
    if (s == NULL)
        return -1;
    const char *p = s;
    int y, mo, d, h, mi, sec;
    if (read_digits(&p, 4, &y) || expect(&p, '-') || read_digits(&p, 2, &mo) ||
        expect(&p, '-') || read_digits(&p, 2, &d) || expect(&p, 'T') ||
        read_digits(&p, 2, &h) || expect(&p, ':') || read_digits(&p, 2, &mi) ||
        expect(&p, ':') || read_digits(&p, 2, &sec))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    int64_t frac = 0;
    if (*p == '.') {
        p++;
        int64_t scale = 100000000;
        if (*p < '0' || *p > '9')
            return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
            frac += (*p - '0') * scale;
            scale /= 10;
        }
    }
    int offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (read_digits(&p, 2, &oh) || expect(&p, ':') || read_digits(&p, 2, &om) || oh > 23 ||
            om > 59)
            return -1;
        offset_s = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                    .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t secs = timegm(&tm);
    *out = ((int64_t)secs - offset_s) * 1000000000LL + frac;
    return 0;
}

struct timespec rg_time_deadline_ms(clockid_t clock, unsigned ms)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}
