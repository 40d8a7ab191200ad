"""The analysts' copy: replaced whole or not at all, read-only, and no debris readers could open."""

import hashlib
import stat

import duckdb
import pytest

from assets import publish as publish_module
from assets.publish import publish, published_path
from config.resources import WarehouseResource


def write_version(warehouse: WarehouseResource, version: int) -> None:
    """A warehouse holding `version` and the one-row thesis summary a publish requires."""
    with warehouse.connect() as con:
        con.execute("create or replace table main.version as select ? as version", [version])
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.thesis_summary as select ? as run_id, 'a_thesis' as thesis, "
            "date '2026-11-24' as as_of, 'verdict' as row_type, 'neutral' as status",
            [f"run-{version}"],
        )


def published_version(path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select version from main.version").fetchone()[0]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_published_copy_is_a_read_only_file(warehouse_env):
    warehouse = WarehouseResource()
    write_version(warehouse, 1)
    target = publish(warehouse, "run", "demo")
    assert target == published_path(warehouse)
    assert stat.S_IMODE(target.stat().st_mode) == 0o444
    assert published_version(target) == 1


def test_a_publish_killed_before_its_rename_leaves_the_last_copy_and_the_next_sweeps_its_debris(
    warehouse_env, monkeypatch
):
    warehouse = WarehouseResource()
    write_version(warehouse, 1)
    target = publish(warehouse, "run", "demo")
    before = digest(target)
    write_version(warehouse, 2)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed just before the rename")

    with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
        patched.setattr(publish_module.os, "replace", killed)
        publish(warehouse, "run", "demo")
    debris = [p.name for p in target.parent.iterdir() if p != target]
    assert digest(target) == before
    # What a killed publish leaves is a hidden folder: `*.duckdb` in the published folder never matches it.
    assert debris == [".staging"]
    assert list(target.parent.glob("*.duckdb")) == [target]

    publish(warehouse, "run", "demo")
    assert [p.name for p in target.parent.iterdir()] == [target.name]
    assert published_version(target) == 2
    assert stat.S_IMODE(target.stat().st_mode) == 0o444
