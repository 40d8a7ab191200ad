"""A dbt-duckdb plugin for the file profile's dbt target: dbt opens the warehouse $WAREHOUSE_PATH
names, while its profile names the file alone.

dbt reuses its last parse only when the profile's connection fields are unchanged, and a full
parse of this project takes twice a partial one (7-8.6 s against 3.4-3.7 s here). With the folder
in the profile, every new warehouse folder parsed everything again: a fresh clone's first
`make run`, each replay, each test's temporary warehouse. The folder never changes what dbt parses
(the database is named after the file), so it is read here, when dbt connects. Named in
dbt_project/profiles.yml as `plugins: [{module: config.dbt_file_plugin}]`.
"""

import os
from typing import Any

from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt_common.exceptions import DbtRuntimeError

# As profiles.yml's fallback: someone running dbt by hand from dbt_project/.
DEFAULT_PATH = "../data/warehouse.duckdb"


def warehouse_path(profile_path: str) -> str:
    """The file dbt opens: $WAREHOUSE_PATH, which must end in the profile's file name (an `md:`
    target, which has no folder, is the same in both)."""
    path = os.environ.get("WAREHOUSE_PATH") or DEFAULT_PATH
    if profile_path not in (path, os.path.basename(path)):
        raise DbtRuntimeError(
            f"dbt's profile names the warehouse {profile_path!r}, which is not the file "
            f"$WAREHOUSE_PATH names ({path!r}): run dbt with the environment the profile was rendered in"
        )
    return path


class Plugin(BasePlugin):
    def update_connection_config(self, creds: DuckDBCredentials, config: dict[str, Any]) -> None:
        # dbt-duckdb connects to `creds.path` right after this hook, the one it offers before then.
        creds.path = warehouse_path(creds.path)
