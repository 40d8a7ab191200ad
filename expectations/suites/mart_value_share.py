"""The global value share pillar's gate: one row per year, shares that are shares, no share
moving more in a year than the world economy allows, and a recent year of GDP."""

from expectations.suites.spec import (
    Suite,
    SuiteInputs,
    as_of_freshness,
    between,
    completeness,
    not_null,
    ranged,
    spine_freshness,
    unique,
)

# Indicator prefix → World Bank series. The largest yearly move of each share is in gate.yaml
# (`marts.mart_value_share.moves.<indicator>`, in points).
INDICATORS = {
    "population": "worldbank/SP.POP.TOTL",
    "gdp": "worldbank/NY.GDP.MKTP.CD",
    "exports": "worldbank/NE.EXP.GNFS.CD",
    "market_cap": "worldbank/CM.MKT.LCAP.CD",
}
COUNTRIES = ("us", "cn")
SHARES = [f"{country}_{indicator}_share_pct" for indicator in INDICATORS for country in COUNTRIES]


def _query() -> str:
    derived = ["year - lag(year) over spine as years_since_previous"]
    for indicator in INDICATORS:
        derived.append(
            f"case when us_{indicator}_share_pct is not null then date end as {indicator}_year_date"
        )
        for country in COUNTRIES:
            share = f"{country}_{indicator}_share_pct"
            # Only like for like: a year whose denominator switched (World vs sum of countries) has none.
            derived.append(
                f"case when {indicator}_denominator = lag({indicator}_denominator) over spine "
                f"then {share} - lag({share}) over spine end as {share}_change_pp"
            )
    return f"select *, {', '.join(derived)} from marts.mart_value_share window spine as (order by year)"


def mart_value_share(inputs: SuiteInputs) -> Suite:
    return Suite(
        "mart_value_share",
        _query(),
        [
            *completeness(inputs),
            unique("year", "year"),
            not_null("year", "every row has its year"),
            between(
                "years_since_previous",
                "the spine has every year the World Bank lists",
                min_value=1,
                max_value=1,
            ),
            *(
                between(share, "a share of the world is between 0 and 100 %", min_value=0, max_value=100)
                for share in SHARES
            ),
            *ranged(
                inputs, "mart_value_share", "us_population_share_pct", "the US share of the world's people"
            ),
            between(
                "capital_to_population_share_ratio",
                "a ratio of two positive shares is positive",
                min_value=0,
                strict_min=True,
            ),
            *(
                between(
                    f"{country}_{indicator}_share_pct_change_pp",
                    f"a {indicator} share moving more than {limit:g} points in a year is a wrong value "
                    "or denominator, not the world economy",
                    min_value=-limit,
                    max_value=limit,
                    evidence=(f"{country}_{indicator}_share_pct",),
                )
                for indicator in INDICATORS
                for limit in [inputs.allowances.move("mart_value_share", indicator).limit]
                for country in COUNTRIES
            ),
            spine_freshness(inputs, "mart_value_share", INDICATORS["gdp"], column="gdp_year_date"),
            *as_of_freshness(
                inputs,
                "mart_value_share",
                {
                    **{f"{i}_year_date": ref for i, ref in INDICATORS.items() if i != "gdp"},
                    "cofer_quarter_date": "imf/cofer",
                },
            ),
        ],
        key=("year",),
    )
