"""Benchmarks of facial-twitch-cds: latency, throughput, memory and fallback fetching (`make bench`)."""
