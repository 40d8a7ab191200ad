"""Dagster wiring for the thesis warehouse: definitions, jobs, schedules, sensors and alerts, the CLI.

What they read (the catalog, the theses, the policies, the resources) is in `config/`.
"""
