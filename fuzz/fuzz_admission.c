/*
 * libFuzzer target over the admission path exactly as the daemon runs it
 * (src/serve/admission.c): decode the AdmissionReview, mutate and encode,
 * then validate and encode the denial. Input: one request body.
 */
#include "raygate/admission.h"
#include "raygate/field.h"
#include "raygate/json.h"
#include "raygate/kstatus.h"
#include "raygate/log.h"
#include "raygate/validate.h"
#include "raygate/webhooks.h"

#include <stddef.h>
#include <stdint.h>

/* Causes carried in one denial, as serve's SERVE_MAX_CAUSES. */
#define FUZZ_MAX_CAUSES 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rg_json_init();
    return 0;
}

/* serve__on_mutate without HTTP, audit and metrics. */
static void run_mutate(const adm_request_t *req)
{
    adm_patch_t *patch = adm_patch_new();
    wh_result_t res;
    wh_mutate(req, NULL, patch, &res);
    adm_response_t ar = {
        .allowed = res.allowed,
        .code = res.allowed ? 0 : (res.code ? res.code : 403),
        .message = res.message,
        .patch = patch,
    };
    rg_buf_t out = RG_BUF_INIT;
    adm_review_encode(req, &ar, &out);
    /* What the audit log reads of the patch. */
    for (size_t i = 0; i < adm_patch_len(patch); i++) {
        (void)adm_patch_op_path(patch, i);
        (void)adm_patch_op_name(patch, i);
    }
    rg_buf_release(&out);
    adm_patch_free(patch);
}

/* serve__on_validate without HTTP, with no cluster view. */
static void run_validate(const adm_request_t *req)
{
    adm_response_t ar = {.allowed = true};
    rg_buf_t out = RG_BUF_INIT;
    if (req->operation != ADM_OP_CREATE && req->operation != ADM_OP_UPDATE) {
        adm_review_encode(req, &ar, &out);
        rg_buf_release(&out);
        return;
    }
    wh_vctx_t vctx = {
        .operation = req->operation,
        .sub_resource = req->sub_resource,
        .api = wh_api_of(rg_json_get_string(req->object, "apiVersion")),
        .cluster = NULL,
    };
    field_errors_t errs = FIELD_ERRORS_INIT;
    wh_warnings_t warns = WH_WARNINGS_INIT;
    const cJSON *old = req->operation == ADM_OP_UPDATE ? req->old_object : NULL;
    rg_buf_t message = RG_BUF_INIT;
    rg_status_cause_t causes[FUZZ_MAX_CAUSES];
    rg_buf_t cause_text[FUZZ_MAX_CAUSES];
    size_t n_causes = 0;
    if (wh_validate_object(&vctx, req->object, old, &errs, &warns) && errs.n > 0) {
        field_errors_aggregate(&errs, &message);
        n_causes = field_errors_causes(&errs, causes, cause_text, FUZZ_MAX_CAUSES);
        ar = (adm_response_t){.allowed = false, .code = 403, .reason = "Forbidden",
                              .message = message.data, .causes = causes, .n_causes = n_causes};
    }
    ar.warnings = (const char *const *)warns.items;
    ar.n_warnings = warns.n;
    adm_review_encode(req, &ar, &out);
    for (size_t i = 0; i < n_causes; i++)
        rg_buf_release(&cause_text[i]);
    rg_buf_release(&message);
    rg_buf_release(&out);
    wh_warnings_release(&warns);
    field_errors_release(&errs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    adm_request_t req;
    rg_error_t err = {0};
    if (adm_review_decode((const char *)data, size, &req, &err) != RG_OK)
        return 0;
    run_mutate(&req);
    run_validate(&req);
    adm_request_release(&req);
    return 0;
}
