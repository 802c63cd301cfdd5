/*
 * The wire types of k8s.io/kube-scheduler/extender/v1 as kube-scheduler
 * sends and reads them: PascalCase envelope keys (the Go structs have no
 * JSON tags; keys are matched ignoring case, as encoding/json does), the
 * embedded Pod and Node objects in their camelCase, any member possibly
 * null. Decoders keep spans of the body (a kept Node is echoed back byte
 * for byte); encoders write the answers. Private to src/extender/.
 */
#ifndef RAYGATE_EXT_CODEC_H
#define RAYGATE_EXT_CODEC_H

#include "raygate/arena.h"
#include "raygate/buf.h"
#include "raygate/err.h"

#include <stdbool.h>
#include <stddef.h>

/* A Node of ExtenderArgs.Nodes.items: its name and its exact bytes. */
typedef struct ext_node_ref {
    const char *name; /* arena; NULL when the object has no metadata.name */
    const char *json;
    size_t len;
} ext_node_ref_t;

/* ExtenderArgs. Spans point into the body; names live in the arena. */
typedef struct ext_args {
    const char *pod; /* the Pod object's bytes, NULL when absent or null */
    size_t pod_len;
    bool has_nodes; /* Nodes given (nodeCacheCapable false) */
    ext_node_ref_t *nodes;
    size_t n_nodes;
    const char *nodes_json; /* the whole Nodes value, for a pass-through answer */
    size_t nodes_len;
    bool has_names; /* NodeNames given (nodeCacheCapable true) */
    const char **names;
    size_t n_names;
} ext_args_t;

/* Decodes ExtenderArgs; more than max_nodes nodes (or names) is RG_ERR_TOO_BIG. */
int ext__args_decode(const char *body, size_t len, size_t max_nodes, rg_arena_t *arena,
                     ext_args_t *out, rg_error_t *err);

/* ExtenderBindingArgs. */
typedef struct ext_bind_args {
    const char *pod_name, *pod_namespace, *pod_uid, *node; /* arena; "" when absent */
} ext_bind_args_t;

int ext__bind_args_decode(const char *body, size_t len, rg_arena_t *arena, ext_bind_args_t *out,
                          rg_error_t *err);

/* One node's victims of ExtenderPreemptionArgs. */
typedef struct ext_victims {
    const char *node;
    const char **uids; /* MetaPod.UID, or a full Pod's metadata.uid */
    size_t n_uids;
    const char *pdb; /* NumPDBViolations as written (a JSON number), "0" when absent */
    size_t pdb_len;
} ext_victims_t;

typedef struct ext_preempt_args {
    const char *pod;
    size_t pod_len;
    ext_victims_t *nodes; /* NodeNameToMetaVictims, else NodeNameToVictims */
    size_t n_nodes;
} ext_preempt_args_t;

int ext__preempt_args_decode(const char *body, size_t len, size_t max_nodes, rg_arena_t *arena,
                             ext_preempt_args_t *out, rg_error_t *err);

/* ---- Answers ---- */

/* One refused node and why. */
typedef struct ext_failed {
    const char *node;
    const char *reason;
    bool unresolvable; /* preemption cannot help: FailedAndUnresolvableNodes */
} ext_failed_t;

/*
 * ExtenderFilterResult. With args->has_nodes the kept nodes (keep[i] for
 * args->nodes[i]) are echoed as Nodes.items, else their names as NodeNames.
 * keep NULL = every node kept (pass-through: the Nodes value is echoed whole).
 */
void ext__filter_result_encode(rg_buf_t *b, const ext_args_t *args, const bool *keep,
                               const ext_failed_t *failed, size_t n_failed);
/* A filter answer carrying only Error. */
void ext__filter_error_encode(rg_buf_t *b, const char *error);
/* HostPriorityList: [{"Host":..,"Score":..}] for the request's nodes. */
void ext__priorities_encode(rg_buf_t *b, const char *const *hosts, const int *scores, size_t n);
/* ExtenderBindingResult. */
void ext__bind_result_encode(rg_buf_t *b, const char *error);
/* ExtenderPreemptionResult over the kept nodes of args. */
void ext__preempt_result_encode(rg_buf_t *b, const ext_preempt_args_t *args, const bool *keep);

#endif
