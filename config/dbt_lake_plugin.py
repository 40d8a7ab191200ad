"""A dbt-duckdb plugin for the team profile's dbt target: loads the DuckLake and PostgreSQL
extension files from their installed wheels before dbt attaches the lake.

dbt-duckdb's own `extensions:` setting runs `INSTALL <name>`, which downloads (and with a path,
copies the file into ~/.duckdb); a plugin's `configure_connection` runs on the new connection
before any ATTACH, so the files load by path, as everywhere else in the project (config/lake.py).
Named in dbt_project/profiles.yml as `plugins: [{module: config.dbt_lake_plugin}]`.
"""

from dbt.adapters.duckdb.plugins import BasePlugin

from config.lake import load_extensions


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        load_extensions(conn)
