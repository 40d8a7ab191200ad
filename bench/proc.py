"""Running one measured command: wall time, exit code and peak memory of its process tree.

Peak RSS is reported two ways. `peak_rss_mb` is what the kernel says for the largest single
process of the tree (`wait4`'s `ru_maxrss`, the same figure as GNU time's `%M`): exact, but blind
to a parent and a child (Dagster and its dbt subprocess) holding memory at the same moment.
`tree_rss_mb` is the largest sum over the whole tree seen by sampling `/proc` every 50 ms: what
the machine must hold, but a spike shorter than a sample can be missed. The goals are judged on
the larger of the two.
"""

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
SAMPLE_EVERY_S = 0.05


@dataclass
class Measured:
    """One run of one command."""

    wall_s: float
    returncode: int
    peak_rss_mb: float
    tree_rss_mb: float
    started_at: float  # epoch seconds, to line the run up with its event log
    # (seconds since start, summed RSS in MB) samples, kept only when asked for (scale runs).
    rss_samples: list[tuple[float, float]] = field(default_factory=list)

    @property
    def rss_mb(self) -> float:
        return max(self.peak_rss_mb, self.tree_rss_mb)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["rss_mb"] = self.rss_mb
        return out


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_mb(root: int) -> float:
    """The summed resident memory of `root` and every descendant, now."""
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss_kb(pid)
        todo.extend(tree.get(pid, []))
    return total / 1024


def _restore_signals() -> None:
    # A child of a non-interactive shell's background job starts with SIGINT ignored, and then
    # `dagster dev` could not be stopped (STACK.md §4): give the child the default handlers back.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def start(cmd: Sequence[str], env: Mapping[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    """Start a command in its own session (so its whole tree can be signalled), output to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 (commands are built here, never from input)
            list(cmd),
            cwd=cwd,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_restore_signals,
        )


class _Sampler(threading.Thread):
    def __init__(self, pid: int, keep: bool):
        super().__init__(daemon=True)
        self.pid, self.keep, self.peak = pid, keep, 0.0
        self.samples: list[tuple[float, float]] = []
        self.started = time.monotonic()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(SAMPLE_EVERY_S):
            rss = tree_rss_mb(self.pid)
            self.peak = max(self.peak, rss)
            if self.keep:
                self.samples.append((round(time.monotonic() - self.started, 3), round(rss, 1)))


def run(
    cmd: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    *,
    timeout_s: float = 3600,
    keep_samples: bool = False,
) -> Measured:
    """Run to completion; a timeout stops the command's whole session and counts as a failure."""
    started_at, t0 = time.time(), time.monotonic()
    proc = start(cmd, env, cwd, log)
    sampler = _Sampler(proc.pid, keep_samples)
    sampler.start()
    deadline = t0 + timeout_s
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            status = 137 << 8
            break
        time.sleep(0.02)
    wall = time.monotonic() - t0
    sampler.stop.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        wall_s=round(wall, 3),
        returncode=proc.returncode,
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
        tree_rss_mb=round(sampler.peak, 1),
        started_at=started_at,
        rss_samples=sampler.samples,
    )


def check(measured: Measured, what: str, log: Path) -> Measured:
    if measured.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        raise RuntimeError(f"{what} exited {measured.returncode}; end of {log}:\n{tail}")
    return measured
