/*
 * The ClusterQueue's raygate shorthand (DESIGN.md §2): a resource group
 * with `resources: [{name, nominalQuota, ...}]` and neither
 * coveredResources nor flavors is one flavor named "default-flavor"
 * covering those resources. This module owns turning that form into
 * Kueue's canonical coveredResources + flavors form, for the mutating
 * webhook and for anyone (admitter, `raygate check`) that needs the
 * canonical quota. Pure functions; any thread may call them.
 */
#ifndef RAYGATE_CLUSTERQUEUE_H
#define RAYGATE_CLUSTERQUEUE_H

#include "raygate/admission.h"
#include "raygate/json.h"
#include "raygate/webhooks.h"

#include <stdbool.h>

/* The flavor a shorthand resource group is read as. */
#define WH_SHORTHAND_FLAVOR "default-flavor"

/* True when group (one element of spec.resourceGroups) is in the
 * shorthand form: a "resources" member and no coveredResources/flavors. */
bool wh_clusterqueue_group_is_shorthand(const cJSON *group);

/*
 * Returns an owned canonical copy of spec.resourceGroups (free with
 * cJSON_Delete), or NULL when spec has no resourceGroups array. Canonical
 * groups are copied unchanged. Shorthand groups become one group with
 * coveredResources = the resource names in first-seen order and
 * flavors = [{name: "default-flavor", resources: [...]}], placed where the
 * first shorthand group was; when several groups use the shorthand they
 * are merged into that one group (one flavor cannot sit in two groups),
 * adding the quotas of a resource named more than once (a limit stays
 * only when every occurrence sets it). *changed (may be NULL) tells
 * whether any shorthand group was rewritten.
 */
cJSON *wh_clusterqueue_expand_shorthand(const cJSON *spec, bool *changed);

/*
 * The ClusterQueue defaulting: on CREATE or UPDATE of a ClusterQueue that
 * uses the shorthand, appends `replace /spec/resourceGroups` with the
 * canonical form to patch (owned by the caller). Always allowed except
 * when the patch cannot be built. out's strings are static.
 */
void wh_clusterqueue_mutate(const adm_request_t *req, adm_patch_t *patch, wh_result_t *out);

#endif
