"""Dagster assets: ingest (sources → raw DuckDB tables), dbt models, and the polars thesis summary."""
