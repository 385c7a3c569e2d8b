"""Benchmarks of the order engine on the local cloud (`make bench`)."""
