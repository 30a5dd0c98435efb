"""Micro-benchmarks of the target app's dispatch paths, in process (pytest-benchmark)."""
