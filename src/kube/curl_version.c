/*
 * The kube module's view of libcurl, the HTTP client it talks to the API
 * server with; for now only its version, for `raygate version`.
 */
#include "raygate/kube.h"

#include <curl/curl.h>

const char *kube_curl_version(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    return v && v->version ? v->version : "unknown";
}
