"""Test-only: widens the pipeline's short critical sections so SIGKILL trials can land inside them.

The crash harness puts this folder on PYTHONPATH, so Python imports this module at start-up; it
does nothing unless THESIS_CRASH_SLOW (a pause in seconds) is set, and production code carries
no hook. It removes the variable at once, so dbt (a subprocess) runs unhooked. It pauses:
  * before and after every COMMIT and CHECKPOINT sent through a WarehouseResource connection,
    so kills land inside open transactions and just after they commit;
  * while the warehouse file is copied for publishing (in ten chunks, as a large file would
    take), and before and (longer) after the rename that swaps the copy in.
"""

import os

_PAUSE = os.environ.pop("THESIS_CRASH_SLOW", None)


def _install(pause: float) -> None:
    import contextlib
    import shutil
    import time
    from pathlib import Path

    from config.resources import WarehouseResource, data_dir

    class SlowConnection:
        def __init__(self, con):
            self._con = con

        def execute(self, query, *args, **kwargs):
            slow = isinstance(query, str) and query.strip().lower() in ("commit", "checkpoint")
            if slow:
                time.sleep(pause)
            result = self._con.execute(query, *args, **kwargs)
            if slow:
                time.sleep(pause)
            return result

        def __getattr__(self, name):
            return getattr(self._con, name)

    connect = WarehouseResource.connect

    @contextlib.contextmanager
    def slow_connect(self, read_only: bool = False):
        with connect(self, read_only) as con:
            yield SlowConnection(con)

    copyfile, replace = shutil.copyfile, os.replace

    def warehouse_file() -> Path:
        return Path(WarehouseResource().resolved_path()).resolve()

    def slow_copyfile(src, dst, *, follow_symlinks=True):
        if Path(src).resolve() != warehouse_file():
            return copyfile(src, dst, follow_symlinks=follow_symlinks)
        chunk = max(1, Path(src).stat().st_size // 10 + 1)
        with open(src, "rb") as source, open(dst, "wb") as target:
            while block := source.read(chunk):
                target.write(block)
                target.flush()
                time.sleep(pause)
        return dst

    def slow_replace(src, dst, **kwargs):
        into_published = Path(dst).resolve().parent == (data_dir() / "published").resolve()
        if into_published:
            time.sleep(pause)
        replace(src, dst, **kwargs)
        if into_published:  # longer: kills after the swap, before the step ends, are drawn too
            time.sleep(4 * pause)

    WarehouseResource.connect = slow_connect
    shutil.copyfile = slow_copyfile
    os.replace = slow_replace


if _PAUSE:
    _install(float(_PAUSE))
