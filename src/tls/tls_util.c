/*
 * Small OpenSSL adapters shared inside the tls module: error queue to
 * rg_error_t, serial numbers and times to plain C values.
 */
#include "tls_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "raygate/alloc.h"

int tls__ssl_error(rg_error_t *err, int code, const char *fmt, ...)
{
    char detail[RG_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);

    /* The oldest entry is the root cause; later ones are callers' wrappers. */
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0)
        return rg_error_set(err, code, "%s", detail);
    char reason[256];
    ERR_error_string_n(e, reason, sizeof(reason));
    return rg_error_set(err, code, "%s: %s", detail, reason);
}

char *tls__serial_hex(const X509 *cert)
{
    const ASN1_INTEGER *serial = X509_get0_serialNumber(cert);
    if (serial == NULL)
        return NULL;
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
    if (bn == NULL)
        return NULL;
    char *hex = BN_bn2hex(bn);
    BN_free(bn);
    if (hex == NULL)
        return NULL;
    char *out = rg_strdup(hex);
    OPENSSL_free(hex);
    return out;
}

int tls__time_unix(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return -1;
    time_t secs = timegm(&tm);
    if (secs == (time_t)-1)
        return -1;
    *out = (int64_t)secs;
    return 0;
}

void tls__time_format(int64_t unix_secs, char *out, size_t out_size)
{
    time_t secs = (time_t)unix_secs;
    struct tm tm;
    if (gmtime_r(&secs, &tm) == NULL) {
        snprintf(out, out_size, "@%lld", (long long)unix_secs);
        return;
    }
    strftime(out, out_size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *tls__base64(const char *data, size_t len)
{
    char *out = rg_malloc(4 * ((len + 2) / 3) + 1);
    int n = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data, (int)len);
    out[n < 0 ? 0 : n] = '\0';
    return out;
}
