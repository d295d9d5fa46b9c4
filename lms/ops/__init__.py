"""Operations: liveness, readiness and Prometheus metrics (issue 19, docs/ops/runbook.md)."""
