/*
 * The self-signed fallback of `raygate serve`: reuse the pair in the state
 * directory while it has life left, otherwise issue a new one for loopback.
 */
#include "raygate/tls.h"

#include <string.h>
#include <time.h>

#include "raygate/alloc.h"
#include "raygate/log.h"

int tls_self_signed_ensure(const char *state_dir, char **cert_path, char **key_path,
                           rg_error_t *err)
{
    static const char *const dns[] = {"localhost"};
    static const char *const ips[] = {"127.0.0.1", "::1"};

    if (cert_path == NULL || key_path == NULL)
        return rg_error_set(err, RG_ERR_INVAL, "tls_self_signed_ensure: NULL argument");
    *cert_path = NULL;
    *key_path = NULL;
    if (state_dir == NULL || state_dir[0] == '\0')
        return rg_error_set(err, RG_ERR_INVAL, "state directory is empty");

    char *cp = rg_asprintf("%s/%s", state_dir, TLS_CERT_FILE);
    char *kp = rg_asprintf("%s/%s", state_dir, TLS_KEY_FILE);
    tls_pair_t pair;
    rg_error_t lerr = {0, ""};
    int rc = tls_pair_load(cp, kp, 0, &pair, &lerr);
    if (rc == 0) {
        int64_t left = pair.not_after - (int64_t)time(NULL);
        if (left > TLS_SELF_SIGNED_MIN_REMAINING_SECS) {
            rg_log_debug("tls", "reusing self-signed certificate path=\"%s\" serial=%s", cp,
                         pair.serial_hex);
            tls_pair_release(&pair);
            *cert_path = cp;
            *key_path = kp;
            return 0;
        }
        rg_log_info("tls", "self-signed certificate expires soon, replacing it path=\"%s\"", cp);
        tls_pair_release(&pair);
    } else if (rc != RG_ERR_NOT_FOUND) {
        rg_log_warn("tls", "cannot reuse self-signed certificate, replacing it error=\"%s\"",
                    rg_error_str(&lerr));
    }
    rg_free(cp);
    rg_free(kp);

    tls_certs_opts_t opts;
    memset(&opts, 0, sizeof(opts));
    opts.out_dir = state_dir;
    opts.dns_names = dns;
    opts.dns_count = sizeof(dns) / sizeof(dns[0]);
    opts.ip_addrs = ips;
    opts.ip_count = sizeof(ips) / sizeof(ips[0]);
    opts.days = TLS_DEFAULT_DAYS;
    opts.force = true;
    tls_certs_result_t res;
    if ((rc = tls_certs_generate(&opts, &res, err)) != 0) {
        if (err != NULL)
            rg_error_prefix(err, "self-signed certificate in \"%s\"", state_dir);
        return rc;
    }
    rg_log_info("tls", "generated self-signed certificate path=\"%s\" serial=%s", res.cert_path,
                res.serial_hex);
    *cert_path = res.cert_path;
    *key_path = res.key_path;
    res.cert_path = NULL;
    res.key_path = NULL;
    tls_certs_result_release(&res);
    return 0;
}
