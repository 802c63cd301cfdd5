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
