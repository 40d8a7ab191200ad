"""The price series' gate, on the long intermediate every price mart is built from
(`staging.int_prices__daily`: every FRED and Yahoo price series, one row per observation).

It must scale to thousands of series over decades (5,000 x 10 years = 12.6 M rows), so the
row-level work stays in DuckDB: one query profiles each series (observations, first and last
date, longest gap, largest daily move, lowest value, each with the date it happened, and its
agreement with a second source of the same price), and GX validates that profile, one row per
series. A failing row is a series, shown with its worst date and value.

It catches a bad source before any mart reads it, including series no mart shows (FRED SP500,
Yahoo BTC-USD: the cross-checks of the equities and crypto spines).
"""

from typing import Any

from assets.raw import ident
from config.gate import Allowances
from expectations.suites.spec import Suite, SuiteInputs, at_least, between, completeness

RELATION = "staging.int_prices__daily"


def _rules(allowances: Allowances) -> tuple[str, list[Any]]:
    """Per listed series (a VALUES table, bound as parameters): its freshness and gap allowances
    and the date its gaps, jumps and agreement are checked from."""
    rows, params = [], []
    for series in allowances.catalog.series:
        if series.source not in ("fred", "yahoo"):
            continue
        ref = f"{series.source}/{series.id}"
        rows.append("(?, ?, ?, ?, cast(? as date))")
        params += [
            series.source,
            series.id,
            allowances.max_lag_days(ref),
            allowances.max_gap_days(ref),
            allowances.checked_from(ref),
        ]
    return ", ".join(rows), params


def _pairs(allowances: Allowances) -> tuple[str, list[Any]]:
    rows, params = [], []
    for pair in allowances.settings.agreement:
        rows.append("(?, ?, ?, ?, ?, ?, cast(? as date))")
        params += [*pair.series.split("/", 1), *pair.reference.split("/", 1)]
        params += [pair.tolerance_pct, pair.max_day_shift, pair.checked_from]
    return ", ".join(rows), params


def profile_query(inputs: SuiteInputs, relation: str = RELATION) -> tuple[str, list[Any]]:
    """One row per series of `relation` (columns source, series_id, obs_date, value), and its parameters."""
    allowances = inputs.allowances
    schema, table = relation.split(".")
    unlisted = allowances.settings.unlisted_frequency
    rules, rule_params = _rules(allowances)
    pairs, pair_params = _pairs(allowances)
    relation = f"{ident(schema)}.{ident(table)}"
    # The long table is read twice, never held as a CTE: once in one window pass for the profile,
    # once for the few cross-checked series only. Only small CTEs are referenced twice.
    sql = f"""
    with
    rules as (
        select * from (values {rules})
            as rules (source, series_id, max_lag_days, max_gap_days, checked_from)
    ),
    steps as (
        -- One window pass per series: the gap to, and the move from, its previous observation.
        select
            source,
            series_id,
            obs_date,
            value,
            obs_date - lag(obs_date) over by_series as gap_days,
            100 * value / lag(value) over by_series - 100 as return_pct
        from {relation}
        window by_series as (partition by source, series_id order by obs_date)
    ),
    checked as (
        select steps.*, obs_date >= coalesce(rules.checked_from, date '0001-01-01') as is_checked
        from steps
        left join rules using (source, series_id)
    ),
    profile as (
        select
            source,
            series_id,
            count(*) as observations,
            min(obs_date) as first_date,
            max(obs_date) as last_date,
            min(value) as min_value,
            arg_min(obs_date, value) as min_value_date,
            max(gap_days) filter (where is_checked) as max_gap_days,
            arg_max(obs_date, gap_days) filter (where is_checked) as max_gap_end_date,
            max(abs(return_pct)) filter (where is_checked) as max_abs_return_pct,
            arg_max(return_pct, abs(return_pct)) filter (where is_checked) as worst_return_pct,
            arg_max(obs_date, abs(return_pct)) filter (where is_checked) as worst_return_date
        from checked
        group by source, series_id
    ),
    pairs as (
        select * from (values {pairs})
            as pairs (
                source, series_id, reference_source, reference_series_id,
                tolerance_pct, max_day_shift, checked_from
            )
    ),
    pair_prices as (
        -- The cross-checked series and their references only.
        select
            prices.source,
            prices.series_id,
            prices.obs_date,
            prices.value,
            prices.obs_date >= coalesce(rules.checked_from, date '0001-01-01') as is_checked
        from {relation} as prices
        semi join (
            select source, series_id from pairs
            union
            select reference_source, reference_series_id from pairs
        ) as wanted using (source, series_id)
        left join rules using (source, series_id)
    ),
    shifts as (
        -- Each day shift a pair allows (0, or -1, 0 and +1): the join below stays an equi-join.
        select pairs.*, unnest(range(-max_day_shift, max_day_shift + 1)) as shift from pairs
    ),
    matched as (
        -- Each checked observation against the closest reference value within the day shift.
        select
            shifts.source,
            shifts.series_id,
            checked.obs_date,
            min(abs(100 * checked.value / reference.value - 100)) as deviation_pct
        from shifts
        inner join pair_prices as checked
            on checked.source = shifts.source
            and checked.series_id = shifts.series_id
            and checked.is_checked
            and checked.obs_date >= coalesce(shifts.checked_from, date '0001-01-01')
        inner join pair_prices as reference
            on reference.source = shifts.reference_source
            and reference.series_id = shifts.reference_series_id
            and reference.obs_date = checked.obs_date + cast(shifts.shift as integer)
        group by all
    ),
    agreement as (
        select
            pairs.source,
            pairs.series_id,
            pairs.reference_source || '/' || pairs.reference_series_id as cross_checked_with,
            pairs.tolerance_pct,
            count(matched.obs_date) as common_days,
            count(*) filter (where matched.deviation_pct > pairs.tolerance_pct) as days_disagreeing,
            max(matched.deviation_pct) as max_deviation_pct,
            arg_max(matched.obs_date, matched.deviation_pct) as worst_deviation_date
        from pairs
        left join matched using (source, series_id)
        group by all
    ),
    final as (
        select
            profile.*,
            cast(? as date) - profile.last_date as lag_days,
            coalesce(rules.max_lag_days, ?) as max_lag_days,
            coalesce(rules.max_gap_days, ?) as allowed_gap_days,
            agreement.cross_checked_with,
            agreement.tolerance_pct,
            agreement.common_days,
            agreement.days_disagreeing,
            agreement.max_deviation_pct,
            agreement.worst_deviation_date
        from profile
        left join rules using (source, series_id)
        left join agreement using (source, series_id)
    )
    select * from final order by source, series_id
    """
    defaults = [
        inputs.as_of,
        allowances.freshness[unlisted].max_lag_days,
        int(allowances.settings.max_gap_days[unlisted].limit),
    ]
    return sql, [*rule_params, *pair_params, *defaults]


def price_series(inputs: SuiteInputs, relation: str = RELATION) -> Suite:
    sql, params = profile_query(inputs, relation)
    move = inputs.allowances.settings.max_move_pct.limit
    return Suite(
        "price_series",
        sql,
        [
            *completeness(inputs, what="price series"),
            between(
                "min_value",
                "a price or index level is never zero or negative",
                min_value=0,
                strict_min=True,
                evidence=("min_value_date",),
            ),
            between(
                "max_abs_return_pct",
                f"a move beyond ±{move:g} % from one observation to the next is a load error (a "
                "decimal, a unit, a bad print), not a market move: it blocks",
                max_value=move,
                evidence=("worst_return_date", "worst_return_pct"),
            ),
            at_least(
                "max_lag_days",
                "lag_days",
                "the latest observation is recent enough for the series' frequency "
                "(config/freshness.yaml); warns: each mart's spine freshness blocks where a "
                "verdict depends on it, and one lagging series of thousands should not",
                severity="warn",
                evidence=("last_date",),
            ),
            at_least(
                "allowed_gap_days",
                "max_gap_days",
                "no gap between two observations longer than the frequency allows (gate.yaml); "
                "warns: history has real closures, and a mart's spine gaps block",
                severity="warn",
                evidence=("max_gap_end_date",),
            ),
            between(
                "days_disagreeing",
                "two sources of one price agree within the pair's tolerance on every common day "
                "(gate.yaml): beyond it one source is wrong, and the verdict may rest on it",
                max_value=0,
                evidence=("cross_checked_with", "worst_deviation_date", "max_deviation_pct", "tolerance_pct"),
            ),
            between(
                "common_days",
                "a cross-checked pair has common days; none means one source is missing, which its "
                "freshness check reports: warns",
                min_value=1,
                severity="warn",
                evidence=("cross_checked_with",),
            ),
        ],
        key=("source", "series_id"),
        params=params,
    )
