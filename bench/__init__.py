"""Benchmarks for Charter (`make bench`); never run as tests."""
