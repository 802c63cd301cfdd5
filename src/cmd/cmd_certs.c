/*
 * `raygate certs`: flags to tls_certs_opts_t, then prints what was written
 * and the caBundle. All certificate work is in the tls module.
 */
#include "raygate/cmd.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raygate/alloc.h"
#include "raygate/err.h"
#include "raygate/tls.h"

enum {
    OPT_OUT = 256,
    OPT_DNS,
    OPT_IP,
    OPT_DAYS,
    OPT_FORCE,
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: raygate certs --out DIR [--dns NAME]... [--ip ADDR]... [--days N] [--force]\n"
            "\n"
            "Writes a new CA (DIR/" TLS_CA_CERT_FILE "), a serving certificate signed by it\n"
            "(DIR/" TLS_CERT_FILE ") and its key (DIR/" TLS_KEY_FILE
            ", mode 0600), all ECDSA P-256,\n"
            "then prints the caBundle (base64 of " TLS_CA_CERT_FILE
            ") for the webhook configurations.\n"
            "The CA's key is not kept: run again to rotate.\n"
            "\n"
            "  --out DIR     output directory, created 0700 if missing (required)\n"
            "  --dns NAME    subjectAltName DNS entry; repeatable\n"
            "  --ip ADDR     subjectAltName IPv4 or IPv6 address; repeatable\n"
            "  --days N      validity in days, 1..%d (default %d)\n"
            "  --force       replace existing files\n"
            "  -h, --help    show this help\n"
            "\n"
            "Without --dns and --ip the certificate names the Service of the manifests:\n",
            TLS_MAX_DAYS, TLS_DEFAULT_DAYS);
    for (size_t i = 0; i < TLS_DEFAULT_DNS_COUNT; i++)
        fprintf(f, "  %s\n", tls_default_dns_names[i]);
    fprintf(f, "  %s (the extender sidecar and probes reach raygate there)\n", TLS_DEFAULT_IP);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("raygate certs: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n", stderr);
    va_end(ap);
    usage(stderr);
    return 2;
}

static int days_parse(const char *text, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 1 || v > TLS_MAX_DAYS)
        return -1;
    *out = (int)v;
    return 0;
}

int cmd_certs_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, OPT_OUT},
        {"dns", required_argument, NULL, OPT_DNS},
        {"ip", required_argument, NULL, OPT_IP},
        {"days", required_argument, NULL, OPT_DAYS},
        {"force", no_argument, NULL, OPT_FORCE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* Borrowed from argv, which outlives this call. */
    const char *dns[TLS_MAX_SANS];
    const char *ips[TLS_MAX_SANS];
    tls_certs_opts_t opts;
    memset(&opts, 0, sizeof(opts));
    opts.dns_names = dns;
    opts.ip_addrs = ips;

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return 0;
        case OPT_OUT: opts.out_dir = optarg; break;
        case OPT_DNS:
            if (opts.dns_count + opts.ip_count >= TLS_MAX_SANS)
                return usage_error("too many --dns/--ip values (at most %d)", TLS_MAX_SANS);
            dns[opts.dns_count++] = optarg;
            break;
        case OPT_IP:
            if (opts.dns_count + opts.ip_count >= TLS_MAX_SANS)
                return usage_error("too many --dns/--ip values (at most %d)", TLS_MAX_SANS);
            ips[opts.ip_count++] = optarg;
            break;
        case OPT_DAYS:
            if (days_parse(optarg, &opts.days) != 0)
                return usage_error("--days \"%s\" is not a whole number in 1..%d", optarg,
                                   TLS_MAX_DAYS);
            break;
        case OPT_FORCE: opts.force = true; break;
        case ':': return usage_error("%s needs a value", argv[optind - 1]);
        default:
            /* optopt names an unknown short option; a long one is only in argv. */
            if (optopt > 0 && optopt < 256)
                return usage_error("unknown option \"-%c\"", optopt);
            return usage_error("unknown option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument \"%s\"", argv[optind]);
    if (opts.out_dir == NULL || opts.out_dir[0] == '\0')
        return usage_error("%s", "--out DIR is required");

    tls_certs_result_t res;
    rg_error_t err = {0, ""};
    if (tls_certs_generate(&opts, &res, &err) != 0) {
        fprintf(stderr, "raygate certs: %s\n", rg_error_str(&err));
        return 1;
    }
    printf("wrote %s\nwrote %s\nwrote %s\ncaBundle: %s\n", res.ca_path, res.cert_path, res.key_path,
           res.ca_bundle_b64);
    tls_certs_result_release(&res);
    return fflush(stdout) == 0 ? 0 : 1;
}
