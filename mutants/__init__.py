"""Mutation testing of the reference platform, measured by the scenario library alone
(`make mutants`; see `mutants/README.md`)."""
