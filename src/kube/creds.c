/*
 * Credentials for the API client: kubeconfig files (parsed through the
 * config module's YAML reader) and in-cluster service-account files.
 * Nothing here talks to the network.
 */
#include "kube/kube_internal.h"

#include "raygate/alloc.h"
#include "raygate/config.h"
#include "raygate/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

void kube_creds_release(kube_creds_t *c)
{
    if (c == NULL)
        return;
    rg_free(c->server);
    rg_free(c->ca_pem);
    rg_free(c->ca_file);
    rg_free(c->token);
    rg_free(c->token_file);
    rg_free(c->client_cert_pem);
    rg_free(c->client_key_pem);
    rg_free(c->client_cert_file);
    rg_free(c->client_key_file);
    rg_free(c->namespace);
    memset(c, 0, sizeof(*c));
}

static char *dup_or_null(const char *s)
{
    return s ? rg_strdup(s) : NULL;
}

void kube__creds_copy(kube_creds_t *dst, const kube_creds_t *src)
{
    dst->server = dup_or_null(src->server);
    dst->ca_pem = dup_or_null(src->ca_pem);
    dst->ca_file = dup_or_null(src->ca_file);
    dst->insecure_skip_tls_verify = src->insecure_skip_tls_verify;
    dst->token = dup_or_null(src->token);
    dst->token_file = dup_or_null(src->token_file);
    dst->client_cert_pem = dup_or_null(src->client_cert_pem);
    dst->client_key_pem = dup_or_null(src->client_key_pem);
    dst->client_cert_file = dup_or_null(src->client_cert_file);
    dst->client_key_file = dup_or_null(src->client_key_file);
    dst->namespace = dup_or_null(src->namespace);
}

/* ---- small helpers ---- */

static int b64_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

int kube__base64_decode(const char *in, size_t len, size_t max_out, const char *field, char **out,
                        size_t *out_len, rg_error_t *err)
{
    *out = NULL;
    if (out_len)
        *out_len = 0;
    /* Every 4 input characters give at most 3 bytes, so this bounds the
     * output before anything is allocated. */
    size_t cap = len / 4 * 3 + 3;
    if (cap > max_out + 3)
        return rg_error_set(err, RG_ERR_TOO_BIG, "%s: decoded data exceeds %zu bytes", field,
                            max_out);
    char *buf = rg_malloc(cap + 1);
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    bool padding = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
            continue;
        if (ch == '=') {
            padding = true;
            continue;
        }
        int v = b64_value(ch);
        if (v < 0 || padding) {
            rg_free(buf);
            return rg_error_set(err, RG_ERR_PARSE, "%s: not base64 (byte %zu is 0x%02x)", field, i,
                                ch);
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    if (n > max_out) {
        rg_free(buf);
        return rg_error_set(err, RG_ERR_TOO_BIG, "%s: decoded data exceeds %zu bytes", field,
                            max_out);
    }
    buf[n] = '\0';
    *out = buf;
    if (out_len)
        *out_len = n;
    return 0;
}

int kube__read_file(const char *path, size_t max, char **out, size_t *out_len, rg_error_t *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rg_error_set(err, RG_ERR_IO, "cannot open \"%s\": %s", path, strerror(errno));
    rg_buf_t b = RG_BUF_INIT;
    char chunk[8192];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof(chunk));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            rg_buf_release(&b);
            return rg_error_set(err, RG_ERR_IO, "cannot read \"%s\": %s", path, strerror(e));
        }
        if (r == 0)
            break;
        if (b.len + (size_t)r > max) {
            close(fd);
            rg_buf_release(&b);
            return rg_error_set(err, RG_ERR_TOO_BIG, "\"%s\" is larger than %zu bytes", path, max);
        }
        rg_buf_append(&b, chunk, (size_t)r);
    }
    close(fd);
    if (b.data == NULL)
        rg_buf_append(&b, "", 0);
    size_t n = b.len;
    *out = rg_buf_detach(&b, NULL);
    if (out_len)
        *out_len = n;
    return 0;
}

void kube__append_escaped(rg_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            rg_buf_append_char(b, (char)ch);
        } else {
            char enc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            rg_buf_append(b, enc, 3);
        }
    }
}

/* Removes trailing whitespace in place (token and namespace files end in \n). */
static void trim_right(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

/* ---- kubeconfig ---- */

/* The member of a named list (clusters, users, contexts) called name. */
static const cJSON *find_named(const cJSON *root, const char *list, const char *name,
                               const char *member)
{
    const cJSON *arr = rg_json_get_array(root, list);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const char *n = rg_json_get_string(it, "name");
        if (n && strcmp(n, name) == 0)
            return rg_json_get_object(it, member);
    }
    return NULL;
}

/*
 * A string field, refusing other types so that a typo like `token: 123`
 * is reported instead of silently ignored.
 */
static int get_str(const cJSON *obj, const char *key, const char *file, const char *where,
                   const char **out, rg_error_t *err)
{
    *out = NULL;
    const cJSON *n = rg_json_get(obj, key);
    if (n == NULL || cJSON_IsNull(n))
        return 0;
    if (!cJSON_IsString(n))
        return rg_error_set(err, RG_ERR_TYPE, "%s: %s.%s: expected a string, got %s", file, where,
                            key, rg_json_type_name(n));
    *out = n->valuestring;
    return 0;
}

/* kubectl resolves relative file references against the kubeconfig's directory. */
static char *resolve_path(const char *kubeconfig, const char *p)
{
    if (p[0] == '/')
        return rg_strdup(p);
    const char *slash = strrchr(kubeconfig, '/');
    if (slash == NULL)
        return rg_strdup(p);
    return rg_asprintf("%.*s/%s", (int)(slash - kubeconfig), kubeconfig, p);
}

static int decode_data(const cJSON *obj, const char *key, const char *file, const char *where,
                       char **out, rg_error_t *err)
{
    const char *v;
    int rc = get_str(obj, key, file, where, &v, err);
    if (rc < 0 || v == NULL)
        return rc;
    char field[256];
    snprintf(field, sizeof(field), "%s: %s.%s", file, where, key);
    return kube__base64_decode(v, strlen(v), KUBE__MAX_PEM_BYTES, field, out, NULL, err);
}

static int parse_kubeconfig(const char *file, const cJSON *root, const char *context,
                            kube_creds_t *out, rg_error_t *err)
{
    if (!cJSON_IsObject(root))
        return rg_error_set(err, RG_ERR_CONFIG, "%s: not a kubeconfig (expected a mapping)", file);
    const char *ctx_name = context && *context ? context : NULL;
    int rc;
    if (ctx_name == NULL) {
        if ((rc = get_str(root, "current-context", file, "kubeconfig", &ctx_name, err)) < 0)
            return rc;
        if (ctx_name == NULL || *ctx_name == '\0')
            return rg_error_set(err, RG_ERR_CONFIG,
                                "%s: current-context is not set and no context was named", file);
    }
    const cJSON *ctx = find_named(root, "contexts", ctx_name, "context");
    if (ctx == NULL)
        return rg_error_set(err, RG_ERR_CONFIG, "%s: context \"%s\" not found", file, ctx_name);
    const char *cluster_name, *user_name, *ns;
    if ((rc = get_str(ctx, "cluster", file, "context", &cluster_name, err)) < 0 ||
        (rc = get_str(ctx, "user", file, "context", &user_name, err)) < 0 ||
        (rc = get_str(ctx, "namespace", file, "context", &ns, err)) < 0)
        return rc;
    if (cluster_name == NULL || *cluster_name == '\0')
        return rg_error_set(err, RG_ERR_CONFIG, "%s: context \"%s\" names no cluster", file,
                            ctx_name);
    const cJSON *cluster = find_named(root, "clusters", cluster_name, "cluster");
    if (cluster == NULL)
        return rg_error_set(err, RG_ERR_CONFIG, "%s: cluster \"%s\" (of context \"%s\") not found",
                            file, cluster_name, ctx_name);

    const char *server, *ca_file;
    if ((rc = get_str(cluster, "server", file, "cluster", &server, err)) < 0 ||
        (rc = get_str(cluster, "certificate-authority", file, "cluster", &ca_file, err)) < 0)
        return rc;
    if (server == NULL || *server == '\0')
        return rg_error_set(err, RG_ERR_CONFIG, "%s: cluster \"%s\" has no server", file,
                            cluster_name);
    if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0)
        return rg_error_set(err, RG_ERR_CONFIG,
                            "%s: cluster \"%s\": server \"%s\" is not an http(s) URL", file,
                            cluster_name, server);
    bool insecure = false;
    if (rg_json_get_bool(cluster, "insecure-skip-tls-verify", &insecure) < 0)
        return rg_error_set(err, RG_ERR_TYPE,
                            "%s: cluster.insecure-skip-tls-verify: expected a boolean", file);

    out->server = rg_strdup(server);
    size_t sl = strlen(out->server);
    while (sl > 0 && out->server[sl - 1] == '/')
        out->server[--sl] = '\0';
    out->insecure_skip_tls_verify = insecure;
    if (ca_file && *ca_file)
        out->ca_file = resolve_path(file, ca_file);
    if ((rc = decode_data(cluster, "certificate-authority-data", file, "cluster", &out->ca_pem,
                          err)) < 0)
        return rc;
    out->namespace = rg_strdup(ns && *ns ? ns : "default");

    if (user_name == NULL || *user_name == '\0')
        return 0; /* anonymous, or client certificates only through TLS config */
    const cJSON *user = find_named(root, "users", user_name, "user");
    if (user == NULL)
        return rg_error_set(err, RG_ERR_CONFIG, "%s: user \"%s\" (of context \"%s\") not found",
                            file, user_name, ctx_name);
    if (rg_json_get(user, "exec") != NULL)
        return rg_error_set(err, RG_ERR_UNSUPPORTED,
                            "%s: user \"%s\" uses an exec credential plugin, which raygate does "
                            "not run; use a token, tokenFile or client certificate",
                            file, user_name);
    if (rg_json_get(user, "auth-provider") != NULL)
        return rg_error_set(err, RG_ERR_UNSUPPORTED,
                            "%s: user \"%s\" uses an auth-provider plugin, which raygate does not "
                            "support; use a token, tokenFile or client certificate",
                            file, user_name);
    if (rg_json_get(user, "username") != NULL || rg_json_get(user, "password") != NULL)
        return rg_error_set(err, RG_ERR_UNSUPPORTED,
                            "%s: user \"%s\" uses basic authentication, which Kubernetes removed; "
                            "use a token, tokenFile or client certificate",
                            file, user_name);
    const char *token, *token_file, *cert_file, *key_file;
    if ((rc = get_str(user, "token", file, "user", &token, err)) < 0 ||
        (rc = get_str(user, "tokenFile", file, "user", &token_file, err)) < 0 ||
        (rc = get_str(user, "client-certificate", file, "user", &cert_file, err)) < 0 ||
        (rc = get_str(user, "client-key", file, "user", &key_file, err)) < 0)
        return rc;
    if (token && *token)
        out->token = rg_strdup(token);
    if (token_file && *token_file)
        out->token_file = resolve_path(file, token_file);
    if (cert_file && *cert_file)
        out->client_cert_file = resolve_path(file, cert_file);
    if (key_file && *key_file)
        out->client_key_file = resolve_path(file, key_file);
    if ((rc = decode_data(user, "client-certificate-data", file, "user", &out->client_cert_pem,
                          err)) < 0 ||
        (rc = decode_data(user, "client-key-data", file, "user", &out->client_key_pem, err)) < 0)
        return rc;
    bool has_cert = out->client_cert_pem || out->client_cert_file;
    bool has_key = out->client_key_pem || out->client_key_file;
    if (has_cert != has_key)
        return rg_error_set(err, RG_ERR_CONFIG,
                            "%s: user \"%s\": a client certificate needs both the certificate and "
                            "the key",
                            file, user_name);
    return 0;
}

int kube_creds_load_kubeconfig(const char *path, const char *context, kube_creds_t *out,
                               rg_error_t *err)
{
    memset(out, 0, sizeof(*out));
    char *file = NULL;
    if (path && *path) {
        file = rg_strdup(path);
    } else {
        const char *env = getenv("KUBECONFIG");
        if (env && *env) {
            /* The first entry of the list; kubectl merges them all, raygate
             * reads one file and says so in its docs. */
            const char *colon = strchr(env, ':');
            file = colon ? rg_strndup(env, (size_t)(colon - env)) : rg_strdup(env);
        } else {
            const char *home = getenv("HOME");
            if (home == NULL || *home == '\0')
                return rg_error_set(err, RG_ERR_CONFIG,
                                    "no kubeconfig: no path given, $KUBECONFIG and $HOME unset");
            file = rg_asprintf("%s/.kube/config", home);
        }
    }
    cfg_yaml_docs_t docs = {0};
    int rc = cfg_yaml_docs_load_file(file, KUBE__MAX_FILE_BYTES, &docs, err);
    if (rc < 0) {
        rg_error_prefix(err, "kubeconfig");
        rg_free(file);
        return rc;
    }
    if (docs.count == 0)
        rc = rg_error_set(err, RG_ERR_CONFIG, "%s: kubeconfig is empty", file);
    else
        rc = parse_kubeconfig(file, docs.items[0].root, context, out, err);
    cfg_yaml_docs_release(&docs);
    rg_free(file);
    if (rc < 0)
        kube_creds_release(out);
    return rc;
}

/* ---- in-cluster ---- */

int kube_creds_load_in_cluster(const char *dir, kube_creds_t *out, rg_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (dir == NULL || *dir == '\0')
        dir = DEFAULT_SA_DIR;
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (host == NULL || *host == '\0' || port == NULL || *port == '\0')
        return rg_error_set(err, RG_ERR_CONFIG,
                            "not in a cluster: KUBERNETES_SERVICE_HOST and "
                            "KUBERNETES_SERVICE_PORT must be set");
    if (strlen(host) > 255 || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port))
        return rg_error_set(err, RG_ERR_CONFIG,
                            "KUBERNETES_SERVICE_HOST \"%.64s\" / KUBERNETES_SERVICE_PORT \"%.16s\" "
                            "are not a host and a port",
                            host, port);
    /* An IPv6 service address needs brackets in a URL. */
    if (strchr(host, ':'))
        out->server = rg_asprintf("https://[%s]:%s", host, port);
    else
        out->server = rg_asprintf("https://%s:%s", host, port);

    char *token_path = rg_asprintf("%s/token", dir);
    char *tok = NULL;
    int rc = kube__read_file(token_path, KUBE__MAX_FILE_BYTES, &tok, NULL, err);
    if (rc < 0) {
        rg_error_prefix(err, "in-cluster service-account token");
        rg_free(token_path);
        kube_creds_release(out);
        return rc;
    }
    rg_free(tok);
    out->token_file = token_path;

    char *ca_path = rg_asprintf("%s/ca.crt", dir);
    struct stat st;
    if (stat(ca_path, &st) != 0) {
        rc = rg_error_set(err, RG_ERR_CONFIG, "in-cluster CA \"%s\": %s", ca_path, strerror(errno));
        rg_free(ca_path);
        kube_creds_release(out);
        return rc;
    }
    out->ca_file = ca_path;

    char *ns_path = rg_asprintf("%s/namespace", dir);
    char *ns = NULL;
    rg_error_t ignored;
    if (kube__read_file(ns_path, 4096, &ns, NULL, &ignored) == 0) {
        trim_right(ns);
        if (*ns == '\0') {
            rg_free(ns);
            ns = NULL;
        }
    }
    rg_free(ns_path);
    out->namespace = ns ? ns : rg_strdup("default");
    return 0;
}
