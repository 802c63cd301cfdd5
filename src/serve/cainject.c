/*
 * serve's side of CA injection: builds the injector from the configuration
 * when connected to a cluster, and exports its counters as metrics. The
 * leader callbacks in app.c switch it on and off.
 */
#include "serve_internal.h"

#include "raygate/log.h"
#include "raygate/metrics.h"

static double passes(void *arg)
{
    cainj_stats_t st;
    cainj_stats_get(arg, &st);
    return (double)st.passes;
}

static double writes(void *arg)
{
    cainj_stats_t st;
    cainj_stats_get(arg, &st);
    return (double)st.writes;
}

static double failures(void *arg)
{
    cainj_stats_t st;
    cainj_stats_get(arg, &st);
    return (double)st.failures;
}

static double last_success(void *arg)
{
    cainj_stats_t st;
    cainj_stats_get(arg, &st);
    return (double)st.last_success_ns / 1e9;
}

static int metrics_add(cainj_t *c, metrics_registry_t *reg, rg_error_t *err)
{
    if (!metrics_counter_func_new(reg, "raygate_cainject_passes_total",
                                  "CA injection passes over its targets (leader only).", passes, c,
                                  err) ||
        !metrics_counter_func_new(reg, "raygate_cainject_writes_total",
                                  "Webhook configurations and CRDs updated with the CA bundle.",
                                  writes, c, err) ||
        !metrics_counter_func_new(reg, "raygate_cainject_failures_total",
                                  "Targets that could not be read or updated.", failures, c, err) ||
        !metrics_gauge_func_new(reg, "raygate_cainject_last_success_timestamp_seconds",
                                "End of the last CA injection pass without a failure (0 = none).",
                                last_success, c, err))
        return err ? err->code : RG_ERR_STATE;
    return RG_OK;
}

int serve__cainject_new(serve_app_t *app, rg_error_t *err)
{
    const cfg_config_t *cfg = &app->cfg;
    if (!cfg->cainj_mutating && !cfg->cainj_validating && !cfg->cainj_conversion_service)
        return RG_OK;
    cfg_service_t svc;
    cainj_opts_t o = {
        .client = app->client,
        .ca_file = cfg->ca_file,
        .mutating = cfg->cainj_mutating,
        .validating = cfg->cainj_validating,
        .interval_s = cfg->cainj_interval_s,
        .poll_ms = cfg->cert_poll_interval_ms ? cfg->cert_poll_interval_ms : 1000,
    };
    if (cfg->cainj_conversion_service) {
        if (cfg_service_parse("caInjection.conversionService", cfg->cainj_conversion_service, &svc,
                              err) != RG_OK)
            return RG_ERR_CONFIG;
        o.conversion = (cainj_service_t){svc.ns, svc.name, svc.port};
    }
    app->cainj = cainj_new(&o, err);
    if (app->cainj == NULL || metrics_add(app->cainj, serve__metrics_registry(app->metrics), err) ||
        cainj_start(app->cainj, err) != RG_OK)
        return err ? err->code : RG_ERR_STATE;
    rg_log_info("serve",
                "CA injection on ca=\"%s\" mutating=\"%s\" validating=\"%s\" "
                "conversion=\"%s\"",
                cfg->ca_file, cfg->cainj_mutating ? cfg->cainj_mutating : "",
                cfg->cainj_validating ? cfg->cainj_validating : "",
                cfg->cainj_conversion_service ? cfg->cainj_conversion_service : "");
    return RG_OK;
}
