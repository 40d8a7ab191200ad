"""The layers: config/ at the bottom, assets/ and expectations/ on it, orchestration/ (the wiring) on top.

An import may only point down. Every module is parsed, not imported, so a lazy import inside a
function counts as much as one at the top of the file.
"""

import ast
from pathlib import Path

from tests.conftest import PROJECT_ROOT

# Package -> the top-level packages it must never import.
FORBIDDEN = {
    "config": {"orchestration", "assets", "expectations"},
    "assets": {"orchestration"},
    "expectations": {"orchestration"},
}


def imported_modules(source: str, module: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in `source`, the module `module`; relative imports resolved."""
    package = module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join([*base, node.module] if node.module else base)
            if node.module:
                found.append((node.lineno, name))
            else:  # `from . import x`: each x is a module of the package
                found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return sorted(found)  # ast.walk goes breadth first: a nested import would come last


def layer_violations(source: str, module: str) -> list[str]:
    """`module:line imports name` for each import that points up or sideways out of its layer."""
    forbidden = FORBIDDEN.get(module.split(".")[0], set())
    return [
        f"{module}:{line} imports {name}"
        for line, name in imported_modules(source, module)
        if name.split(".")[0] in forbidden
    ]


def module_name(path: Path) -> str:
    """`assets.sources.fred`; a package's own module keeps `__init__`, so `from . import x` resolves."""
    return ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)


def layered_modules() -> list[Path]:
    return sorted(p for package in FORBIDDEN for p in (PROJECT_ROOT / package).rglob("*.py"))


def test_the_layer_check_catches_every_form_of_import():
    source = (
        "import orchestration.definitions\n"
        "from orchestration import cli\n"
        "def f():\n"
        "    from orchestration.sensors import failure_reason\n"
        "importlib.import_module('orchestration.jobs')\n"
        "from .. import sensors\n"
        "import assets.raw\n"
        "from config.catalog import load_catalog\n"
    )
    assert layer_violations(source, "assets.sources.fred") == [
        "assets.sources.fred:1 imports orchestration.definitions",
        "assets.sources.fred:2 imports orchestration",
        "assets.sources.fred:4 imports orchestration.sensors",
        "assets.sources.fred:5 imports orchestration.jobs",
    ]
    # Relative imports resolve inside the module's own package: `from .. import x` in a/b/m.py is a.x.
    assert imported_modules("from .. import x\nfrom .y import z\n", "a.b.m") == [(1, "a.x"), (2, "a.b.y")]
    assert layer_violations(source, "config.catalog") == [
        "config.catalog:1 imports orchestration.definitions",
        "config.catalog:2 imports orchestration",
        "config.catalog:4 imports orchestration.sensors",
        "config.catalog:5 imports orchestration.jobs",
        "config.catalog:7 imports assets.raw",
    ]
    # The top layer may import anything below it.
    assert layer_violations(source, "orchestration.definitions") == []


def test_no_module_imports_a_layer_above_its_own():
    modules = layered_modules()
    assert {module_name(p).split(".")[0] for p in modules} == set(FORBIDDEN)
    violations = [v for p in modules for v in layer_violations(p.read_text(), module_name(p))]
    assert violations == [], "imports that point up a layer:\n  " + "\n  ".join(violations)
