/*
 * `raygate version` and the /version route: raygate's version and the
 * run-time versions of every library it links, asked of each library.
 */
#include "raygate/version.h"

#include "raygate/config.h"
#include "raygate/http.h"
#include "raygate/kube.h"
#include "raygate/tls.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Present only when the daemon links jemalloc (never under sanitizers). */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
    __attribute__((weak));

const char *rg_version(void)
{
    return RG_VERSION;
}

static const char *jemalloc_version(void)
{
    const char *v = NULL;
    size_t len = sizeof(v);
    if (mallctl == NULL || mallctl("version", &v, &len, NULL, 0) != 0 || v == NULL)
        return "not linked (libc malloc)";
    return v;
}

void rg_version_libraries(rg_version_lib_t out[RG_VERSION_LIBS])
{
    out[0] = (rg_version_lib_t){"libmicrohttpd", http_mhd_version()};
    out[1] = (rg_version_lib_t){"gnutls", http_gnutls_version()};
    out[2] = (rg_version_lib_t){"openssl", tls_openssl_version()};
    out[3] = (rg_version_lib_t){"cjson", cJSON_Version()};
    out[4] = (rg_version_lib_t){"libyaml", cfg_yaml_version()};
    out[5] = (rg_version_lib_t){"libcurl", kube_curl_version()};
    out[6] = (rg_version_lib_t){"jemalloc", jemalloc_version()};
}

void rg_version_report(rg_buf_t *out)
{
    rg_version_lib_t libs[RG_VERSION_LIBS];
    rg_version_libraries(libs);
    rg_buf_appendf(out, "raygate %s\n", rg_version());
    for (size_t i = 0; i < RG_VERSION_LIBS; i++)
        rg_buf_appendf(out, "%-14s %s\n", libs[i].name, libs[i].version);
}

void rg_version_json(rg_buf_t *out)
{
    rg_version_lib_t libs[RG_VERSION_LIBS];
    rg_version_libraries(libs);
    rg_buf_append_str(out, "{\"raygate\":");
    rg_buf_append_json_str(out, rg_version());
    rg_buf_append_str(out, ",\"libraries\":{");
    for (size_t i = 0; i < RG_VERSION_LIBS; i++) {
        if (i)
            rg_buf_append_char(out, ',');
        rg_buf_append_json_str(out, libs[i].name);
        rg_buf_append_char(out, ':');
        rg_buf_append_json_str(out, libs[i].version);
    }
    rg_buf_append_str(out, "}}");
}
