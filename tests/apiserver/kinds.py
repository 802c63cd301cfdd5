"""Built-in kinds the double stores without behaviour, so that raygate's deployment
(manifests/deploy) applies to it as to a cluster: ServiceAccount, Service, ConfigMap, Secret,
Deployment and PodDisruptionBudget.  No controller acts on them (a Deployment makes no pods)."""

import kubedouble as kd  # the sibling server module (one instance: see the top of kubedouble.py)


def resource_types():
    """ResourceTypes of the stored-only kinds, as discovery lists them on a cluster."""
    rt = kd.ResourceType
    return [
        rt("", "v1", "serviceaccounts", "ServiceAccount", True, short_names=["sa"]),
        rt("", "v1", "services", "Service", True, short_names=["svc"], status_subresource=True,
           categories=["all"]),
        rt("", "v1", "configmaps", "ConfigMap", True, short_names=["cm"]),
        rt("", "v1", "secrets", "Secret", True, field_labels={"type"}),
        rt("apps", "v1", "deployments", "Deployment", True, short_names=["deploy"], status_subresource=True,
           drop_status_on_create=True, categories=["all"]),
        rt("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, short_names=["pdb"],
           status_subresource=True, drop_status_on_create=True),
    ]
