/*
 * meta/v1 Status encoding, shared by the HTTP layer (error bodies) and the
 * admission codec (denials).
 */
#include "raygate/kstatus.h"

const char *rg_status_reason_for_code(int code)
{
    switch (code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 409: return "Conflict";
    case 410: return "Expired";
    case 413: return "RequestEntityTooLarge";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 501: return "NotImplemented";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    }
    return code >= 200 && code < 300 ? "" : "Unknown";
}

static void encode_body(rg_buf_t *out, const rg_status_t *st)
{
    const char *reason = st->reason ? st->reason : rg_status_reason_for_code(st->code);
    rg_buf_append_str(out, "\"status\":");
    rg_buf_append_json_str(out, st->code >= 200 && st->code < 300 ? "Success" : "Failure");
    if (st->message) {
        rg_buf_append_str(out, ",\"message\":");
        rg_buf_append_json_str(out, st->message);
    }
    if (reason[0]) {
        rg_buf_append_str(out, ",\"reason\":");
        rg_buf_append_json_str(out, reason);
    }
    if (st->n_causes) {
        rg_buf_append_str(out, ",\"details\":{\"causes\":[");
        for (size_t i = 0; i < st->n_causes; i++) {
            const rg_status_cause_t *c = &st->causes[i];
            rg_buf_append_str(out, i ? ",{" : "{");
            int first = 1;
            if (c->reason) {
                rg_buf_append_str(out, "\"reason\":");
                rg_buf_append_json_str(out, c->reason);
                first = 0;
            }
            if (c->message) {
                rg_buf_append_str(out, first ? "\"message\":" : ",\"message\":");
                rg_buf_append_json_str(out, c->message);
                first = 0;
            }
            if (c->field) {
                rg_buf_append_str(out, first ? "\"field\":" : ",\"field\":");
                rg_buf_append_json_str(out, c->field);
            }
            rg_buf_append_char(out, '}');
        }
        rg_buf_append_str(out, "]}");
    }
    rg_buf_appendf(out, ",\"code\":%d", st->code);
}

void rg_status_encode(rg_buf_t *out, const rg_status_t *st)
{
    rg_buf_append_str(out, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},");
    encode_body(out, st);
    rg_buf_append_char(out, '}');
}

void rg_status_encode_fields(rg_buf_t *out, const rg_status_t *st)
{
    rg_buf_append_str(out, "{\"metadata\":{},");
    encode_body(out, st);
    rg_buf_append_char(out, '}');
}
