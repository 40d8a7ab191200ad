"""The attack surface: a loopback UI, SQL that never splices data, safe YAML, a read-only analysts' copy."""

import ast
import datetime as dt
import os
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from assets import raw
from assets.sources import fred
from assets.sources.base import Body
from config.catalog import CATALOG_PATH, CatalogError, parse_catalog
from tests.conftest import NOW, PROJECT_ROOT, dev_command

SKIPPED_DIRS = {".venv", ".git", "target", "dbt_packages", "node_modules", "__pycache__", ".ruff_cache"}


def test_the_ui_binds_loopback_unless_told_otherwise():
    assert " -h 127.0.0.1 -p 3000" in dev_command()
    assert " -h 0.0.0.0 -p 3001" in dev_command(DEV_HOST="0.0.0.0", DEV_PORT="3001")


def catalog_with_id(series_id: str) -> str:
    catalog = yaml.safe_load(CATALOG_PATH.read_text())
    catalog["series"] = [{**catalog["series"][0], "id": series_id}]
    return yaml.safe_dump(catalog)


def test_a_catalog_look_up_sees_the_series_of_a_copy_and_of_an_appended_list():
    """`Catalog.get` keeps an index; a copy with other series (as tests and the bench widen the
    catalog) or a series appended in place must be found, and a series no longer listed not."""
    catalog = parse_catalog(CATALOG_PATH.read_text())
    first = catalog.series[0]
    assert catalog.get(first.source, first.id) is first
    extra = first.model_copy(update={"id": "EXTRA"})
    widened = catalog.model_copy(update={"series": [*catalog.series[1:], extra]})
    assert widened.get(first.source, "EXTRA") is extra
    with pytest.raises(KeyError, match="not in the catalog"):
        widened.get(first.source, first.id)
    catalog.series.append(extra)
    assert catalog.get(first.source, "EXTRA") is extra


def test_the_catalog_schema_accepts_real_ids():
    assert parse_catalog(catalog_with_id("NY.GDP.MKTP.CD")).series[0].id == "NY.GDP.MKTP.CD"
    assert parse_catalog(catalog_with_id("^GSPC")).series[0].id == "^GSPC"


@pytest.mark.parametrize(
    "series_id",
    ["DTW'EXBGS", 'DTW"EXBGS', "DTWEXBGS; drop table raw.load_audit", "DTW EXBGS", "DTWEXBGS\n", ""],
)
def test_the_catalog_schema_rejects_ids_with_quotes_or_sql(series_id):
    with pytest.raises(CatalogError, match="id"):
        parse_catalog(catalog_with_id(series_id))


@pytest.mark.parametrize(
    "name",
    [
        "fred'",
        'fred"',
        "fred; drop table x",
        "fred observations",
        "fred\n",
        "Fred",
        "1fred",
        "fred-x",
        "",
        "é",
    ],
)
def test_raw_ident_rejects_anything_unsafe(name):
    with pytest.raises(ValueError, match="unsafe SQL identifier"):
        raw.ident(name)


def test_series_ids_reach_sql_only_as_bound_parameters(tmp_path):
    """A hostile id that got past the catalog is stored verbatim, and executes nothing."""
    import duckdb

    hostile = "X'); drop table raw.load_audit; --"
    body = Body("fred", hostile, "csv", b"observation_date,x\n2025-01-02,1.0\n", "replay", NOW, "test://")
    row = {"series_id": hostile, "obs_date": dt.date(2025, 1, 2), "value": 1.0}
    rows = pa.Table.from_pylist([row], schema=fred.CONNECTOR.schema)
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        raw.load(con, fred.CONNECTOR, [raw.Parsed(body, rows)], [], run_id="r1")
        assert con.execute("select series_id from raw.fred_observations").fetchall() == [(hostile,)]
        assert con.execute("select series_id, status from raw.load_audit").fetchall() == [(hostile, "loaded")]


_UNSAFE_YAML = {"load", "load_all", "full_load", "full_load_all", "unsafe_load", "unsafe_load_all"}
_UNSAFE_LOADERS = {"Loader", "FullLoader", "UnsafeLoader", "CLoader", "CFullLoader", "CUnsafeLoader"}


_SAFE_LOADERS = {"SafeLoader", "CSafeLoader"}


def _loader_name(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _safe_load_calls(tree: ast.AST) -> set[ast.AST]:
    """The `yaml.load` / `yaml.load_all` attributes of calls whose Loader is a safe one (libyaml's
    CSafeLoader reads what safe_load reads, in C)."""
    safe = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"load", "load_all"}
        ):
            loaders = [k.value for k in node.keywords if k.arg == "Loader"] + node.args[1:2]
            if loaders and all(_loader_name(loader) in _SAFE_LOADERS for loader in loaders):
                safe.add(node.func)
    return safe


def unsafe_yaml_calls(source: str) -> list[int]:
    """Lines that load YAML with anything but safe_load / safe_load_all or a safe Loader."""
    tree = ast.parse(source)
    safe = _safe_load_calls(tree)
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "yaml":
            if node.attr in _UNSAFE_YAML | _UNSAFE_LOADERS and node not in safe:
                lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "yaml":
            lines += [node.lineno for a in node.names if a.name in _UNSAFE_YAML | _UNSAFE_LOADERS | {"*"}]
    return sorted(lines)


def python_sources() -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(PROJECT_ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        found += [Path(folder) / f for f in files if f.endswith(".py")]
    return found


def test_the_yaml_check_catches_every_unsafe_form():
    assert unsafe_yaml_calls("import yaml\nyaml.safe_load(t)\nyaml.safe_load_all(t)\n") == []
    unsafe = (
        "yaml.load(t)\nyaml.load(t, Loader=yaml.FullLoader)\nyaml.unsafe_load(t)\nfrom yaml import load\n"
    )
    assert unsafe_yaml_calls(unsafe) == [1, 2, 2, 3, 4]
    # A safe loader passed to yaml.load is safe_load (in C with CSafeLoader); any other is not.
    assert unsafe_yaml_calls("yaml.load(t, Loader=yaml.CSafeLoader)\nyaml.load_all(t, SafeLoader)\n") == []
    assert unsafe_yaml_calls("yaml.load(t, Loader=yaml.CLoader)\nyaml.load(t, Loader=Mine)\n") == [1, 1, 2]


def test_every_yaml_load_in_the_codebase_is_safe_load():
    sources = python_sources()
    assert PROJECT_ROOT / "config" / "catalog.py" in sources
    offenders = {str(p.relative_to(PROJECT_ROOT)): unsafe_yaml_calls(p.read_text()) for p in sources}
    assert {path: lines for path, lines in offenders.items() if lines} == {}
