"""Self-hosting for a class: N app replicas behind HAProxy (``python -m deploy.serve``), the same
HAProxy configuration as ``compose.yaml``, and a Kubernetes manifest (``deploy/k8s/``)."""
