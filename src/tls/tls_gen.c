/*
 * Certificate generation: a throwaway CA and a serving certificate signed by
 * it (ECDSA P-256, SHA-256), written as ca.crt, tls.crt and tls.key through
 * temporary files so that readers only ever see whole files.
 */
#include "raygate/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "raygate/alloc.h"
#include "tls_private.h"

const char *const tls_default_dns_names[TLS_DEFAULT_DNS_COUNT] = {TLS_DEFAULT_DNS_NAMES};

#define LEAF_FALLBACK_CN "raygate"
#define SERIAL_BYTES 16
/* X.509's upper bound on a commonName (ub-common-name). */
#define CN_MAX 64
/* Room for the longest IPv6 text form plus a zone we will refuse anyway. */
#define IP_TEXT_MAX 64
/* Clock skew allowance: peers whose clocks lag ours still accept the cert. */
#define NOT_BEFORE_SKEW_SECS (5 * 60)

typedef struct ip_addr {
    unsigned char bytes[16];
    int len; /* 4 or 16 */
} ip_addr_t;

/* The PEM texts of one issuance; key_pem is cleansed before it is freed. */
typedef struct issued {
    char *ca_pem;
    size_t ca_len;
    char *cert_pem;
    size_t cert_len;
    char *key_pem;
    size_t key_len;
    char *serial_hex;
} issued_t;

static void issued_release(issued_t *s)
{
    rg_free(s->ca_pem);
    rg_free(s->cert_pem);
    if (s->key_pem != NULL)
        OPENSSL_cleanse(s->key_pem, s->key_len);
    rg_free(s->key_pem);
    rg_free(s->serial_hex);
    memset(s, 0, sizeof(*s));
}

static bool is_ldh(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/*
 * Letters, digits and hyphens in dot-separated labels of 1..63 bytes; a
 * wildcard only as the whole leftmost label. Stricter than X.509 needs, but
 * anything else is a typo for a Service name.
 */
static int dns_name_check(const char *name, rg_error_t *err)
{
    size_t len = strnlen(name, TLS_MAX_DNS_LEN + 1);
    if (len == 0)
        return rg_error_set(err, RG_ERR_INVAL, "dns name \"\" is empty");
    if (len > TLS_MAX_DNS_LEN)
        return rg_error_set(err, RG_ERR_INVAL, "dns name \"%.40s...\" is longer than %d bytes",
                            name, TLS_MAX_DNS_LEN);
    const char *p = name;
    if (p[0] == '*' && p[1] == '.')
        p += 2;
    size_t label = 0;
    for (; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '.') {
            if (label == 0)
                return rg_error_set(err, RG_ERR_INVAL, "dns name \"%s\" has an empty label", name);
            label = 0;
            continue;
        }
        if (!is_ldh(c))
            return rg_error_set(err, RG_ERR_INVAL,
                                "dns name \"%s\" has a character other than letters, digits, "
                                "'-' and '.'",
                                name);
        if (++label > 63)
            return rg_error_set(err, RG_ERR_INVAL,
                                "dns name \"%s\" has a label longer than 63 bytes", name);
    }
    if (label == 0)
        return rg_error_set(err, RG_ERR_INVAL, "dns name \"%s\" has an empty label", name);
    return 0;
}

static int ip_parse(const char *text, ip_addr_t *out, rg_error_t *err)
{
    if (strnlen(text, IP_TEXT_MAX) < IP_TEXT_MAX) {
        if (inet_pton(AF_INET, text, out->bytes) == 1) {
            out->len = 4;
            return 0;
        }
        if (inet_pton(AF_INET6, text, out->bytes) == 1) {
            out->len = 16;
            return 0;
        }
    }
    return rg_error_set(err, RG_ERR_INVAL,
                        "ip address \"%.*s\" is not a valid IPv4 or IPv6 address", IP_TEXT_MAX,
                        text);
}

static int key_new(EVP_PKEY **out, rg_error_t *err)
{
    *out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (*out == NULL)
        return tls__ssl_error(err, RG_ERR_TLS, "generating a P-256 key");
    return 0;
}

/* A v3 certificate with a random serial, the subject CN, times and the key. */
static int cert_new(X509 **out, EVP_PKEY *key, const char *cn, time_t now, int days,
                    rg_error_t *err)
{
    unsigned char serial[SERIAL_BYTES];
    BIGNUM *bn = NULL;
    X509 *x = X509_new();
    *out = NULL;
    if (x == NULL)
        goto err;
    if (X509_set_version(x, X509_VERSION_3) != 1)
        goto err;
    if (RAND_bytes(serial, (int)sizeof(serial)) != 1)
        goto err;
    bn = BN_bin2bn(serial, (int)sizeof(serial), NULL);
    if (bn == NULL)
        goto err;
    /* RFC 5280 wants a positive serial; BN_bin2bn is unsigned, so only zero is out. */
    if (BN_is_zero(bn) && BN_set_word(bn, 1) != 1)
        goto err;
    if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
        goto err;
    if (X509_NAME_add_entry_by_NID(X509_get_subject_name(x), NID_commonName, MBSTRING_UTF8,
                                   (const unsigned char *)cn, -1, -1, 0) != 1)
        goto err;
    if (X509_time_adj_ex(X509_getm_notBefore(x), 0, -NOT_BEFORE_SKEW_SECS, &now) == NULL)
        goto err;
    if (X509_time_adj_ex(X509_getm_notAfter(x), days, 0, &now) == NULL)
        goto err;
    if (X509_set_pubkey(x, key) != 1)
        goto err;
    BN_free(bn);
    OPENSSL_cleanse(serial, sizeof(serial));
    *out = x;
    return 0;
err:
    BN_free(bn);
    X509_free(x);
    return tls__ssl_error(err, RG_ERR_TLS, "building the certificate \"%s\"", cn);
}

/* Adds one extension given in openssl.cnf syntax; values are constants of ours. */
static int ext_add(X509 *x, X509 *issuer, int nid, const char *value, rg_error_t *err)
{
    X509V3_CTX ctx;
    memset(&ctx, 0, sizeof(ctx));
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
    if (ext == NULL)
        return tls__ssl_error(err, RG_ERR_TLS, "making extension %s=%s", OBJ_nid2sn(nid), value);
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    if (ok != 1)
        return tls__ssl_error(err, RG_ERR_TLS, "adding extension %s", OBJ_nid2sn(nid));
    return 0;
}

/*
 * subjectAltName built as GENERAL_NAMEs rather than through the config
 * syntax, so a name can never smuggle in ",IP:..." or other entries.
 */
static int sans_add(X509 *x, const char *const *dns, size_t ndns, const ip_addr_t *ips, size_t nips,
                    rg_error_t *err)
{
    GENERAL_NAME *gn = NULL;
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    if (gens == NULL)
        goto err;
    for (size_t i = 0; i < ndns; i++) {
        gn = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        if (gn == NULL || s == NULL) {
            ASN1_IA5STRING_free(s);
            goto err;
        }
        if (ASN1_STRING_set(s, dns[i], (int)strlen(dns[i])) != 1) {
            ASN1_IA5STRING_free(s);
            goto err;
        }
        GENERAL_NAME_set0_value(gn, GEN_DNS, s);
        if (sk_GENERAL_NAME_push(gens, gn) <= 0)
            goto err;
        gn = NULL;
    }
    for (size_t i = 0; i < nips; i++) {
        gn = GENERAL_NAME_new();
        ASN1_OCTET_STRING *s = ASN1_OCTET_STRING_new();
        if (gn == NULL || s == NULL) {
            ASN1_OCTET_STRING_free(s);
            goto err;
        }
        if (ASN1_OCTET_STRING_set(s, ips[i].bytes, ips[i].len) != 1) {
            ASN1_OCTET_STRING_free(s);
            goto err;
        }
        GENERAL_NAME_set0_value(gn, GEN_IPADD, s);
        if (sk_GENERAL_NAME_push(gens, gn) <= 0)
            goto err;
        gn = NULL;
    }
    if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1)
        goto err;
    GENERAL_NAMES_free(gens);
    return 0;
err:
    GENERAL_NAME_free(gn);
    GENERAL_NAMES_free(gens);
    return tls__ssl_error(err, RG_ERR_TLS, "adding subjectAltName");
}

/* Copies a memory BIO's contents into an owned, NUL-terminated string. */
static int bio_take(BIO *bio, char **out, size_t *len)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (n <= 0 || data == NULL)
        return -1;
    *out = rg_malloc((size_t)n + 1);
    memcpy(*out, data, (size_t)n);
    (*out)[n] = '\0';
    *len = (size_t)n;
    return 0;
}

static int cert_pem(X509 *x, char **out, size_t *len, rg_error_t *err)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL || PEM_write_bio_X509(bio, x) != 1 || bio_take(bio, out, len) != 0) {
        BIO_free(bio);
        return tls__ssl_error(err, RG_ERR_TLS, "encoding a certificate as PEM");
    }
    BIO_free(bio);
    return 0;
}

/* PKCS#8, unencrypted: what GnuTLS and cert-manager both read. */
static int key_pem(EVP_PKEY *key, char **out, size_t *len, rg_error_t *err)
{
    /* A secure-memory BIO clears the key text when freed. */
    BIO *bio = BIO_new(BIO_s_secmem());
    if (bio == NULL || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1 ||
        bio_take(bio, out, len) != 0) {
        BIO_free(bio);
        return tls__ssl_error(err, RG_ERR_TLS, "encoding the private key as PEM");
    }
    BIO_free(bio);
    return 0;
}

/* The leaf's subject: its first DNS name, else its first IP, else "raygate". */
static const char *leaf_cn(const char *const *dns, size_t ndns, const char *const *ip_text,
                           size_t nips)
{
    if (ndns > 0 && strlen(dns[0]) <= CN_MAX)
        return dns[0];
    if (nips > 0 && strlen(ip_text[0]) <= CN_MAX)
        return ip_text[0];
    return LEAF_FALLBACK_CN;
}

static int issue(const char *const *dns, size_t ndns, const char *const *ip_text,
                 const ip_addr_t *ips, size_t nips, int days, issued_t *out, rg_error_t *err)
{
    EVP_PKEY *ca_key = NULL;
    EVP_PKEY *leaf_key = NULL;
    X509 *ca = NULL;
    X509 *leaf = NULL;
    int rc;
    time_t now = time(NULL);
    char ca_cn[CN_MAX + 1];

    memset(out, 0, sizeof(*out));
    /* The time in the CA's name tells generations apart, as kube's own self-signed CAs do. */
    snprintf(ca_cn, sizeof(ca_cn), "raygate-ca@%lld", (long long)now);

    if ((rc = key_new(&ca_key, err)) != 0)
        goto err;
    if ((rc = cert_new(&ca, ca_key, ca_cn, now, days, err)) != 0)
        goto err;
    if (X509_set_issuer_name(ca, X509_get_subject_name(ca)) != 1) {
        rc = tls__ssl_error(err, RG_ERR_TLS, "setting the CA's issuer");
        goto err;
    }
    if ((rc = ext_add(ca, ca, NID_basic_constraints, "critical,CA:TRUE,pathlen:0", err)) != 0 ||
        (rc = ext_add(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign", err)) != 0 ||
        (rc = ext_add(ca, ca, NID_subject_key_identifier, "hash", err)) != 0 ||
        (rc = ext_add(ca, ca, NID_authority_key_identifier, "keyid:always", err)) != 0)
        goto err;
    if (X509_sign(ca, ca_key, EVP_sha256()) <= 0) {
        rc = tls__ssl_error(err, RG_ERR_TLS, "signing the CA certificate");
        goto err;
    }

    const char *cn = leaf_cn(dns, ndns, ip_text, nips);
    if ((rc = key_new(&leaf_key, err)) != 0)
        goto err;
    if ((rc = cert_new(&leaf, leaf_key, cn, now, days, err)) != 0)
        goto err;
    if (X509_set_issuer_name(leaf, X509_get_subject_name(ca)) != 1) {
        rc = tls__ssl_error(err, RG_ERR_TLS, "setting the serving certificate's issuer");
        goto err;
    }
    if ((rc = ext_add(leaf, ca, NID_basic_constraints, "critical,CA:FALSE", err)) != 0 ||
        (rc = ext_add(leaf, ca, NID_key_usage, "critical,digitalSignature", err)) != 0 ||
        (rc = ext_add(leaf, ca, NID_ext_key_usage, "serverAuth", err)) != 0 ||
        (rc = ext_add(leaf, ca, NID_subject_key_identifier, "hash", err)) != 0 ||
        (rc = ext_add(leaf, ca, NID_authority_key_identifier, "keyid:always", err)) != 0)
        goto err;
    if ((rc = sans_add(leaf, dns, ndns, ips, nips, err)) != 0)
        goto err;
    if (X509_sign(leaf, ca_key, EVP_sha256()) <= 0) {
        rc = tls__ssl_error(err, RG_ERR_TLS, "signing the serving certificate");
        goto err;
    }

    if ((rc = cert_pem(ca, &out->ca_pem, &out->ca_len, err)) != 0 ||
        (rc = cert_pem(leaf, &out->cert_pem, &out->cert_len, err)) != 0 ||
        (rc = key_pem(leaf_key, &out->key_pem, &out->key_len, err)) != 0)
        goto err;
    out->serial_hex = tls__serial_hex(leaf);
    if (out->serial_hex == NULL) {
        rc = tls__ssl_error(err, RG_ERR_TLS, "reading the serving certificate's serial");
        goto err;
    }
    rc = 0;
    goto done;
err:
    issued_release(out);
done:
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(ca_key);
    return rc;
}

static int errno_error(rg_error_t *err, int code, const char *what, const char *path, int e)
{
    return rg_error_set(err, code, "%s \"%s\": %s", what, path, strerror(e));
}

/* mkdir -p with mode 0700 for every directory it creates. */
static int dir_ensure(const char *dir, rg_error_t *err)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return rg_error_set(err, RG_ERR_INVAL, "output directory \"%s\" is not a directory",
                                dir);
        return 0;
    }
    if (errno != ENOENT)
        return errno_error(err, RG_ERR_IO, "checking output directory", dir, errno);
    char *path = rg_strdup(dir);
    int rc = 0;
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            rc = errno_error(err, RG_ERR_IO, "creating directory", path, errno);
            break;
        }
        *p = '/';
    }
    if (rc == 0 && mkdir(path, 0700) != 0 && errno != EEXIST)
        rc = errno_error(err, RG_ERR_IO, "creating directory", path, errno);
    rg_free(path);
    return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Writes data to a new temporary file beside its final name; mkstemp
 * creates it 0600 with O_EXCL, so a key is never readable by others even
 * for an instant. *tmp_out is owned (rg_free) and names the file.
 */
static int temp_write(const char *dir, const char *name, const char *data, size_t len, mode_t mode,
                      char **tmp_out, rg_error_t *err)
{
    char *tmpl = rg_asprintf("%s/.%s.XXXXXX", dir, name);
    int fd = mkstemp(tmpl);
    if (fd < 0) {
        int rc = errno_error(err, RG_ERR_IO, "creating a temporary file in", dir, errno);
        rg_free(tmpl);
        return rc;
    }
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmpl);
        rg_free(tmpl);
        return rg_error_set(err, RG_ERR_IO, "writing \"%s/%s\": %s", dir, name, strerror(e));
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(tmpl);
        rg_free(tmpl);
        return rg_error_set(err, RG_ERR_IO, "writing \"%s/%s\": %s", dir, name, strerror(e));
    }
    *tmp_out = tmpl;
    return 0;
}

static int exists_error(rg_error_t *err, const char *path)
{
    return rg_error_set(err, RG_ERR_EXISTS, "\"%s\" already exists (use --force to replace it)",
                        path);
}

/*
 * Moves a finished temporary file to its name. With force, rename replaces
 * atomically. Without, link fails with EEXIST rather than replace, so a file
 * that appeared since the first check is still never overwritten.
 */
static int install(const char *tmp, const char *final, bool force, rg_error_t *err)
{
    if (!force) {
        if (link(tmp, final) == 0) {
            unlink(tmp);
            return 0;
        }
        if (errno == EEXIST)
            return exists_error(err, final);
        if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP && errno != ENOSYS)
            return errno_error(err, RG_ERR_IO, "installing", final, errno);
        /* No hard links on this filesystem: check, then rename. */
        struct stat st;
        if (lstat(final, &st) == 0)
            return exists_error(err, final);
    }
    if (rename(tmp, final) != 0)
        return errno_error(err, RG_ERR_IO, "installing", final, errno);
    return 0;
}

void tls_certs_result_release(tls_certs_result_t *r)
{
    if (r == NULL)
        return;
    rg_free(r->ca_path);
    rg_free(r->cert_path);
    rg_free(r->key_path);
    rg_free(r->ca_bundle_b64);
    rg_free(r->serial_hex);
    memset(r, 0, sizeof(*r));
}

enum { F_CA, F_KEY, F_CERT, F_COUNT };

int tls_certs_generate(const tls_certs_opts_t *opts, tls_certs_result_t *out, rg_error_t *err)
{
    static const char *const names[F_COUNT] = {TLS_CA_CERT_FILE, TLS_KEY_FILE, TLS_CERT_FILE};
    static const mode_t modes[F_COUNT] = {0644, 0600, 0644};
    char *paths[F_COUNT] = {NULL, NULL, NULL};
    char *tmps[F_COUNT] = {NULL, NULL, NULL};
    bool installed[F_COUNT] = {false, false, false};
    issued_t issued;
    ip_addr_t *ips = NULL;
    char *dir = NULL;
    int rc;

    memset(&issued, 0, sizeof(issued));
    if (out == NULL || opts == NULL)
        return rg_error_set(err, RG_ERR_INVAL, "tls_certs_generate: NULL argument");
    memset(out, 0, sizeof(*out));
    if (opts->out_dir == NULL || opts->out_dir[0] == '\0')
        return rg_error_set(err, RG_ERR_INVAL, "output directory is empty");
    if (strnlen(opts->out_dir, PATH_MAX) >= PATH_MAX - 32)
        return rg_error_set(err, RG_ERR_TOO_BIG, "output directory \"%.64s...\" is too long",
                            opts->out_dir);
    int days = opts->days == 0 ? TLS_DEFAULT_DAYS : opts->days;
    if (days < 1 || days > TLS_MAX_DAYS)
        return rg_error_set(err, RG_ERR_RANGE, "days %d is outside 1..%d", opts->days,
                            TLS_MAX_DAYS);
    if (opts->dns_count > TLS_MAX_SANS || opts->ip_count > TLS_MAX_SANS - opts->dns_count)
        return rg_error_set(err, RG_ERR_TOO_BIG,
                            "%zu dns names and %zu ip addresses exceed the limit of %d",
                            opts->dns_count, opts->ip_count, TLS_MAX_SANS);
    if ((opts->dns_count > 0 && opts->dns_names == NULL) ||
        (opts->ip_count > 0 && opts->ip_addrs == NULL))
        return rg_error_set(err, RG_ERR_INVAL, "tls_certs_generate: NULL name list");

    const char *const *dns = opts->dns_names;
    size_t ndns = opts->dns_count;
    const char *const *ip_texts = opts->ip_addrs;
    size_t nips = opts->ip_count;
    static const char *const default_ips[] = {TLS_DEFAULT_IP};
    if (opts->dns_count == 0 && opts->ip_count == 0) {
        dns = tls_default_dns_names;
        ndns = TLS_DEFAULT_DNS_COUNT;
        ip_texts = default_ips;
        nips = 1;
    }
    for (size_t i = 0; i < ndns; i++)
        if ((rc = dns_name_check(dns[i], err)) != 0)
            return rc;
    ips = rg_calloc(nips ? nips : 1, sizeof(*ips));
    for (size_t i = 0; i < nips; i++)
        if ((rc = ip_parse(ip_texts[i], &ips[i], err)) != 0)
            goto err;

    /* "dir/" and "dir" name the same place; keep printed paths clean. */
    dir = rg_strdup(opts->out_dir);
    for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
        dir[n - 1] = '\0';
    if ((rc = dir_ensure(dir, err)) != 0)
        goto err;
    for (int i = 0; i < F_COUNT; i++)
        paths[i] = rg_asprintf("%s/%s", dir, names[i]);
    /* Refuse before any work so a refusal leaves the directory untouched. */
    if (!opts->force) {
        for (int i = 0; i < F_COUNT; i++) {
            struct stat st;
            if (lstat(paths[i], &st) == 0) {
                rc = exists_error(err, paths[i]);
                goto err;
            }
        }
    }

    if ((rc = issue(dns, ndns, ip_texts, ips, nips, days, &issued, err)) != 0)
        goto err;
    const char *data[F_COUNT] = {issued.ca_pem, issued.key_pem, issued.cert_pem};
    const size_t lens[F_COUNT] = {issued.ca_len, issued.key_len, issued.cert_len};
    for (int i = 0; i < F_COUNT; i++)
        if ((rc = temp_write(dir, names[i], data[i], lens[i], modes[i], &tmps[i], err)) != 0)
            goto err;
    /* ca.crt first and tls.crt last: a poller that sees a new tls.crt finds its key in place. */
    for (int i = 0; i < F_COUNT; i++) {
        if ((rc = install(tmps[i], paths[i], opts->force, err)) != 0)
            goto err;
        installed[i] = true;
        rg_free(tmps[i]);
        tmps[i] = NULL;
    }
    /* Best effort: make the renames durable. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }

    out->ca_path = paths[F_CA];
    out->cert_path = paths[F_CERT];
    out->key_path = paths[F_KEY];
    out->ca_bundle_b64 = tls__base64(issued.ca_pem, issued.ca_len);
    out->serial_hex = issued.serial_hex;
    issued.serial_hex = NULL;
    issued_release(&issued);
    rg_free(ips);
    rg_free(dir);
    return 0;

err:
    for (int i = 0; i < F_COUNT; i++) {
        if (tmps[i] != NULL)
            unlink(tmps[i]);
        /* Files this call created are removed; replaced ones (force) cannot come back. */
        if (installed[i] && !opts->force)
            unlink(paths[i]);
        rg_free(tmps[i]);
        rg_free(paths[i]);
    }
    issued_release(&issued);
    rg_free(ips);
    rg_free(dir);
    return rc;
}
