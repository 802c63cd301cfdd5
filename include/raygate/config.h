/*
 * The config module owns everything YAML in raygate: the daemon's
 * configuration file (with command-line overrides that validate the same
 * way) and the conversion of YAML/JSON manifests into cJSON trees that
 * remember the line of every node. It is the only module that includes
 * <yaml.h>. Every function is reentrant and keeps no global state, so any
 * thread may call it; a given struct has one owner at a time. It depends on
 * core only (err, alloc, log, json).
 *
 * Configuration file layout (all keys optional; an empty file means all
 * defaults; unknown keys, duplicate keys and wrong types are errors):
 *
 *   server:
 *     listen: "127.0.0.1:9443"        # host:port; "[::1]:9443"; ":9443" = all addresses
 *     port: 9443                      # overrides the port of listen (applied in file order)
 *     metricsListen: ":9444"          # optional: a second listener, GET /metrics and /healthz only
 *     threads: 0                      # 0 = number of online CPUs; at most 256
 *     reusePort: false                # true shares the port (SO_REUSEPORT); false fails if busy
 *     maxConnections: 1024            # 1..1000000
 *     connectionTimeoutSeconds: 30    # idle keep-alive timeout, 1..86400
 *     requestTimeoutSeconds: 10       # whole request must arrive within, 1..3600
 *     maxBodyBytes: 3Mi               # admission/conversion routes, 1Ki..1Gi
 *     maxExtenderBodyBytes: 128Mi     # scheduler extender routes, 1Ki..4Gi
 *   tls:
 *     certFile: /etc/raygate/tls.crt  # unset = self-signed under stateDir
 *     keyFile: /etc/raygate/tls.key   # set together with certFile
 *     caFile: /etc/raygate/ca.crt     # the CA API server clients trust (caInjection publishes it)
 *     pollIntervalMillis: 1000        # certificate reload poll, 0 = never, ..3600000
 *   audit:
 *     path: /var/log/raygate/audit.log  # unset = <stateDir>/audit.log; "-" = stdout
 *     maxBytes: 100Mi                 # rotate past this size, 4Ki..1Ti
 *     maxFiles: 5                     # rotated files kept, 1..1000
 *   log:
 *     level: info                     # debug | info | warn | error
 *   stateDir: .raygate                # self-signed certs, default audit log
 *   standalone: examples/             # run without a cluster on these manifests
 *   kubeconfig: ~/.kube/config        # unset = in-cluster service account
 *   context: prod                     # kubeconfig context; unset = current-context
 *   leaderElection:                   # the quota admitter's Lease
 *     enabled: true                   # false: this replica never leads (no admitter, no caInjection)
 *     namespace: raygate-system
 *     leaseName: raygate
 *     identity: ""                    # unset = <hostname>_<random>
 *     leaseDurationSeconds: 15        # 1..3600
 *     renewDeadlineSeconds: 10        # < leaseDurationSeconds
 *     retryPeriodSeconds: 2           # < renewDeadlineSeconds
 *   admitter:                         # the leader's quota admitter
 *     writers: 4                      # writer threads, 1..16
 *     qps: 100                        # its API client: requests per second, 1..100000
 *     burst: 200                      # and burst, 1..100000
 *     pendingRefreshSeconds: 300      # a pending reason's figures/position rewritten at most this often, 1..86400
 *     queueStatusMillis: 2000         # ClusterQueue/LocalQueue status at most this often, 100..3600000
 *     placement: auto                 # admitted means placeable: auto (when Nodes exist), on, off
 *   caInjection:                      # the leader writes tls.caFile where the API server needs it
 *     mutatingWebhookConfiguration: raygate-mutating      # its webhooks' caBundle; unset = not managed
 *     validatingWebhookConfiguration: raygate-validating  # unset = not managed
 *     conversionService: raygate-system/raygate:443       # the Kueue CRDs' conversion webhook; unset = not managed
 *     intervalSeconds: 60             # re-checked at least this often, 1..86400
 *   extender:                         # the kube-scheduler extender (docs/extender.md)
 *     gpuResources: [nvidia.com/gpu, "nvidia.com/mig-*"]  # or "a,b"; '*' ends a prefix
 *     topologyLabel: ""               # rack/NVLink node label beside the zone; "" = none
 *     planningTTLSeconds: 60          # an unqueued gang's plan without new members, 1..86400
 *     assumeTTLSeconds: 30            # a steered/bound member not yet seen bound, 1..3600
 *     maxNodes: 50000                 # nodes per request, 1..1000000
 *     packingWeight: 2                # scoring weights, 0..100
 *     exactFitWeight: 1
 *     topologyWeight: 1
 *   fairSharing:                      # Kueue's fair sharing (docs/preemption.md)
 *     enable: false
 *     preemptionStrategies: [LessThanOrEqualToFinalShare, LessThanInitialShare]
 *   waitForPodsReady:                 # Kueue's, on by default as in Kueue 0.19
 *     enable: true
 *     timeout: 30m                    # Go duration, whole seconds ("90s", "1h30m")
 *     recoveryTimeout: 30m            # unset = timeout; "0s" = none
 *     requeuingStrategy:
 *       backoffLimitCount: null       # unset = requeue forever; 0..1000000
 *       backoffBaseSeconds: 60
 *       backoffMaxSeconds: 3600
 *   preemption:                       # raygate's protections (docs/preemption.md)
 *     minRuntimeSeconds: 0            # admitted for less: not a candidate (per-CQ annotation)
 *     thrashLimit: 3                  # preemptions within the window that trigger backoff; 0 = off
 *     thrashWindowSeconds: 900
 *     thrashBackoffSeconds: 60        # doubles per further preemption
 *     thrashBackoffMaxSeconds: 3600
 *     gracefulStopSeconds: 0          # notice before a preempted job is suspended
 *
 * Byte sizes are plain integers or integers with one of the suffixes Ki,
 * Mi, Gi (powers of 1024) or k, M, G (powers of 1000); this is not the full
 * Kubernetes quantity syntax. Integers are decimal; a quoted integer
 * ("9443") is accepted the same as a plain one. A null or empty value
 * unsets an optional path (certFile, keyFile, audit.path, standalone,
 * kubeconfig) and is an error elsewhere. A section given as null
 * (`tls:` with nothing under it) is an empty section.
 *
 * Errors read `<file>:<line>: <dotted.key>: <what is wrong>`, e.g.
 * `raygate.yaml:7: server.port: invalid value "70000": must be 1..65535`;
 * YAML syntax errors read `<file>:<line>:<column>: <libyaml's problem>`.
 */
#ifndef RAYGATE_CONFIG_H
#define RAYGATE_CONFIG_H

#include "raygate/err.h"
#include "raygate/log.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Daemon configuration                                                */
/* ------------------------------------------------------------------ */

/* The largest configuration file cfg_config_load_file reads. */
#define CFG_CONFIG_MAX_FILE_BYTES ((size_t)1 << 20)

/*
 * The daemon's configuration. The caller owns the struct; every char *
 * field is owned by it (rg_malloc'd) and freed by cfg_config_release.
 */
typedef struct cfg_config {
    char *listen_addr;              /* "127.0.0.1"; "" = all addresses (IPv4 and IPv6) */
    uint16_t port;                  /* 9443 */
    char *metrics_listen;           /* NULL = none; "host:port" of a listener serving only
                                       GET /metrics and /healthz (cfg_listen_parse splits it) */
    char *cert_file;                /* NULL = self-signed under state_dir */
    char *key_file;                 /* NULL = self-signed under state_dir */
    char *state_dir;                /* ".raygate", never NULL or empty */
    size_t max_body_bytes;          /* 3 MiB, admission routes */
    size_t max_extender_body_bytes; /* 128 MiB */
    unsigned threads;               /* 0 = number of online CPUs */
    bool reuse_port;                /* false: a busy port fails the start (SO_REUSEPORT on true) */
    unsigned max_connections;       /* 1024 */
    unsigned connection_timeout_s;  /* idle timeout, 30 */
    unsigned request_timeout_s;     /* 10: a whole request (headers+body) must arrive within this */
    unsigned cert_poll_interval_ms; /* 1000; 0 = do not poll */
    char *audit_path;               /* NULL = <state_dir>/audit.log; "-" = stdout */
    size_t audit_max_bytes;         /* 100 MiB */
    unsigned audit_max_files;       /* 5 */
    rg_log_level_t log_level;       /* info */
    char *standalone_dir;           /* NULL */
    char *kubeconfig;               /* NULL = in-cluster credentials */
    char *kube_context;             /* NULL = the kubeconfig's current-context */
    bool lease_enabled;             /* true; false = never lead (an extender-only sidecar) */
    char *lease_namespace;          /* "raygate-system" */
    char *lease_name;               /* "raygate" */
    char *lease_identity;           /* NULL = <hostname>_<random> */
    unsigned lease_duration_s;      /* 15 */
    unsigned renew_deadline_s;      /* 10 */
    unsigned retry_period_s;        /* 2 */
    unsigned admit_writers;         /* 4: the admitter's writer threads */
    unsigned admit_qps;             /* 100: the admitter's API client, sustained */
    unsigned admit_burst;           /* 200 */
    unsigned admit_pending_refresh_s; /* 300: a pending reason's figures rewritten at most this often */
    unsigned admit_queue_status_ms; /* 2000: ClusterQueue/LocalQueue status at most this often */
    char *admit_placement;          /* "auto": plan gangs before admitting when Nodes exist; "on"; "off" */
    char *ca_file;                  /* NULL = no CA to publish */
    char *cainj_mutating;           /* NULL = not managed */
    char *cainj_validating;         /* NULL = not managed */
    char *cainj_conversion_service; /* "ns/name[:port]"; NULL = not managed */
    unsigned cainj_interval_s;      /* 60 */
    char *ext_gpu_resources;        /* "nvidia.com/gpu,nvidia.com/mig-*": comma-joined */
    char *ext_topology_label;       /* NULL = zone only */
    unsigned ext_plan_ttl_s;        /* 60 */
    unsigned ext_assume_ttl_s;      /* 30 */
    unsigned ext_max_nodes;         /* 50000 */
    unsigned ext_weight_packing;    /* 2 */
    unsigned ext_weight_exact;      /* 1 */
    unsigned ext_weight_topology;   /* 1 */
    /* Kueue's fairSharing and waitForPodsReady; raygate's preemption protections
     * (docs/preemption.md). CFG_UNSET: not configured. */
    bool fs_enable;                /* false */
    char *fs_strategies;           /* NULL = Kueue's default order */
    bool wfpr_enable;              /* true, as Kueue 0.19 */
    unsigned wfpr_timeout_s;       /* 1800 */
    unsigned wfpr_recovery_s;      /* CFG_UNSET = the timeout; 0 = none */
    unsigned wfpr_backoff_limit;   /* CFG_UNSET = requeue forever */
    unsigned wfpr_backoff_base_s;  /* 60 */
    unsigned wfpr_backoff_max_s;   /* 3600 */
    unsigned pre_min_runtime_s;    /* 0 */
    unsigned pre_thrash_limit;     /* 3 (0 = off) */
    unsigned pre_thrash_window_s;  /* 900 */
    unsigned pre_thrash_base_s;    /* 60 */
    unsigned pre_thrash_max_s;     /* 3600 */
    unsigned pre_graceful_stop_s;  /* 0 = suspend at once */
} cfg_config_t;

#define CFG_UNSET 0xffffffffu

/* Fills c with the defaults above (allocating its default strings); c's
 * previous contents are not freed. Release with cfg_config_release. */
void cfg_config_init_defaults(cfg_config_t *c);

/* Frees the strings c owns and zeroes it; safe on a zeroed struct. */
void cfg_config_release(cfg_config_t *c);

/*
 * Makes dst an independent deep copy of src (dst's previous contents are
 * not freed). Release dst with cfg_config_release.
 */
void cfg_config_copy(cfg_config_t *dst, const cfg_config_t *src);

/*
 * Reads path (at most CFG_CONFIG_MAX_FILE_BYTES) and overlays the values it
 * sets onto c. All or nothing: on error c is unchanged and err says
 * `<path>:<line>: <key>: <problem>`. Returns 0, RG_ERR_IO, RG_ERR_TOO_BIG,
 * RG_ERR_PARSE (YAML syntax) or RG_ERR_CONFIG (content).
 */
int cfg_config_load_file(cfg_config_t *c, const char *path, rg_error_t *err);

/*
 * As cfg_config_load_file over len bytes of data (borrowed; no NUL needed);
 * name is used in messages only. len 0 sets nothing.
 */
int cfg_config_load_buffer(cfg_config_t *c, const char *data, size_t len, const char *name,
                           rg_error_t *err);

/*
 * Sets one value by its dotted YAML key ("server.port", "tls.certFile",
 * "stateDir") from command-line text, validated exactly as the file's
 * value would be. value NULL or "" unsets an optional path. On error c is
 * unchanged and err reads `<key>: <problem>` (RG_ERR_CONFIG).
 */
int cfg_config_set(cfg_config_t *c, const char *key, const char *value, rg_error_t *err);

/*
 * Rules that span several keys, to run once after the file and every flag
 * have been applied: certFile and keyFile are set together; retry period <
 * renew deadline < lease duration; caInjection targets need tls.caFile and a
 * well-formed conversionService. Returns 0 or
 * RG_ERR_CONFIG.
 */
int cfg_config_check(const cfg_config_t *c, rg_error_t *err);

/*
 * Splits a listen address as server.listen takes it ("127.0.0.1:9443",
 * "[::1]:9443", ":9443") into *host (owned, rg_free; "" = all addresses)
 * and *port. Returns 0 or RG_ERR_CONFIG with err reading
 * `<key>: invalid value "<value>": <why>`.
 */
int cfg_listen_parse(const char *key, const char *value, char **host, uint16_t *port,
                     rg_error_t *err);

/* A Service reference, "namespace/name[:port]" (both DNS-1123 labels). */
typedef struct cfg_service {
    char ns[64];
    char name[64];
    unsigned port; /* 443 when not given */
} cfg_service_t;

/*
 * Parses text into out. Returns 0 or RG_ERR_CONFIG with err reading
 * `<key>: invalid value "<text>": <why>`.
 */
int cfg_service_parse(const char *key, const char *text, cfg_service_t *out, rg_error_t *err);

/*
 * Reads a whole regular file of at most max_bytes into *out (owned, NUL
 * terminated, free with rg_free) and its length into *len. Returns 0,
 * RG_ERR_IO (naming path and errno) or RG_ERR_TOO_BIG.
 */
int cfg_file_read(const char *path, size_t max_bytes, char **out, size_t *len, rg_error_t *err);

/* ------------------------------------------------------------------ */
/* YAML manifests as cJSON                                             */
/* ------------------------------------------------------------------ */

/*
 * Limits of cfg_yaml_docs_parse. Alias expansion copies the anchored node,
 * so a "billion laughs" document is refused by counting the copies.
 */
#define CFG_YAML_MAX_DEPTH 100
#define CFG_YAML_MAX_NODES 1000000
#define CFG_YAML_MAX_ALIAS_NODES 10000

/* One node's line and the size of its subtree, in pre-order; private to
 * the module, read through cfg_yaml_doc_line. */
typedef struct cfg_yaml_mark {
    int line;      /* 1-based; for a mapping member, the line of its key */
    uint32_t size; /* nodes in this subtree, itself included */
} cfg_yaml_mark_t;

/* One YAML document as JSON. */
typedef struct cfg_yaml_doc {
    cJSON *root;            /* owned by the containing cfg_yaml_docs_t */
    int start_line;         /* 1-based line where the document starts */
    cfg_yaml_mark_t *marks; /* owned; private */
    size_t n_marks;
} cfg_yaml_doc_t;

/* The non-empty documents of a stream, in order. A zeroed struct is empty. */
typedef struct cfg_yaml_docs {
    cfg_yaml_doc_t *items; /* owned array of count documents */
    size_t count;
    char *name; /* owned copy of the name given to parse */
} cfg_yaml_docs_t;

/*
 * Parses len bytes of multi-document YAML (or JSON, which is YAML) into out
 * (its previous contents are not freed). Documents that are empty or null
 * (only comments, a bare `---`) are skipped. Scalars are typed as kubectl
 * does (go-yaml v2, YAML 1.1): unquoted integers (decimal, 0x, 0o, 0b,
 * leading-0 octal, `_` separators) and floats become numbers, unquoted
 * true/false/yes/no/on/off/y/n in any of their YAML 1.1 spellings become
 * booleans, unquoted ~/null/empty become null, quoted and block scalars are
 * strings, `40Gi` and timestamps are strings; tags !!str !!int !!float
 * !!bool !!null are honoured. Numbers are stored as cJSON doubles, so
 * integers beyond 2^53 lose precision. Aliases are expanded by copying the
 * anchored node. Refused, with `<name>:<line>: <problem>` in err: syntax
 * errors (`<name>:<line>:<column>:`), duplicate keys, non-scalar keys, merge
 * keys (`<<`), unknown anchors, NUL characters, .nan/.inf, nesting deeper
 * than CFG_YAML_MAX_DEPTH, more than CFG_YAML_MAX_NODES nodes, or more than
 * CFG_YAML_MAX_ALIAS_NODES nodes copied by aliases. The caller bounds len.
 * Returns 0, RG_ERR_PARSE or RG_ERR_TOO_BIG; on error out is left empty.
 * Release out with cfg_yaml_docs_release.
 */
int cfg_yaml_docs_parse(const char *data, size_t len, const char *name, cfg_yaml_docs_t *out,
                        rg_error_t *err);

/* Reads path (at most max_bytes) and parses it as above, named by path. */
int cfg_yaml_docs_load_file(const char *path, size_t max_bytes, cfg_yaml_docs_t *out,
                            rg_error_t *err);

/* Frees every document and zeroes docs; safe on a zeroed struct or NULL. */
void cfg_yaml_docs_release(cfg_yaml_docs_t *docs);

/*
 * The 1-based line of the node at field_path, Kubernetes field-path syntax
 * (`spec.resourceGroups[0].flavors[1].name`, `metadata.labels[ray.io/x]`);
 * when that node does not exist, the line of its deepest existing
 * ancestor below the root (the rest of a malformed path is ignored the
 * same way); the document's start line when not even the first segment
 * exists or the path is empty. 0 when doc is NULL.
 * Lines of nodes copied by an alias are those of the anchored original,
 * except the copy's own root, which gets the alias's line.
 */
int cfg_yaml_doc_line(const cfg_yaml_doc_t *doc, const char *field_path);

/* libyaml's version string ("0.2.5"), static. */
const char *cfg_yaml_version(void);

#endif
