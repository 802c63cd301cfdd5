/*
 * Loading a serving pair: bounded reads, PEM parsing, key/leaf match and
 * validity checks, so the HTTP layer only ever hands GnuTLS a pair known to
 * work. Also the file stamps used to notice rotation, and version text.
 */
#include "raygate/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "raygate/alloc.h"
#include "tls_private.h"

/* Refuses instead of prompting on the terminal for an encrypted key. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static void secret_free(char *p, size_t len)
{
    if (p != NULL)
        OPENSSL_cleanse(p, len);
    rg_free(p);
}

/*
 * Reads a whole regular file of at most max bytes into an owned,
 * NUL-terminated buffer. The limit is checked against what is read, not
 * only st_size, since a file may grow between fstat and read.
 */
static int file_read(const char *what, const char *path, size_t max, char **out, size_t *len_out,
                     rg_error_t *err)
{
    *out = NULL;
    *len_out = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        return rg_error_set(err, e == ENOENT ? RG_ERR_NOT_FOUND : RG_ERR_IO, "%s file \"%s\": %s",
                            what, path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return rg_error_set(err, RG_ERR_IO, "%s file \"%s\": %s", what, path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return rg_error_set(err, RG_ERR_INVAL, "%s file \"%s\" is not a regular file", what, path);
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > max) {
        close(fd);
        return rg_error_set(err, RG_ERR_TOO_BIG,
                            "%s file \"%s\" is %lld bytes, over the limit of %zu", what, path,
                            (long long)st.st_size, max);
    }
    size_t cap = (size_t)st.st_size + 1;
    char *buf = rg_malloc(cap + 1);
    size_t len = 0;
    int rc = 0;
    for (;;) {
        if (len == cap) {
            if (cap > max) {
                rc = rg_error_set(err, RG_ERR_TOO_BIG, "%s file \"%s\" grew over the limit of %zu",
                                  what, path, max);
                break;
            }
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nbuf = rg_malloc(ncap + 1);
            memcpy(nbuf, buf, len);
            secret_free(buf, len);
            buf = nbuf;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = rg_error_set(err, RG_ERR_IO, "%s file \"%s\": %s", what, path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (rc == 0 && len > max)
        rc = rg_error_set(err, RG_ERR_TOO_BIG, "%s file \"%s\" grew over the limit of %zu", what,
                          path, max);
    if (rc != 0) {
        secret_free(buf, cap + 1);
        return rc;
    }
    buf[len] = '\0';
    *out = buf;
    *len_out = len;
    return 0;
}

static char *subject_cn(X509 *x)
{
    X509_NAME *name = X509_get_subject_name(x);
    int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (idx < 0)
        return rg_strdup("");
    ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, data);
    if (n < 0) {
        ERR_clear_error();
        return rg_strdup("");
    }
    char *out = rg_strndup((const char *)utf8, (size_t)n);
    OPENSSL_free(utf8);
    return out;
}

/*
 * Parses every certificate of the file: the first is the leaf (returned,
 * owned by the caller), the rest (a chain, as cert-manager writes) must
 * parse too, so a truncated file is caught here rather than by GnuTLS.
 */
static int certs_parse(const char *path, const char *pem, size_t len, X509 **leaf_out,
                       rg_error_t *err)
{
    *leaf_out = NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return tls__ssl_error(err, RG_ERR_NOMEM, "certificate file \"%s\"", path);
    ERR_clear_error();
    X509 *leaf = PEM_read_bio_X509(bio, NULL, no_password, NULL);
    if (leaf == NULL) {
        BIO_free(bio);
        return tls__ssl_error(err, RG_ERR_PARSE, "certificate file \"%s\" holds no PEM certificate",
                              path);
    }
    int count = 1;
    for (;;) {
        X509 *more = PEM_read_bio_X509(bio, NULL, no_password, NULL);
        if (more == NULL)
            break;
        X509_free(more);
        count++;
    }
    BIO_free(bio);
    /* Running out of PEM blocks ends with "no start line"; anything else is damage. */
    unsigned long e = ERR_peek_last_error();
    if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
        X509_free(leaf);
        return tls__ssl_error(err, RG_ERR_PARSE,
                              "certificate file \"%s\": certificate %d does not parse", path,
                              count + 1);
    }
    ERR_clear_error();
    *leaf_out = leaf;
    return 0;
}

void tls_pair_release(tls_pair_t *p)
{
    if (p == NULL)
        return;
    rg_free(p->cert_pem);
    secret_free(p->key_pem, p->key_len);
    rg_free(p->serial_hex);
    rg_free(p->subject_cn);
    memset(p, 0, sizeof(*p));
}

int tls_pair_load(const char *cert_path, const char *key_path, size_t max_bytes, tls_pair_t *out,
                  rg_error_t *err)
{
    X509 *leaf = NULL;
    EVP_PKEY *key = NULL;
    BIO *kbio = NULL;
    int rc;

    if (out == NULL || cert_path == NULL || key_path == NULL)
        return rg_error_set(err, RG_ERR_INVAL, "tls_pair_load: NULL argument");
    memset(out, 0, sizeof(*out));
    if (max_bytes == 0)
        max_bytes = TLS_PAIR_MAX_BYTES_DEFAULT;
    /* OpenSSL's memory BIOs take an int length. */
    if (max_bytes > INT_MAX - 1)
        return rg_error_set(err, RG_ERR_RANGE, "max_bytes %zu is over %d", max_bytes, INT_MAX - 1);

    if ((rc = file_read("certificate", cert_path, max_bytes, &out->cert_pem, &out->cert_len,
                        err)) != 0)
        goto err;
    if ((rc = file_read("key", key_path, max_bytes, &out->key_pem, &out->key_len, err)) != 0)
        goto err;
    if ((rc = certs_parse(cert_path, out->cert_pem, out->cert_len, &leaf, err)) != 0)
        goto err;

    kbio = BIO_new_mem_buf(out->key_pem, (int)out->key_len);
    if (kbio == NULL) {
        rc = tls__ssl_error(err, RG_ERR_NOMEM, "key file \"%s\"", key_path);
        goto err;
    }
    key = PEM_read_bio_PrivateKey(kbio, NULL, no_password, NULL);
    if (key == NULL) {
        rc = tls__ssl_error(err, RG_ERR_PARSE,
                            "key file \"%s\" holds no usable PEM private key "
                            "(encrypted keys are not supported)",
                            key_path);
        goto err;
    }
    out->subject_cn = subject_cn(leaf);
    if (EVP_PKEY_eq(X509_get0_pubkey(leaf), key) != 1) {
        ERR_clear_error();
        rc = rg_error_set(err, RG_ERR_TLS,
                          "key file \"%s\" does not match the certificate in \"%s\" (CN \"%s\")",
                          key_path, cert_path, out->subject_cn);
        goto err;
    }

    if (tls__time_unix(X509_get0_notBefore(leaf), &out->not_before) != 0 ||
        tls__time_unix(X509_get0_notAfter(leaf), &out->not_after) != 0) {
        rc = tls__ssl_error(err, RG_ERR_PARSE, "certificate file \"%s\": unreadable validity dates",
                            cert_path);
        goto err;
    }
    int64_t now = (int64_t)time(NULL);
    if (now < out->not_before || now > out->not_after) {
        char nb[32], na[32], nw[32];
        tls__time_format(out->not_before, nb, sizeof(nb));
        tls__time_format(out->not_after, na, sizeof(na));
        tls__time_format(now, nw, sizeof(nw));
        rc = rg_error_set(
            err, RG_ERR_TLS, "certificate file \"%s\" is %s: notBefore %s, notAfter %s, now %s",
            cert_path, now < out->not_before ? "not yet valid" : "expired", nb, na, nw);
        goto err;
    }
    out->serial_hex = tls__serial_hex(leaf);
    if (out->serial_hex == NULL) {
        rc = tls__ssl_error(err, RG_ERR_PARSE, "certificate file \"%s\": unreadable serial",
                            cert_path);
        goto err;
    }
    rc = 0;
    goto done;
err:
    tls_pair_release(out);
done:
    EVP_PKEY_free(key);
    BIO_free(kbio);
    X509_free(leaf);
    return rc;
}

int tls_file_stamp(const char *path, tls_file_stamp_t *out)
{
    struct stat st;
    memset(out, 0, sizeof(*out));
    if (stat(path, &st) != 0)
        return errno == ENOENT || errno == ENOTDIR ? RG_ERR_NOT_FOUND : RG_ERR_SYS;
    out->dev = (uint64_t)st.st_dev;
    out->ino = (uint64_t)st.st_ino;
    out->size = (int64_t)st.st_size;
    out->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    return 0;
}

bool tls_file_stamp_equal(const tls_file_stamp_t *a, const tls_file_stamp_t *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns;
}

const char *tls_openssl_version(void)
{
    return OpenSSL_version(OPENSSL_VERSION);
}

int tls_ca_bundle_load(const char *path, char **bundle_b64, rg_error_t *err)
{
    *bundle_b64 = NULL;
    char *pem = NULL;
    size_t len = 0;
    int rc = file_read("CA", path, TLS_PAIR_MAX_BYTES_DEFAULT, &pem, &len, err);
    if (rc != 0)
        return rc;
    X509 *first = NULL;
    /* Any certificate the clients may anchor on: a CA, or a self-signed leaf. */
    rc = certs_parse(path, pem, len, &first, err);
    X509_free(first);
    if (rc == 0)
        *bundle_b64 = tls__base64(pem, len);
    rg_free(pem);
    return rc;
}
