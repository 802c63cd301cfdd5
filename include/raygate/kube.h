/*
 * The Kubernetes API client (libcurl): the only module that includes
 * <curl/curl.h>. Any thread may call these.
 */
#ifndef RAYGATE_KUBE_H
#define RAYGATE_KUBE_H

/* libcurl's run-time version ("7.88.1"); static. */
const char *kube_curl_version(void);

#endif
