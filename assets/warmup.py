"""Imports the steps after dbt need, done on the idle core while dbt runs.

The daily job runs its steps one after the other in one process (the in-process executor). Its
dbt step spends about 11 s waiting on the dbt subprocess, which keeps one core busy; the steps
after it import Great Expectations (the gate: about 3.5 s on this project's 2-core machine) and
matplotlib (the report's charts: about 0.9 s) the first time they run. Importing them in a thread
while dbt runs takes that time off the run's wall clock. It changes no result: a module imports
once per process, and a step that imports one the thread is still importing waits for it.
"""

import importlib
import logging
import threading

# What `expectations.gx_runner.Validator` and `assets.report` import on first use.
AFTER_DBT = (
    "great_expectations",
    "great_expectations.data_context.types.base",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "matplotlib.colors",
)


def import_in_background(modules: tuple[str, ...] = AFTER_DBT) -> threading.Thread:
    """Start importing `modules` in a thread and return it. Not a daemon: a process that ends
    meanwhile waits for the import rather than tearing down half-imported extension modules."""
    thread = threading.Thread(target=_import_all, args=(modules,), name="import-after-dbt")
    thread.start()
    return thread


def _import_all(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:
            # The step that needs the module imports it again, and fails there with the reason.
            logging.getLogger(__name__).debug("background import of %s failed", name, exc_info=True)
