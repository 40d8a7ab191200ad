"""gate.yaml's bounds are calibrated on real history, and the record says so truthfully.

Every bound that a real payload feeds carries, under `real`, the extremes of its full real history
(recomputed here from tests/fixtures/real/, every vintage replayed in turn), and holds them with a
margin; a bound with no `real` record is one no real payload feeds. The AI cost bounds are exempt:
their values rest on the curated seeds and package prices, which move with the run date.
"""

import duckdb
import pytest

from config.gate import Limit, load_allowances
from expectations.calibration import bounds, margin, observe, table

# Bounds whose observed values come from curated seeds and package data, not from real payloads.
NOT_FROM_PAYLOADS = {"mart_ai_cost"}


@pytest.fixture(scope="module")
def observed(real_history):
    with duckdb.connect(str(real_history.warehouse), read_only=True) as con:
        return observe(con)


def calibrated():
    return [(path, bound) for path, bound in bounds(load_allowances()) if not NOT_FROM_PAYLOADS & set(path)]


@pytest.mark.parametrize(
    ("path", "bound"), calibrated(), ids=lambda v: ".".join(v) if isinstance(v, tuple) else ""
)
def test_each_bound_records_the_real_extremes_it_was_calibrated_on(observed, path, bound):
    seen = observed[path]
    if seen.max is None:
        assert bound.real is None, f"{'.'.join(path)} records real values no payload holds"
        return
    assert bound.real is not None, f"{'.'.join(path)}: real payloads reach {seen}; record them under `real`"
    assert bound.real.max == pytest.approx(seen.max, abs=0.006)
    if not isinstance(bound, Limit):
        assert bound.real.min == pytest.approx(seen.min, abs=0.006)
    # Real history passes, with room: the bound stands at least 10 % beyond what it did.
    factor = margin(bound, seen)
    assert factor is not None and factor >= 1.1, (path, seen)


def test_the_walcl_bound_holds_the_2008_doubling_of_the_fed_balance_sheet(observed):
    seen = observed["marts", "mart_macro", "ranges", "walcl_13w_change_pct"]
    assert 100 < seen.max < 250  # +131 % in the 13 weeks to November 2008: history, not an error


def test_the_calibration_table_names_every_bound(observed):
    allowances = load_allowances()
    printed = table(observed, allowances)
    assert printed.count("\n") == len(list(bounds(allowances))) + 1
    assert "| marts.mart_macro.ranges.walcl_13w_change_pct | -50..250 | -9.02..131.45 | 1.90x |" in printed
