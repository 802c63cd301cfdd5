/*
 * Tests of the tls module and `raygate certs`: generated pairs are checked
 * with OpenSSL's own verifier, loading refuses bad pairs with clear errors.
 * Every test works in its own mkdtemp directory and removes it.
 */
#include <check.h>

#include "harness.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "raygate/alloc.h"
#include "raygate/cmd.h"
#include "raygate/tls.h"

/* --- helpers ------------------------------------------------------------ */

static char *tmpdir_new(void)
{
    const char *base = getenv("TMPDIR");
    char *tmpl = rg_asprintf("%s/rg-tls-XXXXXX", base && base[0] ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    return tmpl;
}

/* rm -r for the small trees the tests make; does not follow symlinks. */
static void tree_remove(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d != NULL) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char *child = rg_asprintf("%s/%s", path, e->d_name);
                tree_remove(child);
                rg_free(child);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void tmpdir_free(char *dir)
{
    tree_remove(dir);
    rg_free(dir);
}

static X509 *cert_read(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "open %s", path);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_msg(x != NULL, "parse %s", path);
    return x;
}

static EVP_PKEY *key_read(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "open %s", path);
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_msg(k != NULL, "parse %s", path);
    return k;
}

static void file_write(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static char *file_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "open %s", path);
    char *buf = rg_malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static bool path_exists(const char *dir, const char *name)
{
    char *p = rg_asprintf("%s/%s", dir, name);
    struct stat st;
    bool ok = stat(p, &st) == 0;
    rg_free(p);
    return ok;
}

static int generate(const char *dir, const char *const *dns, size_t ndns, const char *const *ips,
                    size_t nips, int days, bool force, tls_certs_result_t *res, rg_error_t *err)
{
    tls_certs_opts_t o;
    memset(&o, 0, sizeof(o));
    o.out_dir = dir;
    o.dns_names = dns;
    o.dns_count = ndns;
    o.ip_addrs = ips;
    o.ip_count = nips;
    o.days = days;
    o.force = force;
    return tls_certs_generate(&o, res, err);
}

static int verify_chain(X509 *ca, X509 *leaf)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    ck_assert_ptr_nonnull(store);
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(X509_STORE_add_cert(store, ca), 1);
    ck_assert_int_eq(X509_STORE_CTX_init(ctx, store, leaf, NULL), 1);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    int ok = X509_verify_cert(ctx);
    int e = X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok == 1 ? 0 : e;
}

/* --- generation --------------------------------------------------------- */

START_TEST(test_tls__generate_chains_and_names)
{
    static const char *const dns[] = {"webhook.example.test", "*.svc.example.test"};
    static const char *const ips[] = {"10.1.2.3", "fd00::17"};
    char *dir = tmpdir_new();
    tls_certs_result_t res;
    rg_error_t err = {0, ""};
    time_t before = time(NULL);
    ck_assert_int_eq(generate(dir, dns, 2, ips, 2, 30, false, &res, &err), 0);

    X509 *ca = cert_read(res.ca_path);
    X509 *leaf = cert_read(res.cert_path);
    EVP_PKEY *key = key_read(res.key_path);

    ck_assert_int_eq(verify_chain(ca, leaf), 0);
    ck_assert_int_eq(X509_check_ca(ca), 1);
    ck_assert_int_eq(X509_check_ca(leaf), 0);
    ck_assert(X509_get_key_usage(ca) & KU_KEY_CERT_SIGN);
    ck_assert_uint_eq(X509_get_key_usage(leaf), KU_DIGITAL_SIGNATURE);
    ck_assert(X509_get_extended_key_usage(leaf) & XKU_SSL_SERVER);
    ck_assert_int_eq(X509_get_signature_nid(leaf), NID_ecdsa_with_SHA256);
    ck_assert_int_eq(X509_get_signature_nid(ca), NID_ecdsa_with_SHA256);

    char group[64];
    ck_assert_int_eq(EVP_PKEY_get_group_name(key, group, sizeof(group), NULL), 1);
    ck_assert_str_eq(group, "prime256v1");
    ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(leaf), key), 1);

    ck_assert_int_eq(X509_check_host(leaf, "webhook.example.test", 0, 0, NULL), 1);
    ck_assert_int_eq(X509_check_host(leaf, "a.svc.example.test", 0, 0, NULL), 1);
    ck_assert_int_eq(X509_check_host(leaf, "other.example.test", 0, 0, NULL), 0);
    ck_assert_int_eq(X509_check_ip_asc(leaf, "10.1.2.3", 0), 1);
    ck_assert_int_eq(X509_check_ip_asc(leaf, "fd00::17", 0), 1);
    ck_assert_int_eq(X509_check_ip_asc(leaf, "10.1.2.4", 0), 0);

    /* notBefore five minutes back, notAfter `days` on. */
    int pday = 0, psec = 0;
    ck_assert_int_eq(ASN1_TIME_diff(&pday, &psec, NULL, X509_get0_notBefore(leaf)), 1);
    long nb_off = (long)pday * 86400 + psec;
    ck_assert_msg(nb_off <= -290 && nb_off >= -310 - (long)(time(NULL) - before),
                  "notBefore offset %ld", nb_off);
    ck_assert_int_eq(ASN1_TIME_diff(&pday, &psec, NULL, X509_get0_notAfter(leaf)), 1);
    long na_off = (long)pday * 86400 + psec;
    ck_assert_msg(na_off <= 30L * 86400 && na_off > 30L * 86400 - 60, "notAfter offset %ld",
                  na_off);

    /* 128 random bits: the hex has up to 32 digits and two runs differ. */
    ck_assert_uint_le(strlen(res.serial_hex), 32);
    ck_assert_uint_ge(strlen(res.serial_hex), 16);

    struct stat st;
    ck_assert_int_eq(stat(res.key_path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(stat(res.cert_path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0644);

    /* caBundle decodes to ca.crt's bytes. */
    size_t ca_len = 0;
    char *ca_pem = file_slurp(res.ca_path, &ca_len);
    unsigned char *dec = rg_malloc(strlen(res.ca_bundle_b64));
    int n = EVP_DecodeBlock(dec, (const unsigned char *)res.ca_bundle_b64,
                            (int)strlen(res.ca_bundle_b64));
    ck_assert_int_ge(n, (int)ca_len);
    ck_assert_int_eq(memcmp(dec, ca_pem, ca_len), 0);
    ck_assert_ptr_null(strchr(res.ca_bundle_b64, '\n'));
    rg_free(dec);
    rg_free(ca_pem);

    /* No temporary files left behind. */
    DIR *d = opendir(dir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            files++;
        else
            ck_assert_msg(strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0, "left %s",
                          e->d_name);
    closedir(d);
    ck_assert_int_eq(files, 3);

    EVP_PKEY_free(key);
    X509_free(leaf);
    X509_free(ca);
    tls_certs_result_release(&res);
    tmpdir_free(dir);
}
END_TEST

START_TEST(test_tls__generate_defaults_to_service_names)
{
    char *dir = tmpdir_new();
    char *sub = rg_asprintf("%s/a/b/", dir);
    tls_certs_result_t res;
    rg_error_t err = {0, ""};
    ck_assert_int_eq(generate(sub, NULL, 0, NULL, 0, 0, false, &res, &err), 0);

    struct stat st;
    char *created = rg_asprintf("%s/a/b", dir);
    ck_assert_int_eq(stat(created, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0700);
    /* The trailing slash is not doubled in printed paths. */
    char *want = rg_asprintf("%s/tls.crt", created);
    ck_assert_str_eq(res.cert_path, want);

    X509 *leaf = cert_read(res.cert_path);
    for (size_t i = 0; i < TLS_DEFAULT_DNS_COUNT; i++)
        ck_assert_msg(X509_check_host(leaf, tls_default_dns_names[i], 0, 0, NULL) == 1,
                      "missing %s", tls_default_dns_names[i]);
    ck_assert_int_eq(X509_check_ip_asc(leaf, TLS_DEFAULT_IP, 0), 1);
    ck_assert_int_eq(X509_check_host(leaf, "raygate.raygate-system.svc", 0, 0, NULL), 1);
    int pday = 0, psec = 0;
    ck_assert_int_eq(ASN1_TIME_diff(&pday, &psec, NULL, X509_get0_notAfter(leaf)), 1);
    long na_off = (long)pday * 86400 + psec;
    ck_assert_msg(na_off <= TLS_DEFAULT_DAYS * 86400L && na_off > TLS_DEFAULT_DAYS * 86400L - 60,
                  "notAfter offset %ld", na_off);

    X509_free(leaf);
    rg_free(want);
    rg_free(created);
    tls_certs_result_release(&res);
    rg_free(sub);
    tmpdir_free(dir);
}
END_TEST

START_TEST(test_tls__generate_refuses_overwrite_unless_forced)
{
    char *dir = tmpdir_new();
    tls_certs_result_t a, b, c;
    rg_error_t err = {0, ""};
    ck_assert_int_eq(generate(dir, NULL, 0, NULL, 0, 0, false, &a, &err), 0);

    ck_assert_int_eq(generate(dir, NULL, 0, NULL, 0, 0, false, &b, &err), RG_ERR_EXISTS);
    ck_assert_ptr_nonnull(strstr(err.msg, "ca.crt"));
    ck_assert_ptr_nonnull(strstr(err.msg, "already exists"));
    ck_assert_ptr_null(b.ca_bundle_b64);

    /* Any one of the three files blocks: remove two, keep tls.key. */
    char *ca = rg_asprintf("%s/ca.crt", dir), *crt = rg_asprintf("%s/tls.crt", dir);
    char *saved = file_slurp(a.key_path, NULL);
    unlink(ca);
    unlink(crt);
    ck_assert_int_eq(generate(dir, NULL, 0, NULL, 0, 0, false, &b, &err), RG_ERR_EXISTS);
    ck_assert_ptr_nonnull(strstr(err.msg, "tls.key"));
    /* The refusal changed nothing. */
    ck_assert(!path_exists(dir, "ca.crt"));
    char *now = file_slurp(a.key_path, NULL);
    ck_assert_str_eq(now, saved);
    rg_free(now);
    rg_free(saved);

    ck_assert_int_eq(generate(dir, NULL, 0, NULL, 0, 0, true, &c, &err), 0);
    ck_assert_str_ne(a.serial_hex, c.serial_hex);
    tls_pair_t p;
    ck_assert_int_eq(tls_pair_load(c.cert_path, c.key_path, 0, &p, &err), 0);
    ck_assert_str_eq(p.serial_hex, c.serial_hex);
    struct stat st;
    ck_assert_int_eq(stat(c.key_path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);

    tls_pair_release(&p);
    rg_free(ca);
    rg_free(crt);
    tls_certs_result_release(&a);
    tls_certs_result_release(&c);
    tmpdir_free(dir);
}
END_TEST

static const struct {
    const char *dns;
    const char *ip;
    int days;
    int code;
    const char *needle;
} bad_inputs[] = {
    {NULL, "300.1.2.3", 0, RG_ERR_INVAL, "ip address \"300.1.2.3\""},
    {NULL, "1.2.3", 0, RG_ERR_INVAL, "\"1.2.3\""},
    {NULL, "fe80::1%eth0", 0, RG_ERR_INVAL, "\"fe80::1%eth0\""},
    {NULL, "", 0, RG_ERR_INVAL, "ip address \"\""},
    {NULL, "example.com", 0, RG_ERR_INVAL, "\"example.com\" is not a valid IPv4 or IPv6"},
    {"bad name", NULL, 0, RG_ERR_INVAL, "dns name \"bad name\""},
    {"a..b", NULL, 0, RG_ERR_INVAL, "\"a..b\" has an empty label"},
    {"x,IP:1.2.3.4", NULL, 0, RG_ERR_INVAL, "\"x,IP:1.2.3.4\""},
    {"", NULL, 0, RG_ERR_INVAL, "dns name \"\" is empty"},
    {"ok.test", NULL, 3651, RG_ERR_RANGE, "days 3651"},
    {"ok.test", NULL, -1, RG_ERR_RANGE, "days -1"},
};

START_TEST(test_tls__generate_rejects_bad_input)
{
    char *dir = tmpdir_new();
    const char *dns[1] = {bad_inputs[_i].dns};
    const char *ips[1] = {bad_inputs[_i].ip};
    tls_certs_result_t res;
    rg_error_t err = {0, ""};
    int rc = generate(dir, dns, dns[0] ? 1 : 0, ips, ips[0] ? 1 : 0, bad_inputs[_i].days, false,
                      &res, &err);
    ck_assert_int_eq(rc, bad_inputs[_i].code);
    ck_assert_msg(strstr(err.msg, bad_inputs[_i].needle) != NULL, "message \"%s\" lacks \"%s\"",
                  err.msg, bad_inputs[_i].needle);
    ck_assert(!path_exists(dir, "ca.crt"));
    ck_assert(!path_exists(dir, "tls.key"));
    tls_certs_result_release(&res);
    tmpdir_free(dir);
}
END_TEST

/* --- loading ------------------------------------------------------------ */

START_TEST(test_tls__pair_load_reads_fields)
{
    static const char *const dns[] = {"svc.example.test"};
    char *dir = tmpdir_new();
    tls_certs_result_t res;
    rg_error_t err = {0, ""};
    ck_assert_int_eq(generate(dir, dns, 1, NULL, 0, 10, false, &res, &err), 0);
    tls_pair_t p;
    ck_assert_int_eq(tls_pair_load(res.cert_path, res.key_path, 0, &p, &err), 0);
    ck_assert_str_eq(p.subject_cn, "svc.example.test");
    ck_assert_str_eq(p.serial_hex, res.serial_hex);
    ck_assert_uint_eq(strlen(p.cert_pem), p.cert_len);
    ck_assert_ptr_nonnull(strstr(p.cert_pem, "BEGIN CERTIFICATE"));
    ck_assert_ptr_nonnull(strstr(p.key_pem, "BEGIN PRIVATE KEY"));
    int64_t now = (int64_t)time(NULL);
    ck_assert(p.not_before <= now - 290 && p.not_before >= now - 310);
    ck_assert(p.not_after > now + 10 * 86400 - 10 && p.not_after <= now + 10 * 86400);
    tls_pair_release(&p);
    tls_pair_release(&p); /* released twice is harmless */

    /* A chain file (leaf then CA, as cert-manager writes) loads too. */
    size_t leaf_len = 0, ca_len = 0;
    char *leaf = file_slurp(res.cert_path, &leaf_len);
    char *ca = file_slurp(res.ca_path, &ca_len);
    char *chain_path = rg_asprintf("%s/chain.crt", dir);
    char *chain = rg_asprintf("%s%s", leaf, ca);
    file_write(chain_path, chain, strlen(chain));
    ck_assert_int_eq(tls_pair_load(chain_path, res.key_path, 0, &p, &err), 0);
    ck_assert_uint_eq(p.cert_len, leaf_len + ca_len);
    tls_pair_release(&p);

    /* A truncated second certificate is damage, not the end of the file. */
    chain[leaf_len + ca_len / 2] = '\0';
    file_write(chain_path, chain, strlen(chain));
    ck_assert_int_eq(tls_pair_load(chain_path, res.key_path, 0, &p, &err), RG_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, "certificate 2 does not parse"));

    rg_free(chain);
    rg_free(chain_path);
    rg_free(leaf);
    rg_free(ca);
    tls_certs_result_release(&res);
    tmpdir_free(dir);
}
END_TEST

START_TEST(test_tls__pair_load_rejects_mismatched_key)
{
    char *d1 = tmpdir_new(), *d2 = tmpdir_new();
    tls_certs_result_t a, b;
    rg_error_t err = {0, ""};
    ck_assert_int_eq(generate(d1, NULL, 0, NULL, 0, 0, false, &a, &err), 0);
    ck_assert_int_eq(generate(d2, NULL, 0, NULL, 0, 0, false, &b, &err), 0);
    tls_pair_t p;
    ck_assert_int_eq(tls_pair_load(a.cert_path, b.key_path, 0, &p, &err), RG_ERR_TLS);
    ck_assert_ptr_nonnull(strstr(err.msg, "does not match the certificate"));
    ck_assert_ptr_nonnull(strstr(err.msg, b.key_path));
    ck_assert_ptr_nonnull(strstr(err.msg, a.cert_path));
    ck_assert_ptr_null(p.cert_pem);
    ck_assert_ptr_null(p.key_pem);
    tls_certs_result_release(&a);
    tls_certs_result_release(&b);
    tmpdir_free(d1);
    tmpdir_free(d2);
}
END_TEST

START_TEST(test_tls__pair_load_rejects_bad_files)
{
    char *dir = tmpdir_new();
    tls_certs_result_t res;
    rg_error_t err = {0, ""};
    tls_pair_t p;
    ck_assert_int_eq(generate(dir, NULL, 0, NULL, 0, 0, false, &res, &err), 0);

    /* Over a small explicit limit: names the file. */
    ck_assert_int_eq(tls_pair_load(res.cert_path, res.key_path, 100, &p, &err), RG_ERR_TOO_BIG);
    ck_assert_ptr_nonnull(strstr(err.msg, res.cert_path));

    /* Over the default 1 MiB limit. */
    char *big_path = rg_asprintf("%s/big.crt", dir);
    size_t big_len = TLS_PAIR_MAX_BYTES_DEFAULT + 1;
    char *big = rg_malloc(big_len);
    memset(big, 'A', big_len);
    file_write(big_path, big, big_len);
    ck_assert_int_eq(tls_pair_load(big_path, res.key_path, 0, &p, &err), RG_ERR_TOO_BIG);
    ck_assert_ptr_nonnull(strstr(err.msg, big_path));
    ck_assert_int_eq(tls_pair_load(res.cert_path, big_path, 0, &p, &err), RG_ERR_TOO_BIG);
    ck_assert_ptr_nonnull(strstr(err.msg, "key file"));

    /* Not PEM at all. */
    file_write(big_path, "hello\n", 6);
    ck_assert_int_eq(tls_pair_load(big_path, res.key_path, 0, &p, &err), RG_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, "holds no PEM certificate"));
    /* A certificate where the key should be. */
    ck_assert_int_eq(tls_pair_load(res.cert_path, res.cert_path, 0, &p, &err), RG_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, "no usable PEM private key"));

    /* Missing file and directory. */
    char *missing = rg_asprintf("%s/missing.crt", dir);
    ck_assert_int_eq(tls_pair_load(missing, res.key_path, 0, &p, &err), RG_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(err.msg, missing));
    ck_assert_int_eq(tls_pair_load(dir, res.key_path, 0, &p, &err), RG_ERR_INVAL);

    rg_free(missing);
    rg_free(big);
    rg_free(big_path);
    tls_certs_result_release(&res);
    tmpdir_free(dir);
}
END_TEST

/* An encrypted key must fail, not prompt on the terminal. */
START_TEST(test_tls__pair_load_refuses_encrypted_key)
{
    char *dir = tmpdir_new();
    tls_certs_result_t res;
    rg_error_t err = {0, ""};
    ck_assert_int_eq(generate(dir, NULL, 0, NULL, 0, 0, false, &res, &err), 0);
    EVP_PKEY *key = key_read(res.key_path);
    char *enc_path = rg_asprintf("%s/enc.key", dir);
    FILE *f = fopen(enc_path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(PEM_write_PKCS8PrivateKey(f, key, EVP_aes_256_cbc(), "pw", 2, NULL, NULL), 1);
    fclose(f);
    tls_pair_t p;
    ck_assert_int_eq(tls_pair_load(res.cert_path, enc_path, 0, &p, &err), RG_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, "encrypted keys are not supported"));
    EVP_PKEY_free(key);
    rg_free(enc_path);
    tls_certs_result_release(&res);
    tmpdir_free(dir);
}
END_TEST

/* --- self-signed fallback ------------------------------------------------ */

START_TEST(test_tls__self_signed_reuses_valid_pair)
{
    char *dir = tmpdir_new();
    char *state = rg_asprintf("%s/state", dir);
    char *cert = NULL, *key = NULL;
    rg_error_t err = {0, ""};
    ck_assert_int_eq(tls_self_signed_ensure(state, &cert, &key, &err), 0);
    tls_pair_t p1, p2;
    ck_assert_int_eq(tls_pair_load(cert, key, 0, &p1, &err), 0);
    rg_free(cert);
    rg_free(key);

    ck_assert_int_eq(tls_self_signed_ensure(state, &cert, &key, &err), 0);
    ck_assert_int_eq(tls_pair_load(cert, key, 0, &p2, &err), 0);
    ck_assert_str_eq(p1.serial_hex, p2.serial_hex);
    ck_assert_str_eq(p1.subject_cn, "localhost");

    X509 *leaf = cert_read(cert);
    ck_assert_int_eq(X509_check_host(leaf, "localhost", 0, 0, NULL), 1);
    ck_assert_int_eq(X509_check_ip_asc(leaf, "127.0.0.1", 0), 1);
    ck_assert_int_eq(X509_check_ip_asc(leaf, "::1", 0), 1);
    X509_free(leaf);

    tls_pair_release(&p1);
    tls_pair_release(&p2);
    rg_free(cert);
    rg_free(key);
    rg_free(state);
    tmpdir_free(dir);
}
END_TEST

START_TEST(test_tls__self_signed_replaces_short_lived_or_broken_pair)
{
    char *dir = tmpdir_new();
    char *cert = NULL, *key = NULL;
    tls_certs_result_t res;
    rg_error_t err = {0, ""};
    /* One day of validity is under the 24 h margin. */
    ck_assert_int_eq(generate(dir, NULL, 0, NULL, 0, 1, false, &res, &err), 0);
    ck_assert_int_eq(tls_self_signed_ensure(dir, &cert, &key, &err), 0);
    tls_pair_t p;
    ck_assert_int_eq(tls_pair_load(cert, key, 0, &p, &err), 0);
    ck_assert_str_ne(p.serial_hex, res.serial_hex);
    tls_pair_release(&p);
    rg_free(cert);
    rg_free(key);

    /* A damaged key is replaced, not fatal. */
    file_write(res.key_path, "junk", 4);
    ck_assert_int_eq(tls_self_signed_ensure(dir, &cert, &key, &err), 0);
    ck_assert_int_eq(tls_pair_load(cert, key, 0, &p, &err), 0);
    tls_pair_release(&p);
    rg_free(cert);
    rg_free(key);

    tls_certs_result_release(&res);
    tmpdir_free(dir);
}
END_TEST

/* --- stamps and version --------------------------------------------------- */

START_TEST(test_tls__file_stamp_sees_replacement)
{
    char *dir = tmpdir_new();
    char *path = rg_asprintf("%s/f", dir);
    char *tmp = rg_asprintf("%s/g", dir);
    char *link_path = rg_asprintf("%s/l", dir);
    tls_file_stamp_t a, b, c;
    ck_assert_int_eq(tls_file_stamp(path, &a), RG_ERR_NOT_FOUND);
    file_write(path, "one", 3);
    ck_assert_int_eq(symlink("f", link_path), 0);
    ck_assert_int_eq(tls_file_stamp(path, &a), 0);
    ck_assert_int_eq(tls_file_stamp(link_path, &b), 0);
    ck_assert(tls_file_stamp_equal(&a, &b)); /* stat follows the link */
    file_write(tmp, "two!", 4);
    ck_assert_int_eq(rename(tmp, path), 0);
    ck_assert_int_eq(tls_file_stamp(link_path, &c), 0);
    ck_assert(!tls_file_stamp_equal(&a, &c));
    rg_free(path);
    rg_free(tmp);
    rg_free(link_path);
    tmpdir_free(dir);
}
END_TEST

START_TEST(test_tls__openssl_version_names_openssl)
{
    ck_assert_ptr_nonnull(strstr(tls_openssl_version(), "OpenSSL"));
}
END_TEST

/* --- raygate certs -------------------------------------------------------- */

/* Runs cmd_certs_main with stdout and stderr captured into *out (owned). */
static int certs_run(char **argv, int argc, char **out)
{
    char tmpl[] = "/tmp/rg-tls-out-XXXXXX";
    int fd = mkstemp(tmpl);
    ck_assert_int_ge(fd, 0);
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    dup2(fd, 1);
    dup2(fd, 2);
    int rc = cmd_certs_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    close(fd);
    *out = file_slurp(tmpl, NULL);
    unlink(tmpl);
    return rc;
}

static const struct {
    const char *args[10];
    int rc;
    const char *needle;
} certs_cases[] = {
    {{"certs", "--help"}, 0, "usage: raygate certs"},
    {{"certs", "-h"}, 0, "raygate.raygate-system.svc.cluster.local"},
    {{"certs"}, 2, "--out DIR is required"},
    {{"certs", "--out"}, 2, "--out needs a value"},
    {{"certs", "--out", "@", "--days", "0"}, 2, "--days \"0\""},
    {{"certs", "--out", "@", "--days", "12x"}, 2, "--days \"12x\""},
    {{"certs", "--out", "@", "--days", "3651"}, 2, "--days \"3651\""},
    {{"certs", "--out", "@", "--bogus"}, 2, "unknown option \"--bogus\""},
    {{"certs", "--out", "@", "-x"}, 2, "unknown option \"-x\""},
    {{"certs", "--out", "@", "extra"}, 2, "unexpected argument \"extra\""},
    {{"certs", "--out", "@", "--ip", "1.2.3.999"}, 1, "raygate certs: ip address \"1.2.3.999\""},
    {{"certs", "--out", "@", "--dns", "a.test", "--ip", "::1", "--days", "7"}, 0, "caBundle: "},
};

START_TEST(test_tls__certs_command)
{
    char *dir = tmpdir_new();
    char *argv[11] = {NULL};
    int argc = 0;
    for (; certs_cases[_i].args[argc] != NULL; argc++) {
        const char *a = certs_cases[_i].args[argc];
        argv[argc] = strcmp(a, "@") == 0 ? dir : (char *)a;
    }
    char *out = NULL;
    int rc = certs_run(argv, argc, &out);
    ck_assert_msg(rc == certs_cases[_i].rc, "rc %d, output: %s", rc, out);
    ck_assert_msg(strstr(out, certs_cases[_i].needle) != NULL, "output lacks \"%s\": %s",
                  certs_cases[_i].needle, out);
    if (rc == 2)
        ck_assert_ptr_nonnull(strstr(out, "usage: raygate certs"));
    if (rc == 0 && strstr(certs_cases[_i].needle, "caBundle")) {
        ck_assert(path_exists(dir, "ca.crt"));
        ck_assert_ptr_nonnull(strstr(out, "tls.key"));
        /* Running again without --force is refused with exit 1. */
        rg_free(out);
        rc = certs_run(argv, argc, &out);
        ck_assert_int_eq(rc, 1);
        ck_assert_ptr_nonnull(strstr(out, "already exists"));
    }
    rg_free(out);
    tmpdir_free(dir);
}
END_TEST

static Suite *tls_suite(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("generate");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tls__generate_chains_and_names);
    tcase_add_test(tc, test_tls__generate_defaults_to_service_names);
    tcase_add_test(tc, test_tls__generate_refuses_overwrite_unless_forced);
    tcase_add_loop_test(tc, test_tls__generate_rejects_bad_input, 0,
                        (int)(sizeof(bad_inputs) / sizeof(bad_inputs[0])));
    suite_add_tcase(s, tc);

    tc = tcase_create("load");
    tcase_add_test(tc, test_tls__pair_load_reads_fields);
    tcase_add_test(tc, test_tls__pair_load_rejects_mismatched_key);
    tcase_add_test(tc, test_tls__pair_load_rejects_bad_files);
    tcase_add_test(tc, test_tls__pair_load_refuses_encrypted_key);
    tcase_add_test(tc, test_tls__file_stamp_sees_replacement);
    tcase_add_test(tc, test_tls__openssl_version_names_openssl);
    suite_add_tcase(s, tc);

    tc = tcase_create("self_signed");
    tcase_add_test(tc, test_tls__self_signed_reuses_valid_pair);
    tcase_add_test(tc, test_tls__self_signed_replaces_short_lived_or_broken_pair);
    suite_add_tcase(s, tc);

    tc = tcase_create("command");
    tcase_add_loop_test(tc, test_tls__certs_command, 0,
                        (int)(sizeof(certs_cases) / sizeof(certs_cases[0])));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(tls_suite());
}
