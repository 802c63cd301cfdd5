/*
 * Helpers shared by the files of the tls module only: OpenSSL error text,
 * certificate fields as raygate types. Not a public header.
 */
#ifndef RAYGATE_TLS_PRIVATE_H
#define RAYGATE_TLS_PRIVATE_H

#include <stdint.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "raygate/err.h"

/*
 * Sets err like rg_error_set, then appends ": <reason>" from the oldest
 * entry of OpenSSL's thread-local error queue when there is one, and clears
 * the queue so a later failure does not report a stale reason. Returns code.
 */
int tls__ssl_error(rg_error_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The certificate's serial as upper-case hex; owned (rg_free), NULL on failure. */
char *tls__serial_hex(const X509 *cert);

/* Converts an ASN1_TIME to unix seconds; returns 0 or -1. */
int tls__time_unix(const ASN1_TIME *t, int64_t *out);

/* Formats unix seconds as "2026-01-02T03:04:05Z" into out (at least 32 bytes). */
void tls__time_format(int64_t unix_secs, char *out, size_t out_size);

/* Standard base64 of len bytes, no newlines; owned (rg_free). */
char *tls__base64(const char *data, size_t len);

#endif
