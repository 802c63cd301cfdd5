/*
 * The conversion module owns version conversion of Kueue's API objects
 * (kueue.x-k8s.io v1beta1 <-> v1beta2) and the ConversionReview wire format
 * (apiextensions.k8s.io/v1) that lets CRDs serving both versions use raygate
 * as their conversion webhook (POST /convert). Pure functions over cJSON
 * trees: no I/O, no global state, so any thread may call them. Depends on
 * core only (err, buf, json, alloc).
 *
 * Renamed fields are mapped both ways (docs/conversion.md lists them); every
 * other field passes through untouched. A value one version cannot express
 * is kept in an annotation (CONVERT_ANNOTATION_V1BETA1 on v1beta2 objects,
 * CONVERT_ANNOTATION_V1BETA2 on v1beta1 objects) and restored when the object
 * converts back, so v1beta1 -> v1beta2 -> v1beta1 is lossless.
 */
#ifndef RAYGATE_CONVERT_H
#define RAYGATE_CONVERT_H

#include "raygate/buf.h"
#include "raygate/err.h"
#include "raygate/json.h"

#include <stddef.h>

#define CONVERT_GROUP "kueue.x-k8s.io"
#define CONVERT_V1BETA1 "kueue.x-k8s.io/v1beta1"
#define CONVERT_V1BETA2 "kueue.x-k8s.io/v1beta2"

/* Annotations holding what the other version cannot express (a JSON object
 * of field path -> original value). */
#define CONVERT_ANNOTATION_V1BETA1 "conversion.raygate.dev/v1beta1"
#define CONVERT_ANNOTATION_V1BETA2 "conversion.raygate.dev/v1beta2"

/* Most objects one ConversionReview may carry; more is a malformed review. */
#define CONVERT_MAX_OBJECTS 10000
/* Longest request.uid accepted. */
#define CONVERT_MAX_UID 256
/* Largest stash annotation read back; larger ones are ignored. */
#define CONVERT_MAX_STASH (256 * 1024)

/*
 * Converts obj (borrowed; a kueue.x-k8s.io object of any kind, v1beta1 or
 * v1beta2) to desired_api_version ("kueue.x-k8s.io/v1beta1" or "/v1beta2").
 * Returns an owned deep copy (free with cJSON_Delete), unchanged but for
 * apiVersion when the versions match. Returns NULL with err set
 * (RG_ERR_UNSUPPORTED for another group or an unknown version, RG_ERR_INVAL
 * for an object without apiVersion or kind); err's message names the field
 * and the value. err may be NULL.
 */
cJSON *convert_kueue_object(const cJSON *obj, const char *desired_api_version, rg_error_t *err);

/*
 * Handles one ConversionReview body (len bytes at body, no NUL needed):
 * converts every request.objects[] to request.desiredAPIVersion and appends
 * the response review to out (caller's buffer). An object that cannot be
 * converted makes the whole answer result {"status":"Failure","message":...}
 * without convertedObjects, as the apiserver expects; that is still a
 * success of this function (returns 0). Returns a negative rg_err_t (for an
 * HTTP 400) only when the review itself is malformed: RG_ERR_PARSE for bad
 * JSON, RG_ERR_INVAL for a missing or mistyped field (message naming it),
 * RG_ERR_TOO_BIG past CONVERT_MAX_OBJECTS objects. Nothing is appended to
 * out on error.
 */
int convert_review_handle(const char *body, size_t len, rg_buf_t *out, rg_error_t *err);

#endif
