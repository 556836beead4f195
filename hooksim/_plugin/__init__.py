"""The pytest plugin's parts (private): fixtures, the test harness around a platform, the
management API client, explanatory assertions, YAML scenario items and the session report.

`hooksim.pytest_plugin` is the entry point; it imports only `_fixtures` eagerly, and that module
imports nothing beyond pytest until a fixture is used. Users import `hooksim.testing`.
"""
