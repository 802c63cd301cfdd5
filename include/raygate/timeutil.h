/*
 * Clocks and time formatting. Decisions take the clock as an argument; only
 * adapters call these. Thread-safe.
 */
#ifndef RAYGATE_TIMEUTIL_H
#define RAYGATE_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Wall clock in nanoseconds since the Unix epoch. */
int64_t rg_time_now_ns(void);
/* Monotonic clock in nanoseconds, for durations. */
int64_t rg_time_mono_ns(void);
/* The deadline ms from now on clock (CLOCK_REALTIME, or the clock a condvar
 * was set to), as pthread_cond_timedwait wants it. */
struct timespec rg_time_deadline_ms(clockid_t clock, unsigned ms);

/*
 * Writes RFC 3339 UTC with microseconds ("2026-11-30T02:10:40.123456Z")
 * into out (at least 32 bytes); returns the length written.
 */
size_t rg_time_format_rfc3339(int64_t unix_ns, char *out, size_t out_size);

/*
 * Writes RFC 3339 UTC at whole seconds ("2026-11-30T02:10:40Z"), as
 * metav1.Time serialises (at least 32 bytes); returns the length written.
 */
size_t rg_time_format_rfc3339_seconds(int64_t unix_ns, char *out, size_t out_size);

/*
 * Parses RFC 3339 ("2026-11-30T02:10:40Z", fractional seconds and
 * "+01:00" offsets accepted) into nanoseconds since the Unix epoch.
 * Returns 0, or -1 when s is not such a time (*out untouched).
 */
int rg_time_parse_rfc3339(const char *s, int64_t *out);

#endif
