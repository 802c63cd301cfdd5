/*
 * The admission routes' adapters: decode the AdmissionReview, run the
 * policy, encode the answer, then audit and count the decision. Bad input
 * is a 400 Status; a decision, even a denial, is a 200 AdmissionReview.
 */
#include "serve_internal.h"

#include "raygate/admission.h"
#include "raygate/alloc.h"
#include "raygate/convert.h"
#include "raygate/log.h"
#include "raygate/timeutil.h"
#include "raygate/validate.h"
#include "raygate/webhooks.h"

#include <stdio.h>
#include <string.h>

/* Room reserved for an answer up front: a typical one (a patch of a few
 * operations, or a denial with its causes) fits, so it is one allocation. */
#define SERVE_ANSWER_RESERVE 1024

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
    if (wh_mutate_reads_cluster(&req)) {
        serve_cluster_t held;
        wh_cluster_t cluster;
        serve__cluster_acquire(app, &held, &cluster);
        wh_mutate(&req, &cluster, patch, &res);
        serve__cluster_release(&held);
    } else {
        wh_mutate(&req, NULL, patch, &res);
    }
    adm_response_t ar = {
        .allowed = res.allowed,
        .code = res.allowed ? 0 : (res.code ? res.code : 403),
        .message = res.message,
        .patch = patch,
    };
    rg_buf_t out = RG_BUF_INIT;
    rg_buf_reserve(&out, SERVE_ANSWER_RESERVE);
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

/* Causes and warnings carried in one denial; more are summarised. */
#define SERVE_MAX_CAUSES 64

static void respond_review(serve_app_t *app, const http_request_t *hr, const adm_request_t *req,
                           const adm_response_t *ar, const char *outcome, const char *reason,
                           const char *kind_label, http_response_t *resp)
{
    rg_buf_t out = RG_BUF_INIT;
    rg_buf_reserve(&out, SERVE_ANSWER_RESERVE);
    adm_review_encode(req, ar, &out);
    rg_log_debug("serve", "validate decision uid=%s kind=%s object=%s/%s decision=%s", req->uid,
                 req->kind.kind, req->namespace, req->name, outcome);
    audit_request(app, hr, req, "validate", outcome, reason, NULL);
    serve__metrics_decision(app->metrics, "validate", kind_label, outcome);
    size_t len;
    char *body = rg_buf_detach(&out, &len);
    http_response_take(resp, 200, body, len);
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
    const char *kind = req.kind.kind;
    adm_response_t ar = {.allowed = true};
    if (req.operation != ADM_OP_CREATE && req.operation != ADM_OP_UPDATE) {
        respond_review(app, hr, &req, &ar, "allowed", "only CREATE and UPDATE are validated", kind,
                       resp);
        adm_request_release(&req);
        return;
    }
    serve_cluster_t held;
    wh_cluster_t cluster;
    serve__cluster_acquire(app, &held, &cluster);
    wh_vctx_t vctx = {
        .operation = req.operation,
        .sub_resource = req.sub_resource,
        .api = wh_api_of(rg_json_get_string(req.object, "apiVersion")),
        .cluster = &cluster,
    };
    field_errors_t errs = FIELD_ERRORS_INIT;
    wh_warnings_t warns = WH_WARNINGS_INIT;
    const cJSON *old = req.operation == ADM_OP_UPDATE ? req.old_object : NULL;
    bool known = wh_validate_object(&vctx, req.object, old, &errs, &warns);
    serve__cluster_release(&held);
    if (!known) {
        respond_review(app, hr, &req, &ar, "allowed", "no rules for this kind", kind, resp);
        adm_request_release(&req);
        return;
    }
    rg_buf_t message = RG_BUF_INIT;
    rg_status_cause_t causes[SERVE_MAX_CAUSES];
    rg_buf_t cause_text[SERVE_MAX_CAUSES];
    size_t n_causes = 0;
    if (errs.n > 0) {
        /* Kueue's webhooks deny with the aggregate of their field errors,
         * 403 Forbidden; the causes carry each error's field for tools. */
        field_errors_aggregate(&errs, &message);
        n_causes = field_errors_causes(&errs, causes, cause_text, SERVE_MAX_CAUSES);
        ar = (adm_response_t){.allowed = false, .code = 403, .reason = "Forbidden",
                              .message = message.data, .causes = causes, .n_causes = n_causes};
    }
    ar.warnings = (const char *const *)warns.items;
    ar.n_warnings = warns.n;
    respond_review(app, hr, &req, &ar, errs.n ? "denied" : "allowed",
                   errs.n ? message.data : "valid", kind, resp);
    for (size_t i = 0; i < n_causes; i++)
        rg_buf_release(&cause_text[i]);
    rg_buf_release(&message);
    wh_warnings_release(&warns);
    field_errors_release(&errs);
    adm_request_release(&req);
}

void serve__on_convert(void *ctx, const http_request_t *hr, http_response_t *resp)
{
    serve_app_t *app = ctx;
    rg_buf_t out = RG_BUF_INIT;
    rg_error_t err = {0};
    if (convert_review_handle(hr->body, hr->body_len, &out, &err) != RG_OK) {
        rg_log_warn("serve", "bad ConversionReview error=\"%s\"", rg_error_str(&err));
        serve__metrics_decision(app->metrics, "convert", "unknown", "error");
        http_response_status(resp, 400, rg_error_str(&err));
        return;
    }
    serve__metrics_decision(app->metrics, "convert", "ConversionReview", "converted");
    size_t len;
    char *body = rg_buf_detach(&out, &len);
    http_response_take(resp, 200, body, len);
}
