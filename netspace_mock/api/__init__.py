"""The operator-facing HTTP API: one pipeline, a routing table, thin handlers per resource."""
