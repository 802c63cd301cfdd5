/*
 * Unit tests for webhooks/clusterqueue.c, localqueue.c and resourceflavor.c:
 * table-driven cases, each rule at its edge and just past it, asserting the
 * exact rendered field errors and warnings; the seed's queues; the
 * shorthand expansion and its JSON patch. JSON inputs are written with
 * single quotes (swapped for double quotes before parsing) to stay legible.
 */
#include "raygate/admission.h"
#include "raygate/alloc.h"
#include "raygate/clusterqueue.h"
#include "raygate/json.h"
#include "raygate/validate.h"

#include <check.h>

#include "harness.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBDOMAIN_MSG                                                                           \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' " \
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "     \
    "regex used for validation is "                                                           \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define QNAME_MSG                                                                          \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end " \
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "      \
    "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define LVALUE_MSG                                                                          \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', " \
    "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', " \
    " or 'my_value',  or '12345', regex used for validation is "                          \
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define QTY_MSG \
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

/* ---- JSON inputs ---- */
#define CQ1(spec) \
    "{'apiVersion':'kueue.x-k8s.io/v1beta1','kind':'ClusterQueue','metadata':{'name':'q'},'spec':" spec "}"
#define CQ2(spec) \
    "{'apiVersion':'kueue.x-k8s.io/v1beta2','kind':'ClusterQueue','metadata':{'name':'q'},'spec':" spec "}"
/* One canonical group: covered cpu, flavor f, quota fields q. */
#define RG(q) "[{'coveredResources':['cpu'],'flavors':[{'name':'f','resources':[{'name':'cpu'," q "}]}]}]"
#define R0 "spec.resourceGroups[0].flavors[0].resources[0]"
#define LQ(spec) \
    "{'apiVersion':'kueue.x-k8s.io/v1beta1','kind':'LocalQueue','metadata':{'name':'lq','namespace':'ns'},'spec':" spec "}"
#define RF(spec) \
    "{'apiVersion':'kueue.x-k8s.io/v1beta1','kind':'ResourceFlavor','metadata':{'name':'rf'},'spec':" spec "}"

#define SHORTHAND_WARN(i)                                                                     \
    "spec.resourceGroups[" #i "]: raygate shorthand: resources without flavors are read as " \
    "flavor \"default-flavor\""

#define SEED_02                                                                             \
    CQ1("{'namespaceSelector':{},'resourceGroups':[{'name':'default-resource-group',"      \
        "'resources':[{'name':'cpu','nominalQuota':20},{'name':'memory','nominalQuota':'40Gi'}," \
        "{'name':'nvidia.com/gpu','nominalQuota':4}]}]}")
#define SEED_08                                                                               \
    CQ1("{'namespaceSelector':{},'resourceGroups':[{'name':'gpu-resources','resources':["     \
        "{'name':'cpu','nominalQuota':200},{'name':'memory','nominalQuota':'1000Gi'},"          \
        "{'name':'nvidia.com/gpu','nominalQuota':32}]},{'name':'general-resources','resources':[" \
        "{'name':'cpu','nominalQuota':500},{'name':'memory','nominalQuota':'2000Gi'}]}]}")

typedef enum kind { K_CQ, K_LQ, K_RF } kind_t;

typedef struct vcase {
    const char *name;
    kind_t kind;
    const char *obj;
    const char *old;  /* NULL: CREATE */
    int cluster;      /* 0: no view; 1: empty view; 2: view holding ClusterQueue "cq" */
    const char *errs; /* rendered, joined by '\n' */
    const char *warns;
} vcase_t;

static const vcase_t CASES[] = {
    /* ---------------- ClusterQueue ---------------- */
    {"cq seed 02 shorthand", K_CQ, SEED_02, NULL, 0, "", SHORTHAND_WARN(0)},
    {"cq seed 08 two shorthand groups", K_CQ, SEED_08, NULL, 0, "",
     SHORTHAND_WARN(0) "\n" SHORTHAND_WARN(1) "\n"
     "spec.resourceGroups: raygate shorthand: 2 resource groups without flavors are merged "
     "into one group with flavor \"default-flavor\"; quotas of the same resource are added"},
    {"cq v1beta2 canonical full", K_CQ,
     CQ2("{'cohortName':'team','queueingStrategy':'StrictFIFO','stopPolicy':'None',"
         "'namespaceSelector':{'matchLabels':{'env':'prod'}},"
         "'resourceGroups':[{'coveredResources':['cpu','memory'],'flavors':[{'name':'on-demand',"
         "'resources':[{'name':'cpu','nominalQuota':'9','borrowingLimit':'1','lendingLimit':'9'},"
         "{'name':'memory','nominalQuota':'36Gi'}]},{'name':'spot','resources':[{'name':'cpu',"
         "'nominalQuota':'500m'},{'name':'memory','nominalQuota':0}]}]},"
         "{'coveredResources':['nvidia.com/gpu'],'flavors':[{'name':'a100','resources':[{'name':"
         "'nvidia.com/gpu','nominalQuota':8}]}]}],"
         "'preemption':{'reclaimWithinCohort':'Any','borrowWithinCohort':{'policy':'LowerPriority',"
         "'maxPriorityThreshold':100},'withinClusterQueue':'LowerOrNewerEqualPriority'},"
         "'flavorFungibility':{'whenCanBorrow':'MayStopSearch','whenCanPreempt':'TryNextFlavor'},"
         "'fairSharing':{'weight':'1'},'admissionChecksStrategy':{'admissionChecks':[{'name':'prov',"
         "'onFlavors':['spot','a100']}]}}"),
     NULL, 0, "", ""},
    {"cq no spec", K_CQ, "{'apiVersion':'kueue.x-k8s.io/v1beta1','kind':'ClusterQueue'}", NULL, 0,
     "", ""},
    {"cq nominal zero", K_CQ, CQ1("{'resourceGroups':" RG("'nominalQuota':0") "}"), NULL, 0, "",
     ""},
    {"cq nominal negative", K_CQ, CQ1("{'resourceGroups':" RG("'nominalQuota':'-1'") "}"), NULL,
     0, R0 ".nominalQuota: Invalid value: \"-1\": must be greater than or equal to 0", ""},
    {"cq nominal negative milli", K_CQ, CQ1("{'resourceGroups':" RG("'nominalQuota':-0.5") "}"),
     NULL, 0, R0 ".nominalQuota: Invalid value: \"-500m\": must be greater than or equal to 0",
     ""},
    {"cq nominal malformed", K_CQ, CQ1("{'resourceGroups':" RG("'nominalQuota':'1.5.5'") "}"),
     NULL, 0, R0 ".nominalQuota: Invalid value: \"1.5.5\": " QTY_MSG, ""},
    {"cq nominal wrong type", K_CQ, CQ1("{'resourceGroups':" RG("'nominalQuota':true") "}"), NULL,
     0,
     R0 ".nominalQuota: Invalid value: \"boolean\": " R0
        ".nominalQuota in body must be of type string: \"boolean\"",
     ""},
    {"cq nominal missing", K_CQ, CQ1("{'resourceGroups':" RG("'x':1") "}"), NULL, 0,
     R0 ".nominalQuota: Required value", ""},
    {"cq borrowing with cohort", K_CQ,
     CQ1("{'cohort':'c','resourceGroups':" RG("'nominalQuota':1,'borrowingLimit':0") "}"), NULL, 0,
     "", ""},
    {"cq borrowing without cohort", K_CQ,
     CQ1("{'resourceGroups':" RG("'nominalQuota':1,'borrowingLimit':'2'") "}"), NULL, 0,
     R0 ".borrowingLimit: Invalid value: \"2\": must be nil when cohort is empty", ""},
    {"cq borrowing negative", K_CQ,
     CQ1("{'cohort':'c','resourceGroups':" RG("'nominalQuota':1,'borrowingLimit':'-1Ki'") "}"),
     NULL, 0, R0 ".borrowingLimit: Invalid value: \"-1Ki\": must be greater than or equal to 0",
     ""},
    {"cq v1beta2 borrowing needs cohortName", K_CQ,
     CQ2("{'cohort':'c','resourceGroups':" RG("'nominalQuota':1,'borrowingLimit':1") "}"), NULL, 0,
     R0 ".borrowingLimit: Invalid value: \"1\": must be nil when cohort is empty",
     "unknown field \"spec.cohort\""},
    {"cq v1beta2 borrowing with cohortName", K_CQ,
     CQ2("{'cohortName':'c','resourceGroups':" RG("'nominalQuota':1,'borrowingLimit':1") "}"),
     NULL, 0, "", ""},
    {"cq lending equal nominal", K_CQ,
     CQ1("{'cohort':'c','resourceGroups':" RG("'nominalQuota':'2Gi','lendingLimit':'2048Mi'") "}"),
     NULL, 0, "", ""},
    {"cq lending above nominal", K_CQ,
     CQ1("{'cohort':'c','resourceGroups':" RG("'nominalQuota':'2Gi','lendingLimit':'2049Mi'") "}"),
     NULL, 0,
     R0 ".lendingLimit: Invalid value: \"2049Mi\": must be less than or equal to the nominalQuota",
     ""},
    {"cq lending without cohort", K_CQ,
     CQ1("{'resourceGroups':" RG("'nominalQuota':5,'lendingLimit':1") "}"), NULL, 0,
     R0 ".lendingLimit: Invalid value: \"1\": must be nil when cohort is empty", ""},
    {"cq lending negative", K_CQ,
     CQ1("{'cohort':'c','resourceGroups':" RG("'nominalQuota':5,'lendingLimit':'-1'") "}"), NULL, 0,
     R0 ".lendingLimit: Invalid value: \"-1\": must be greater than or equal to 0", ""},
    {"cq cohort invalid", K_CQ, CQ1("{'cohort':'Team_A'}"), NULL, 0,
     "spec.cohort: Invalid value: \"Team_A\": " SUBDOMAIN_MSG, ""},
    {"cq covered resource invalid", K_CQ,
     CQ1("{'resourceGroups':[{'coveredResources':['cpu!'],'flavors':[{'name':'f','resources':"
         "[{'name':'cpu!','nominalQuota':1}]}]}]}"),
     NULL, 0, "spec.resourceGroups[0].coveredResources[0]: Invalid value: \"cpu!\": name part " QNAME_MSG,
     ""},
    {"cq resource in two groups", K_CQ,
     CQ1("{'resourceGroups':[" "{'coveredResources':['cpu'],'flavors':[{'name':'a','resources':"
         "[{'name':'cpu','nominalQuota':1}]}]},{'coveredResources':['cpu'],'flavors':[{'name':'b',"
         "'resources':[{'name':'cpu','nominalQuota':1}]}]}]}"),
     NULL, 0, "spec.resourceGroups[1].coveredResources[0]: Duplicate value: \"cpu\"", ""},
    {"cq flavor in two groups", K_CQ,
     CQ1("{'resourceGroups':[" "{'coveredResources':['cpu'],'flavors':[{'name':'a','resources':"
         "[{'name':'cpu','nominalQuota':1}]}]},{'coveredResources':['memory'],'flavors':[{'name':'a',"
         "'resources':[{'name':'memory','nominalQuota':1}]}]}]}"),
     NULL, 0, "spec.resourceGroups[1].flavors[0].name: Duplicate value: \"a\"", ""},
    {"cq flavor name invalid", K_CQ,
     CQ1("{'resourceGroups':[{'coveredResources':['cpu'],'flavors':[{'name':'Spot_A','resources':"
         "[{'name':'cpu','nominalQuota':1}]}]}]}"),
     NULL, 0, "spec.resourceGroups[0].flavors[0].name: Invalid value: \"Spot_A\": " SUBDOMAIN_MSG,
     ""},
    {"cq resource name order", K_CQ,
     CQ1("{'resourceGroups':[{'coveredResources':['cpu','memory'],'flavors':[{'name':'f',"
         "'resources':[{'name':'memory','nominalQuota':1},{'name':'cpu','nominalQuota':1}]}]}]}"),
     NULL, 0,
     R0 ".name: Invalid value: \"memory\": must match the name in coveredResources\n"
        "spec.resourceGroups[0].flavors[0].resources[1].name: Invalid value: \"cpu\": must match "
        "the name in coveredResources",
     ""},
    {"cq flavor resource count", K_CQ,
     CQ1("{'resourceGroups':[{'coveredResources':['cpu','memory'],'flavors':[{'name':'f',"
         "'resources':[{'name':'cpu','nominalQuota':1}]}]}]}"),
     NULL, 0,
     "spec.resourceGroups[0]: Invalid value: \"object\": flavors must have the same number of "
     "resources as the coveredResources",
     ""},
    {"cq flavor resources duplicate key", K_CQ,
     CQ1("{'resourceGroups':[{'coveredResources':['cpu','memory'],'flavors':[{'name':'f',"
         "'resources':[{'name':'cpu','nominalQuota':1},{'name':'cpu','nominalQuota':1}]}]}]}"),
     NULL, 0,
     "spec.resourceGroups[0].flavors[0].resources[1]: Duplicate value: map[string]interface "
     "{}{\"name\":\"cpu\"}\n"
     "spec.resourceGroups[0].flavors[0].resources[1].name: Invalid value: \"cpu\": must match "
     "the name in coveredResources",
     ""},
    {"cq covered empty", K_CQ,
     CQ1("{'resourceGroups':[{'coveredResources':[],'flavors':[{'name':'f','resources':"
         "[{'name':'cpu','nominalQuota':1}]}]}]}"),
     NULL, 0,
     "spec.resourceGroups[0].coveredResources: Invalid value: 0: "
     "spec.resourceGroups[0].coveredResources in body should have at least 1 items\n"
     "spec.resourceGroups[0]: Invalid value: \"object\": flavors must have the same number of "
     "resources as the coveredResources",
     ""},
    {"cq flavors missing", K_CQ, CQ1("{'resourceGroups':[{'coveredResources':['cpu']}]}"), NULL, 0,
     "spec.resourceGroups[0].flavors: Required value", ""},
    {"cq strategy ok", K_CQ, CQ1("{'queueingStrategy':'BestEffortFIFO'}"), NULL, 0, "", ""},
    {"cq strategy bad", K_CQ, CQ1("{'queueingStrategy':'FIFO'}"), NULL, 0,
     "spec.queueingStrategy: Unsupported value: \"FIFO\": supported values: \"StrictFIFO\", "
     "\"BestEffortFIFO\"",
     ""},
    {"cq stop policy ok", K_CQ, CQ1("{'stopPolicy':'HoldAndDrain'}"), NULL, 0, "", ""},
    {"cq stop policy bad", K_CQ, CQ1("{'stopPolicy':'Drain'}"), NULL, 0,
     "spec.stopPolicy: Unsupported value: \"Drain\": supported values: \"None\", \"Hold\", "
     "\"HoldAndDrain\"",
     ""},
    {"cq reclaim never borrow lower", K_CQ,
     CQ1("{'preemption':{'reclaimWithinCohort':'Never','borrowWithinCohort':{'policy':"
         "'LowerPriority'}}}"),
     NULL, 0,
     "spec.preemption: Invalid value: \"object\": reclaimWithinCohort=Never and "
     "borrowWithinCohort.Policy!=Never",
     ""},
    {"cq reclaim default borrow lower", K_CQ,
     CQ1("{'preemption':{'borrowWithinCohort':{'policy':'LowerPriority'}}}"), NULL, 0,
     "spec.preemption: Invalid value: \"object\": reclaimWithinCohort=Never and "
     "borrowWithinCohort.Policy!=Never",
     ""},
    {"cq reclaim never borrow never", K_CQ,
     CQ1("{'preemption':{'reclaimWithinCohort':'Never','borrowWithinCohort':{'policy':'Never'}}}"),
     NULL, 0, "", ""},
    {"cq reclaim lower borrow lower", K_CQ,
     CQ1("{'preemption':{'reclaimWithinCohort':'LowerPriority','borrowWithinCohort':{'policy':"
         "'LowerPriority'}}}"),
     NULL, 0, "", ""},
    {"cq reclaim enum", K_CQ, CQ1("{'preemption':{'reclaimWithinCohort':'Always'}}"), NULL, 0,
     "spec.preemption.reclaimWithinCohort: Unsupported value: \"Always\": supported values: "
     "\"Never\", \"LowerPriority\", \"Any\"",
     ""},
    {"cq within enum", K_CQ, CQ1("{'preemption':{'withinClusterQueue':'Any'}}"), NULL, 0,
     "spec.preemption.withinClusterQueue: Unsupported value: \"Any\": supported values: "
     "\"Never\", \"LowerPriority\", \"LowerOrNewerEqualPriority\"",
     ""},
    {"cq borrow policy enum", K_CQ,
     CQ1("{'preemption':{'reclaimWithinCohort':'Any','borrowWithinCohort':{'policy':'Any'}}}"),
     NULL, 0,
     "spec.preemption.borrowWithinCohort.policy: Unsupported value: \"Any\": supported values: "
     "\"Never\", \"LowerPriority\"",
     ""},
    {"cq v1beta1 fungibility ok", K_CQ,
     CQ1("{'flavorFungibility':{'whenCanBorrow':'Borrow','whenCanPreempt':'Preempt'}}"), NULL, 0,
     "", ""},
    {"cq v1beta1 fungibility v1beta2 value", K_CQ,
     CQ1("{'flavorFungibility':{'whenCanBorrow':'MayStopSearch'}}"), NULL, 0,
     "spec.flavorFungibility.whenCanBorrow: Unsupported value: \"MayStopSearch\": supported "
     "values: \"Borrow\", \"TryNextFlavor\"",
     ""},
    {"cq v1beta2 fungibility v1beta1 value", K_CQ,
     CQ2("{'flavorFungibility':{'whenCanBorrow':'Borrow','whenCanPreempt':'Preempt'}}"), NULL, 0,
     "spec.flavorFungibility.whenCanBorrow: Unsupported value: \"Borrow\": supported values: "
     "\"MayStopSearch\", \"TryNextFlavor\"\n"
     "spec.flavorFungibility.whenCanPreempt: Unsupported value: \"Preempt\": supported values: "
     "\"MayStopSearch\", \"TryNextFlavor\"",
     ""},
    {"cq preference both try next", K_CQ,
     CQ2("{'flavorFungibility':{'whenCanBorrow':'TryNextFlavor','whenCanPreempt':'TryNextFlavor',"
         "'preference':'PreemptionOverBorrowing'}}"),
     NULL, 0, "", ""},
    {"cq preference with default borrow", K_CQ,
     CQ2("{'flavorFungibility':{'preference':'BorrowingOverPreemption'}}"), NULL, 0,
     "spec.flavorFungibility.preference: Invalid value: \"BorrowingOverPreemption\": preference "
     "\"BorrowingOverPreemption\" requires both whenCanBorrow and whenCanPreempt to be "
     "TryNextFlavor",
     ""},
    {"cq fair sharing zero", K_CQ, CQ2("{'fairSharing':{'weight':'0'}}"), NULL, 0, "", ""},
    {"cq fair sharing 2n", K_CQ, CQ2("{'fairSharing':{'weight':'2n'}}"), NULL, 0, "", ""},
    {"cq fair sharing 1n", K_CQ, CQ2("{'fairSharing':{'weight':'1n'}}"), NULL, 0,
     "spec.fairSharing: Invalid value: \"1n\": When not 0, weight must be > 10e-9", ""},
    {"cq fair sharing negative", K_CQ, CQ2("{'fairSharing':{'weight':'-0.5'}}"), NULL, 0,
     "spec.fairSharing: Invalid value: \"-500m\": must be greater than or equal to 0", ""},
    {"cq namespace selector", K_CQ,
     CQ1("{'namespaceSelector':{'matchExpressions':[{'key':'team','operator':'Has'}]}}"), NULL, 0,
     "spec.namespaceSelector.matchExpressions[0].operator: Invalid value: \"Has\": not a valid "
     "selector operator",
     ""},
    {"cq on flavors unknown", K_CQ,
     CQ2("{'resourceGroups':" RG("'nominalQuota':1") ",'admissionChecksStrategy':{"
         "'admissionChecks':[{'name':'ac','onFlavors':['f','g']}]}}"),
     NULL, 0,
     "spec.admissionChecksStrategy.admissionChecks[0].onFlavors[1]: Unsupported value: \"g\": "
     "supported values: \"f\"",
     ""},
    /* UPDATE: Kueue's legacy exemption (RejectUpdatesToCQWithInvalidOnFlavors off). */
    {"cq update keeps a stored invalid onFlavors", K_CQ,
     CQ2("{'resourceGroups':" RG("'nominalQuota':2") ",'admissionChecksStrategy':{"
         "'admissionChecks':[{'name':'ac','onFlavors':['g','f']}]}}"),
     CQ2("{'resourceGroups':" RG("'nominalQuota':1") ",'admissionChecksStrategy':{"
         "'admissionChecks':[{'name':'ac','onFlavors':['f','g']}]}}"),
     0, "", ""},
    {"cq update changes an invalid onFlavors", K_CQ,
     CQ2("{'resourceGroups':" RG("'nominalQuota':1") ",'admissionChecksStrategy':{"
         "'admissionChecks':[{'name':'ac','onFlavors':['h']}]}}"),
     CQ2("{'resourceGroups':" RG("'nominalQuota':1") ",'admissionChecksStrategy':{"
         "'admissionChecks':[{'name':'ac','onFlavors':['f','g']}]}}"),
     0,
     "spec.admissionChecksStrategy.admissionChecks[0].onFlavors[0]: Unsupported value: \"h\": "
     "supported values: \"f\"",
     ""},
    {"cq update adds a check with an invalid onFlavors", K_CQ,
     CQ2("{'resourceGroups':" RG("'nominalQuota':1") ",'admissionChecksStrategy':{"
         "'admissionChecks':[{'name':'ac','onFlavors':['g']},{'name':'ac2','onFlavors':['g']}]}}"),
     CQ2("{'resourceGroups':" RG("'nominalQuota':1") ",'admissionChecksStrategy':{"
         "'admissionChecks':[{'name':'ac','onFlavors':['g']}]}}"),
     0,
     "spec.admissionChecksStrategy.admissionChecks[1].onFlavors[0]: Unsupported value: \"g\": "
     "supported values: \"f\"",
     ""},
    {"cq update changing the flavors lifts the exemption", K_CQ,
     CQ2("{'resourceGroups':[{'coveredResources':['cpu'],'flavors':[{'name':'f2','resources':"
         "[{'name':'cpu','nominalQuota':1}]}]}],'admissionChecksStrategy':{"
         "'admissionChecks':[{'name':'ac','onFlavors':['g']}]}}"),
     CQ2("{'resourceGroups':" RG("'nominalQuota':1") ",'admissionChecksStrategy':{"
         "'admissionChecks':[{'name':'ac','onFlavors':['g']}]}}"),
     0,
     "spec.admissionChecksStrategy.admissionChecks[0].onFlavors[0]: Unsupported value: \"g\": "
     "supported values: \"f2\"",
     ""},
    {"cq update from no strategy gets no exemption", K_CQ,
     CQ2("{'resourceGroups':" RG("'nominalQuota':1") ",'admissionChecksStrategy':{"
         "'admissionChecks':[{'name':'ac','onFlavors':['g']}]}}"),
     CQ2("{'resourceGroups':" RG("'nominalQuota':1") "}"), 0,
     "spec.admissionChecksStrategy.admissionChecks[0].onFlavors[0]: Unsupported value: \"g\": "
     "supported values: \"f\"",
     ""},
    {"cq on flavors shorthand flavor", K_CQ,
     CQ1("{'resourceGroups':[{'resources':[{'name':'cpu','nominalQuota':1}]}],"
         "'admissionChecksStrategy':{'admissionChecks':[{'name':'ac','onFlavors':['default-flavor']}]}}"),
     NULL, 0, "", SHORTHAND_WARN(0)},
    {"cq v1beta1 both admission check forms", K_CQ,
     CQ1("{'admissionChecks':['a'],'admissionChecksStrategy':{'admissionChecks':[{'name':'a'}]}}"),
     NULL, 0,
     "spec: Invalid value: \"object\": Either AdmissionChecks or AdmissionCheckStrategy can be "
     "set, but not both",
     ""},
    {"cq shorthand duplicate resource", K_CQ,
     CQ1("{'resourceGroups':[{'resources':[{'name':'cpu','nominalQuota':1},{'name':'cpu',"
         "'nominalQuota':2}]}]}"),
     NULL, 0, "spec.resourceGroups[0].resources[1].name: Duplicate value: \"cpu\"",
     SHORTHAND_WARN(0)},
    {"cq shorthand negative quota", K_CQ,
     CQ1("{'resourceGroups':[{'resources':[{'name':'cpu','nominalQuota':'-2'}]}]}"), NULL, 0,
     "spec.resourceGroups[0].resources[0].nominalQuota: Invalid value: \"-2\": must be greater "
     "than or equal to 0",
     SHORTHAND_WARN(0)},
    {"cq shorthand bad resource name", K_CQ,
     CQ1("{'resourceGroups':[{'resources':[{'name':'/gpu','nominalQuota':1}]}]}"), NULL, 0,
     "spec.resourceGroups[0].resources[0].name: Invalid value: \"/gpu\": prefix part must be "
     "non-empty",
     SHORTHAND_WARN(0)},
    {"cq shorthand lending without cohort", K_CQ,
     CQ1("{'resourceGroups':[{'resources':[{'name':'cpu','nominalQuota':1,'lendingLimit':1}]}]}"),
     NULL, 0,
     "spec.resourceGroups[0].resources[0].lendingLimit: Invalid value: \"1\": must be nil when "
     "cohort is empty",
     SHORTHAND_WARN(0)},
    {"cq shorthand resource also canonical", K_CQ,
     CQ1("{'resourceGroups':[{'resources':[{'name':'cpu','nominalQuota':1}]},"
         "{'coveredResources':['cpu'],'flavors':[{'name':'f','resources':[{'name':'cpu',"
         "'nominalQuota':1}]}]}]}"),
     NULL, 0, "spec.resourceGroups[1].coveredResources[0]: Duplicate value: \"cpu\"",
     SHORTHAND_WARN(0)},
    {"cq shorthand flavor name taken", K_CQ,
     CQ1("{'resourceGroups':[{'resources':[{'name':'cpu','nominalQuota':1}]},"
         "{'coveredResources':['memory'],'flavors':[{'name':'default-flavor','resources':[{'name':"
         "'memory','nominalQuota':1}]}]}]}"),
     NULL, 0, "spec.resourceGroups[1].flavors[0].name: Duplicate value: \"default-flavor\"",
     SHORTHAND_WARN(0)},
    {"cq shorthand mixed with flavors", K_CQ,
     CQ1("{'resourceGroups':[{'resources':[{'name':'cpu'}],'coveredResources':['cpu'],"
         "'flavors':[{'name':'f','resources':[{'name':'cpu','nominalQuota':1}]}]}]}"),
     NULL, 0,
     "spec.resourceGroups[0].resources: Forbidden: raygate shorthand: may not be combined with "
     "coveredResources or flavors",
     ""},
    {"cq shorthand empty resources", K_CQ, CQ1("{'resourceGroups':[{'resources':[]}]}"), NULL, 0,
     "spec.resourceGroups[0].resources: Invalid value: 0: spec.resourceGroups[0].resources in "
     "body should have at least 1 items",
     SHORTHAND_WARN(0)},
    {"cq update same rules", K_CQ, CQ1("{'resourceGroups':" RG("'nominalQuota':'-1'") "}"),
     CQ1("{'resourceGroups':" RG("'nominalQuota':'1'") "}"), 0,
     R0 ".nominalQuota: Invalid value: \"-1\": must be greater than or equal to 0", ""},
    {"cq five violations", K_CQ,
     CQ1("{'cohort':'Bad_Cohort','queueingStrategy':'LIFO','resourceGroups':" RG(
         "'nominalQuota':'-1','borrowingLimit':'-1'") ",'fairSharing':{'weight':'1n'}}"),
     NULL, 0,
     "spec.cohort: Invalid value: \"Bad_Cohort\": " SUBDOMAIN_MSG "\n" R0
     ".nominalQuota: Invalid value: \"-1\": must be greater than or equal to 0\n" R0
     ".borrowingLimit: Invalid value: \"-1\": must be greater than or equal to 0\n"
     "spec.queueingStrategy: Unsupported value: \"LIFO\": supported values: \"StrictFIFO\", "
     "\"BestEffortFIFO\"\n"
     "spec.fairSharing: Invalid value: \"1n\": When not 0, weight must be > 10e-9",
     ""},

    /* ---------------- LocalQueue / Queue ---------------- */
    {"lq seed queue alias", K_LQ,
     "{'apiVersion':'kueue.x-k8s.io/v1beta1','kind':'Queue','metadata':{'name':'ai-queue'},"
     "'spec':{'clusterQueue':'ai-cluster-queue'}}",
     NULL, 0, "", "kind \"Queue\" is a raygate alias: read as kueue.x-k8s.io LocalQueue"},
    {"lq valid", K_LQ, LQ("{'clusterQueue':'cq','stopPolicy':'Hold'}"), NULL, 0, "", ""},
    {"lq missing cluster queue", K_LQ, LQ("{}"), NULL, 0, "spec.clusterQueue: Required value", ""},
    {"lq missing spec", K_LQ, "{'kind':'LocalQueue'}", NULL, 0, "spec.clusterQueue: Required value",
     ""},
    {"lq empty cluster queue", K_LQ, LQ("{'clusterQueue':''}"), NULL, 0,
     "spec.clusterQueue: Invalid value: \"\": " SUBDOMAIN_MSG, ""},
    {"lq invalid cluster queue", K_LQ, LQ("{'clusterQueue':'AI_Queue'}"), NULL, 0,
     "spec.clusterQueue: Invalid value: \"AI_Queue\": " SUBDOMAIN_MSG, ""},
    {"lq cluster queue type", K_LQ, LQ("{'clusterQueue':7}"), NULL, 0,
     "spec.clusterQueue: Invalid value: \"number\": spec.clusterQueue in body must be of type "
     "string: \"number\"",
     ""},
    {"lq stop policy bad", K_LQ, LQ("{'clusterQueue':'cq','stopPolicy':'Pause'}"), NULL, 0,
     "spec.stopPolicy: Unsupported value: \"Pause\": supported values: \"None\", \"Hold\", "
     "\"HoldAndDrain\"",
     ""},
    {"lq update unchanged", K_LQ, LQ("{'clusterQueue':'cq','stopPolicy':'Hold'}"),
     LQ("{'clusterQueue':'cq'}"), 0, "", ""},
    {"lq update changed", K_LQ, LQ("{'clusterQueue':'other'}"), LQ("{'clusterQueue':'cq'}"), 0,
     "spec.clusterQueue: Invalid value: \"other\": field is immutable", ""},
    {"lq update removed", K_LQ, LQ("{}"), LQ("{'clusterQueue':'cq'}"), 0,
     "spec.clusterQueue: Required value\nspec.clusterQueue: Invalid value: \"\": field is "
     "immutable",
     ""},
    {"lq cluster queue missing from view", K_LQ, LQ("{'clusterQueue':'nope'}"), NULL, 1, "",
     "spec.clusterQueue: clusterQueue \"nope\" does not exist yet; workloads will wait"},
    {"lq cluster queue in view", K_LQ, LQ("{'clusterQueue':'cq'}"), NULL, 2, "", ""},

    /* ---------------- ResourceFlavor ---------------- */
    {"rf empty", K_RF, RF("{}"), NULL, 0, "", ""},
    {"rf valid", K_RF,
     RF("{'nodeLabels':{'cloud.com/pool':'spot'},'nodeTaints':[{'key':'spot','value':'true',"
        "'effect':'NoSchedule'},{'key':'spot','value':'true','effect':'NoExecute'}],"
        "'tolerations':[{'key':'spot','operator':'Exists','effect':'NoExecute',"
        "'tolerationSeconds':30},{'operator':'Exists'},{'key':'a','operator':'Equal','value':'b'}]}"),
     NULL, 0, "", ""},
    {"rf 8 node labels", K_RF,
     RF("{'nodeLabels':{'a':'1','b':'1','c':'1','d':'1','e':'1','f':'1','g':'1','h':'1'}}"), NULL,
     0, "", ""},
    {"rf 9 node labels", K_RF,
     RF("{'nodeLabels':{'a':'1','b':'1','c':'1','d':'1','e':'1','f':'1','g':'1','h':'1','i':'1'}}"),
     NULL, 0, "spec.nodeLabels: Too many: 9: must have at most 8 items", ""},
    {"rf node label key", K_RF, RF("{'nodeLabels':{'a b':'1'}}"), NULL, 0,
     "spec.nodeLabels: Invalid value: \"a b\": name part " QNAME_MSG, ""},
    {"rf node label value", K_RF, RF("{'nodeLabels':{'a':'-x'}}"), NULL, 0,
     "spec.nodeLabels: Invalid value: \"-x\": " LVALUE_MSG, ""},
    {"rf taint effect bad", K_RF, RF("{'nodeTaints':[{'key':'k','effect':'NoAdmit'}]}"), NULL, 0,
     "spec.nodeTaints: Invalid value: \"array\": supported taint effect values: 'NoSchedule', "
     "'PreferNoSchedule', 'NoExecute'",
     ""},
    {"rf taint effect missing", K_RF, RF("{'nodeTaints':[{'key':'k'}]}"), NULL, 0,
     "spec.nodeTaints[0].effect: Required value", ""},
    {"rf taint key missing", K_RF, RF("{'nodeTaints':[{'effect':'NoSchedule'}]}"), NULL, 0,
     "spec.nodeTaints[0].key: Required value\n"
     "spec.nodeTaints[0].key: Invalid value: \"\": name part must be non-empty\n"
     "spec.nodeTaints[0].key: Invalid value: \"\": name part " QNAME_MSG,
     ""},
    {"rf taint value bad", K_RF,
     RF("{'nodeTaints':[{'key':'k','value':'a b','effect':'NoSchedule'}]}"), NULL, 0,
     "spec.nodeTaints[0].value: Invalid value: \"a b\": " LVALUE_MSG, ""},
    {"rf taint duplicate", K_RF,
     RF("{'nodeTaints':[{'key':'k','value':'1','effect':'NoSchedule'},{'key':'k','value':'2',"
        "'effect':'NoSchedule'}]}"),
     NULL, 0,
     "spec.nodeTaints[1]: Duplicate value: v1.Taint{Key:\"k\", Value:\"2\", Effect:\"NoSchedule\", "
     "TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair",
     ""},
    {"rf 9 taints", K_RF,
     RF("{'nodeTaints':[{'key':'a','effect':'NoSchedule'},{'key':'b','effect':'NoSchedule'},"
        "{'key':'c','effect':'NoSchedule'},{'key':'d','effect':'NoSchedule'},{'key':'e','effect':"
        "'NoSchedule'},{'key':'f','effect':'NoSchedule'},{'key':'g','effect':'NoSchedule'},"
        "{'key':'h','effect':'NoSchedule'},{'key':'i','effect':'NoSchedule'}]}"),
     NULL, 0, "spec.nodeTaints: Too many: 9: must have at most 8 items", ""},
    {"rf toleration no key equal", K_RF, RF("{'tolerations':[{'operator':'Equal'}]}"), NULL, 0,
     "spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` "
     "is empty, which means \"match all values and all keys\"",
     ""},
    {"rf toleration no key no operator", K_RF, RF("{'tolerations':[{'effect':'NoSchedule'}]}"),
     NULL, 0,
     "spec.tolerations[0].operator: Invalid value: \"\": operator must be Exists when `key` is "
     "empty, which means \"match all values and all keys\"",
     ""},
    {"rf toleration exists with value", K_RF,
     RF("{'tolerations':[{'key':'k','operator':'Exists','value':'v'}]}"), NULL, 0,
     "spec.tolerations[0].operator: Invalid value: v1.Toleration{Key:\"k\", Operator:\"Exists\", "
     "Value:\"v\", Effect:\"\", TolerationSeconds:(*int64)(nil)}: value must be empty when "
     "`operator` is 'Exists'",
     ""},
    {"rf toleration operator bad", K_RF, RF("{'tolerations':[{'key':'k','operator':'In'}]}"),
     NULL, 0,
     "spec.tolerations[0].operator: Unsupported value: \"In\": supported values: \"Equal\", "
     "\"Exists\"",
     ""},
    {"rf toleration seconds no execute", K_RF,
     RF("{'tolerations':[{'key':'k','operator':'Exists','effect':'NoSchedule',"
        "'tolerationSeconds':5}]}"),
     NULL, 0,
     "spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when "
     "`tolerationSeconds` is set",
     ""},
    {"rf toleration effect bad", K_RF,
     RF("{'tolerations':[{'key':'k','operator':'Exists','effect':'Never'}]}"), NULL, 0,
     "spec.tolerations[0].effect: Unsupported value: \"Never\": supported values: \"NoSchedule\", "
     "\"PreferNoSchedule\", \"NoExecute\"",
     ""},
    {"rf toleration value bad", K_RF,
     RF("{'tolerations':[{'key':'k','operator':'Equal','value':'a b'}]}"), NULL, 0,
     "spec.tolerations[0].operator: Invalid value: \"a b\": " LVALUE_MSG, ""},
    {"rf toleration key bad", K_RF, RF("{'tolerations':[{'key':'a/b/c','operator':'Exists'}]}"),
     NULL, 0,
     "spec.tolerations[0].key: Invalid value: \"a/b/c\": a qualified name " QNAME_MSG
     " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
     ""},
    {"rf 9 tolerations", K_RF,
     RF("{'tolerations':[{'operator':'Exists'},{'operator':'Exists'},{'operator':'Exists'},"
        "{'operator':'Exists'},{'operator':'Exists'},{'operator':'Exists'},{'operator':'Exists'},"
        "{'operator':'Exists'},{'operator':'Exists'}]}"),
     NULL, 0, "spec.tolerations: Too many: 9: must have at most 8 items", ""},
    {"rf topology needs node labels", K_RF, RF("{'topologyName':'default'}"), NULL, 0,
     "spec: Invalid value: \"object\": at least one nodeLabel is required when topology is set",
     ""},
    {"rf topology with node labels", K_RF,
     RF("{'topologyName':'default','nodeLabels':{'pool':'a'}}"), NULL, 0, "", ""},
    {"rf topology spec frozen", K_RF,
     RF("{'topologyName':'default','nodeLabels':{'pool':'b'}}"),
     RF("{'topologyName':'default','nodeLabels':{'pool':'a'}}"), 0,
     "spec: Invalid value: \"object\": resourceFlavorSpec are immutable when topologyName is set",
     ""},
};

/* Parses single-quoted JSON; owned tree. */
static cJSON *J(const char *s)
{
    char *d = rg_strdup(s);
    for (char *c = d; *c; c++)
        if (*c == '\'')
            *c = '"';
    cJSON *j = cJSON_Parse(d);
    rg_free(d);
    return j;
}

/* Runs one validator the way the dispatcher does; returns rendered errors
 * and warnings (owned). */
static void run(kind_t kind, const cJSON *obj, const cJSON *old, const wh_cluster_t *cluster,
                char **errs_out, char **warns_out)
{
    wh_vctx_t ctx = {
        .operation = old ? ADM_OP_UPDATE : ADM_OP_CREATE,
        .sub_resource = "",
        .api = wh_api_of(rg_json_get_string(obj, "apiVersion")),
        .cluster = cluster,
    };
    field_errors_t e = FIELD_ERRORS_INIT;
    wh_warnings_t w = WH_WARNINGS_INIT;
    switch (kind) {
    case K_CQ: wh_clusterqueue_validate(&ctx, obj, old, &e, &w); break;
    case K_LQ: wh_localqueue_validate(&ctx, obj, old, &e, &w); break;
    case K_RF: wh_resourceflavor_validate(&ctx, obj, old, &e, &w); break;
    }
    *errs_out = rgt_errors_text(&e);
    *warns_out = rgt_warnings_text(&w);
    field_errors_release(&e);
    wh_warnings_release(&w);
}

START_TEST(test_validate_queues__cases)
{
    const vcase_t *c = &CASES[_i];
    cJSON *obj = J(c->obj);
    ck_assert_msg(obj != NULL, "%s: bad test JSON", c->name);
    cJSON *old = c->old ? J(c->old) : NULL;
    ck_assert_msg(c->old == NULL || old != NULL, "%s: bad old JSON", c->name);
    cJSON *view = J(c->cluster == 2 ? "[{'apiVersion':'kueue.x-k8s.io/v1beta1','kind':"
                                      "'ClusterQueue','metadata':{'name':'cq'}}]"
                                    : "[]");
    wh_cluster_t cluster = rgt_array_cluster(view);
    char *errs, *warns;
    run(c->kind, obj, old, c->cluster ? &cluster : NULL, &errs, &warns);
    ck_assert_msg(strcmp(errs, c->errs) == 0, "%s: errors\n got: %s\nwant: %s", c->name, errs,
                  c->errs);
    ck_assert_msg(strcmp(warns, c->warns) == 0, "%s: warnings\n got: %s\nwant: %s", c->name,
                  warns, c->warns);
    rg_free(errs);
    rg_free(warns);
    cJSON_Delete(obj);
    cJSON_Delete(old);
    cJSON_Delete(view);
}
END_TEST

/* ---- list bounds, on generated ClusterQueues ---- */

/* groups x covered x flavors, unique names throughout; owned. */
static cJSON *gen_cq(int groups, int covered, int flavors)
{
    cJSON *cq = cJSON_CreateObject();
    cJSON_AddStringToObject(cq, "apiVersion", "kueue.x-k8s.io/v1beta1");
    cJSON_AddStringToObject(cq, "kind", "ClusterQueue");
    cJSON *spec = cJSON_AddObjectToObject(cq, "spec");
    cJSON *rgs = cJSON_AddArrayToObject(spec, "resourceGroups");
    for (int g = 0; g < groups; g++) {
        cJSON *rg = cJSON_CreateObject();
        cJSON *cov = cJSON_AddArrayToObject(rg, "coveredResources");
        char name[64];
        for (int k = 0; k < covered; k++) {
            snprintf(name, sizeof(name), "r%d-%d", g, k);
            cJSON_AddItemToArray(cov, cJSON_CreateString(name));
        }
        cJSON *fl = cJSON_AddArrayToObject(rg, "flavors");
        for (int j = 0; j < flavors; j++) {
            cJSON *f = cJSON_CreateObject();
            snprintf(name, sizeof(name), "f%d-%d", g, j);
            cJSON_AddStringToObject(f, "name", name);
            cJSON *res = cJSON_AddArrayToObject(f, "resources");
            for (int k = 0; k < covered; k++) {
                cJSON *r = cJSON_CreateObject();
                snprintf(name, sizeof(name), "r%d-%d", g, k);
                cJSON_AddStringToObject(r, "name", name);
                cJSON_AddNumberToObject(r, "nominalQuota", 1);
                cJSON_AddItemToArray(res, r);
            }
            cJSON_AddItemToArray(fl, f);
        }
        cJSON_AddItemToArray(rgs, rg);
    }
    return cq;
}

typedef struct bound_case {
    int groups, covered, flavors;
    const char *want; /* "" = valid; else one of the rendered errors */
} bound_case_t;

static const bound_case_t BOUNDS[] = {
    {16, 1, 1, ""},
    {17, 1, 1, "spec.resourceGroups: Too many: 17: must have at most 16 items"},
    {1, 64, 1, ""},
    {1, 65, 1, "spec.resourceGroups[0].coveredResources: Too many: 65: must have at most 64 items"},
    {1, 65, 1,
     "spec.resourceGroups[0].flavors[0].resources: Too many: 65: must have at most 64 items"},
    {1, 1, 64, ""},
    {1, 1, 65, "spec.resourceGroups[0].flavors: Too many: 65: must have at most 64 items"},
    {4, 1, 64, ""},
    {5, 1, 64,
     "spec.resourceGroups: Invalid value: 320: total number of flavors across all "
     "resourceGroups must be \xe2\x89\xa4 256, got 320"},
    {4, 64, 1, ""},
    {5, 64, 1,
     "spec.resourceGroups: Invalid value: 320: total number of covered resources across all "
     "resourceGroups must be \xe2\x89\xa4 256, got 320"},
    {1, 8, 64, ""},
    {1, 9, 64,
     "spec.resourceGroups[0]: Invalid value: 576: number of flavor-resource combinations in a "
     "resourceGroup must be \xe2\x89\xa4 512, got 576"},
};

START_TEST(test_validate_queues__bounds)
{
    const bound_case_t *c = &BOUNDS[_i];
    cJSON *cq = gen_cq(c->groups, c->covered, c->flavors);
    char *errs, *warns;
    run(K_CQ, cq, NULL, NULL, &errs, &warns);
    if (c->want[0] == '\0')
        ck_assert_str_eq(errs, "");
    else
        ck_assert_msg(strstr(errs, c->want) != NULL, "missing: %s\n got: %s", c->want, errs);
    rg_free(errs);
    rg_free(warns);
    cJSON_Delete(cq);
}
END_TEST

/* ---- shorthand expansion ---- */

typedef struct expand_case {
    const char *obj;
    bool changed;
    const char *want; /* printed canonical resourceGroups (double quotes) or "null" */
} expand_case_t;

static const expand_case_t EXPANDS[] = {
    {SEED_02, true,
     "[{\"coveredResources\":[\"cpu\",\"memory\",\"nvidia.com/gpu\"],\"flavors\":[{\"name\":"
     "\"default-flavor\",\"resources\":[{\"name\":\"cpu\",\"nominalQuota\":20},{\"name\":"
     "\"memory\",\"nominalQuota\":\"40Gi\"},{\"name\":\"nvidia.com/gpu\",\"nominalQuota\":4}]}]}]"},
    {SEED_08, true,
     "[{\"coveredResources\":[\"cpu\",\"memory\",\"nvidia.com/gpu\"],\"flavors\":[{\"name\":"
     "\"default-flavor\",\"resources\":[{\"name\":\"cpu\",\"nominalQuota\":\"700\"},{\"name\":"
     "\"memory\",\"nominalQuota\":\"3000Gi\"},{\"name\":\"nvidia.com/gpu\",\"nominalQuota\":32}]}]}]"},
    /* canonical groups stay where they are; the shorthand takes its place */
    {CQ1("{'cohort':'c','resourceGroups':[{'coveredResources':['x'],'flavors':[{'name':'f',"
         "'resources':[{'name':'x','nominalQuota':1}]}]},{'name':'g','resources':[{'name':'cpu',"
         "'nominalQuota':'1','borrowingLimit':'2','lendingLimit':'1','extra':true}]}]}"),
     true,
     "[{\"coveredResources\":[\"x\"],\"flavors\":[{\"name\":\"f\",\"resources\":[{\"name\":\"x\","
     "\"nominalQuota\":1}]}]},{\"coveredResources\":[\"cpu\"],\"flavors\":[{\"name\":"
     "\"default-flavor\",\"resources\":[{\"name\":\"cpu\",\"nominalQuota\":\"1\","
     "\"borrowingLimit\":\"2\",\"lendingLimit\":\"1\"}]}]}]"},
    /* merged limits: summed when every occurrence has one, dropped otherwise */
    {CQ1("{'cohort':'c','resourceGroups':[{'resources':[{'name':'cpu','nominalQuota':'500m',"
         "'borrowingLimit':'1','lendingLimit':'100m'}]},{'resources':[{'name':'cpu','nominalQuota':"
         "'1500m','borrowingLimit':'1'}]}]}"),
     true,
     "[{\"coveredResources\":[\"cpu\"],\"flavors\":[{\"name\":\"default-flavor\",\"resources\":"
     "[{\"name\":\"cpu\",\"nominalQuota\":\"2\",\"borrowingLimit\":\"2\"}]}]}]"},
    /* nothing to expand */
    {CQ1("{'resourceGroups':" RG("'nominalQuota':1") "}"), false,
     "[{\"coveredResources\":[\"cpu\"],\"flavors\":[{\"name\":\"f\",\"resources\":[{\"name\":"
     "\"cpu\",\"nominalQuota\":1}]}]}]"},
    {CQ1("{}"), false, "null"},
};

START_TEST(test_validate_queues__expand_shorthand)
{
    const expand_case_t *c = &EXPANDS[_i];
    cJSON *obj = J(c->obj);
    ck_assert_ptr_nonnull(obj);
    bool changed = !c->changed;
    cJSON *groups = wh_clusterqueue_expand_shorthand(rg_json_get_object(obj, "spec"), &changed);
    ck_assert(changed == c->changed);
    char *got = groups ? rg_json_print(groups) : rg_strdup("null");
    ck_assert_str_eq(got, c->want);
    /* The canonical form passes validation without shorthand warnings. */
    if (groups) {
        cJSON *copy = cJSON_Duplicate(obj, true);
        cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(copy, "spec"),
                                               "resourceGroups", groups);
        groups = NULL;
        char *errs, *warns;
        run(K_CQ, copy, NULL, NULL, &errs, &warns);
        ck_assert_str_eq(errs, "");
        ck_assert_str_eq(warns, "");
        rg_free(errs);
        rg_free(warns);
        cJSON_Delete(copy);
    }
    rg_free(got);
    cJSON_Delete(obj);
}
END_TEST

/* An AdmissionReview of kind (kueue.x-k8s.io) around obj (single-quoted JSON). */
static int decode_review(const char *op, const char *kind, const char *obj_json,
                         adm_request_t *req)
{
    char *body = rg_asprintf(
        "{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview','request':{'uid':'u1',"
        "'kind':{'group':'kueue.x-k8s.io','version':'v1beta1','kind':'%s'},"
        "'resource':{'group':'kueue.x-k8s.io','version':'v1beta1','resource':'r'},"
        "'name':'q','operation':'%s','userInfo':{'username':'u'},'object':%s}}",
        kind, op, obj_json);
    for (char *c = body; *c; c++)
        if (*c == '\'')
            *c = '"';
    rg_error_t err = {0};
    int rc = adm_review_decode(body, strlen(body), req, &err);
    rg_free(body);
    return rc;
}

#define FIN_ADD                                                                        \
    "{\"op\":\"add\",\"path\":\"/metadata/finalizers\",\"value\":[\"kueue.x-k8s.io/" \
    "resource-in-use\"]}"
#define CQ_META(meta, spec)                                                                \
    "{'apiVersion':'kueue.x-k8s.io/v1beta2','kind':'ClusterQueue','metadata':{'name':'q'," meta \
    "},'spec':" spec "}"
#define RF_META(meta) \
    "{'apiVersion':'kueue.x-k8s.io/v1beta2','kind':'ResourceFlavor','metadata':{'name':'f'" meta "}}"

/* What the mutating webhook answers for ClusterQueues and ResourceFlavors:
 * the shorthand rewrite and Kueue's resource-in-use finalizer on CREATE. */
START_TEST(test_validate_queues__mutate_patch)
{
    static const struct {
        const char *op;
        const char *kind;
        const char *obj;
        const char *patch;
    } cases[] = {
        {"CREATE", "ClusterQueue", SEED_02,
         "[" FIN_ADD ",{\"op\":\"replace\",\"path\":\"/spec/resourceGroups\",\"value\":"
         "[{\"coveredResources\":[\"cpu\",\"memory\",\"nvidia.com/gpu\"],\"flavors\":[{"
         "\"name\":\"default-flavor\",\"resources\":[{\"name\":\"cpu\",\"nominalQuota\":20},"
         "{\"name\":\"memory\",\"nominalQuota\":\"40Gi\"},{\"name\":\"nvidia.com/gpu\","
         "\"nominalQuota\":4}]}]}]}]"},
        {"UPDATE", "ClusterQueue",
         CQ1("{'resourceGroups':[{'resources':[{'name':'cpu','nominalQuota':1}]}]}"),
         "[{\"op\":\"replace\",\"path\":\"/spec/resourceGroups\",\"value\":[{\"coveredResources\":"
         "[\"cpu\"],\"flavors\":[{\"name\":\"default-flavor\",\"resources\":[{\"name\":\"cpu\","
         "\"nominalQuota\":1}]}]}]}]"},
        {"CREATE", "ClusterQueue", CQ1("{'resourceGroups':" RG("'nominalQuota':1") "}"),
         "[" FIN_ADD "]"},
        {"CREATE", "ClusterQueue", CQ_META("'finalizers':['example.com/keep']", "{}"),
         "[{\"op\":\"add\",\"path\":\"/metadata/finalizers/-\",\"value\":\"kueue.x-k8s.io/"
         "resource-in-use\"}]"},
        {"CREATE", "ClusterQueue",
         CQ_META("'finalizers':['example.com/keep','kueue.x-k8s.io/resource-in-use']", "{}"), "[]"},
        {"UPDATE", "ClusterQueue", CQ1("{'resourceGroups':" RG("'nominalQuota':1") "}"), "[]"},
        {"DELETE", "ClusterQueue", SEED_02, "[]"},
        {"CREATE", "ResourceFlavor", RF_META(""), "[" FIN_ADD "]"},
        {"CREATE", "ResourceFlavor", RF_META(",'finalizers':['kueue.x-k8s.io/resource-in-use']"),
         "[]"},
        {"UPDATE", "ResourceFlavor", RF_META(""), "[]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        adm_request_t req;
        char *obj = rg_strdup(cases[i].obj);
        ck_assert_int_eq(decode_review(cases[i].op, cases[i].kind, obj, &req), 0);
        adm_patch_t *patch = adm_patch_new();
        wh_result_t out;
        ck_assert(!wh_mutate_reads_cluster(&req));
        wh_mutate(&req, NULL, patch, &out);
        ck_assert(out.allowed);
        ck_assert_ptr_nonnull(out.reason);
        rg_buf_t b = RG_BUF_INIT;
        adm_patch_append_json(patch, &b);
        ck_assert_msg(strcmp(b.data, cases[i].patch) == 0, "case %zu\n want %s\n  got %s", i,
                      cases[i].patch, b.data);
        rg_buf_release(&b);
        adm_patch_free(patch);
        adm_request_release(&req);
        rg_free(obj);
    }
}
END_TEST

static Suite *queues_suite(void)
{
    Suite *s = suite_create("validate_queues");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_validate_queues__cases, 0, sizeof(CASES) / sizeof(CASES[0]));
    tcase_add_loop_test(tc, test_validate_queues__bounds, 0, sizeof(BOUNDS) / sizeof(BOUNDS[0]));
    tcase_add_loop_test(tc, test_validate_queues__expand_shorthand, 0,
                        sizeof(EXPANDS) / sizeof(EXPANDS[0]));
    tcase_add_test(tc, test_validate_queues__mutate_patch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rgt_run_suite(queues_suite());
}
