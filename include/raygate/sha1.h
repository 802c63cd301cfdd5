/*
 * SHA-1 (FIPS 180-4), for names that must match the ones upstream Go code
 * derives with crypto/sha1 (Kueue's Workload names). Not for security:
 * nothing in raygate relies on SHA-1's collision resistance. Kept here
 * rather than in tls so that naming code does not depend on OpenSSL.
 * Pure; any thread.
 */
#ifndef RAYGATE_SHA1_H
#define RAYGATE_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define RG_SHA1_LEN 20

/* A running hash; the caller's struct, no heap. */
typedef struct rg_sha1 {
    uint32_t h[5];
    uint64_t total; /* bytes hashed so far */
    uint8_t block[64];
    size_t used; /* bytes waiting in block */
} rg_sha1_t;

void rg_sha1_init(rg_sha1_t *s);
void rg_sha1_update(rg_sha1_t *s, const void *data, size_t len);
/* Writes the digest; s must be re-initialised before reuse. */
void rg_sha1_final(rg_sha1_t *s, uint8_t out[RG_SHA1_LEN]);

/* The digest as 40 lowercase hex characters and a NUL (Go's hex.EncodeToString). */
void rg_sha1_hex(const uint8_t digest[RG_SHA1_LEN], char out[2 * RG_SHA1_LEN + 1]);

#endif
