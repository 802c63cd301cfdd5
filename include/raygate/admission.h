/*
 * The admission module owns the AdmissionReview wire format
 * (admission.k8s.io/v1, and v1beta1 answered in kind) and the RFC 6902
 * JSON Patch builder the mutating webhook answers with. Decoding parses the
 * body once and keeps borrowed pointers into that tree; encoding appends
 * straight to an rg_buf_t. Any thread may call any function: nothing here is
 * shared, each request and each patch belongs to one thread at a time.
 * Depends on core only (buf, json, kstatus); never on http, kube or quota.
 */
#ifndef RAYGATE_ADMISSION_H
#define RAYGATE_ADMISSION_H

#include "raygate/arena.h"
#include "raygate/buf.h"
#include "raygate/err.h"
#include "raygate/json.h"
#include "raygate/kstatus.h"

#include <stdbool.h>
#include <stddef.h>

/* Most userInfo.groups entries a request may carry; more is refused. */
#define ADM_MAX_GROUPS 1024
/* Longest request.uid accepted (the apiserver sends 36-byte UUIDs). */
#define ADM_MAX_UID 256

typedef enum adm_version {
    ADM_V1 = 0,  /* admission.k8s.io/v1 */
    ADM_V1BETA1, /* admission.k8s.io/v1beta1 */
} adm_version_t;

typedef enum adm_operation {
    ADM_OP_CREATE = 0,
    ADM_OP_UPDATE,
    ADM_OP_DELETE,
    ADM_OP_CONNECT,
} adm_operation_t;

/* A GroupVersionKind; group is "" for the core group. Borrowed strings. */
typedef struct adm_gvk {
    const char *group;
    const char *version;
    const char *kind;
} adm_gvk_t;

/* A GroupVersionResource; group is "" for the core group. Borrowed strings. */
typedef struct adm_gvr {
    const char *group;
    const char *version;
    const char *resource;
} adm_gvr_t;

/* request.userInfo; extra is ignored. Absent strings read as "". */
typedef struct adm_user_info {
    const char *username;
    const char *uid;
    const char *const *groups; /* n_groups borrowed strings */
    size_t n_groups;
} adm_user_info_t;

/* Groups kept inside the request without a heap allocation. */
#define ADM_GROUPS_INLINE 8

/*
 * One decoded AdmissionReview request. Caller's struct: fill it with
 * adm_review_decode, release it with adm_request_release. Every string and
 * node borrows from the parsed tree the struct owns (root), so they live
 * until the release. The tree is read-only: its nodes live in the
 * request's arena, so never modify, detach or cJSON_Delete them (copy with
 * cJSON_Duplicate to edit). Optional strings that were absent read as "", never NULL.
 */
typedef struct adm_request {
    adm_version_t version; /* from the top-level apiVersion; answered in kind */
    const char *uid;       /* non-empty */
    adm_gvk_t kind;
    adm_gvr_t resource;
    const char *sub_resource;
    /* requestKind/requestResource/requestSubResource; when the apiserver
     * omitted them (v1beta1 may) they equal kind/resource/subResource. */
    adm_gvk_t request_kind;
    adm_gvr_t request_resource;
    const char *request_sub_resource;
    const char *name;      /* "" for a CREATE with generateName */
    const char *namespace; /* "" for cluster-scoped objects */
    adm_operation_t operation;
    const char *operation_str; /* "CREATE", ... */
    adm_user_info_t user_info;
    const cJSON *object;     /* NULL when absent or JSON null; else an object */
    const cJSON *old_object; /* NULL when absent or JSON null; else an object */
    const cJSON *options;    /* NULL when absent or JSON null; else an object */
    bool dry_run;

    /* Private: the tree (read-only, every node in arena_) and the group
     * pointers. */
    cJSON *root_;
    rg_arena_t arena_;
    const char **groups_heap_;
    const char *groups_inline_[ADM_GROUPS_INLINE];
} adm_request_t;

/* Arena block of a decoded request: one block holds a typical review. */
#define ADM_ARENA_BLOCK (16 * 1024)

/* Zeroes req so that adm_request_release on it is safe. */
void adm_request_init(adm_request_t *req);

/*
 * Decodes len bytes of an AdmissionReview into req (which need not be
 * initialised). Returns 0, or RG_ERR_PARSE (malformed JSON, with the byte
 * offset) / RG_ERR_INVAL (wrong shape: the message names the field and the
 * problem, e.g. "request.uid: must be a string, got number") with err filled
 * and req left released. On success release req with adm_request_release.
 */
int adm_review_decode(const char *body, size_t len, adm_request_t *req, rg_error_t *err);

/* Frees what req owns and zeroes it; safe on an initialised or released req. */
void adm_request_release(adm_request_t *req);

/* "CREATE", "UPDATE", ...; static strings. */
const char *adm_operation_name(adm_operation_t op);
/* "admission.k8s.io/v1" or "admission.k8s.io/v1beta1"; static strings. */
const char *adm_version_name(adm_version_t v);

typedef struct adm_patch adm_patch_t;

/*
 * What the webhook decided. All pointers borrow from the caller for the
 * duration of adm_review_encode.
 */
typedef struct adm_response {
    bool allowed;
    int code;            /* 0 = none; a denial with 0 is answered 403 */
    const char *reason;  /* StatusReason; NULL derives it from code */
    const char *message; /* NULL = none */
    const rg_status_cause_t *causes;
    size_t n_causes;
    const adm_patch_t *patch; /* NULL = none; an empty patch is omitted too */
    const char *const *warnings;
    size_t n_warnings;
    const char *const *audit_keys;
    const char *const *audit_values;
    size_t n_audit;
} adm_response_t;

/*
 * Appends the AdmissionReview answering req (same apiVersion, same uid) to
 * out: response.allowed always; status when denied, or when a message,
 * reason or causes are given; patch (standard base64) and patchType
 * "JSONPatch" with a non-empty patch; warnings and auditAnnotations when
 * there are any.
 */
void adm_review_encode(const adm_request_t *req, const adm_response_t *resp, rg_buf_t *out);

/* Appends the standard base64 (with padding, no newlines) of len bytes. */
void adm_base64_append(rg_buf_t *out, const void *data, size_t len);

/*
 * Appends segment as one RFC 6901 reference token: "~" becomes "~0" and
 * "/" becomes "~1" (no leading "/" is written).
 */
void adm_pointer_escape(rg_buf_t *out, const char *segment);

/* The operations of an RFC 6902 patch. */
typedef enum adm_patch_opkind {
    ADM_PATCH_ADD = 0,
    ADM_PATCH_REMOVE,
    ADM_PATCH_REPLACE,
    ADM_PATCH_TEST,
} adm_patch_opkind_t;

/* Returns an owned, empty patch; free with adm_patch_free. */
adm_patch_t *adm_patch_new(void);
/* Frees p; adm_patch_free(NULL) does nothing. */
void adm_patch_free(adm_patch_t *p);
/* Drops every operation but keeps the memory, to reuse p for a new review. */
void adm_patch_clear(adm_patch_t *p);

/*
 * Append one operation at the JSON pointer built from the n segments (each
 * escaped with adm_pointer_escape; n == 0 is the whole document).
 * json_value is raw JSON text copied verbatim (a string literal with its
 * quotes, true, 12, {"a":1}); the caller vouches that it is valid JSON.
 * Return 0, or RG_ERR_INVAL for NULL arguments or an empty value.
 */
int adm_patch_add(adm_patch_t *p, const char *const *segments, size_t n, const char *json_value);
int adm_patch_replace(adm_patch_t *p, const char *const *segments, size_t n,
                      const char *json_value);
int adm_patch_test(adm_patch_t *p, const char *const *segments, size_t n, const char *json_value);
int adm_patch_remove(adm_patch_t *p, const char *const *segments, size_t n);

/*
 * Makes the value at segments (object keys; decimal indexes inside arrays)
 * equal json_value in doc as this patch leaves it. doc is the original
 * object (borrowed, read only); the operations already in p are applied
 * over it as an overlay, so successive calls see what earlier ones created.
 * Emits "replace" when the member exists and "add" when not; when parents
 * are missing it emits one "add" of the first missing parent holding the
 * value in nested objects; an existing parent that is not an object or
 * array (a string, null, ...) is replaced by such a nested object.
 * Returns 0, or RG_ERR_INVAL for NULL arguments, n == 0, a doc that is not
 * an object, or an array parent whose segment is not an index in range.
 */
int adm_patch_set(adm_patch_t *p, const cJSON *doc, const char *const *segments, size_t n,
                  const char *json_value);
/* adm_patch_set with value a string (JSON-escaped here) or a boolean. */
int adm_patch_set_string(adm_patch_t *p, const cJSON *doc, const char *const *segments, size_t n,
                         const char *value);
int adm_patch_set_bool(adm_patch_t *p, const cJSON *doc, const char *const *segments, size_t n,
                       bool value);

/* Number of operations in p (0 for NULL). */
size_t adm_patch_len(const adm_patch_t *p);
/* The JSON pointer (RFC 6901 escaped, not JSON-string escaped) and the op
 * name ("add", ...) of operation i, for the audit log; borrowed from p until
 * its next change. NULL when i is out of range; adm_patch_op_kind needs
 * i < adm_patch_len(p) and answers ADM_PATCH_TEST otherwise. */
const char *adm_patch_op_path(const adm_patch_t *p, size_t i);
const char *adm_patch_op_name(const adm_patch_t *p, size_t i);
adm_patch_opkind_t adm_patch_op_kind(const adm_patch_t *p, size_t i);

/* Appends the patch as a JSON array ("[]" when empty) to out. */
void adm_patch_append_json(const adm_patch_t *p, rg_buf_t *out);

#endif
