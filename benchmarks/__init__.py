"""Benchmarks: run them with ``nox -s bench``; results go to docs/benchmarks.md."""
