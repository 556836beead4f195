"""hooksim's benchmark harness: `make bench` (or `python -m bench`).

Every figure is the median of several runs, and every throughput is set against a floor
measured in the same run on the same machine (these machines are noisy: absolute numbers are
not comparable between runs, ratios are). See `bench/PERFORMANCE.md`.
"""
