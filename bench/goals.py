"""The goals a benchmark is judged by: each figure against its limit, pass or MISS."""

import math
from dataclasses import dataclass

GB = 1024.0


@dataclass(frozen=True)
class Goal:
    name: str
    value: float | None
    limit: float
    at_most: bool  # True: value ≤ limit passes; False: value ≥ limit passes
    unit: str

    @property
    def status(self) -> str:
        if self.value is None or math.isnan(self.value):
            return "not measured"
        ok = self.value <= self.limit if self.at_most else self.value >= self.limit
        return "pass" if ok else "MISS"

    def row(self) -> list[str]:
        value = "—" if self.value is None else _fmt(self.value, self.unit)
        goal = f"{'≤' if self.at_most else '≥'} {_fmt(self.limit, self.unit)}"
        return [self.name, value, goal, self.status]


def _fmt(value: float, unit: str) -> str:
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "%":
        return f"{value:.0f} %"
    if unit == "GB":
        return f"{value:.2f} GB"
    if unit == "":
        return f"{value:.2f}"
    return f"{value:.1f} {unit}"


def goals(small: dict | None, scale: list[dict] | None) -> list[Goal]:
    out = []
    if small:
        out += [
            Goal("cold demo run ÷ sum of its unavoidable parts", small["ratio"], 1.5, True, "×"),
            Goal("warm daily run ÷ sum of its unavoidable parts", small["warm_ratio"], 1.5, True, "×"),
            Goal("cold `make run`", small["cold_s"], 30, True, "s"),
            Goal("warm daily run (one new day)", small["warm_s"], 20, True, "s"),
            Goal("peak RSS, demo runs", small["demo_rss_mb"] / GB, 1.5, True, "GB"),
        ]
    if scale:
        top = max(scale, key=lambda s: s["series"])
        label = f"{top['series']:,} series"
        out += [
            Goal(
                f"{label}: pipeline ÷ bare DuckDB (demo generation excluded)",
                top["wall_without_generation_s"] / top["bare_total_s"],
                3,
                True,
                "×",
            ),
            Goal(
                f"{label}: upsert rate ÷ bare Arrow insert rate",
                100 * top["bare_insert_s"] / top["upsert_s"],
                50,
                False,
                "%",
            ),
            Goal(f"{label}: GX gate ÷ its SQL twin", top["gx_s"] / top["gx_sql_s"], 3, True, "×"),
            Goal(f"{label}: peak RSS", top["rss_mb"] / GB, 3, True, "GB"),
        ]
        bottom = min(scale, key=lambda s: s["series"])
        if len(scale) >= 2 and top.get("gx_worker_rss_mb") and bottom.get("gx_worker_rss_mb"):
            out.append(
                Goal(
                    f"GX gate peak RSS, {label} ÷ {bottom['series']:,} series (flat in rows)",
                    top["gx_worker_rss_mb"] / bottom["gx_worker_rss_mb"],
                    1.25,
                    True,
                    "×",
                )
            )
        if len(scale) >= 2:
            out.append(Goal("cost vs rows, fitted exponent (1 = linear)", top["exponent"], 1.1, True, ""))
    return out
