/*
 * The API-server double's launcher: fork/exec of kubedouble.py, waiting for
 * its port file, and its control endpoints through raygate's own client
 * (the double ignores credentials there, so the token kubeconfig does).
 */
#include "double.h"

#include "raygate/alloc.h"
#include "raygate/kube.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 64

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *dir = opendir(path);
        if (dir) {
            struct dirent *e;
            while ((e = readdir(dir)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char *child = rg_asprintf("%s/%s", path, e->d_name);
                remove_tree(child);
                rg_free(child);
            }
            closedir(dir);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

int rg_double_start(rg_double_t *d, const char *const *extra_args, rg_error_t *err)
{
    memset(d, 0, sizeof(*d));
    const char *src = getenv("RG_SOURCE_DIR");
    if (src == NULL || *src == '\0')
        src = ".";
    snprintf(d->dir, sizeof(d->dir), "/tmp/rg-double-XXXXXX");
    if (mkdtemp(d->dir) == NULL)
        return rg_error_set(err, RG_ERR_SYS, "mkdtemp: %s", strerror(errno));
    char port_file[320], script[512], crds[512], log_path[320];
    snprintf(port_file, sizeof(port_file), "%s/port", d->dir);
    snprintf(d->kubeconfig, sizeof(d->kubeconfig), "%s/kubeconfig", d->dir);
    snprintf(d->kubeconfig_cert, sizeof(d->kubeconfig_cert), "%s/kubeconfig-cert", d->dir);
    snprintf(d->cert_dir, sizeof(d->cert_dir), "%s/pki", d->dir);
    snprintf(log_path, sizeof(log_path), "%s/stderr.log", d->dir);
    snprintf(script, sizeof(script), "%s/tests/apiserver/kubedouble.py", src);
    snprintf(crds, sizeof(crds), "%s/manifests/crds", src);

    const char *argv[MAX_ARGS];
    size_t n = 0;
    argv[n++] = "python3";
    argv[n++] = script;
    argv[n++] = "--port-file";
    argv[n++] = port_file;
    argv[n++] = "--kubeconfig";
    argv[n++] = d->kubeconfig;
    argv[n++] = "--kubeconfig-client-cert";
    argv[n++] = d->kubeconfig_cert;
    argv[n++] = "--cert-dir";
    argv[n++] = d->cert_dir;
    argv[n++] = "--crds";
    argv[n++] = crds;
    for (size_t i = 0; extra_args && extra_args[i]; i++) {
        if (n + 1 >= MAX_ARGS) {
            remove_tree(d->dir);
            return rg_error_set(err, RG_ERR_RANGE, "too many arguments for the double");
        }
        argv[n++] = extra_args[i];
    }
    argv[n] = NULL;

    pid_t pid = fork();
    if (pid < 0) {
        remove_tree(d->dir);
        return rg_error_set(err, RG_ERR_SYS, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        /* A test that crashes must not leave the double running. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int null = open("/dev/null", O_RDWR);
        int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        if (log >= 0)
            dup2(log, 2);
        execvp("python3", (char *const *)argv);
        _exit(127);
    }
    d->pid = pid;
    for (int waited = 0; waited < 30000; waited += 20) {
        FILE *f = fopen(port_file, "r");
        if (f) {
            int port = 0;
            int got = fscanf(f, "%d", &port);
            fclose(f);
            if (got == 1 && port > 0) {
                d->port = port;
                snprintf(d->url, sizeof(d->url), "https://127.0.0.1:%d", port);
                return 0;
            }
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            d->pid = 0;
            int rc = rg_error_set(err, RG_ERR_IO,
                                  "the double exited (status %d) before listening; "
                                  "see %s",
                                  status, log_path);
            return rc;
        }
        nap_ms(20);
    }
    rg_double_stop(d);
    return rg_error_set(err, RG_ERR_TIMEOUT, "the double did not write its port file in 30 s");
}

void rg_double_stop(rg_double_t *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        int status;
        bool gone = false;
        for (int waited = 0; waited < 5000; waited += 20) {
            if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
                gone = true;
                break;
            }
            nap_ms(20);
        }
        if (!gone) {
            kill(d->pid, SIGKILL);
            waitpid(d->pid, &status, 0);
        }
        d->pid = 0;
    }
    if (d->dir[0]) {
        remove_tree(d->dir);
        d->dir[0] = '\0';
    }
}

/* One control request with a short-lived client (no retries: faults must
 * not be hidden behind the client's own retry logic). */
static int control(rg_double_t *d, const char *method, const char *path, const char *body,
                   kube_result_t *out, rg_error_t *err)
{
    kube_creds_t creds;
    int rc = kube_creds_load_kubeconfig(d->kubeconfig, NULL, &creds, err);
    if (rc < 0)
        return rc;
    kube_client_opts_t opts = {.qps = 1000, .burst = 1000, .max_retries = 1};
    kube_client_t *c = kube_client_new(&creds, &opts, err);
    kube_creds_release(&creds);
    if (c == NULL)
        return err ? err->code : RG_ERR_IO;
    rc = kube_request(c, method, path, body ? "application/json" : NULL, body,
                      body ? strlen(body) : 0, out, err);
    kube_client_free(c);
    if (rc == 0 && out->http_status != 200) {
        rc = rg_error_set(err, RG_ERR_HTTP, "%s %s: %d %s", method, path, out->http_status,
                          out->message ? out->message : "");
        kube_result_release(out);
    }
    return rc;
}

int rg_double_faults(rg_double_t *d, const char *json, rg_error_t *err)
{
    kube_result_t r;
    int rc = control(d, "POST", "/_double/faults", json, &r, err);
    if (rc == 0)
        kube_result_release(&r);
    return rc;
}

int rg_double_writes(rg_double_t *d, unsigned long since, cJSON **out, rg_error_t *err)
{
    *out = NULL;
    char path[64];
    snprintf(path, sizeof(path), "/_double/writes?since=%lu", since);
    kube_result_t r;
    int rc = control(d, "GET", path, NULL, &r, err);
    if (rc < 0)
        return rc;
    *out = r.body;
    r.body = NULL;
    kube_result_release(&r);
    return 0;
}
