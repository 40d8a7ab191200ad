"""The GX suites of mart_macro, mart_value_share and mart_ai_cost pass healthy rows and catch bad ones."""

import datetime as dt

import pandas as pd
import pytest

from expectations.gx_runner import validate
from expectations.suites import SUITES
from expectations.suites.mart_value_share import SHARES
from expectations.suites.spec import SuiteInputs

AS_OF = dt.date(2026, 11, 24)
MONTHS = pd.to_datetime(["2026-09-01", "2026-10-01", "2026-11-01"])


def macro_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": MONTHS,
            "days_since_previous_month": [None, 30, 31],
            "cpi_month": [MONTHS[0], MONTHS[1], pd.NaT],
            "cpi_yoy_pct": [3.0, 3.1, None],
            "core_cpi_yoy_pct": [2.9, 3.0, None],
            "unemployment_rate_pct": [4.3, 4.4, None],
            "dff_rate_pct": [3.9, 3.9, 3.6],
            "walcl_13w_change_pct": [-1.0, -0.5, 0.2],
        }
    )


def value_share_rows() -> pd.DataFrame:
    rows = {"year": [2024, 2025], "gdp_year": [2024, 2025]}
    rows.update({share: [20.0, 19.0] for share in SHARES})
    rows["us_population_share_pct"] = [4.2, 4.2]
    return pd.DataFrame(rows)


def ai_cost_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": MONTHS,
            "days_since_previous_month": [None, 30, 31],
            "gpt4_level_usd_per_mtok": [0.4, 0.3, 0.3],
            "gpt4_level_decline_factor_per_year": [9.0, 9.5, 8.0],
            "gpt35_level_usd_per_mtok": [0.05, 0.05, 0.04],
            "gpt35_level_decline_factor_per_year": [None, 3.0, 3.1],
        }
    )


CASES = {
    "mart_macro": (macro_rows, "cpi_yoy_pct", 35.0),
    "mart_value_share": (value_share_rows, "us_gdp_share_pct", 120.0),
    "mart_ai_cost": (ai_cost_rows, "gpt4_level_usd_per_mtok", 0.0),
}


@pytest.mark.parametrize("mart", CASES)
def test_suite_passes_healthy_rows_and_fails_an_impossible_value(mart):
    rows, column, bad = CASES[mart]
    suite = SUITES[mart](SuiteInputs(as_of=AS_OF))
    healthy = validate(rows(), suite)
    assert healthy.success, [(o.expectation, o.column, o.observed) for o in healthy.failed]
    broken = rows()
    broken.loc[1, column] = bad
    outcome = validate(broken, suite)
    assert [(o.expectation, o.column) for o in outcome.failed] == [
        ("expect_column_values_to_be_between", column)
    ]


@pytest.mark.parametrize("mart", ["mart_macro", "mart_ai_cost"])
def test_suite_fails_when_the_newest_month_is_stale(mart):
    rows, _, _ = CASES[mart]
    outcome = validate(rows(), SUITES[mart](SuiteInputs(as_of=AS_OF + dt.timedelta(days=120))))
    assert ("expect_column_max_to_be_between", "date") in [(o.expectation, o.column) for o in outcome.failed]
