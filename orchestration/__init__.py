"""Dagster wiring for the thesis warehouse: definitions, resources, jobs, schedules, sensors."""
