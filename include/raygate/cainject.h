/*
 * CA injection: the leader keeps the CA that signed raygate's serving
 * certificate in the API objects through which the API server calls
 * raygate — the caBundle of its Mutating/ValidatingWebhookConfigurations
 * and the conversion webhook of the Kueue CRDs (which it also points at
 * raygate's Service, so a cluster that had Kueue's own CRDs converts through
 * raygate once Kueue's controller is gone). This is what cert-manager's
 * cainjector or Kueue's internal cert rotator do for their webhooks.
 *
 * Two halves: pure edits of one object (cainj_*_apply: no I/O, any thread)
 * and an injector that runs them on its own thread through the kube client
 * while this replica leads, at once when it starts leading, whenever the CA
 * file changes, and every interval (someone may have re-created an object).
 * Depends on kube (the client) and tls (reading the CA file).
 */
#ifndef RAYGATE_CAINJECT_H
#define RAYGATE_CAINJECT_H

#include "raygate/err.h"
#include "raygate/json.h"
#include "raygate/kube.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * An object carrying this annotation has its caBundle filled by
 * cert-manager's cainjector: raygate leaves the caBundle alone then (two
 * writers would flap), but still points a CRD's conversion at raygate.
 */
#define CAINJ_CERT_MANAGER_ANNOTATION "cert-manager.io/inject-ca-from"

/* The Kueue CRDs whose versions raygate's /convert converts: those Kueue
 * v0.19 ships with a conversion webhook (ClusterQueue, LocalQueue, Workload,
 * Cohort). ResourceFlavor and WorkloadPriorityClass have one schema in both
 * versions and strategy None upstream, so they are left as installed. */
#define CAINJ_CRD_COUNT 4
extern const char *const cainj_conversion_crds[CAINJ_CRD_COUNT];

/* Where a CRD's conversion webhook calls raygate: Service ns/name:port, path /convert. */
typedef struct cainj_service {
    const char *ns;   /* borrowed */
    const char *name; /* borrowed */
    unsigned port;    /* 443 when 0 */
} cainj_service_t;

/*
 * Sets clientConfig.caBundle of every webhook of a Mutating or
 * ValidatingWebhookConfiguration (obj, modified in place) to bundle_b64,
 * unless obj carries CAINJ_CERT_MANAGER_ANNOTATION. *changed tells whether
 * anything differs from what obj held. Returns 0, or RG_ERR_INVAL when obj
 * is not shaped as a webhook configuration (err names the field).
 */
int cainj_webhooks_apply(cJSON *obj, const char *bundle_b64, bool *changed, rg_error_t *err);

/*
 * Makes a CRD's spec.conversion call raygate: strategy Webhook,
 * conversionReviewVersions [v1], clientConfig.service svc with path
 * /convert, and caBundle bundle_b64 (kept as it is when obj carries
 * CAINJ_CERT_MANAGER_ANNOTATION). Anything else under webhook.clientConfig
 * (a url) goes. *changed as above. Returns 0 or RG_ERR_INVAL.
 */
int cainj_crd_apply(cJSON *obj, const cainj_service_t *svc, const char *bundle_b64, bool *changed,
                    rg_error_t *err);

/* ---- The injector ---- */

typedef struct cainj cainj_t;

typedef struct cainj_opts {
    kube_client_t *client;      /* borrowed; must outlive the injector */
    const char *ca_file;        /* PEM bundle to publish (read again when it changes) */
    const char *mutating;       /* MutatingWebhookConfiguration name; NULL = not managed */
    const char *validating;     /* ValidatingWebhookConfiguration name; NULL = not managed */
    cainj_service_t conversion; /* ns NULL = the CRDs' conversion is not managed */
    unsigned interval_s;        /* full pass at least this often; 0 = 60 */
    unsigned poll_ms;           /* CA file check; 0 = 1000 */
} cainj_opts_t;

/* Counters since start, for /metrics; any thread. */
typedef struct cainj_stats {
    uint64_t passes;         /* passes run (every target looked at) */
    uint64_t writes;         /* objects updated */
    uint64_t failures;       /* targets that could not be read or written */
    int64_t last_success_ns; /* end of the last pass with no failure; 0 = none yet */
    bool ca_loaded;          /* the CA file read and parsed */
} cainj_stats_t;

/*
 * Checks opts (strings are copied) and reads the CA file once, so a bad
 * path fails at startup. Returns an owned injector (cainj_free) or NULL
 * with err naming the file or option.
 */
cainj_t *cainj_new(const cainj_opts_t *opts, rg_error_t *err);

/* Starts the injector's thread (idle until cainj_set_leading(true)). */
int cainj_start(cainj_t *c, rg_error_t *err);

/* Leading or not; becoming leader runs a pass at once. Any thread. */
void cainj_set_leading(cainj_t *c, bool leading);

/* Runs one pass now on the caller's thread, leading or not (tests, tools).
 * Returns 0 when every target was in place or written, else the first error. */
int cainj_sync_once(cainj_t *c, rg_error_t *err);

void cainj_stats_get(cainj_t *c, cainj_stats_t *out);

/* Stops the thread and frees; NULL does nothing. */
void cainj_free(cainj_t *c);

#endif
