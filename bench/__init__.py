"""Benchmarks: each prints a table; none is a test (speed is measured, never asserted)."""
