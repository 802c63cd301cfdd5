/*
 * Tests of the config module: defaults, the documented example file, every
 * class of configuration error with its exact message and line, flag
 * overrides, and YAML manifests to cJSON with line lookup and limits.
 */
#include "raygate/alloc.h"
#include "raygate/config.h"
#include "raygate/json.h"

#include <check.h>

#include "harness.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *fixtures(void)
{
    const char *f = getenv("RG_FIXTURES");
    return f ? f : "tests/fixtures";
}

static char *fixture_path(const char *name)
{
    return rg_asprintf("%s/config/%s", fixtures(), name);
}

/* ------------------------------------------------------------------ */
/* Daemon configuration                                                */
/* ------------------------------------------------------------------ */

START_TEST(test_config__defaults)
{
    cfg_config_t c;
    cfg_config_init_defaults(&c);
    ck_assert_str_eq(c.listen_addr, "127.0.0.1");
    ck_assert_uint_eq(c.port, 9443);
    ck_assert_ptr_null(c.cert_file);
    ck_assert_ptr_null(c.key_file);
    ck_assert_str_eq(c.state_dir, ".raygate");
    ck_assert_uint_eq(c.max_body_bytes, 3u << 20);
    ck_assert_uint_eq(c.max_extender_body_bytes, 128u << 20);
    ck_assert_uint_eq(c.threads, 0);
    ck_assert_uint_eq(c.max_connections, 1024);
    ck_assert_uint_eq(c.connection_timeout_s, 30);
    ck_assert_uint_eq(c.request_timeout_s, 10);
    ck_assert_uint_eq(c.cert_poll_interval_ms, 1000);
    ck_assert_ptr_null(c.audit_path);
    ck_assert_uint_eq(c.audit_max_bytes, 100u << 20);
    ck_assert_uint_eq(c.audit_max_files, 5);
    ck_assert_int_eq(c.log_level, RG_LOG_INFO);
    ck_assert_ptr_null(c.standalone_dir);
    ck_assert_ptr_null(c.kubeconfig);
    rg_error_t err = {0};
    ck_assert_int_eq(cfg_config_check(&c, &err), 0);
    cfg_config_release(&c);
    cfg_config_release(&c); /* a released struct is zeroed; releasing again is harmless */
}
END_TEST

/* Empty input, only comments, an explicit empty document: all defaults. */
static const char *const empty_inputs[] = {"",    "# nothing here\n\n", "---\n", "---\n...\n",
                                           "~\n", "server:\ntls:\n"};

START_TEST(test_config__empty_is_defaults)
{
    cfg_config_t c;
    rg_error_t err = {0};
    cfg_config_init_defaults(&c);
    const char *in = empty_inputs[_i];
    int rc = cfg_config_load_buffer(&c, in, strlen(in), "raygate.yaml", &err);
    ck_assert_msg(rc == 0, "input %d: %s", _i, rg_error_str(&err));
    ck_assert_uint_eq(c.port, 9443);
    ck_assert_str_eq(c.listen_addr, "127.0.0.1");
    cfg_config_release(&c);
}
END_TEST

START_TEST(test_config__full_example)
{
    cfg_config_t c;
    rg_error_t err = {0};
    char *path = fixture_path("full.yaml");
    cfg_config_init_defaults(&c);
    int rc = cfg_config_load_file(&c, path, &err);
    ck_assert_msg(rc == 0, "%s", rg_error_str(&err));
    ck_assert_str_eq(c.listen_addr, "");
    ck_assert_uint_eq(c.port, 8443);
    ck_assert_uint_eq(c.threads, 4);
    ck_assert_uint_eq(c.max_connections, 2048);
    ck_assert_uint_eq(c.connection_timeout_s, 60);
    ck_assert_uint_eq(c.request_timeout_s, 15);
    ck_assert_uint_eq(c.max_body_bytes, 3u << 20);
    ck_assert_uint_eq(c.max_extender_body_bytes, 256u << 20);
    ck_assert_str_eq(c.cert_file, "/etc/raygate/tls/tls.crt");
    ck_assert_str_eq(c.key_file, "/etc/raygate/tls/tls.key");
    ck_assert_uint_eq(c.cert_poll_interval_ms, 2000);
    ck_assert_str_eq(c.audit_path, "/var/log/raygate/audit.log");
    ck_assert_uint_eq(c.audit_max_bytes, 50u << 20);
    ck_assert_uint_eq(c.audit_max_files, 10);
    ck_assert_int_eq(c.log_level, RG_LOG_WARN);
    ck_assert_str_eq(c.state_dir, "/var/lib/raygate");
    ck_assert_str_eq(c.standalone_dir, "/etc/raygate/examples");
    ck_assert_str_eq(c.kubeconfig, "/etc/raygate/kubeconfig");
    ck_assert_int_eq(cfg_config_check(&c, &err), 0);
    cfg_config_release(&c);
    rg_free(path);
}
END_TEST

typedef struct value_case {
    const char *yaml;
    const char *listen;
    unsigned port;
    size_t max_body;
} value_case_t;

/* Listen forms and size suffixes that must be accepted. */
static const value_case_t value_cases[] = {
    {"server: {listen: \"[::1]:9000\"}", "::1", 9000, 3u << 20},
    {"server: {listen: \"0.0.0.0:1\"}", "0.0.0.0", 1, 3u << 20},
    {"server: {listen: \":65535\"}", "", 65535, 3u << 20},
    {"server: {listen: \"10.1.2.3:8443\", port: 9000}", "10.1.2.3", 9000, 3u << 20},
    {"server: {port: \"8080\"}", "127.0.0.1", 8080, 3u << 20},
    {"server: {maxBodyBytes: 1048576}", "127.0.0.1", 9443, 1u << 20},
    {"server: {maxBodyBytes: 64Ki}", "127.0.0.1", 9443, 64u << 10},
    {"server: {maxBodyBytes: 1Gi}", "127.0.0.1", 9443, 1u << 30},
    {"server: {maxBodyBytes: 5M}", "127.0.0.1", 9443, 5000000},
    {"server: {maxBodyBytes: 2k}", "127.0.0.1", 9443, 2000},
    {"server: {maxBodyBytes: 1G}", "127.0.0.1", 9443, 1000000000},
};

START_TEST(test_config__accepted_values)
{
    const value_case_t *vc = &value_cases[_i];
    cfg_config_t c;
    rg_error_t err = {0};
    cfg_config_init_defaults(&c);
    int rc = cfg_config_load_buffer(&c, vc->yaml, strlen(vc->yaml), "raygate.yaml", &err);
    ck_assert_msg(rc == 0, "%s: %s", vc->yaml, rg_error_str(&err));
    ck_assert_str_eq(c.listen_addr, vc->listen);
    ck_assert_uint_eq(c.port, vc->port);
    ck_assert_uint_eq(c.max_body_bytes, vc->max_body);
    cfg_config_release(&c);
}
END_TEST

START_TEST(test_config__extender_keys)
{
    cfg_config_t c;
    rg_error_t err = {0};
    cfg_config_init_defaults(&c);
    ck_assert_str_eq(c.ext_gpu_resources, "nvidia.com/gpu,nvidia.com/mig-*");
    ck_assert_uint_eq(c.ext_plan_ttl_s, 60);
    const char *yaml = "extender:\n  gpuResources: [nvidia.com/gpu, \"amd.com/gpu\"]\n"
                       "  topologyLabel: nvidia.com/gpu.clique\n  planningTTLSeconds: 5\n"
                       "  exactFitWeight: 0\n";
    ck_assert_msg(cfg_config_load_buffer(&c, yaml, strlen(yaml), "raygate.yaml", &err) == 0, "%s",
                  rg_error_str(&err));
    ck_assert_str_eq(c.ext_gpu_resources, "nvidia.com/gpu,amd.com/gpu");
    ck_assert_str_eq(c.ext_topology_label, "nvidia.com/gpu.clique");
    ck_assert_uint_eq(c.ext_plan_ttl_s, 5);
    ck_assert_uint_eq(c.ext_weight_exact, 0);
    ck_assert_int_eq(cfg_config_set(&c, "extender.gpuResources", "nvidia.com/mig-*", &err), 0);
    cfg_config_t copy;
    cfg_config_copy(&copy, &c);
    ck_assert_str_eq(copy.ext_gpu_resources, "nvidia.com/mig-*");
    cfg_config_release(&copy);
    cfg_config_release(&c);
}
END_TEST

/* server.metricsListen: kept as written (NULL when unset), split by
 * cfg_listen_parse the way server.listen is; "" from a flag unsets it. */
typedef struct metrics_listen_case {
    const char *yaml;
    const char *host; /* NULL: no listener */
    unsigned port;
} metrics_listen_case_t;

static const metrics_listen_case_t metrics_listen_cases[] = {
    {"server: {listen: \"127.0.0.1:9443\"}", NULL, 0},
    {"server: {metricsListen: \":9444\"}", "", 9444},
    {"server: {metricsListen: \"0.0.0.0:9090\"}", "0.0.0.0", 9090},
    {"server: {metricsListen: \"[::]:9444\", listen: \"127.0.0.1:9443\"}", "::", 9444},
    {"server: {metricsListen: \"\"}", NULL, 0},
};

START_TEST(test_config__metrics_listen)
{
    const metrics_listen_case_t *mc = &metrics_listen_cases[_i];
    cfg_config_t c;
    rg_error_t err = {0};
    cfg_config_init_defaults(&c);
    ck_assert_ptr_null(c.metrics_listen);
    int rc = cfg_config_load_buffer(&c, mc->yaml, strlen(mc->yaml), "raygate.yaml", &err);
    ck_assert_msg(rc == 0, "%s: %s", mc->yaml, rg_error_str(&err));
    ck_assert_uint_eq(c.port, 9443); /* the main listener is untouched */
    if (mc->host == NULL) {
        ck_assert_ptr_null(c.metrics_listen);
    } else {
        char *host = NULL;
        uint16_t port = 0;
        ck_assert_int_eq(
            cfg_listen_parse("server.metricsListen", c.metrics_listen, &host, &port, &err), 0);
        ck_assert_str_eq(host, mc->host);
        ck_assert_uint_eq(port, mc->port);
        rg_free(host);
        cfg_config_t copy;
        cfg_config_copy(&copy, &c);
        ck_assert_str_eq(copy.metrics_listen, c.metrics_listen);
        cfg_config_release(&copy);
        /* The flag's "" turns it off again. */
        ck_assert_int_eq(cfg_config_set(&c, "server.metricsListen", "", &err), 0);
        ck_assert_ptr_null(c.metrics_listen);
    }
    ck_assert_int_eq(cfg_config_set(&c, "server.metricsListen", "127.0.0.1", &err), RG_ERR_CONFIG);
    ck_assert_ptr_null(strstr(rg_error_str(&err), "server.listen"));
    cfg_config_release(&c);
}
END_TEST

typedef struct error_case {
    const char *yaml;
    int code;
    const char *msg;
} error_case_t;

static const error_case_t error_cases[] = {
    /* unknown keys */
    {"serverr:\n  listen: x\n", RG_ERR_CONFIG,
     "raygate.yaml:1: serverr: unknown key (known: server, tls, audit, log, stateDir, "
     "standalone, kubeconfig, context, leaderElection, admitter, caInjection, extender, "
     "fairSharing, waitForPodsReady, preemption)"},
    {"server:\n  prot: 1\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.prot: unknown key (known: listen, port, metricsListen, threads, "
     "maxConnections, connectionTimeoutSeconds, requestTimeoutSeconds, maxBodyBytes, "
     "maxExtenderBodyBytes, reusePort)"},
    {"log:\n  level: info\n  format: json\n", RG_ERR_CONFIG,
     "raygate.yaml:3: log.format: unknown key (known: level)"},
    /* the extender's lists and numbers */
    {"extender:\n  gpuResources: \"nvidia.com/gpu,,x\"\n", RG_ERR_CONFIG,
     "raygate.yaml:2: extender.gpuResources: invalid value \"nvidia.com/gpu,,x\": must be a list "
     "of resource names (a YAML sequence or \"a,b\"), each 1..317 bytes without spaces"},
    {"extender:\n  gpuResources: []\n", RG_ERR_CONFIG,
     "raygate.yaml:2: extender.gpuResources: invalid value: an empty list"},
    {"extender:\n  gpuResources: [[a]]\n", RG_ERR_CONFIG,
     "raygate.yaml:2: extender.gpuResources: expected a sequence of names"},
    {"extender:\n  planningTTLSeconds: 0\n", RG_ERR_CONFIG,
     "raygate.yaml:2: extender.planningTTLSeconds: invalid value \"0\": must be 1..86400"},
    {"extender:\n  packingWeight: 101\n", RG_ERR_CONFIG,
     "raygate.yaml:2: extender.packingWeight: invalid value \"101\": must be 0..100"},
    /* wrong shapes */
    {"server:\n  port:\n    a: 1\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.port: expected a scalar, got a mapping"},
    {"kubeconfig: [a, b]\n", RG_ERR_CONFIG,
     "raygate.yaml:1: kubeconfig: expected a scalar, got a sequence"},
    {"server: 8443\n", RG_ERR_CONFIG,
     "raygate.yaml:1: server: expected a mapping, got a scalar \"8443\""},
    {"- a\n- b\n", RG_ERR_CONFIG,
     "raygate.yaml:1: expected a mapping at the top level, got a sequence"},
    {"? [a]\n: b\n", RG_ERR_CONFIG, "raygate.yaml:1: keys must be strings, got a sequence"},
    /* integers */
    {"server:\n  threads: four\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.threads: invalid value \"four\": must be an integer"},
    {"server:\n  threads: 2.5\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.threads: invalid value \"2.5\": must be an integer"},
    {"server:\n  maxConnections: -5\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.maxConnections: invalid value \"-5\": must be 1..1000000"},
    {"# raygate\n\nserver:\n  listen: \"127.0.0.1:9443\"\n  threads: 2\n\n  port: 70000\n",
     RG_ERR_CONFIG, "raygate.yaml:7: server.port: invalid value \"70000\": must be 1..65535"},
    {"server:\n  port: 0\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.port: invalid value \"0\": must be 1..65535"},
    {"server:\n  threads: 300\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.threads: invalid value \"300\": must be 0..256"},
    {"server:\n  threads: 99999999999999999999999\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.threads: invalid value \"99999999999999999999999\": must be "
     "0..256"},
    {"server:\n  requestTimeoutSeconds: 0\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.requestTimeoutSeconds: invalid value \"0\": must be 1..3600"},
    {"audit:\n  maxFiles: 0\n", RG_ERR_CONFIG,
     "raygate.yaml:2: audit.maxFiles: invalid value \"0\": must be 1..1000"},
    {"tls:\n  pollIntervalMillis: 1h\n", RG_ERR_CONFIG,
     "raygate.yaml:2: tls.pollIntervalMillis: invalid value \"1h\": must be an integer"},
    {"server:\n  threads:\n", RG_ERR_CONFIG, "raygate.yaml:2: server.threads: missing value"},
    /* sizes */
    {"server:\n  maxBodyBytes: 3MB\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.maxBodyBytes: invalid value \"3MB\": must be a byte size (an "
     "integer with an optional suffix Ki, Mi, Gi, k, M or G)"},
    {"server:\n  maxBodyBytes: 1.5Mi\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.maxBodyBytes: invalid value \"1.5Mi\": must be a byte size (an "
     "integer with an optional suffix Ki, Mi, Gi, k, M or G)"},
    {"server:\n  maxBodyBytes: 2Gi\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.maxBodyBytes: invalid value \"2Gi\": must be 1Ki..1Gi"},
    {"server:\n  maxExtenderBodyBytes: 100\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.maxExtenderBodyBytes: invalid value \"100\": must be 1Ki..4Gi"},
    {"audit:\n  maxBytes: -1Mi\n", RG_ERR_CONFIG,
     "raygate.yaml:2: audit.maxBytes: invalid value \"-1Mi\": must be 4Ki..1Ti"},
    /* log level */
    {"log:\n  level: verbose\n", RG_ERR_CONFIG,
     "raygate.yaml:2: log.level: invalid value \"verbose\": must be one of debug, info, warn, "
     "error"},
    /* listen */
    {"server:\n  listen: localhost:9443\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.listen: invalid value \"localhost:9443\": host must be an IPv4 "
     "address, a bracketed IPv6 address or empty for all addresses"},
    {"server:\n  listen: \"::1:9443\"\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.listen: invalid value \"::1:9443\": host must be an IPv4 "
     "address, a bracketed IPv6 address or empty for all addresses"},
    {"server:\n  listen: \"127.0.0.1\"\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.listen: invalid value \"127.0.0.1\": must be host:port, e.g. "
     "\"127.0.0.1:9443\", \"[::1]:9443\" or \":9443\""},
    {"server:\n  listen: \"[::1]:0\"\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.listen: invalid value \"[::1]:0\": port must be 1..65535"},
    {"server:\n  listen: \":http\"\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.listen: invalid value \":http\": port must be 1..65535"},
    {"server:\n  metricsListen: \"localhost:9444\"\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.metricsListen: invalid value \"localhost:9444\": host must be an "
     "IPv4 address, a bracketed IPv6 address or empty for all addresses"},
    {"server:\n  metricsListen: \"9444\"\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.metricsListen: invalid value \"9444\": must be host:port, e.g. "
     "\"127.0.0.1:9443\", \"[::1]:9443\" or \":9443\""},
    {"server:\n  metricsListen: [\":9444\"]\n", RG_ERR_CONFIG,
     "raygate.yaml:2: server.metricsListen: expected a scalar, got a sequence"},
    /* strings */
    {"stateDir: \"\"\n", RG_ERR_CONFIG, "raygate.yaml:1: stateDir: missing value"},
    {"kubeconfig: \"a\\0b\"\n", RG_ERR_CONFIG,
     "raygate.yaml:1: kubeconfig: invalid value: contains a NUL character"},
    /* duplicates and documents */
    {"server:\n  port: 1\n  port: 2\n", RG_ERR_CONFIG,
     "raygate.yaml:3: server.port: duplicate key (first set at line 2)"},
    {"stateDir: a\nlog: {level: info}\nstateDir: b\n", RG_ERR_CONFIG,
     "raygate.yaml:3: stateDir: duplicate key (first set at line 1)"},
    {"stateDir: a\n---\nstateDir: b\n", RG_ERR_CONFIG,
     "raygate.yaml:2: the configuration must be a single YAML document"},
    /* syntax */
    {"server:\n  port: 1\n bad: 2\n", RG_ERR_PARSE,
     "raygate.yaml:3:2: did not find expected key (while parsing a block mapping at line 1)"},
    {"server: [1, 2\nlog: x\n", RG_ERR_PARSE,
     "raygate.yaml:2:4: did not find expected ',' or ']' (while parsing a flow sequence at "
     "line 1)"},
    {"a: \"x\xff\"\n", RG_ERR_PARSE, "raygate.yaml:1:6: invalid leading UTF-8 octet"},
};

START_TEST(test_config__errors)
{
    const error_case_t *ec = &error_cases[_i];
    cfg_config_t c;
    rg_error_t err = {0};
    cfg_config_init_defaults(&c);
    int rc = cfg_config_load_buffer(&c, ec->yaml, strlen(ec->yaml), "raygate.yaml", &err);
    ck_assert_msg(rc == ec->code, "case %d: rc %d (%s)", _i, rc, rg_error_str(&err));
    ck_assert_str_eq(rg_error_str(&err), ec->msg);
    /* A refused file changes nothing. */
    ck_assert_uint_eq(c.port, 9443);
    ck_assert_uint_eq(c.threads, 0);
    ck_assert_str_eq(c.state_dir, ".raygate");
    cfg_config_release(&c);
}
END_TEST

START_TEST(test_config__file_errors)
{
    cfg_config_t c;
    rg_error_t err = {0};
    cfg_config_init_defaults(&c);
    char *path = fixture_path("bad-port.yaml");
    char *want = rg_asprintf("%s:7: server.port: invalid value \"70000\": must be 1..65535", path);
    ck_assert_int_eq(cfg_config_load_file(&c, path, &err), RG_ERR_CONFIG);
    ck_assert_str_eq(rg_error_str(&err), want);
    /* The listen and threads lines before the error were not applied. */
    ck_assert_uint_eq(c.threads, 0);
    rg_free(want);
    rg_free(path);

    path = fixture_path("does-not-exist.yaml");
    ck_assert_int_eq(cfg_config_load_file(&c, path, &err), RG_ERR_IO);
    ck_assert_ptr_nonnull(strstr(rg_error_str(&err), "cannot open"));
    rg_free(path);

    ck_assert_int_eq(cfg_config_load_file(&c, fixtures(), &err), RG_ERR_IO);
    ck_assert_ptr_nonnull(strstr(rg_error_str(&err), "not a regular file"));

    char *big = rg_malloc(CFG_CONFIG_MAX_FILE_BYTES + 2);
    memset(big, '#', CFG_CONFIG_MAX_FILE_BYTES + 1);
    ck_assert_int_eq(
        cfg_config_load_buffer(&c, big, CFG_CONFIG_MAX_FILE_BYTES + 1, "big.yaml", &err),
        RG_ERR_TOO_BIG);
    rg_free(big);
    cfg_config_release(&c);
}
END_TEST

/* caInjection: its keys, the rules across them, the Service reference. */
typedef struct cainj_case {
    const char *yaml;
    const char *check_msg; /* NULL: cfg_config_check passes */
} cainj_case_t;

static const cainj_case_t cainj_cases[] = {
    {"tls:\n  caFile: /ca.crt\ncaInjection:\n  mutatingWebhookConfiguration: m\n"
     "  validatingWebhookConfiguration: v\n  conversionService: raygate-system/raygate\n",
     NULL},
    {"caInjection:\n  mutatingWebhookConfiguration: m\n",
     "caInjection needs tls.caFile: the CA bundle it publishes"},
    {"tls:\n  caFile: /ca.crt\ncaInjection:\n  conversionService: raygate\n",
     "caInjection.conversionService: invalid value \"raygate\": must be namespace/name[:port], "
     "each a DNS-1123 label"},
    {"tls:\n  caFile: /ca.crt\ncaInjection:\n  conversionService: Ns/raygate\n",
     "caInjection.conversionService: invalid value \"Ns/raygate\": must be namespace/name[:port], "
     "each a DNS-1123 label"},
    {"tls:\n  caFile: /ca.crt\ncaInjection:\n  conversionService: a/b:0\n",
     "caInjection.conversionService: invalid value \"a/b:0\": the port must be 1..65535"},
    {"tls:\n  caFile: /ca.crt\ncaInjection:\n  conversionService: a/b:8443x\n",
     "caInjection.conversionService: invalid value \"a/b:8443x\": the port must be 1..65535"},
    {"tls:\n  caFile: /ca.crt\n", NULL}, /* a CA alone publishes nothing */
};

START_TEST(test_config__cainjection)
{
    const cainj_case_t *cc = &cainj_cases[_i];
    cfg_config_t c;
    rg_error_t err = {0};
    cfg_config_init_defaults(&c);
    ck_assert_uint_eq(c.cainj_interval_s, 60);
    ck_assert(c.lease_enabled);
    ck_assert_int_eq(cfg_config_load_buffer(&c, cc->yaml, strlen(cc->yaml), "raygate.yaml", &err),
                     0);
    int rc = cfg_config_check(&c, &err);
    if (cc->check_msg == NULL) {
        ck_assert_msg(rc == 0, "%s", rg_error_str(&err));
    } else {
        ck_assert_int_eq(rc, RG_ERR_CONFIG);
        ck_assert_str_eq(rg_error_str(&err), cc->check_msg);
    }
    cfg_config_release(&c);
}
END_TEST

START_TEST(test_config__service_parse)
{
    cfg_service_t svc;
    rg_error_t err = {0};
    ck_assert_int_eq(cfg_service_parse("k", "raygate-system/raygate", &svc, &err), 0);
    ck_assert_str_eq(svc.ns, "raygate-system");
    ck_assert_str_eq(svc.name, "raygate");
    ck_assert_uint_eq(svc.port, 443);
    ck_assert_int_eq(cfg_service_parse("k", "a/b:8443", &svc, &err), 0);
    ck_assert_uint_eq(svc.port, 8443);
    ck_assert_int_eq(cfg_service_parse("k", "/b", &svc, &err), RG_ERR_CONFIG);
    ck_assert_int_eq(cfg_service_parse("k", "a/", &svc, &err), RG_ERR_CONFIG);
    ck_assert_int_eq(cfg_service_parse("k", "a/-b", &svc, &err), RG_ERR_CONFIG);
    char long_ns[80];
    memset(long_ns, 'a', 64);
    strcpy(long_ns + 64, "/b");
    ck_assert_int_eq(cfg_service_parse("k", long_ns, &svc, &err), RG_ERR_CONFIG);
}
END_TEST

START_TEST(test_config__leader_election_off)
{
    cfg_config_t c;
    rg_error_t err = {0};
    cfg_config_init_defaults(&c);
    const char *y = "leaderElection:\n  enabled: false\n";
    ck_assert_int_eq(cfg_config_load_buffer(&c, y, strlen(y), "raygate.yaml", &err), 0);
    ck_assert(!c.lease_enabled);
    ck_assert_int_eq(cfg_config_set(&c, "leaderElection.enabled", "true", &err), 0);
    ck_assert(c.lease_enabled);
    cfg_config_release(&c);
}
END_TEST

START_TEST(test_config__flags_overlay)
{
    cfg_config_t c;
    rg_error_t err = {0};
    char *path = fixture_path("full.yaml");
    cfg_config_init_defaults(&c);
    ck_assert_int_eq(cfg_config_load_file(&c, path, &err), 0);

    /* Flags come after the file and win. */
    ck_assert_int_eq(cfg_config_set(&c, "server.port", "9000", &err), 0);
    ck_assert_uint_eq(c.port, 9000);
    ck_assert_int_eq(cfg_config_set(&c, "server.listen", "127.0.0.1:9001", &err), 0);
    ck_assert_str_eq(c.listen_addr, "127.0.0.1");
    ck_assert_uint_eq(c.port, 9001);
    ck_assert_int_eq(cfg_config_set(&c, "log.level", "debug", &err), 0);
    ck_assert_int_eq(c.log_level, RG_LOG_DEBUG);
    ck_assert_int_eq(cfg_config_set(&c, "server.maxExtenderBodyBytes", "64Mi", &err), 0);
    ck_assert_uint_eq(c.max_extender_body_bytes, 64u << 20);
    ck_assert_int_eq(cfg_config_set(&c, "stateDir", "/tmp/rg", &err), 0);
    ck_assert_str_eq(c.state_dir, "/tmp/rg");
    ck_assert_int_eq(cfg_config_set(&c, "audit.path", "-", &err), 0);
    ck_assert_str_eq(c.audit_path, "-");
    ck_assert(!c.reuse_port);
    ck_assert_int_eq(cfg_config_set(&c, "server.reusePort", "true", &err), 0);
    ck_assert(c.reuse_port);
    ck_assert_int_eq(cfg_config_set(&c, "server.reusePort", "false", &err), 0);
    ck_assert(!c.reuse_port);

    /* An empty value unsets an optional path... */
    ck_assert_int_eq(cfg_config_set(&c, "tls.certFile", "", &err), 0);
    ck_assert_ptr_null(c.cert_file);
    ck_assert_int_eq(cfg_config_check(&c, &err), RG_ERR_CONFIG);
    ck_assert_str_eq(rg_error_str(&err),
                     "tls.certFile and tls.keyFile must be set together (tls.certFile is "
                     "missing)");
    ck_assert_int_eq(cfg_config_set(&c, "tls.keyFile", NULL, &err), 0);
    ck_assert_ptr_null(c.key_file);
    ck_assert_int_eq(cfg_config_check(&c, &err), 0);

    /* ...and validation is the file's, without the location. */
    static const struct {
        const char *key, *value, *msg;
    } bad[] = {
        {"server.port", "abc", "server.port: invalid value \"abc\": must be an integer"},
        {"server.port", "70000", "server.port: invalid value \"70000\": must be 1..65535"},
        {"server.threads", "257", "server.threads: invalid value \"257\": must be 0..256"},
        {"log.level", "loud",
         "log.level: invalid value \"loud\": must be one of debug, info, warn, error"},
        {"stateDir", "", "stateDir: missing value"},
        {"server.nope", "1", "server.nope: unknown key"},
        {"server", "1", "server: unknown key"},
        {"audit.maxBytes", "1Ki", "audit.maxBytes: invalid value \"1Ki\": must be 4Ki..1Ti"},
        {"leaderElection.enabled", "no",
         "leaderElection.enabled: invalid value \"no\": must be true or false"},
        {"caInjection.intervalSeconds", "0",
         "caInjection.intervalSeconds: invalid value \"0\": must be 1..86400"},
        {"server.reusePort", "yes",
         "server.reusePort: invalid value \"yes\": must be true or false"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(cfg_config_set(&c, bad[i].key, bad[i].value, &err), RG_ERR_CONFIG);
        ck_assert_str_eq(rg_error_str(&err), bad[i].msg);
    }
    /* Refused flags changed nothing. */
    ck_assert_uint_eq(c.port, 9001);
    ck_assert_uint_eq(c.threads, 4);
    ck_assert_str_eq(c.state_dir, "/tmp/rg");

    /* A second file overlays only what it sets. */
    const char *more = "server:\n  threads: 8\n";
    ck_assert_int_eq(cfg_config_load_buffer(&c, more, strlen(more), "more.yaml", &err), 0);
    ck_assert_uint_eq(c.threads, 8);
    ck_assert_uint_eq(c.port, 9001);

    cfg_config_release(&c);
    rg_free(path);
}
END_TEST

START_TEST(test_config__yaml_version)
{
    ck_assert_str_eq(cfg_yaml_version(), "0.2.5");
}
END_TEST

/* ------------------------------------------------------------------ */
/* YAML manifests                                                      */
/* ------------------------------------------------------------------ */

static const cJSON *doc_get(const cfg_yaml_doc_t *d, const char *a, const char *b, const char *c2)
{
    return rg_json_path(d->root, a, b, c2, (const char *)NULL);
}

START_TEST(test_config__manifests)
{
    cfg_yaml_docs_t docs;
    rg_error_t err = {0};
    char *path = fixture_path("manifests.yaml");
    int rc = cfg_yaml_docs_load_file(path, 1 << 20, &docs, &err);
    ck_assert_msg(rc == 0, "%s", rg_error_str(&err));
    ck_assert_uint_eq(docs.count, 3);
    ck_assert_str_eq(docs.name, path);

    const cfg_yaml_doc_t *cq = &docs.items[0];
    ck_assert_int_eq(cq->start_line, 2);
    ck_assert_str_eq(rg_json_get_string(cq->root, "kind"), "ClusterQueue");
    const cJSON *rgs = doc_get(cq, "spec", "resourceGroups", NULL);
    ck_assert(cJSON_IsArray(rgs));
    const cJSON *flavors = rg_json_get_array(cJSON_GetArrayItem(rgs, 0), "flavors");
    ck_assert_int_eq(cJSON_GetArraySize(flavors), 2);
    const cJSON *res0 = rg_json_get_array(cJSON_GetArrayItem(flavors, 0), "resources");
    const cJSON *q = rg_json_get(cJSON_GetArrayItem(res0, 0), "nominalQuota");
    ck_assert(cJSON_IsNumber(q));
    ck_assert_double_eq(q->valuedouble, 40);
    q = rg_json_get(cJSON_GetArrayItem(res0, 1), "nominalQuota");
    ck_assert(cJSON_IsString(q));
    ck_assert_str_eq(q->valuestring, "160Gi");
    ck_assert(cJSON_IsObject(doc_get(cq, "spec", "namespaceSelector", NULL)));
    const cJSON *covered = rg_json_get_array(cJSON_GetArrayItem(rgs, 0), "coveredResources");
    ck_assert_str_eq(cJSON_GetArrayItem(covered, 2)->valuestring, "nvidia.com/gpu");

    const cfg_yaml_doc_t *rc_doc = &docs.items[1];
    ck_assert_int_eq(rc_doc->start_line, 26);
    ck_assert_str_eq(rg_json_get_string(rc_doc->root, "kind"), "RayCluster");
    ck_assert_str_eq(doc_get(rc_doc, "spec", "rayVersion", NULL)->valuestring, "2.9.0");
    ck_assert(cJSON_IsFalse(doc_get(rc_doc, "spec", "enableInTreeAutoscaling", NULL)));
    ck_assert_str_eq(doc_get(rc_doc, "metadata", "labels", NULL)->child->string,
                     "kueue.x-k8s.io/queue-name");
    const cJSON *head = doc_get(rc_doc, "spec", "headGroupSpec", "rayStartParams");
    ck_assert_str_eq(rg_json_get_string(head, "num-gpus"), "0");
    const cJSON *wg = cJSON_GetArrayItem(doc_get(rc_doc, "spec", "workerGroupSpecs", NULL), 0);
    const cJSON *limits = rg_json_path(
        cJSON_GetArrayItem(rg_json_path(wg, "template", "spec", "containers", (char *)NULL), 0),
        "resources", "limits", (char *)NULL);
    ck_assert_double_eq(rg_json_get(limits, "cpu")->valuedouble, 1.5);
    ck_assert_double_eq(rg_json_get(limits, "nvidia.com/gpu")->valuedouble, 1);

    const cfg_yaml_doc_t *lq = &docs.items[2];
    ck_assert_int_eq(lq->start_line, 62);
    ck_assert_str_eq(rg_json_get_string(lq->root, "kind"), "LocalQueue");
    const cJSON *spec = rg_json_get_object(lq->root, "spec");
    ck_assert_str_eq(rg_json_get_string(spec, "clusterQueue"), "cluster-queue");
    ck_assert_str_eq(rg_json_get_string(spec, "path"), "a/b \xc3\xa9");
    ck_assert_double_eq(rg_json_get(spec, "weight")->valuedouble, 1000);
    ck_assert(cJSON_IsTrue(rg_json_get(spec, "enabled")));
    ck_assert(cJSON_IsNull(rg_json_get(spec, "none")));
    ck_assert_str_eq(doc_get(lq, "metadata", "namespace", NULL)->valuestring, "default");

    cfg_yaml_docs_release(&docs);
    cfg_yaml_docs_release(&docs);
    rg_free(path);
}
END_TEST

typedef struct line_case {
    size_t doc;
    const char *path;
    int line;
} line_case_t;

static const line_case_t line_cases[] = {
    {0, "", 2},
    {0, "nope", 2},
    {0, "metadata.name", 6},
    {0, "spec.queueingStrategy", 9},
    {0, "spec.nope", 7},
    {0, "spec.resourceGroups[0]", 11},
    {0, "spec.resourceGroups[0].coveredResources[2]", 11},
    {0, "spec.resourceGroups[0].flavors", 12},
    {0, "spec.resourceGroups[0].flavors[1].name", 19},
    {0, "spec.resourceGroups[0].flavors[0].resources[1].nominalQuota", 18},
    {0, "spec.resourceGroups[0].flavors[1].resources[0].nominalQuota", 22},
    {0, "spec.resourceGroups[0].flavors[1].resources[0].borrowingLimit", 23},
    {0, "spec.resourceGroups[0].flavors[5].name", 12},
    {0, "spec.resourceGroups[0].flavors[1].resources[0].lendingLimit", 21},
    {0, "spec.resourceGroups[x]", 10},
    {0, "spec..queueingStrategy", 7},
    {1, "metadata.labels[kueue.x-k8s.io/queue-name]", 32},
    {1, "spec.headGroupSpec.template.spec.containers[0].resources.limits.memory", 46},
    {1, "spec.workerGroupSpecs[0].replicas", 49},
    {1, "spec.workerGroupSpecs[0].template.spec.containers[0].resources.limits[nvidia.com/gpu]",
     60},
    {1, "spec.workerGroupSpecs[0].template.spec.containers[0].image", 57},
    {2, "spec.weight", 70},
    {2, "metadata.namespace", 66},
    {2, "spec", 67},
};

START_TEST(test_config__manifest_lines)
{
    const line_case_t *lc = &line_cases[_i];
    cfg_yaml_docs_t docs;
    rg_error_t err = {0};
    char *path = fixture_path("manifests.yaml");
    ck_assert_int_eq(cfg_yaml_docs_load_file(path, 1 << 20, &docs, &err), 0);
    ck_assert_uint_gt(docs.count, lc->doc);
    int line = cfg_yaml_doc_line(&docs.items[lc->doc], lc->path);
    ck_assert_msg(line == lc->line, "doc %zu path \"%s\": line %d, want %d", lc->doc, lc->path,
                  line, lc->line);
    cfg_yaml_docs_release(&docs);
    rg_free(path);
}
END_TEST

typedef enum { T_NULL, T_TRUE, T_FALSE, T_NUM, T_STR } jtype_t;

typedef struct typing_case {
    const char *value; /* the text after "v: " */
    jtype_t type;
    double num;
    const char *str;
} typing_case_t;

static const typing_case_t typing_cases[] = {
    {"yes", T_TRUE, 0, NULL},
    {"Yes", T_TRUE, 0, NULL},
    {"YES", T_TRUE, 0, NULL},
    {"no", T_FALSE, 0, NULL},
    {"NO", T_FALSE, 0, NULL},
    {"on", T_TRUE, 0, NULL},
    {"On", T_TRUE, 0, NULL},
    {"off", T_FALSE, 0, NULL},
    {"y", T_TRUE, 0, NULL},
    {"n", T_FALSE, 0, NULL},
    {"true", T_TRUE, 0, NULL},
    {"False", T_FALSE, 0, NULL},
    {"'yes'", T_STR, 0, "yes"},
    {"\"on\"", T_STR, 0, "on"},
    {"!!str off", T_STR, 0, "off"},
    {"!!bool yes", T_TRUE, 0, NULL},
    {"", T_NULL, 0, NULL},
    {"~", T_NULL, 0, NULL},
    {"null", T_NULL, 0, NULL},
    {"NULL", T_NULL, 0, NULL},
    {"'null'", T_STR, 0, "null"},
    {"!!null x", T_NULL, 0, NULL},
    {"40Gi", T_STR, 0, "40Gi"},
    {"500m", T_STR, 0, "500m"},
    {"42", T_NUM, 42, NULL},
    {"-7", T_NUM, -7, NULL},
    {"+3", T_NUM, 3, NULL},
    {"1_000", T_NUM, 1000, NULL},
    {"0x1F", T_NUM, 31, NULL},
    {"0o17", T_NUM, 15, NULL},
    {"012", T_NUM, 10, NULL},
    {"0b101", T_NUM, 5, NULL},
    {"09", T_NUM, 9, NULL},
    {"1.5", T_NUM, 1.5, NULL},
    {".5", T_NUM, 0.5, NULL},
    {"1e3", T_NUM, 1000, NULL},
    {"-2.5E-1", T_NUM, -0.25, NULL},
    {"'42'", T_STR, 0, "42"},
    {"\"1.5\"", T_STR, 0, "1.5"},
    {"!!str 123", T_STR, 0, "123"},
    {"!!int \"42\"", T_NUM, 42, NULL},
    {"!!float 1", T_NUM, 1, NULL},
    {"1.2.3", T_STR, 0, "1.2.3"},
    {"2024-01-02", T_STR, 0, "2024-01-02"},
    {"0x", T_STR, 0, "0x"},
    {"1e999", T_STR, 0, "1e999"},
    {"!custom foo", T_STR, 0, "foo"},
    {"|\n  two\n  lines\n", T_STR, 0, "two\nlines\n"},
    {">-\n  folded\n  text\n", T_STR, 0, "folded text"},
    {"\"tab\\there\"", T_STR, 0, "tab\there"},
    {"a b c", T_STR, 0, "a b c"},
};

START_TEST(test_config__scalar_typing)
{
    const typing_case_t *tc = &typing_cases[_i];
    char *doc = rg_asprintf("v: %s\n", tc->value);
    cfg_yaml_docs_t docs;
    rg_error_t err = {0};
    int rc = cfg_yaml_docs_parse(doc, strlen(doc), "t.yaml", &docs, &err);
    ck_assert_msg(rc == 0, "%s: %s", tc->value, rg_error_str(&err));
    ck_assert_uint_eq(docs.count, 1);
    const cJSON *v = rg_json_get(docs.items[0].root, "v");
    ck_assert_ptr_nonnull(v);
    switch (tc->type) {
    case T_NULL: ck_assert_msg(cJSON_IsNull(v), "%s: %s", tc->value, rg_json_type_name(v)); break;
    case T_TRUE: ck_assert_msg(cJSON_IsTrue(v), "%s: %s", tc->value, rg_json_type_name(v)); break;
    case T_FALSE: ck_assert_msg(cJSON_IsFalse(v), "%s: %s", tc->value, rg_json_type_name(v)); break;
    case T_NUM:
        ck_assert_msg(cJSON_IsNumber(v), "%s: %s", tc->value, rg_json_type_name(v));
        ck_assert_double_eq_tol(v->valuedouble, tc->num, 1e-12);
        break;
    case T_STR:
        ck_assert_msg(cJSON_IsString(v), "%s: %s", tc->value, rg_json_type_name(v));
        ck_assert_str_eq(v->valuestring, tc->str);
        break;
    }
    cfg_yaml_docs_release(&docs);
    rg_free(doc);
}
END_TEST

START_TEST(test_config__aliases)
{
    cfg_yaml_docs_t docs;
    rg_error_t err = {0};
    char *path = fixture_path("aliases.yaml");
    ck_assert_int_eq(cfg_yaml_docs_load_file(path, 1 << 20, &docs, &err), 0);
    ck_assert_uint_eq(docs.count, 1);
    const cfg_yaml_doc_t *d = &docs.items[0];
    char *text = rg_json_print(d->root);
    ck_assert_str_eq(text, "{\"base\":{\"cpu\":2,\"memory\":\"8Gi\"},"
                           "\"head\":{\"limits\":{\"cpu\":2,\"memory\":\"8Gi\"}},"
                           "\"worker\":{\"limits\":{\"cpu\":2,\"memory\":\"8Gi\"}},"
                           "\"name\":\"raygate\",\"names\":[\"raygate\",\"raygate\"]}");
    rg_free(text);
    /* The copy's root is at the alias; its members keep the anchor's lines. */
    ck_assert_int_eq(cfg_yaml_doc_line(d, "worker.limits"), 7);
    ck_assert_int_eq(cfg_yaml_doc_line(d, "worker.limits.memory"), 3);
    ck_assert_int_eq(cfg_yaml_doc_line(d, "names[1]"), 9);
    cfg_yaml_docs_release(&docs);
    rg_free(path);
}
END_TEST

START_TEST(test_config__alias_bomb)
{
    cfg_yaml_docs_t docs;
    rg_error_t err = {0};
    char *path = fixture_path("billion-laughs.yaml");
    char *want = rg_asprintf("%s:6: aliases expand to more than 10000 nodes", path);
    ck_assert_int_eq(cfg_yaml_docs_load_file(path, 1 << 20, &docs, &err), RG_ERR_TOO_BIG);
    ck_assert_str_eq(rg_error_str(&err), want);
    ck_assert_uint_eq(docs.count, 0);
    ck_assert_ptr_null(docs.items);
    rg_free(want);
    rg_free(path);
}
END_TEST

static const error_case_t yaml_error_cases[] = {
    {"a: [1, 2\nb: 3\n", RG_ERR_PARSE,
     "m.yaml:2:2: did not find expected ',' or ']' (while parsing a flow sequence at line 1)"},
    {"kind: A\nspec:\n  x: 1\n y: 2\n", RG_ERR_PARSE,
     "m.yaml:4:2: did not find expected key (while parsing a block mapping at line 1)"},
    {"a: 1\nb: 2\na: 3\n", RG_ERR_PARSE, "m.yaml:3: duplicate key \"a\" (first at line 1)"},
    {"---\nok: 1\n---\nx:\n  k9: 0\n  k1: 1\n  k2: 2\n  k3: 3\n  k1: 4\n", RG_ERR_PARSE,
     "m.yaml:9: duplicate key \"k1\" (first at line 6)"},
    {"a: *nope\n", RG_ERR_PARSE, "m.yaml:1: unknown anchor \"nope\""},
    {"a: &x [1, *x]\n", RG_ERR_PARSE, "m.yaml:1: unknown anchor \"x\""},
    {"base: &b {x: 1}\n<<: *b\n", RG_ERR_PARSE, "m.yaml:2: merge keys (<<) are not supported"},
    {"? [a, b]\n: c\n", RG_ERR_PARSE, "m.yaml:1: mapping keys must be scalars"},
    {"a: &k x\n*k : y\n", RG_ERR_PARSE, "m.yaml:2: aliases as mapping keys are not supported"},
    {"v: .nan\n", RG_ERR_PARSE, "m.yaml:1: .nan cannot be represented in JSON"},
    {"v: -.Inf\n", RG_ERR_PARSE, "m.yaml:1: -.Inf cannot be represented in JSON"},
    {"v: !!int abc\n", RG_ERR_PARSE, "m.yaml:1: cannot decode \"abc\" as !!int"},
    {"v: !!bool maybe\n", RG_ERR_PARSE, "m.yaml:1: cannot decode \"maybe\" as !!bool"},
    {"v: !!binary aGk=\n", RG_ERR_PARSE, "m.yaml:1: tag !!binary is not supported here"},
    {"v: \"a\\0b\"\n", RG_ERR_PARSE, "m.yaml:1: NUL characters are not supported"},
};

START_TEST(test_config__yaml_errors)
{
    const error_case_t *ec = &yaml_error_cases[_i];
    cfg_yaml_docs_t docs;
    rg_error_t err = {0};
    int rc = cfg_yaml_docs_parse(ec->yaml, strlen(ec->yaml), "m.yaml", &docs, &err);
    ck_assert_msg(rc == ec->code, "case %d: rc %d (%s)", _i, rc, rg_error_str(&err));
    ck_assert_str_eq(rg_error_str(&err), ec->msg);
    ck_assert_uint_eq(docs.count, 0);
    cfg_yaml_docs_release(&docs);
}
END_TEST

START_TEST(test_config__yaml_empty_docs)
{
    static const char *const inputs[] = {"", "# just a comment\n", "---\n---\n# c\n---\n",
                                         "---\n~\n...\n", "---\nnull\n"};
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        cfg_yaml_docs_t docs;
        rg_error_t err = {0};
        ck_assert_int_eq(cfg_yaml_docs_parse(inputs[i], strlen(inputs[i]), NULL, &docs, &err), 0);
        ck_assert_uint_eq(docs.count, 0);
        cfg_yaml_docs_release(&docs);
    }
    /* A bare scalar or list is still a document. */
    cfg_yaml_docs_t docs;
    rg_error_t err = {0};
    ck_assert_int_eq(cfg_yaml_docs_parse("- 1\n- two\n", 10, "l.yaml", &docs, &err), 0);
    ck_assert_uint_eq(docs.count, 1);
    ck_assert_int_eq(docs.items[0].start_line, 1);
    ck_assert_int_eq(cfg_yaml_doc_line(&docs.items[0], "[1]"), 2);
    ck_assert_int_eq(cfg_yaml_doc_line(NULL, "x"), 0);
    cfg_yaml_docs_release(&docs);
}
END_TEST

static char *nested(int depth)
{
    char *s = rg_malloc((size_t)depth * 2 + 2);
    for (int i = 0; i < depth; i++) {
        s[i] = '[';
        s[depth + i] = ']';
    }
    s[2 * depth] = '\n';
    s[2 * depth + 1] = '\0';
    return s;
}

START_TEST(test_config__yaml_limits)
{
    cfg_yaml_docs_t docs;
    rg_error_t err = {0};

    char *ok = nested(CFG_YAML_MAX_DEPTH);
    ck_assert_int_eq(cfg_yaml_docs_parse(ok, strlen(ok), "d.yaml", &docs, &err), 0);
    cfg_yaml_docs_release(&docs);
    rg_free(ok);

    char *deep = nested(CFG_YAML_MAX_DEPTH + 1);
    ck_assert_int_eq(cfg_yaml_docs_parse(deep, strlen(deep), "d.yaml", &docs, &err),
                     RG_ERR_TOO_BIG);
    ck_assert_str_eq(rg_error_str(&err), "d.yaml:1: nesting deeper than 100 levels");
    rg_free(deep);

    /* One sequence of CFG_YAML_MAX_NODES scalars: with itself, one too many. */
    size_t n = CFG_YAML_MAX_NODES;
    char *many = rg_malloc(n * 2 + 4);
    size_t len = 0;
    many[len++] = '[';
    for (size_t i = 0; i < n; i++) {
        many[len++] = '0';
        many[len++] = ',';
    }
    many[len - 1] = ']';
    many[len++] = '\n';
    ck_assert_int_eq(cfg_yaml_docs_parse(many, len, "n.yaml", &docs, &err), RG_ERR_TOO_BIG);
    ck_assert_str_eq(rg_error_str(&err), "n.yaml:1: more than 1000000 nodes");
    rg_free(many);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_config__defaults);
    tcase_add_loop_test(tc, test_config__empty_is_defaults, 0,
                        (int)(sizeof(empty_inputs) / sizeof(empty_inputs[0])));
    tcase_add_test(tc, test_config__full_example);
    tcase_add_loop_test(tc, test_config__accepted_values, 0,
                        (int)(sizeof(value_cases) / sizeof(value_cases[0])));
    tcase_add_test(tc, test_config__extender_keys);
    tcase_add_loop_test(tc, test_config__metrics_listen, 0,
                        sizeof(metrics_listen_cases) / sizeof(metrics_listen_cases[0]));
    tcase_add_loop_test(tc, test_config__errors, 0,
                        (int)(sizeof(error_cases) / sizeof(error_cases[0])));
    tcase_add_test(tc, test_config__file_errors);
    tcase_add_test(tc, test_config__flags_overlay);
    tcase_add_loop_test(tc, test_config__cainjection, 0,
                        sizeof(cainj_cases) / sizeof(cainj_cases[0]));
    tcase_add_test(tc, test_config__service_parse);
    tcase_add_test(tc, test_config__leader_election_off);
    tcase_add_test(tc, test_config__yaml_version);
    suite_add_tcase(s, tc);

    TCase *ty = tcase_create("yaml");
    tcase_set_timeout(ty, 60);
    tcase_add_test(ty, test_config__manifests);
    tcase_add_loop_test(ty, test_config__manifest_lines, 0,
                        (int)(sizeof(line_cases) / sizeof(line_cases[0])));
    tcase_add_loop_test(ty, test_config__scalar_typing, 0,
                        (int)(sizeof(typing_cases) / sizeof(typing_cases[0])));
    tcase_add_test(ty, test_config__aliases);
    tcase_add_test(ty, test_config__alias_bomb);
    tcase_add_loop_test(ty, test_config__yaml_errors, 0,
                        (int)(sizeof(yaml_error_cases) / sizeof(yaml_error_cases[0])));
    tcase_add_test(ty, test_config__yaml_empty_docs);
    tcase_add_test(ty, test_config__yaml_limits);
    suite_add_tcase(s, ty);
    return s;
}

int main(void)
{
    return rgt_run_suite(config_suite());
}
