"""The README's "Write your own thesis", followed step by step on a copy of the project: a third
thesis and a new FRED series written as configuration only, refused then accepted by the checks,
and run in demo mode to the verdict the README shows, with no line of code edited."""

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.e2e

# What a run needs of the project; the copy's code must stay byte for byte the original's.
PARTS = [
    "config",
    "assets",
    "expectations",
    "orchestration",
    "dbt_project",
    "pyproject.toml",
    "workspace.yaml",
]
CODE_SUFFIXES = {".py", ".sql"}
STEP = re.compile(r"<!-- tutorial:(?P<kind>[a-z]+)(?: (?P<path>\S+))? -->\n```[a-z]*\n(?P<body>.*?)```", re.S)


def tutorial() -> list[tuple[str, str | None, str]]:
    """(kind, path, body) of each marked block of the README's tutorial, in order."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("\n## Write your own thesis\n", 1)[1].split("\n## ", 1)[0]
    return [(m["kind"], m["path"], m["body"]) for m in STEP.finditer(section)]


def copy_project(target: Path) -> None:
    ignore = shutil.ignore_patterns("target", "logs", "__pycache__", "*.duckdb*")
    for part in PARTS:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=ignore)
        else:
            shutil.copy2(source, target / part)
    # The manifest `make` built: the dbt project is the same, byte for byte.
    (target / "dbt_project" / "target").mkdir()
    shutil.copy2(PROJECT_ROOT / "dbt_project" / "target" / "manifest.json", target / "dbt_project" / "target")


def code_digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for part in PARTS
        for p in sorted((root / part).rglob("*"))
        if p.suffix in CODE_SUFFIXES and "target" not in p.parts and "__pycache__" not in p.parts
    }


def command(line: str, venv_bin: Path) -> tuple[dict[str, str], list[str]]:
    """A README command line as (environment, argv): `make run` is the CLI it calls, `.venv/bin/` the
    project's venv."""
    words = shlex.split(line)
    env = dict(w.split("=", 1) for w in words if re.match(r"^[A-Z_]+=", w))
    words = [w for w in words if not re.match(r"^[A-Z_]+=", w)]
    if words == ["make", "run"]:
        return env, [str(venv_bin / "python"), "-m", "orchestration.cli", "run"]
    return env, [str(venv_bin / Path(words[0]).name), *words[1:]]


def test_the_readme_tutorial_writes_a_third_thesis_as_configuration_and_gets_its_verdict(tmp_path):
    steps = tutorial()
    assert [kind for kind, _, _ in steps] == [
        "file", "check", "error", "append", "file", "check", "lists", "run", "output", "output",
    ]  # fmt: skip
    project = tmp_path / "project"
    copy_project(project)
    before = code_digests(project)
    venv_bin = Path(sys.executable).parent
    base = {
        **{k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "THESIS_CATALOG")},
        "PATH": f"{venv_bin}:/usr/bin:/bin",
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "THESIS_DATA_DIR": str(tmp_path / "data"),
        "WAREHOUSE_PATH": str(tmp_path / "data" / "warehouse.duckdb"),
        "THESIS_SOURCE_MODE": "demo",
    }
    (tmp_path / "dagster_home").mkdir()
    shutil.copy2(PROJECT_ROOT / "orchestration" / "dagster.yaml", tmp_path / "dagster_home")
    result = None
    for kind, path, body in steps:
        if kind == "file":
            (project / path).write_text(body)
        elif kind == "append":
            with (project / path).open("a") as handle:
                handle.write(body)
        elif kind in ("check", "run"):
            env, argv = command(body.strip(), venv_bin)
            result = subprocess.run(
                argv, cwd=project, env={**base, **env}, capture_output=True, text=True, timeout=900
            )
        elif kind == "error":
            assert result.returncode != 0
            assert body.strip() in result.stdout + result.stderr
        else:  # lists, output: the lines the README shows, in order, in what the command printed
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            printed = result.stdout.splitlines()
            at = 0
            for line in body.strip().splitlines():
                assert line in printed[at:], f"{line!r} not printed:\n{result.stdout[-4000:]}"
                at = printed.index(line, at) + 1
    # The run used the copy (its code, its config), and the copy's code is the original's.
    assert (
        str(project / "dbt_project") in (tmp_path / "data" / "logs").glob("run-*.log").__next__().read_text()
    )
    assert code_digests(project) == before == code_digests(PROJECT_ROOT)
    published = tmp_path / "data" / "published" / "warehouse.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        verdicts = con.sql(
            "select thesis, status from marts.thesis_summary where row_type = 'verdict'"
        ).fetchall()
        series = con.sql("select count(*) from marts.signals where series_id = 'DCOILBRENTEU'").fetchone()[0]
    assert {t for t, _ in verdicts} == {"american_exceptionalism", "fed_cant_cut", "energy_inflation"}
    assert series > 300
