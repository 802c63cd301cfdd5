/*
 * The daemon's configuration: defaults, the YAML file (libyaml's document
 * API, so every value keeps its line), and command-line overrides that go
 * through the same per-key validation as the file.
 */
#include "raygate/config.h"

#include "raygate/alloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* Longest string value accepted, so paths stay within PATH_MAX. */
#define CFG_STR_MAX 4096

#define KI ((uint64_t)1024)
#define MI (KI * 1024)
#define GI (MI * 1024)
#define TI (GI * 1024)

typedef enum field_kind {
    F_LISTEN,  /* host:port into listen_addr + port */
    F_PORT,    /* uint16_t */
    F_UINT,    /* unsigned */
    F_SIZE,    /* size_t with Ki/Mi/Gi/k/M/G */
    F_LEVEL,   /* rg_log_level_t */
    F_BOOL,    /* bool: true or false */
    F_STR,     /* char *, required and non-empty */
    F_STR_OPT, /* char *, NULL when unset */
    F_LISTEN_OPT, /* char *, a valid host:port kept as written; NULL when unset */
    F_LIST,    /* char *, comma-joined names: a YAML sequence or "a,b" */
    F_DURATION, /* unsigned seconds from a Go duration ("30m", "1h30m", "90s"); min/max in s */
} field_kind_t;

typedef struct field {
    const char *key; /* dotted YAML key */
    field_kind_t kind;
    size_t off;
    uint64_t min, max;
} field_t;

#define OFF(m) offsetof(cfg_config_t, m)

static const field_t fields[] = {
    {"server.listen", F_LISTEN, OFF(listen_addr), 0, 0},
    {"server.port", F_PORT, OFF(port), 1, 65535},
    {"server.metricsListen", F_LISTEN_OPT, OFF(metrics_listen), 0, 0},
    {"server.threads", F_UINT, OFF(threads), 0, 256},
    {"server.maxConnections", F_UINT, OFF(max_connections), 1, 1000000},
    {"server.connectionTimeoutSeconds", F_UINT, OFF(connection_timeout_s), 1, 86400},
    {"server.requestTimeoutSeconds", F_UINT, OFF(request_timeout_s), 1, 3600},
    {"server.maxBodyBytes", F_SIZE, OFF(max_body_bytes), KI, GI},
    {"server.maxExtenderBodyBytes", F_SIZE, OFF(max_extender_body_bytes), KI, 4 * GI},
    {"server.reusePort", F_BOOL, OFF(reuse_port), 0, 0},
    {"tls.certFile", F_STR_OPT, OFF(cert_file), 0, 0},
    {"tls.keyFile", F_STR_OPT, OFF(key_file), 0, 0},
    {"tls.pollIntervalMillis", F_UINT, OFF(cert_poll_interval_ms), 0, 3600000},
    {"tls.caFile", F_STR_OPT, OFF(ca_file), 0, 0},
    {"audit.path", F_STR_OPT, OFF(audit_path), 0, 0},
    {"audit.maxBytes", F_SIZE, OFF(audit_max_bytes), 4 * KI, TI},
    {"audit.maxFiles", F_UINT, OFF(audit_max_files), 1, 1000},
    {"log.level", F_LEVEL, OFF(log_level), 0, 0},
    {"stateDir", F_STR, OFF(state_dir), 0, 0},
    {"standalone", F_STR_OPT, OFF(standalone_dir), 0, 0},
    {"kubeconfig", F_STR_OPT, OFF(kubeconfig), 0, 0},
    {"context", F_STR_OPT, OFF(kube_context), 0, 0},
    {"leaderElection.enabled", F_BOOL, OFF(lease_enabled), 0, 0},
    {"leaderElection.namespace", F_STR, OFF(lease_namespace), 0, 0},
    {"leaderElection.leaseName", F_STR, OFF(lease_name), 0, 0},
    {"leaderElection.identity", F_STR_OPT, OFF(lease_identity), 0, 0},
    {"leaderElection.leaseDurationSeconds", F_UINT, OFF(lease_duration_s), 1, 3600},
    {"leaderElection.renewDeadlineSeconds", F_UINT, OFF(renew_deadline_s), 1, 3600},
    {"leaderElection.retryPeriodSeconds", F_UINT, OFF(retry_period_s), 1, 3600},
    {"admitter.writers", F_UINT, OFF(admit_writers), 1, 16},
    {"admitter.qps", F_UINT, OFF(admit_qps), 1, 100000},
    {"admitter.burst", F_UINT, OFF(admit_burst), 1, 100000},
    {"admitter.pendingRefreshSeconds", F_UINT, OFF(admit_pending_refresh_s), 1, 86400},
    {"admitter.queueStatusMillis", F_UINT, OFF(admit_queue_status_ms), 100, 3600000},
    {"admitter.placement", F_STR, OFF(admit_placement), 0, 0},
    {"caInjection.mutatingWebhookConfiguration", F_STR_OPT, OFF(cainj_mutating), 0, 0},
    {"caInjection.validatingWebhookConfiguration", F_STR_OPT, OFF(cainj_validating), 0, 0},
    {"caInjection.conversionService", F_STR_OPT, OFF(cainj_conversion_service), 0, 0},
    {"caInjection.intervalSeconds", F_UINT, OFF(cainj_interval_s), 1, 86400},
    {"extender.gpuResources", F_LIST, OFF(ext_gpu_resources), 0, 0},
    {"extender.topologyLabel", F_STR_OPT, OFF(ext_topology_label), 0, 0},
    {"extender.planningTTLSeconds", F_UINT, OFF(ext_plan_ttl_s), 1, 86400},
    {"extender.assumeTTLSeconds", F_UINT, OFF(ext_assume_ttl_s), 1, 3600},
    {"extender.maxNodes", F_UINT, OFF(ext_max_nodes), 1, 1000000},
    {"extender.packingWeight", F_UINT, OFF(ext_weight_packing), 0, 100},
    {"extender.exactFitWeight", F_UINT, OFF(ext_weight_exact), 0, 100},
    {"extender.topologyWeight", F_UINT, OFF(ext_weight_topology), 0, 100},
    {"fairSharing.enable", F_BOOL, OFF(fs_enable), 0, 0},
    {"fairSharing.preemptionStrategies", F_LIST, OFF(fs_strategies), 0, 0},
    {"waitForPodsReady.enable", F_BOOL, OFF(wfpr_enable), 0, 0},
    {"waitForPodsReady.timeout", F_DURATION, OFF(wfpr_timeout_s), 1, 30 * 86400},
    {"waitForPodsReady.recoveryTimeout", F_DURATION, OFF(wfpr_recovery_s), 0, 30 * 86400},
    {"waitForPodsReady.requeuingStrategy.backoffLimitCount", F_UINT, OFF(wfpr_backoff_limit), 0,
     1000000},
    {"waitForPodsReady.requeuingStrategy.backoffBaseSeconds", F_UINT, OFF(wfpr_backoff_base_s), 1,
     86400},
    {"waitForPodsReady.requeuingStrategy.backoffMaxSeconds", F_UINT, OFF(wfpr_backoff_max_s), 1,
     30 * 86400},
    {"preemption.minRuntimeSeconds", F_UINT, OFF(pre_min_runtime_s), 0, 30 * 86400},
    {"preemption.thrashLimit", F_UINT, OFF(pre_thrash_limit), 0, 16},
    {"preemption.thrashWindowSeconds", F_UINT, OFF(pre_thrash_window_s), 1, 30 * 86400},
    {"preemption.thrashBackoffSeconds", F_UINT, OFF(pre_thrash_base_s), 1, 86400},
    {"preemption.thrashBackoffMaxSeconds", F_UINT, OFF(pre_thrash_max_s), 1, 30 * 86400},
    {"preemption.gracefulStopSeconds", F_UINT, OFF(pre_graceful_stop_s), 0, 86400},
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */
/* ------------------------------------------------------------------ */

void cfg_config_init_defaults(cfg_config_t *c)
{
    memset(c, 0, sizeof(*c));
    c->listen_addr = rg_strdup("127.0.0.1");
    c->port = 9443;
    c->state_dir = rg_strdup(".raygate");
    c->max_body_bytes = 3 * MI;
    c->max_extender_body_bytes = 128 * MI;
    c->threads = 0;
    c->max_connections = 1024;
    c->connection_timeout_s = 30;
    c->request_timeout_s = 10;
    c->cert_poll_interval_ms = 1000;
    c->audit_max_bytes = 100 * MI;
    c->audit_max_files = 5;
    c->log_level = RG_LOG_INFO;
    c->lease_enabled = true;
    c->lease_namespace = rg_strdup("raygate-system");
    c->lease_name = rg_strdup("raygate");
    c->lease_duration_s = 15;
    c->renew_deadline_s = 10;
    c->retry_period_s = 2;
    c->admit_writers = 4;
    c->admit_qps = 100;
    c->admit_burst = 200;
    c->admit_pending_refresh_s = 300;
    c->admit_queue_status_ms = 2000;
    c->admit_placement = rg_strdup("auto");
    c->cainj_interval_s = 60;
    c->ext_gpu_resources = rg_strdup("nvidia.com/gpu,nvidia.com/mig-*");
    c->ext_plan_ttl_s = 60;
    c->ext_assume_ttl_s = 30;
    c->ext_max_nodes = 50000;
    c->ext_weight_packing = 2;
    c->ext_weight_exact = 1;
    c->ext_weight_topology = 1;
    c->wfpr_enable = true; /* Kueue 0.19's default */
    c->wfpr_timeout_s = 30 * 60;
    c->wfpr_recovery_s = CFG_UNSET;
    c->wfpr_backoff_limit = CFG_UNSET;
    c->wfpr_backoff_base_s = 60;
    c->wfpr_backoff_max_s = 3600;
    c->pre_thrash_limit = 3;
    c->pre_thrash_window_s = 15 * 60;
    c->pre_thrash_base_s = 60;
    c->pre_thrash_max_s = 3600;
}

static char **str_slot(cfg_config_t *c, size_t off)
{
    return (char **)(void *)((char *)c + off);
}

/* Kinds whose slot is an owned char *. */
static bool owns_string(field_kind_t kind)
{
    return kind == F_STR || kind == F_STR_OPT || kind == F_LIST || kind == F_LISTEN_OPT;
}

void cfg_config_release(cfg_config_t *c)
{
    if (c == NULL)
        return;
    rg_free(c->listen_addr);
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (owns_string(fields[i].kind))
            rg_free(*str_slot(c, fields[i].off));
    }
    memset(c, 0, sizeof(*c));
}

void cfg_config_copy(cfg_config_t *dst, const cfg_config_t *src)
{
    *dst = *src;
    dst->listen_addr = src->listen_addr ? rg_strdup(src->listen_addr) : NULL;
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (owns_string(fields[i].kind)) {
            char **slot = str_slot(dst, fields[i].off);
            *slot = *slot ? rg_strdup(*slot) : NULL;
        }
    }
}

int cfg_config_check(const cfg_config_t *c, rg_error_t *err)
{
    if ((c->cert_file == NULL) != (c->key_file == NULL))
        return rg_error_set(err, RG_ERR_CONFIG,
                            "tls.certFile and tls.keyFile must be set together (%s is missing)",
                            c->cert_file == NULL ? "tls.certFile" : "tls.keyFile");
    /* client-go's rules: a leader must be able to renew (retry) before its
     * deadline, and give up (deadline) before others may take over. */
    if (c->renew_deadline_s >= c->lease_duration_s)
        return rg_error_set(err, RG_ERR_CONFIG,
                            "leaderElection.renewDeadlineSeconds: %u must be less than "
                            "leaderElection.leaseDurationSeconds (%u)",
                            c->renew_deadline_s, c->lease_duration_s);
    if (c->retry_period_s >= c->renew_deadline_s)
        return rg_error_set(err, RG_ERR_CONFIG,
                            "leaderElection.retryPeriodSeconds: %u must be less than "
                            "leaderElection.renewDeadlineSeconds (%u)",
                            c->retry_period_s, c->renew_deadline_s);
    if (strcmp(c->admit_placement, "auto") != 0 && strcmp(c->admit_placement, "on") != 0 &&
        strcmp(c->admit_placement, "off") != 0)
        return rg_error_set(err, RG_ERR_CONFIG,
                            "admitter.placement: invalid value \"%s\": must be auto, on or off",
                            c->admit_placement);
    cfg_service_t svc;
    if (c->cainj_conversion_service &&
        cfg_service_parse("caInjection.conversionService", c->cainj_conversion_service, &svc,
                          err) != RG_OK)
        return RG_ERR_CONFIG;
    if ((c->cainj_mutating || c->cainj_validating || c->cainj_conversion_service) &&
        c->ca_file == NULL)
        return rg_error_set(err, RG_ERR_CONFIG,
                            "caInjection needs tls.caFile: the CA bundle it publishes");
    return RG_OK;
}

/* A DNS-1123 label: 1..63 of [a-z0-9-], alphanumeric at both ends. */
static bool dns_label(const char *s, size_t n)
{
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
            return false;
    }
    return true;
}

int cfg_service_parse(const char *key, const char *text, cfg_service_t *out, rg_error_t *err)
{
    memset(out, 0, sizeof(*out));
    const char *slash = strchr(text, '/');
    const char *colon = slash ? strchr(slash, ':') : NULL;
    size_t ns_len = slash ? (size_t)(slash - text) : 0;
    size_t name_len = slash ? (colon ? (size_t)(colon - slash - 1) : strlen(slash + 1)) : 0;
    if (!slash || !dns_label(text, ns_len) || !dns_label(slash + 1, name_len))
        return rg_error_set(err, RG_ERR_CONFIG,
                            "%s: invalid value \"%s\": must be namespace/name[:port], each a "
                            "DNS-1123 label",
                            key, text);
    out->port = 443;
    if (colon) {
        char *end = NULL;
        unsigned long p = strtoul(colon + 1, &end, 10);
        if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || p < 1 || p > 65535)
            return rg_error_set(err, RG_ERR_CONFIG,
                                "%s: invalid value \"%s\": the port must be 1..65535", key, text);
        out->port = (unsigned)p;
    }
    memcpy(out->ns, text, ns_len);
    memcpy(out->name, slash + 1, name_len);
    return RG_OK;
}

/* ------------------------------------------------------------------ */
/* Value validation, shared by the file and the flags                  */
/* ------------------------------------------------------------------ */

/* Renders a byte count with the largest binary suffix that divides it. */
static void fmt_size(char *out, size_t cap, uint64_t v)
{
    static const struct {
        const char *suf;
        uint64_t mul;
    } units[] = {{"Ti", TI}, {"Gi", GI}, {"Mi", MI}, {"Ki", KI}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (v != 0 && v % units[i].mul == 0) {
            snprintf(out, cap, "%llu%s", (unsigned long long)(v / units[i].mul), units[i].suf);
            return;
        }
    }
    snprintf(out, cap, "%llu", (unsigned long long)v);
}

/*
 * Parses decimal digits with an optional size suffix. Returns 1 on
 * success, 0 when the text is not of that shape, -1 when it is a negative
 * number or overflows (a range problem rather than a type problem).
 */
static int parse_number(const char *s, bool allow_suffix, uint64_t *out)
{
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    if (*p < '0' || *p > '9')
        return 0;
    uint64_t v = 0;
    bool overflow = false;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            overflow = true;
        else
            v = v * 10 + d;
    }
    uint64_t mul = 1;
    if (*p != '\0') {
        if (!allow_suffix)
            return 0;
        static const struct {
            const char *suf;
            uint64_t mul;
        } sufs[] = {{"Ki", KI},  {"Mi", MI},     {"Gi", GI},
                    {"k", 1000}, {"M", 1000000}, {"G", 1000000000}};
        bool found = false;
        for (size_t i = 0; i < sizeof(sufs) / sizeof(sufs[0]); i++) {
            if (strcmp(p, sufs[i].suf) == 0) {
                mul = sufs[i].mul;
                found = true;
                break;
            }
        }
        if (!found)
            return 0;
    }
    if (neg && (v != 0 || overflow))
        return -1;
    if (overflow || v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 1;
}

static int parse_listen(const char *key, const char *v, char **host_out, uint16_t *port_out,
                        rg_error_t *err)
{
    const char *colon;
    char host[INET6_ADDRSTRLEN + 1];
    size_t hlen;
    if (v[0] == '[') {
        const char *close = strchr(v, ']');
        if (close == NULL || close[1] != ':')
            return rg_error_set(err, RG_ERR_CONFIG,
                                "%s: invalid value \"%s\": must be host:port, e.g. "
                                "\"127.0.0.1:9443\", \"[::1]:9443\" or \":9443\"",
                                key, v);
        hlen = (size_t)(close - v - 1);
        colon = close + 1;
        struct in6_addr a6;
        if (hlen >= sizeof(host))
            goto bad_host;
        memcpy(host, v + 1, hlen);
        host[hlen] = '\0';
        if (inet_pton(AF_INET6, host, &a6) != 1)
            goto bad_host;
    } else {
        colon = strrchr(v, ':');
        if (colon == NULL)
            return rg_error_set(err, RG_ERR_CONFIG,
                                "%s: invalid value \"%s\": must be host:port, e.g. "
                                "\"127.0.0.1:9443\", \"[::1]:9443\" or \":9443\"",
                                key, v);
        hlen = (size_t)(colon - v);
        if (hlen >= sizeof(host) || memchr(v, ':', hlen) != NULL)
            goto bad_host;
        memcpy(host, v, hlen);
        host[hlen] = '\0';
        struct in_addr a4;
        if (hlen > 0 && inet_pton(AF_INET, host, &a4) != 1)
            goto bad_host;
    }
    uint64_t port;
    if (parse_number(colon + 1, false, &port) != 1 || colon[1] == '+' || colon[1] == '-' ||
        port < 1 || port > 65535)
        return rg_error_set(err, RG_ERR_CONFIG, "%s: invalid value \"%s\": port must be 1..65535",
                            key, v);
    *host_out = rg_strdup(host);
    *port_out = (uint16_t)port;
    return RG_OK;
bad_host:
    return rg_error_set(err, RG_ERR_CONFIG,
                        "%s: invalid value \"%s\": host must be an IPv4 address, a bracketed "
                        "IPv6 address or empty for all addresses",
                        key, v);
}

int cfg_listen_parse(const char *key, const char *value, char **host, uint16_t *port,
                     rg_error_t *err)
{
    if (value == NULL || value[0] == '\0')
        return rg_error_set(err, RG_ERR_CONFIG, "%s: missing value", key);
    return parse_listen(key, value, host, port, err);
}

static const field_t *field_find(const char *key)
{
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (strcmp(fields[i].key, key) == 0)
            return &fields[i];
    }
    return NULL;
}

/*
 * A list of names, comma-separated: each non-empty, without whitespace,
 * at most 317 bytes (a qualified resource name), at most 64 of them.
 */
static int apply_list(cfg_config_t *c, const field_t *f, const char *value, rg_error_t *err)
{
    size_t items = 0;
    for (const char *p = value;; p++) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == 0 || n > 317 || memchr(p, ' ', n) || memchr(p, '\t', n))
            return rg_error_set(err, RG_ERR_CONFIG,
                                "%s: invalid value \"%s\": must be a list of resource names "
                                "(a YAML sequence or \"a,b\"), each 1..317 bytes without spaces",
                                f->key, value);
        if (++items > 64)
            return rg_error_set(err, RG_ERR_CONFIG, "%s: invalid value: more than 64 names",
                                f->key);
        if (comma == NULL)
            break;
        p = comma;
    }
    char **slot = str_slot(c, f->off);
    rg_free(*slot);
    *slot = rg_strdup(value);
    return RG_OK;
}

/*
 * Validates value (NULL = YAML null) for field f and stores it in c. On
 * error c is unchanged and err reads `<key>: <problem>`.
 */
/* A Go duration of whole seconds: one or more <digits><h|m|s>, e.g. "1h30m"; "0s" is 0. */
static bool parse_duration(const char *v, uint64_t *out)
{
    uint64_t total = 0;
    const char *p = v;
    if (*p == '\0')
        return false;
    while (*p) {
        uint64_t n = 0;
        const char *start = p;
        while (*p >= '0' && *p <= '9' && n < 1000000000ULL)
            n = n * 10 + (uint64_t)(*p++ - '0');
        if (p == start || (*p >= '0' && *p <= '9'))
            return false;
        uint64_t unit = *p == 'h' ? 3600 : *p == 'm' ? 60 : *p == 's' ? 1 : 0;
        if (unit == 0 || (p[0] == 'm' && p[1] == 's'))
            return false; /* no fractions of a second */
        total += n * unit;
        p++;
    }
    *out = total;
    return true;
}

static int field_apply(cfg_config_t *c, const field_t *f, const char *value, size_t len,
                       rg_error_t *err)
{
    if (value != NULL && strlen(value) != len)
        return rg_error_set(err, RG_ERR_CONFIG, "%s: invalid value: contains a NUL character",
                            f->key);
    if (value != NULL && len > CFG_STR_MAX)
        return rg_error_set(err, RG_ERR_CONFIG, "%s: invalid value: longer than %d bytes", f->key,
                            CFG_STR_MAX);
    bool empty = value == NULL || value[0] == '\0';
    if (f->kind == F_LISTEN_OPT && !empty) {
        char *host = NULL;
        uint16_t port = 0;
        int rc = parse_listen(f->key, value, &host, &port, err);
        rg_free(host);
        if (rc != RG_OK)
            return rc;
    }
    if (f->kind == F_STR_OPT || f->kind == F_LISTEN_OPT) {
        char **slot = str_slot(c, f->off);
        rg_free(*slot);
        *slot = empty ? NULL : rg_strdup(value);
        return RG_OK;
    }
    if (empty)
        return rg_error_set(err, RG_ERR_CONFIG, "%s: missing value", f->key);

    switch (f->kind) {
    case F_LIST: return apply_list(c, f, value, err);
    case F_BOOL: {
        bool *slot = (bool *)(void *)((char *)c + f->off);
        if (strcmp(value, "true") == 0)
            *slot = true;
        else if (strcmp(value, "false") == 0)
            *slot = false;
        else
            return rg_error_set(err, RG_ERR_CONFIG,
                                "%s: invalid value \"%s\": must be true or false", f->key, value);
        return RG_OK;
    }
    case F_DURATION: {
        uint64_t secs = 0;
        if (!parse_duration(value, &secs) || secs < f->min || secs > f->max)
            return rg_error_set(err, RG_ERR_CONFIG,
                                "%s: invalid value \"%s\": must be a duration (\"90s\", \"30m\", "
                                "\"1h30m\") of %llus..%llus",
                                f->key, value, (unsigned long long)f->min,
                                (unsigned long long)f->max);
        *(unsigned *)(void *)((char *)c + f->off) = (unsigned)secs;
        return RG_OK;
    }
    case F_STR: {
        char **slot = str_slot(c, f->off);
        rg_free(*slot);
        *slot = rg_strdup(value);
        return RG_OK;
    }
    case F_LISTEN: {
        char *host = NULL;
        uint16_t port = 0;
        int rc = parse_listen(f->key, value, &host, &port, err);
        if (rc != RG_OK)
            return rc;
        rg_free(c->listen_addr);
        c->listen_addr = host;
        c->port = port;
        return RG_OK;
    }
    case F_LEVEL: {
        rg_log_level_t lvl;
        if (rg_log_level_parse(value, &lvl) != RG_OK)
            return rg_error_set(err, RG_ERR_CONFIG,
                                "%s: invalid value \"%s\": must be one of debug, info, warn, "
                                "error",
                                f->key, value);
        c->log_level = lvl;
        return RG_OK;
    }
    case F_PORT:
    case F_UINT:
    case F_SIZE: {
        uint64_t v = 0;
        int pr = parse_number(value, f->kind == F_SIZE, &v);
        char lo[32], hi[32];
        if (f->kind == F_SIZE) {
            fmt_size(lo, sizeof(lo), f->min);
            fmt_size(hi, sizeof(hi), f->max);
        } else {
            snprintf(lo, sizeof(lo), "%llu", (unsigned long long)f->min);
            snprintf(hi, sizeof(hi), "%llu", (unsigned long long)f->max);
        }
        if (pr == 0 && f->kind == F_SIZE)
            return rg_error_set(err, RG_ERR_CONFIG,
                                "%s: invalid value \"%s\": must be a byte size (an integer "
                                "with an optional suffix Ki, Mi, Gi, k, M or G)",
                                f->key, value);
        if (pr == 0)
            return rg_error_set(err, RG_ERR_CONFIG, "%s: invalid value \"%s\": must be an integer",
                                f->key, value);
        if (pr < 0 || v < f->min || v > f->max || (f->kind == F_SIZE && v > SIZE_MAX))
            return rg_error_set(err, RG_ERR_CONFIG, "%s: invalid value \"%s\": must be %s..%s",
                                f->key, value, lo, hi);
        char *base = (char *)c + f->off;
        if (f->kind == F_PORT)
            *(uint16_t *)(void *)base = (uint16_t)v;
        else if (f->kind == F_UINT)
            *(unsigned *)(void *)base = (unsigned)v;
        else
            *(size_t *)(void *)base = (size_t)v;
        return RG_OK;
    }
    default: break;
    }
    return rg_error_set(err, RG_ERR_CONFIG, "%s: unsupported key", f->key);
}

int cfg_config_set(cfg_config_t *c, const char *key, const char *value, rg_error_t *err)
{
    const field_t *f = key ? field_find(key) : NULL;
    if (f == NULL)
        return rg_error_set(err, RG_ERR_CONFIG, "%s: unknown key", key ? key : "(null)");
    return field_apply(c, f, value, value ? strlen(value) : 0, err);
}

/* ------------------------------------------------------------------ */
/* The YAML file                                                       */
/* ------------------------------------------------------------------ */

typedef struct loader {
    const char *name;
    yaml_document_t *doc;
    rg_error_t *err;
} loader_t;

static int node_line(const yaml_node_t *n)
{
    return (int)n->start_mark.line + 1;
}

/* Describes a node for messages: `a mapping`, `a scalar "foo"`. */
static const char *node_kind(const yaml_node_t *n, char *buf, size_t cap)
{
    switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a sequence";
    default:
        snprintf(buf, cap, "a scalar \"%.64s\"", (const char *)n->data.scalar.value);
        return buf;
    }
}

/* A plain null scalar: empty, ~, null in YAML 1.1 spellings. */
static bool node_is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *)n->data.scalar.value;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* Appends the known keys under prefix ("server." or "") to buf. */
static void known_keys(const char *prefix, char *buf, size_t cap)
{
    size_t plen = strlen(prefix);
    size_t used = 0;
    buf[0] = '\0';
    const char *last_section = NULL;
    size_t last_len = 0;
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (strncmp(fields[i].key, prefix, plen) != 0)
            continue;
        const char *rest = fields[i].key + plen;
        size_t n = strcspn(rest, ".");
        if (last_section != NULL && n == last_len && strncmp(rest, last_section, n) == 0)
            continue;
        last_section = rest;
        last_len = n;
        int w = snprintf(buf + used, cap - used, "%s%.*s", used ? ", " : "", (int)n, rest);
        if (w < 0 || (size_t)w >= cap - used)
            return;
        used += (size_t)w;
    }
}

static bool is_section(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (strncmp(fields[i].key, name, n) == 0 && fields[i].key[n] == '.')
            return true;
    }
    return false;
}

/* A sequence of scalars for a list field: joined with commas, then validated as one value. */
static int apply_sequence(loader_t *L, cfg_config_t *c, const field_t *f, yaml_node_t *seq)
{
    char joined[CFG_STR_MAX + 1];
    size_t used = 0;
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *n = yaml_document_get_node(L->doc, *it);
        if (n == NULL || n->type != YAML_SCALAR_NODE)
            return rg_error_set(L->err, RG_ERR_CONFIG, "%s: expected a sequence of names", f->key);
        size_t len = n->data.scalar.length;
        if (used + len + 1 > CFG_STR_MAX)
            return rg_error_set(L->err, RG_ERR_CONFIG, "%s: invalid value: longer than %d bytes",
                                f->key, CFG_STR_MAX);
        if (used)
            joined[used++] = ',';
        memcpy(joined + used, n->data.scalar.value, len);
        used += len;
    }
    joined[used] = '\0';
    if (used == 0)
        return rg_error_set(L->err, RG_ERR_CONFIG, "%s: invalid value: an empty list", f->key);
    return field_apply(c, f, joined, used, L->err);
}

/* Whether some key lies below dotted (a nested section such as
 * waitForPodsReady.requeuingStrategy). */
static bool subsection(const char *dotted)
{
    size_t n = strlen(dotted);
    for (size_t i = 0; i < N_FIELDS; i++)
        if (strncmp(fields[i].key, dotted, n) == 0 && fields[i].key[n] == '.')
            return true;
    return false;
}

/*
 * Walks the pairs of mapping m, whose dotted path is prefix ("" at the top
 * level), applying leaves and descending into sections. Errors carry the
 * key's line: that is where a reader looks, even for a block value below.
 */
static int apply_mapping(loader_t *L, cfg_config_t *c, yaml_node_t *m, const char *prefix)
{
    yaml_node_pair_t *start = m->data.mapping.pairs.start;
    yaml_node_pair_t *top = m->data.mapping.pairs.top;
    char kb[96];
    for (yaml_node_pair_t *p = start; p < top; p++) {
        yaml_node_t *k = yaml_document_get_node(L->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(L->doc, p->value);
        if (k == NULL || v == NULL)
            return rg_error_set(L->err, RG_ERR_CONFIG, "%s: malformed document", L->name);
        if (k->type != YAML_SCALAR_NODE)
            return rg_error_set(L->err, RG_ERR_CONFIG, "%s:%d: %s%skeys must be strings, got %s",
                                L->name, node_line(k), prefix, *prefix ? ": " : "",
                                node_kind(k, kb, sizeof(kb)));
        const char *kname = (const char *)k->data.scalar.value;
        char dotted[256];
        snprintf(dotted, sizeof(dotted), "%s%s%s", prefix, *prefix ? "." : "", kname);

        /* Duplicates: an earlier pair of this mapping with the same key. */
        for (yaml_node_pair_t *q = start; q < p; q++) {
            yaml_node_t *qk = yaml_document_get_node(L->doc, q->key);
            if (qk != NULL && qk->type == YAML_SCALAR_NODE &&
                strcmp((const char *)qk->data.scalar.value, kname) == 0)
                return rg_error_set(L->err, RG_ERR_CONFIG,
                                    "%s:%d: %s: duplicate key (first set at line %d)", L->name,
                                    node_line(k), dotted, node_line(qk));
        }

        if ((*prefix == '\0' && is_section(kname)) ||
            (*prefix != '\0' && field_find(dotted) == NULL && subsection(dotted))) {
            if (node_is_null(v))
                continue;
            if (v->type != YAML_MAPPING_NODE)
                return rg_error_set(L->err, RG_ERR_CONFIG, "%s:%d: %s: expected a mapping, got %s",
                                    L->name, node_line(k), dotted, node_kind(v, kb, sizeof(kb)));
            int rc = apply_mapping(L, c, v, dotted);
            if (rc != RG_OK)
                return rc;
            continue;
        }
        const field_t *f = field_find(dotted);
        if (f == NULL) {
            char known[512], pre[64];
            snprintf(pre, sizeof(pre), "%s%s", prefix, *prefix ? "." : "");
            known_keys(pre, known, sizeof(known));
            return rg_error_set(L->err, RG_ERR_CONFIG, "%s:%d: %s: unknown key (known: %s)",
                                L->name, node_line(k), dotted, known);
        }
        if (v->type == YAML_SEQUENCE_NODE && f->kind == F_LIST) {
            int rc = apply_sequence(L, c, f, v);
            if (rc != RG_OK)
                return rg_error_prefix(L->err, "%s:%d", L->name, node_line(k));
            continue;
        }
        if (v->type != YAML_SCALAR_NODE)
            return rg_error_set(L->err, RG_ERR_CONFIG, "%s:%d: %s: expected a scalar, got %s",
                                L->name, node_line(k), dotted, node_kind(v, kb, sizeof(kb)));
        const char *val = node_is_null(v) ? NULL : (const char *)v->data.scalar.value;
        int rc = field_apply(c, f, val, val ? v->data.scalar.length : 0, L->err);
        if (rc != RG_OK)
            return rg_error_prefix(L->err, "%s:%d", L->name, node_line(k));
    }
    return RG_OK;
}

static int yaml_syntax_error(const yaml_parser_t *p, const char *name, const char *data, size_t len,
                             rg_error_t *err)
{
    if (p->error == YAML_MEMORY_ERROR)
        return rg_error_set(err, RG_ERR_NOMEM, "%s: out of memory parsing YAML", name);
    if (p->error == YAML_READER_ERROR) {
        /* The reader reports a byte offset rather than a mark. */
        size_t off = p->problem_offset < len ? p->problem_offset : len;
        int line = 1;
        size_t col = 1;
        for (size_t i = 0; i < off; i++) {
            if (data[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return rg_error_set(err, RG_ERR_PARSE, "%s:%d:%zu: %s", name, line, col,
                            p->problem ? p->problem : "invalid input");
    }
    if (p->context != NULL)
        return rg_error_set(err, RG_ERR_PARSE, "%s:%zu:%zu: %s (%s at line %zu)", name,
                            p->problem_mark.line + 1, p->problem_mark.column + 1,
                            p->problem ? p->problem : "syntax error", p->context,
                            p->context_mark.line + 1);
    return rg_error_set(err, RG_ERR_PARSE, "%s:%zu:%zu: %s", name, p->problem_mark.line + 1,
                        p->problem_mark.column + 1, p->problem ? p->problem : "syntax error");
}

/* Shared with yaml_docs.c through this non-static name. */
int cfg__yaml_syntax_error(const yaml_parser_t *p, const char *name, const char *data, size_t len,
                           rg_error_t *err);
int cfg__yaml_syntax_error(const yaml_parser_t *p, const char *name, const char *data, size_t len,
                           rg_error_t *err)
{
    return yaml_syntax_error(p, name, data, len, err);
}

int cfg_config_load_buffer(cfg_config_t *c, const char *data, size_t len, const char *name,
                           rg_error_t *err)
{
    if (name == NULL)
        name = "(config)";
    if (len == 0)
        return RG_OK;
    if (len > CFG_CONFIG_MAX_FILE_BYTES)
        return rg_error_set(err, RG_ERR_TOO_BIG, "%s: larger than %zu bytes", name,
                            CFG_CONFIG_MAX_FILE_BYTES);

    yaml_parser_t parser;
    yaml_document_t doc;
    bool have_doc = false;
    cfg_config_t next;
    int rc = RG_OK;

    if (!yaml_parser_initialize(&parser))
        return rg_error_set(err, RG_ERR_NOMEM, "%s: cannot initialize the YAML parser", name);
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    /* Overlay onto a copy so a bad file leaves the caller's values intact. */
    cfg_config_copy(&next, c);

    if (!yaml_parser_load(&parser, &doc)) {
        rc = yaml_syntax_error(&parser, name, data, len, err);
        goto out;
    }
    have_doc = true;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    char kb[96];
    if (root != NULL) {
        /* The configuration is one document; a second one is a mistake
         * (probably two files concatenated), not something to ignore. */
        yaml_document_t extra;
        if (!yaml_parser_load(&parser, &extra)) {
            rc = yaml_syntax_error(&parser, name, data, len, err);
            goto out;
        }
        yaml_node_t *extra_root = yaml_document_get_root_node(&extra);
        int extra_line = extra_root ? (int)extra.start_mark.line + 1 : 0;
        yaml_document_delete(&extra);
        if (extra_root != NULL) {
            rc = rg_error_set(err, RG_ERR_CONFIG,
                              "%s:%d: the configuration must be a single YAML document", name,
                              extra_line);
            goto out;
        }
        if (!node_is_null(root)) {
            if (root->type != YAML_MAPPING_NODE) {
                rc = rg_error_set(err, RG_ERR_CONFIG,
                                  "%s:%d: expected a mapping at the top level, got %s", name,
                                  node_line(root), node_kind(root, kb, sizeof(kb)));
                goto out;
            }
            loader_t L = {name, &doc, err};
            rc = apply_mapping(&L, &next, root, "");
        }
    }
out:
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc == RG_OK) {
        cfg_config_release(c);
        *c = next;
    } else {
        cfg_config_release(&next);
    }
    return rc;
}

int cfg_file_read(const char *path, size_t max_bytes, char **out, size_t *len, rg_error_t *err)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rg_error_set(err, RG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return rg_error_set(err, RG_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return rg_error_set(err, RG_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > max_bytes) {
        close(fd);
        return rg_error_set(err, RG_ERR_TOO_BIG, "%s: larger than %zu bytes", path, max_bytes);
    }
    /* Read up to one byte past the limit: the file may grow after fstat. */
    size_t cap = (size_t)st.st_size + 1;
    char *buf = rg_malloc(cap + 1);
    size_t got = 0;
    for (;;) {
        if (got == cap) {
            if (cap > max_bytes)
                break;
            cap = cap * 2 > max_bytes + 1 ? max_bytes + 1 : cap * 2;
            buf = rg_realloc(buf, cap + 1);
        }
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            rg_free(buf);
            return rg_error_set(err, RG_ERR_IO, "%s: cannot read: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got > max_bytes) {
        rg_free(buf);
        return rg_error_set(err, RG_ERR_TOO_BIG, "%s: larger than %zu bytes", path, max_bytes);
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return RG_OK;
}

int cfg_config_load_file(cfg_config_t *c, const char *path, rg_error_t *err)
{
    char *data = NULL;
    size_t len = 0;
    int rc = cfg_file_read(path, CFG_CONFIG_MAX_FILE_BYTES, &data, &len, err);
    if (rc != RG_OK)
        return rc;
    rc = cfg_config_load_buffer(c, data, len, path, err);
    rg_free(data);
    return rc;
}
