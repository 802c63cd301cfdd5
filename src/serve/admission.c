/*
 * The admission routes' adapters: decode the AdmissionReview, run the
 * policy, encode the answer, then audit and count the decision. Bad input
 * is a 400 Status; a decision, even a denial, is a 200 AdmissionReview.
 */
#include "serve_internal.h"

#include "raygate/admission.h"
#include "raygate/alloc.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"
#include "raygate/webhooks.h"

#include <stdio.h>
#include <string.h>

static int64_t elapsed_us(const http_request_t *hr)
{
    return (rg_time_mono_ns() - hr->start_mono_ns) / 1000;
}

static void audit_request(serve_app_t *app, const http_request_t *hr, const adm_request_t *req,
                          const char *endpoint, const char *decision, const char *reason,
                          const adm_patch_t *patch)
{
    const char *paths[AUDIT_LIST_MAX];
    size_t n_paths = 0;
    for (size_t i = 0; patch && i < adm_patch_len(patch) && n_paths < AUDIT_LIST_MAX; i++)
        paths[n_paths++] = adm_patch_op_path(patch, i);
    audit_record_t rec = {
        .endpoint = endpoint,
        .decision = decision,
        .reason = reason,
        .patch_paths = paths,
        .n_patch_paths = n_paths,
        .latency_us = elapsed_us(hr),
    };
    if (req) {
        rec.uid = req->uid;
        rec.user = req->user_info.username;
        rec.groups = req->user_info.groups;
        rec.n_groups = req->user_info.n_groups;
        rec.operation = req->operation_str;
        rec.group = req->kind.group;
        rec.version = req->kind.version;
        rec.kind = req->kind.kind;
        rec.namespace = req->namespace;
        rec.name = req->name;
        rec.dry_run = req->dry_run;
    }
    /* audit_log_write counts and reports its own failures. */
    (void)audit_log_write(app->audit, &rec);
}

/* Refuses an undecodable review: 400 with the decoder's message. */
static void refuse_review(serve_app_t *app, const http_request_t *hr, const char *endpoint,
                          const rg_error_t *err, http_response_t *resp)
{
    rg_log_warn("serve", "bad AdmissionReview endpoint=%s error=\"%s\"", endpoint,
                rg_error_str(err));
    audit_request(app, hr, NULL, endpoint, "error", rg_error_str(err), NULL);
    serve__metrics_decision(app->metrics, endpoint, "unknown", "error");
    http_response_status(resp, 400, rg_error_str(err));
}

static const char *outcome_of(const wh_result_t *res, const adm_patch_t *patch)
{
    if (!res->allowed)
        return "denied";
    return adm_patch_len(patch) > 0 ? "patched" : "allowed";
}

void serve__on_mutate(void *ctx, const http_request_t *hr, http_response_t *resp)
{
    serve_app_t *app = ctx;
    adm_request_t req;
    rg_error_t err = {0};
    if (adm_review_decode(hr->body, hr->body_len, &req, &err) != RG_OK) {
        refuse_review(app, hr, "mutate", &err, resp);
        return;
    }
    adm_patch_t *patch = adm_patch_new();
    wh_result_t res;
    wh_mutate(&req, patch, &res);
    adm_response_t ar = {
        .allowed = res.allowed,
        .code = res.allowed ? 0 : (res.code ? res.code : 403),
        .message = res.message,
        .patch = patch,
    };
    rg_buf_t out = RG_BUF_INIT;
    adm_review_encode(&req, &ar, &out);
    const char *outcome = outcome_of(&res, patch);
    rg_log_debug("serve", "mutate decision uid=%s kind=%s object=%s/%s decision=%s reason=\"%s\"",
                 req.uid, req.kind.kind, req.namespace, req.name, outcome, res.reason);
    audit_request(app, hr, &req, "mutate", outcome, res.reason, patch);
    serve__metrics_decision(app->metrics, "mutate", wh_kind_name(wh_kind_of(&req.kind)), outcome);
    size_t len;
    char *body = rg_buf_detach(&out, &len);
    http_response_take(resp, 200, body, len);
    adm_patch_free(patch);
    adm_request_release(&req);
}

void serve__on_validate(void *ctx, const http_request_t *hr, http_response_t *resp)
{
    serve_app_t *app = ctx;
    adm_request_t req;
    rg_error_t err = {0};
    if (adm_review_decode(hr->body, hr->body_len, &req, &err) != RG_OK) {
        refuse_review(app, hr, "validate", &err, resp);
        return;
    }
    /* The validating rules come with their own issue; until then the route
     * says so plainly rather than allowing everything. */
    audit_request(app, hr, &req, "validate", "error", "validating webhook not implemented yet",
                  NULL);
    serve__metrics_decision(app->metrics, "validate", wh_kind_name(wh_kind_of(&req.kind)),
                            "error");
    http_response_status(resp, 501,
                         "the validating webhook (/validate) is not implemented in this raygate "
                         "version");
    adm_request_release(&req);
}

void serve__on_not_implemented(void *ctx, const http_request_t *hr, http_response_t *resp)
{
    (void)ctx;
    char msg[256];
    snprintf(msg, sizeof(msg), "%s is not implemented in this raygate version", hr->path);
    http_response_status(resp, 501, msg);
}
