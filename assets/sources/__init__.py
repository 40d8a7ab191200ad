"""Source connectors: request building, wire-format parsers and demo bodies, one module per family.

Everything here is plain Python (no Dagster), so tests call parsers directly.
"""
