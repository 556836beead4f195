"""Delivery credentials, payload mapping and batching (tests/delivery): fixtures live in
`_bench.py`, imported by name like tests/simulator's `_world.py`."""
