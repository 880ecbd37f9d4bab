"""Baseline servers the load benchmark compares Netra with (each runs as its own process)."""
