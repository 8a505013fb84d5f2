"""Benchmark studies of the package: one folder per study (see README.md), tools in diagnostics/."""
