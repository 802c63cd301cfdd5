/*
 * The tls module owns raygate's certificates: it makes a CA and a serving
 * certificate with OpenSSL (`raygate certs`, and the self-signed pair that
 * `raygate serve` falls back to), and loads and checks the PEM pair the HTTP
 * layer hands to GnuTLS, with a file stamp so the server can notice
 * cert-manager rotating the files in place.
 *
 * Threads: every function may be called from any thread (OpenSSL 3 needs no
 * locking setup); functions touching the same directory must not race each
 * other. This module depends on core only; it must not depend on http, kube
 * or config, and it is the only module that includes OpenSSL's x509 headers.
 */
#ifndef RAYGATE_TLS_H
#define RAYGATE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raygate/err.h"

/* Validity of generated certificates, in days. */
#define TLS_DEFAULT_DAYS 365
#define TLS_MAX_DAYS 3650

/* Largest number of DNS names plus IP addresses on one certificate. */
#define TLS_MAX_SANS 64
/* Longest DNS name accepted (RFC 1035 text form). */
#define TLS_MAX_DNS_LEN 253

/* Default size limit for each file read by tls_pair_load. */
#define TLS_PAIR_MAX_BYTES_DEFAULT ((size_t)1024 * 1024)

/* A reused self-signed pair must stay valid at least this much longer. */
#define TLS_SELF_SIGNED_MIN_REMAINING_SECS (24 * 60 * 60)

/* File names written into the output directory. */
#define TLS_CA_CERT_FILE "ca.crt"
#define TLS_CERT_FILE "tls.crt"
#define TLS_KEY_FILE "tls.key"

/*
 * The Service the manifests create in front of the webhook and extender
 * (manifests/: Service `raygate` in namespace `raygate-system`). When
 * `raygate certs` is given no --dns and no --ip, the serving certificate
 * carries the names the apiserver and kube-scheduler may use to reach it:
 *   raygate
 *   raygate.raygate-system
 *   raygate.raygate-system.svc
 *   raygate.raygate-system.svc.cluster.local
 * The apiserver dials `<service>.<namespace>.svc` for webhook services.
 * Keep these in step with the manifests.
 */
#define TLS_SERVICE_NAME "raygate"
#define TLS_SERVICE_NAMESPACE "raygate-system"
#define TLS_DEFAULT_DNS_NAMES                                                                      \
    TLS_SERVICE_NAME, TLS_SERVICE_NAME "." TLS_SERVICE_NAMESPACE,                                  \
        TLS_SERVICE_NAME "." TLS_SERVICE_NAMESPACE ".svc",                                         \
        TLS_SERVICE_NAME "." TLS_SERVICE_NAMESPACE ".svc.cluster.local"
#define TLS_DEFAULT_DNS_COUNT 4
/* And the loopback address: the extender sidecar and `raygate status --probe` reach raygate
 * there, inside the pod. */
#define TLS_DEFAULT_IP "127.0.0.1"

/* The list above as an array (static storage, borrowed). */
extern const char *const tls_default_dns_names[TLS_DEFAULT_DNS_COUNT];

/* What tls_certs_generate makes; every pointer is borrowed from the caller. */
typedef struct tls_certs_opts {
    const char *out_dir;          /* required; created 0700 if missing */
    const char *const *dns_names; /* subjectAltName DNS entries */
    size_t dns_count;
    const char *const *ip_addrs; /* IPv4 or IPv6 text, parsed by inet_pton */
    size_t ip_count;
    int days;   /* 1..TLS_MAX_DAYS; 0 means TLS_DEFAULT_DAYS */
    bool force; /* replace existing ca.crt/tls.crt/tls.key */
} tls_certs_opts_t;

/* What tls_certs_generate wrote; the caller's struct, its strings owned. */
typedef struct tls_certs_result {
    char *ca_path;       /* <out_dir>/ca.crt */
    char *cert_path;     /* <out_dir>/tls.crt */
    char *key_path;      /* <out_dir>/tls.key */
    char *ca_bundle_b64; /* base64 of ca.crt's PEM, no newlines: the caBundle */
    char *serial_hex;    /* the serving certificate's serial, upper-case hex */
} tls_certs_result_t;

/* Frees the strings of r and zeroes it; NULL or a zeroed struct is fine. */
void tls_certs_result_release(tls_certs_result_t *r);

/*
 * Makes a CA (self-signed, CA:TRUE, keyCertSign) and a serving certificate
 * signed by it, both ECDSA P-256 with SHA-256, random 128-bit serials,
 * notBefore five minutes ago (clock skew), notAfter `days` from now. The
 * serving certificate carries the DNS names and IP addresses as
 * subjectAltNames (tls_default_dns_names and TLS_DEFAULT_IP when both lists are empty),
 * extendedKeyUsage serverAuth and keyUsage digitalSignature. Writes
 * <out_dir>/ca.crt, tls.crt (the leaf only) and tls.key (PKCS#8, mode 0600),
 * each through a temporary file so a reader never sees half a file. The CA's
 * private key is never written: re-run to rotate. Without opts->force,
 * refuses (RG_ERR_EXISTS, naming the file) when any of the three exists.
 * A bad IP address or DNS name is RG_ERR_INVAL naming it.
 * On success out is filled (release with tls_certs_result_release); on
 * failure out is zeroed.
 */
int tls_certs_generate(const tls_certs_opts_t *opts, tls_certs_result_t *out, rg_error_t *err);

/*
 * For `raygate serve` without certificate flags: reuses <state_dir>/tls.crt
 * and tls.key when both load (tls_pair_load) and stay valid for more than
 * TLS_SELF_SIGNED_MIN_REMAINING_SECS; otherwise generates a fresh CA and
 * leaf for localhost, 127.0.0.1 and ::1 into state_dir, replacing what was
 * there. On success *cert_path and *key_path are owned (free with rg_free);
 * on failure they are set to NULL.
 */
int tls_self_signed_ensure(const char *state_dir, char **cert_path, char **key_path,
                           rg_error_t *err);

/* A checked certificate and key, as the HTTP layer needs them. */
typedef struct tls_pair {
    char *cert_pem;  /* owned, NUL-terminated: the whole cert file (chain included) */
    size_t cert_len; /* bytes before the NUL */
    char *key_pem;   /* owned, NUL-terminated */
    size_t key_len;
    char *serial_hex;   /* owned: the leaf's serial, upper-case hex */
    char *subject_cn;   /* owned: the leaf's subject CN, "" when it has none */
    int64_t not_before; /* unix seconds */
    int64_t not_after;  /* unix seconds */
} tls_pair_t;

/*
 * Reads cert_path and key_path (each at most max_bytes, 0 meaning
 * TLS_PAIR_MAX_BYTES_DEFAULT; bigger is RG_ERR_TOO_BIG naming the file),
 * checks that the certificates parse (the first one is the leaf), that the
 * key parses (encrypted keys are refused, never prompted for) and matches
 * the leaf, and that the leaf is valid now (RG_ERR_TLS naming the file and
 * its dates otherwise). On success out is filled (release with
 * tls_pair_release); on failure out is zeroed.
 */
int tls_pair_load(const char *cert_path, const char *key_path, size_t max_bytes, tls_pair_t *out,
                  rg_error_t *err);

/* Frees what p owns and zeroes it; NULL or a zeroed struct is fine. */
void tls_pair_release(tls_pair_t *p);

/*
 * Identity of a file's current content, to poll for rotation: a change in
 * any field means the file was replaced or rewritten. stat() follows
 * symlinks, so the `..data` symlink swap of kubelet/cert-manager shows.
 */
typedef struct tls_file_stamp {
    uint64_t dev;
    uint64_t ino;
    int64_t size;
    int64_t mtime_ns; /* st_mtim in nanoseconds since the epoch */
} tls_file_stamp_t;

/*
 * Fills out from stat(path). Returns 0, RG_ERR_NOT_FOUND when the path (or
 * the symlink's target) is missing, RG_ERR_SYS otherwise; out is zeroed on
 * failure.
 */
int tls_file_stamp(const char *path, tls_file_stamp_t *out);

/* Whether two stamps describe the same content. */
bool tls_file_stamp_equal(const tls_file_stamp_t *a, const tls_file_stamp_t *b);

/*
 * Reads a CA bundle (PEM, at most TLS_PAIR_MAX_BYTES_DEFAULT) that API
 * server clients must trust: at least one certificate, every one parsing.
 * On success *bundle_b64 is the standard base64 of the file's bytes
 * (a webhook's caBundle; owned, rg_free). Errors name the file.
 */
int tls_ca_bundle_load(const char *path, char **bundle_b64, rg_error_t *err);

/* OpenSSL's run-time version text ("OpenSSL 3.0.13 30 Jan 2024"); static. */
const char *tls_openssl_version(void);

#endif
