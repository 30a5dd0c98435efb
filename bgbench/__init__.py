"""bgbench: load tests and benchmarks for FastAPI background tasks."""
