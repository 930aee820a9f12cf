"""Benchmarks (run as scripts, see bench/README.md); not part of the app or the test suite."""
