"""Routes that are not dispatch strategies: probes, email, uploads, tasks and metrics."""
