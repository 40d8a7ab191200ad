"""Hermetic tests: no network from this process or its subprocesses, a temporary warehouse each."""

import datetime as dt
import gzip
import os
import socket
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
# The real payloads the tests replay, saved from the sources (provenance: fixtures/real/README.md),
# gzipped byte for byte. THESIS_REAL_DATA points the tests at another folder of the same layout
# (../shared/real-data, say) instead.
REAL_FIXTURES = FIXTURES / "real"
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)

# Hypothesis (the parser fuzzing, tests/test_fuzz.py): `make test` runs a fixed, derandomised few
# hundred bodies per parser; `make fuzz` (HYPOTHESIS_PROFILE=fuzz) 10,000 new ones. No example
# database (a failure is kept as a fixture instead), and hypothesis's caches (constants, Unicode
# tables) go to the temporary directory, not `.hypothesis/` in the checkout.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "thesis-warehouse-hypothesis")
settings.register_profile(
    "test",
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("fuzz", parent=settings.get_profile("test"), max_examples=10_000, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "test"))

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else None
    if self.family != socket.AF_UNIX and host not in _LOOPBACK:
        raise OSError(f"network blocked in tests: connect to {address!r}")
    return _real_connect(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host not in _LOOPBACK and host is not None:
        raise OSError(f"network blocked in tests: DNS lookup of {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def _block_network():
    """Sockets to anything but loopback fail; subprocesses (dbt) get a dead proxy."""
    socket.socket.connect = _guarded_connect
    socket.getaddrinfo = _guarded_getaddrinfo
    saved = {k: os.environ.get(k) for k in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")}
    os.environ.update(
        HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", NO_PROXY="127.0.0.1,localhost"
    )
    os.environ.update(DAGSTER_DISABLE_TELEMETRY="1", DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
    # The file profile unless a test chooses the team's (tests/team/), whatever the shell says.
    os.environ["THESIS_PROFILE"] = "file"
    yield
    socket.socket.connect = _real_connect
    socket.getaddrinfo = _real_getaddrinfo
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def real_data(tmp_path_factory) -> Path:
    """The real payloads, unpacked once per session into the layout of ../shared/real-data
    (`<source>/<vintage>_<who>/<file>`). Never skipped: they ship with the tests."""
    chosen = os.environ.get("THESIS_REAL_DATA")
    if chosen:
        return Path(chosen)
    packed = sorted(REAL_FIXTURES.rglob("*.gz"))
    if not packed:
        pytest.fail(f"no real payloads under {REAL_FIXTURES}: the checkout is incomplete")
    root = tmp_path_factory.mktemp("real-data")
    for path in packed:
        target = root / path.relative_to(REAL_FIXTURES).with_suffix("")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.decompress(path.read_bytes()))
    return root


@pytest.fixture
def warehouse_env(tmp_path, monkeypatch) -> Path:
    """A fresh warehouse file and data directory, selected the way users select them: by env."""
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("WAREHOUSE_PATH", str(path))
    monkeypatch.setenv("THESIS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("THESIS_SOURCE_MODE", "demo")
    monkeypatch.setenv("THESIS_AS_OF", "2026-11-24")
    for var in ("THESIS_SNAPSHOT_DIR", "THESIS_RECORD_DIR", "FRED_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    return path


def demo_env(root: Path) -> dict[str, str]:
    """The file profile's settings for a demo run as of 2026-11-24 under `root`."""
    return {
        "WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
        "THESIS_DATA_DIR": str(root / "data"),
        "THESIS_SOURCE_MODE": "demo",
        "THESIS_AS_OF": "2026-11-24",
    }


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, _manifest):
    """One full demo run (file profile) on a temporary warehouse, shared by the session's tests:
    the analysts' copy (tests/test_published.py) and the team profile's reference (tests/team/)."""
    import dagster as dg

    from assets.publish import published_path
    from config.resources import WarehouseResource
    from orchestration.definitions import defs

    root = tmp_path_factory.mktemp("published")
    with pytest.MonkeyPatch.context() as env:
        for key, value in demo_env(root).items():
            env.setenv(key, value)
        result = defs.resolve_job_def("thesis_daily").execute_in_process(
            instance=dg.DagsterInstance.ephemeral()
        )
        published = published_path(WarehouseResource())
    return SimpleNamespace(root=root, run_id=result.run_id, published=published)


@pytest.fixture(scope="session", autouse=True)
def _manifest(_block_network):
    """The dbt manifest the definitions load; `make` builds it, this parses once if it is missing."""
    from config.resources import DBT_PROJECT_DIR, dbt_executable
    from config.theses import dbt_vars, load_theses

    if not (DBT_PROJECT_DIR / "target" / "manifest.json").exists():
        command = [dbt_executable(), "parse", "--quiet", "--vars", dbt_vars(load_theses())]
        subprocess.run(command, cwd=DBT_PROJECT_DIR, check=True)


# pytest-xdist (`make test` runs on every core) gives each worker whole modules, so a module's
# fixtures are built once; modules that share an expensive session fixture go to one worker
# together, which builds it once.
SHARED_FIXTURE_MODULES = {
    "tests/test_calibration.py": "real_history",
    "tests/test_real_data.py": "real_history",
    "tests/test_published.py": "demo_run",
    "tests/team/test_team_pipeline.py": "demo_run",
}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    # xdist's own `loadgroup` marks do nothing under pytest 9 (xdist 3.8 renames items through an
    # attribute pytest no longer reads), hence a scheduler that groups by module path.
    from xdist.scheduler import LoadScopeScheduling

    class ByModule(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return SHARED_FIXTURE_MODULES.get(module, module)

    return ByModule(config, log)


def pytest_sessionfinish(session) -> None:
    """Under pytest-xdist each worker holds the figures of its own tests: hand them to the
    controller, which prints them (below)."""
    from tests.crash.conftest import REPORTS

    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["figures"] = list(REPORTS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """xdist's controller, as each worker ends: collect that worker's figures."""
    from tests.crash.conftest import REPORTS

    REPORTS.extend(getattr(node, "workeroutput", {}).get("figures", []))


def pytest_terminal_summary(terminalreporter) -> None:
    """The figures of the crash harness (file and team profiles) and of the team profile's queue
    and reader test, pass or fail."""
    from tests.crash.conftest import REPORTS

    for text in REPORTS:
        terminalreporter.section("figures")
        terminalreporter.write_line(text)


def dev_command(**variables: str) -> str:
    """The `dagster dev` line `make dev` would run with these make variables (make -n)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DEV_HOST", "DEV_PORT")}
    overrides = [f"{k}={v}" for k, v in variables.items()]
    printed = subprocess.run(
        ["make", "--no-print-directory", "-n", "dev", *overrides],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return next(line for line in printed.splitlines() if "dagster dev" in line)


@pytest.fixture(scope="session")
def real_history(real_data, tmp_path_factory):
    """One warehouse holding the full history of every real payload: each vintage (oldest first)
    replayed in turn through the ingest assets, each revising the one before as it would have in
    production, then the whole daily job once more on the newest snapshot."""
    from assets.sources import real_payloads
    from config.catalog import load_catalog
    from tests.replays import ingest_assets, replay

    payloads, _ = real_payloads.scan(real_data, load_catalog())
    root = tmp_path_factory.mktemp("real-history")
    instance = dg.DagsterInstance.ephemeral()
    *older, newest = real_payloads.vintages(payloads)
    for i, group in enumerate(older):
        ingested = replay(
            real_payloads.write_snapshot(group, root / f"vintage-{i}"), root, instance, ingest_assets()
        )
        assert ingested.result.success, f"vintage {i} did not load"
    return replay(real_payloads.write_snapshot(newest, root / f"vintage-{len(older)}"), root, instance)
