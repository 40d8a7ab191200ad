"""The summary's history as pure logic: which month-ends to backfill, and status flips.

A snapshot is the whole summary as of one date. The daily run writes its own as-of date's
snapshot (the record of what the warehouse said that day) and backfills month-ends that no run
computed, point in time, from the marts as they stand (marked `backfilled`). A flip is a pillar,
or the verdict, whose status differs from the same thesis' snapshot just before it.
"""

import datetime as dt

import polars as pl

VERDICT = "verdict"

FLIPS_SCHEMA = {
    "thesis": pl.String,  # the thesis' id
    "as_of": pl.Date,
    "pillar": pl.String,  # a pillar's name, or "verdict"
    "previous_as_of": pl.Date,
    "previous_status": pl.String,
    "status": pl.String,
    "run_id": pl.String,  # the run that wrote the snapshot where the status changed
    "computed_at": pl.Datetime("us", "UTC"),
    "backfilled": pl.Boolean,  # that snapshot was backfilled, not computed on its day
}


def month_ends(as_of: dt.date, months: int) -> list[dt.date]:
    """The last `months` month-ends strictly before `as_of`, oldest first."""
    ends: list[dt.date] = []
    end = as_of.replace(day=1) - dt.timedelta(days=1)
    for _ in range(months):
        ends.append(end)
        end = end.replace(day=1) - dt.timedelta(days=1)
    return ends[::-1]


def statuses(summary: pl.DataFrame) -> dict[str, str]:
    """Status of each pillar, and of the overall verdict under the name "verdict"."""
    rows = summary.filter(pl.col("row_type").is_in(["pillar", "verdict"])).iter_rows(named=True)
    return {VERDICT if r["row_type"] == "verdict" else r["pillar"]: r["status"] for r in rows}


def status_flips(
    thesis: str, current: dict[str, str], previous: dict[str, str], as_of: dt.date
) -> list[dict]:
    """The `status_flips` contract: what changed in one thesis since its previous snapshot (new
    pillars are not flips)."""
    return [
        {
            "thesis": thesis,
            "pillar": name,
            "previous_status": previous[name],
            "status": status,
            "as_of": as_of.isoformat(),
        }
        for name, status in current.items()
        if name in previous and previous[name] != status
    ]


def flips_over(history: pl.DataFrame) -> pl.DataFrame:
    """Every flip between consecutive snapshots of each thesis in `history` (its pillar and
    verdict rows, with thesis, as_of, row_type, pillar, status, run_id, computed_at and backfilled)."""
    rows: list[dict] = []
    for (thesis,), snapshots in sorted(history.partition_by("thesis", as_dict=True).items()):
        previous: tuple[dt.date, dict[str, str]] | None = None
        for (as_of,), snapshot in sorted(snapshots.partition_by("as_of", as_dict=True).items()):
            current = statuses(snapshot)
            if previous is not None:
                stamp = snapshot.row(0, named=True)
                for flip in status_flips(thesis, current, previous[1], as_of):
                    rows.append(
                        {
                            **flip,
                            "as_of": as_of,
                            "previous_as_of": previous[0],
                            "run_id": stamp["run_id"],
                            "computed_at": stamp["computed_at"],
                            "backfilled": stamp["backfilled"],
                        }
                    )
            previous = (as_of, current)
    return pl.DataFrame(rows, schema=FLIPS_SCHEMA)
