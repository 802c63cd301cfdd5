/*
 * Leader election over a coordination.k8s.io/v1 Lease, as client-go's
 * leaderelection does it: a pure decision (leader_lease_decide: the Lease
 * read, what was observed before, the clock -> create, acquire, renew,
 * wait or lost) and an elector that runs it on its own threads through the
 * kube client. The elector owns its threads and its view of the Lease;
 * leader_elector_is_leader and leader_elector_stats_get may be called from
 * any thread, the lifecycle calls from one owning thread. Depends on the
 * kube client only; knows nothing about what the leader does.
 */
#ifndef RAYGATE_LEADER_H
#define RAYGATE_LEADER_H

#include "raygate/err.h"
#include "raygate/json.h"
#include "raygate/kube.h"

#include <stdbool.h>
#include <stdint.h>

/* client-go's defaults. */
#define LEADER_DEFAULT_LEASE_MS 15000u
#define LEADER_DEFAULT_RENEW_DEADLINE_MS 10000u
#define LEADER_DEFAULT_RETRY_MS 2000u

/* Longest identity written to the Lease (holderIdentity is free text upstream). */
#define LEADER_IDENTITY_MAX 253

typedef struct leader_durations {
    unsigned lease_ms; /* a non-leader waits this long after the last seen change; 0 = 15 s */
    unsigned renew_deadline_ms; /* a leader steps down when renewing fails this long; 0 = 10 s */
    unsigned retry_ms;          /* period of every attempt; 0 = 2 s */
} leader_durations_t;

/*
 * Fills out with in's values and the defaults for zeros, and checks that
 * lease > renew deadline > retry * 1.2 (client-go's rule, so a leader gets
 * a few tries before its deadline and steps down before others may take
 * over). Returns 0 or RG_ERR_CONFIG naming the durations.
 */
int leader_durations_resolve(const leader_durations_t *in, leader_durations_t *out,
                             rg_error_t *err);

/* ---- The pure decision ---- */

/* The fields of a Lease that matter to the election; strings owned. */
typedef struct leader_record {
    char *holder;             /* spec.holderIdentity; "" when none */
    int64_t lease_duration_s; /* spec.leaseDurationSeconds; 0 when absent */
    char *acquire_time;       /* spec.acquireTime; "" when absent */
    char *renew_time;         /* spec.renewTime; "" when absent */
    int64_t transitions;      /* spec.leaseTransitions */
} leader_record_t;

/*
 * What an elector has seen of the Lease, and when by its own monotonic
 * clock: expiry is judged from the moment the record was last seen to
 * change, never by comparing the remote timestamps (clock skew between
 * replicas is irrelevant). A caller's struct: zero-initialise it, release
 * it with leader_observation_release.
 */
typedef struct leader_observation {
    bool seen;
    leader_record_t rec;
    int64_t observed_mono_ns;
} leader_observation_t;

void leader_observation_release(leader_observation_t *o);

/*
 * Updates o from lease (borrowed; NULL = the Lease does not exist): when the
 * record differs from the one seen before, it is kept and observed_mono_ns
 * set to mono_ns. Returns 0 or RG_ERR_PARSE naming the malformed field.
 */
int leader_observe(leader_observation_t *o, const cJSON *lease, int64_t mono_ns, rg_error_t *err);

typedef enum leader_action {
    LEADER_WAIT,    /* another holds a lease that has not expired: do nothing */
    LEADER_CREATE,  /* no Lease: create it holding it */
    LEADER_ACQUIRE, /* update the Lease to hold it (it expired or was released) */
    LEADER_RENEW,   /* the leader updates renewTime */
    LEADER_LOST,    /* the leader must stop leading now, before any write */
} leader_action_t;

/* "wait", "create", ...; static. */
const char *leader_action_name(leader_action_t a);

typedef struct leader_input {
    const cJSON *lease;         /* borrowed; NULL = the GET answered 404 */
    const char *identity;       /* mine */
    const char *ns, *name;      /* of the Lease, for CREATE */
    leader_durations_t dur;     /* resolved (leader_durations_resolve) */
    bool am_leader;             /* whether I lead now */
    int64_t last_renew_mono_ns; /* when my last successful write was sent (am_leader only) */
    int64_t mono_ns;            /* now, monotonic */
    int64_t wall_ns;            /* now, wall clock: only for the timestamps written */
} leader_input_t;

typedef struct leader_decision {
    leader_action_t action;
    cJSON *lease;          /* CREATE/ACQUIRE/RENEW: the object to write, owned (cJSON_Delete) */
    int64_t expires_in_ns; /* WAIT: time until the observed lease expires */
} leader_decision_t;

/*
 * The decision table (no I/O, no locks; obs is updated with leader_observe
 * semantics):
 *   no Lease           -> CREATE, or LOST when I lead (someone deleted it);
 *   I lead             -> LOST when the renew deadline has passed since my
 *                         last successful write or another holds the Lease,
 *                         else RENEW;
 *   I do not lead      -> WAIT while a non-empty holder's lease has not
 *                         expired by my clock (even if the holder is my own
 *                         identity: a term I gave up is waited out), else
 *                         ACQUIRE (leaseTransitions + 1 when the holder changes).
 * The object written keeps the Lease's metadata (resourceVersion: the write
 * is conditional). Returns 0 or RG_ERR_PARSE for a malformed Lease.
 */
int leader_lease_decide(const leader_input_t *in, leader_observation_t *obs, leader_decision_t *out,
                        rg_error_t *err);

/*
 * The release written on a graceful stop: holderIdentity cleared,
 * leaseDurationSeconds 1, renewTime and acquireTime now, transitions kept,
 * the resourceVersion of current kept (a successor's write wins the race).
 * Returns an owned object (cJSON_Delete), or NULL when current is not held
 * by identity (nothing to release).
 */
cJSON *leader_lease_release_build(const cJSON *current, const char *identity, int64_t wall_ns);

/* ---- The elector ---- */

typedef struct leader_elector leader_elector_t;

typedef struct leader_opts {
    const char *ns;         /* of the Lease; required */
    const char *name;       /* of the Lease; required */
    const char *identity;   /* NULL = hostname + "_" + random suffix */
    leader_durations_t dur; /* zeros = client-go's defaults */
    /*
     * Called on the elector's threads, never concurrently, in order
     * (started, stopped, started, ...). on_stopped_leading runs before the
     * elector writes anything more and after leader_elector_is_leader has
     * turned false; both must return quickly and must not call
     * leader_elector_stop/free.
     */
    void (*on_started_leading)(void *arg);
    void (*on_stopped_leading)(void *arg);
    void *arg;
} leader_opts_t;

/*
 * Returns an owned elector (leader_elector_free) or NULL with err. client
 * is borrowed and must outlive the elector; give it a timeout well under
 * the renew deadline (the elector steps down on time regardless, from a
 * guard thread, even while a request hangs). Strings in opts are copied.
 */
leader_elector_t *leader_elector_new(kube_client_t *client, const leader_opts_t *opts,
                                     rg_error_t *err);

/* Starts campaigning on a new thread. Returns 0, RG_ERR_STATE if started, RG_ERR_SYS. */
int leader_elector_start(leader_elector_t *le, rg_error_t *err);

/*
 * Stops campaigning and waits for the threads. A leader steps down first
 * (on_stopped_leading) and then releases the Lease so a successor takes
 * over within about a retry period. Idempotent.
 */
void leader_elector_stop(leader_elector_t *le);

/*
 * Stops like a crash would, for tests of failover: threads end, the leader
 * steps down locally (on_stopped_leading) but the Lease is left as it is,
 * so a successor must wait for it to expire.
 */
void leader_elector_abandon(leader_elector_t *le);

/* Stops (as leader_elector_stop) and frees; NULL does nothing. */
void leader_elector_free(leader_elector_t *le);

/* Whether this elector leads now; lock-free, any thread. */
bool leader_elector_is_leader(const leader_elector_t *le);

/* The identity written as holderIdentity; borrowed, lives as long as le. */
const char *leader_elector_identity(const leader_elector_t *le);

typedef struct leader_stats {
    bool is_leader;
    uint64_t became_leader;    /* times this elector started leading */
    uint64_t lost;             /* times it stopped leading other than by stop */
    uint64_t renew_failures;   /* renewals that did not succeed (each attempt) */
    uint64_t acquire_attempts; /* CREATE/ACQUIRE writes tried */
    uint64_t conflicts;        /* writes answered 409 */
    int64_t lease_transitions; /* spec.leaseTransitions last seen; -1 before */
} leader_stats_t;

/* Fills out for /metrics; any thread. */
void leader_elector_stats_get(const leader_elector_t *le, leader_stats_t *out);

/*
 * Returns an owned identity (rg_free): the host name, "_", 16 random hex
 * digits; bounded by LEADER_IDENTITY_MAX.
 */
char *leader_identity_default(void);

#endif
