"""`python -m bench` (`make bench`): run the sections, write bench/results/<date>.json and .md.

A full run (every section, the default scales) also replaces the table in README.md's
"Performance" section; a partial or `--quick` run writes `<date>-<label>.*` and leaves the
README alone.
"""

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from bench import figures, goals, report, sandbox, sections
from bench.runs import Runner

RESULTS = sandbox.PROJECT_ROOT / "bench" / "results"
README = sandbox.PROJECT_ROOT / "README.md"
SECTIONS = ("small", "dev", "test", "scale")
DEFAULT_SCALES = (100, 1000, 5000)
PACKAGES = (
    "dagster",
    "dagster-dbt",
    "dbt-core",
    "dbt-duckdb",
    "duckdb",
    "polars",
    "pyarrow",
    "pandas",
    "great-expectations",
)
_README_BLOCK = re.compile(r"(<!-- bench:begin -->\n).*?(<!-- bench:end -->)", re.S)


def _machine() -> dict:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(ln.split()[1])
        for ln in Path("/proc/meminfo").read_text().splitlines()
        if ln.startswith("MemTotal")
    )
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        # Which machine: results of two machines are never combined into one table.
        "host": platform.node(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }


def _git() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(  # noqa: S603 (fixed git arguments)
            ["git", *args],  # noqa: S607 (git from PATH, as a developer runs it)
            cwd=sandbox.PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD"),
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def _versions() -> dict:
    return {name: importlib.metadata.version(name) for name in PACKAGES}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per small-scale figure (median reported; default 3)"
    )
    parser.add_argument("--scale-repeats", type=int, default=1, help="runs per scale (default 1)")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS)} (default: all)",
    )
    parser.add_argument(
        "--scales", default=",".join(map(str, DEFAULT_SCALES)), help="synthetic series counts"
    )
    parser.add_argument(
        "--years", type=int, default=10, help="years of daily data per series at scale (default 10)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 1 repeat, small + scale only, scales of 3 and 10 series over 3 years",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="record the scale runs with py-spy (bench/results/<date>-*.pyspy.txt); slows them",
    )
    parser.add_argument(
        "--from",
        dest="sources",
        nargs="+",
        type=Path,
        help="measure nothing: combine saved results (each section from the last file holding it) "
        "and write their report; a combination covering every section counts as a full run",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default bench/results)")
    parser.add_argument(
        "--label",
        help="file name suffix (default: none for a full run, else 'partial'/'quick'; 'merged' with --from)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.scale_repeats = 1, 1
        args.sections, args.scales, args.years = "small,scale", "3,10", 3
    args.section_list = [s for s in args.sections.split(",") if s]
    unknown = set(args.section_list) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    args.scale_list = [int(s) for s in args.scales.split(",") if s]
    full = (
        set(args.section_list) == set(SECTIONS)
        and tuple(args.scale_list) == DEFAULT_SCALES
        and args.years == 10
    )
    args.full = full and not args.profile
    args.named = args.label is not None
    if args.label is None:
        args.label = "" if args.full else ("quick" if args.quick else "partial")
    return args


def update_readme(table: str) -> bool:
    text = README.read_text()
    if not _README_BLOCK.search(text):
        return False
    README.write_text(_README_BLOCK.sub(lambda m: m.group(1) + table + m.group(2), text))
    return True


def measure(args: argparse.Namespace, stem: str) -> dict:
    runner = Runner(sandbox.WORK / "logs" / stem, profile_dir=args.out if args.profile else None)
    results: dict = {
        "date": dt.date.today().isoformat(),
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "git": _git(),
        "versions": _versions(),
        "options": {
            "repeats": args.repeats,
            "scale_repeats": args.scale_repeats,
            "sections": args.section_list,
            "scales": args.scale_list,
            "years": args.years,
            "profile": args.profile,
        },
    }
    wants = set(args.section_list)
    partial = args.out / f"{stem}.partial.json"

    def section(name: str, measure_it: Callable[[], object]) -> None:
        # A failing section is recorded, not fatal; what was measured so far is saved after each.
        try:
            results[name] = measure_it()
        except Exception as exc:
            results.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"[:4000]
            print(f"bench: section {name} failed: {exc}", flush=True)
        partial.write_text(json.dumps(results, indent=1, default=str) + "\n")

    if wants & {"small", "dev", "test"}:
        print(f"bench: small scale, {args.repeats} repeat(s)", flush=True)
        runs = args.repeats if "small" in wants else 0
        dev, tests = "dev" in wants, "test" in wants
        section("small", lambda: sections.small(runner, runs, args.repeats, dev=dev, tests=tests))
    if "scale" in wants:
        print(f"bench: scales {args.scale_list} × {args.years} years", flush=True)
        section("scale", lambda: sections.scale(runner, args.scale_list, args.years, args.scale_repeats))
    partial.unlink(missing_ok=True)
    results["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    results["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results["profiles"] = runner.profiles
    return results


def _identity(run: dict) -> tuple:
    m = run["machine"]
    return (run["git"]["commit"], run["git"]["dirty"], m.get("host"), m["cpu"], m["cpus"], m["memory_gb"])


def merge(files: list[Path]) -> dict:
    """Several saved runs as one: each section from the last file that measured it (the lists of
    the small section one by one, so dev start-up or `make test` may come from a separate run).
    Only runs of one commit (clean or not alike) on one machine combine: a table names both, so
    figures of another commit or another machine would be mislabelled."""
    runs = [json.loads(f.read_text()) for f in files]
    for f, run in zip(files, runs, strict=True):
        if _identity(run) != _identity(runs[0]):
            raise SystemExit(
                f"bench: {f} was measured on {_identity(run)}, {files[0]} on {_identity(runs[0])}: "
                "only runs of one commit on one machine can be combined"
            )
    out = {k: v for k, v in runs[0].items() if k not in ("small", "scale", "figures", "goals")}
    out["merged_from"] = [str(f) for f in files]
    out["options"] = dict(runs[0]["options"], sections=[])
    out["machine"] = dict(runs[0]["machine"], load_after=runs[-1]["machine"]["load_after"])
    for run in runs:
        out["options"]["sections"] += [
            s for s in run["options"]["sections"] if s not in out["options"]["sections"]
        ]
        if run.get("scale"):
            out["scale"] = run["scale"]
            out["options"].update({k: run["options"][k] for k in ("scales", "years", "scale_repeats")})
        for key, value in (run.get("small") or {}).items():
            if value:
                out.setdefault("small", {})[key] = value
                if key == "cold":
                    out["options"]["repeats"] = run["options"]["repeats"]
        out["options"]["profile"] = out["options"]["profile"] or run["options"]["profile"]
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.sources:
        results = merge(args.sources)
        sections_done = set(results["options"]["sections"])
        args.full = (
            sections_done == set(SECTIONS)
            and tuple(results["options"]["scales"]) == DEFAULT_SCALES
            and results["options"]["years"] == 10
            and not results["options"]["profile"]
        )
        # A named combination never replaces another day's `-merged` files.
        stem = results["date"] + ("" if args.full else f"-{args.label if args.named else 'merged'}")
    else:
        stem = dt.date.today().isoformat() + (f"-{args.label}" if args.label else "")
        results = measure(args, stem)
    small = figures.summarize_small(results["small"]) if "small" in results else None
    scale = figures.summarize_scale(results["scale"]) if results.get("scale") else None
    goal_list = goals.goals(small, scale)
    results["figures"] = {"small": small, "scale": scale}
    results["goals"] = [{**g.__dict__, "status": g.status} for g in goal_list]
    text = report.markdown(results, small, scale, goal_list)
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    (args.out / f"{stem}.md").write_text(text)
    print(text)
    print(f"bench: wrote {args.out / stem}.json and .md", flush=True)
    if args.full and args.out == RESULTS and update_readme(text.split("\n", 2)[2]):
        print("bench: README.md's Performance section updated", flush=True)
    return 0
