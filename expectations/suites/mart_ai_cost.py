"""The AI inference cost pillar's gate: one row per month, a frontier price that is a positive
running minimum (it never rises), capability scores and bars on a percent scale, a frontier model
that meets its bar on the benchmark that qualified it, plausible decline factors, and a current
month."""

from expectations.suites.spec import (
    Suite,
    SuiteInputs,
    at_least,
    between,
    completeness,
    not_null,
    positive,
    ranged,
    spine_freshness,
    spine_query,
    unique,
)

BARS = ("gpt4_level", "gpt35_level")
PRICES = {f"{bar}_usd_per_mtok": None for bar in BARS}
# Each level is reached on MMLU or on GPQA Diamond (`<bar>_benchmark` says which): the score that
# must clear the bar is the one on that benchmark (a GPQA-qualified model may score below the MMLU
# bar, or have no MMLU at all).
BENCHMARKS = {"mmlu": "MMLU", "gpqa": "GPQA Diamond"}
QUALIFYING = [
    f"case when {bar}_benchmark = '{name}' then {bar}_{column} end as {bar}_qualifying_{column}"
    for bar in BARS
    for column, name in BENCHMARKS.items()
]


# A percent change this small is the last bit of a double, not a price move.
FLOAT_NOISE_PCT = 1e-9


def mart_ai_cost(inputs: SuiteInputs) -> Suite:
    return Suite(
        "mart_ai_cost",
        spine_query(inputs, "mart_ai_cost", None, PRICES, QUALIFYING),
        [
            *completeness(inputs),
            unique("date", "month"),
            not_null("date", "every row has its month"),
            between(
                "days_since_previous",
                "the spine has every calendar month",
                min_value=28,
                max_value=31,
            ),
            *positive(PRICES),
            *(
                between(
                    f"{price}_change_pct",
                    "the frontier is the cheapest price available by each month's end, a running "
                    "minimum: it never rises (by more than floating-point noise: one price read from "
                    "two sources, OpenRouter's string and genai-prices' number, can differ in its last bit)",
                    max_value=FLOAT_NOISE_PCT,
                    evidence=(price,),
                )
                for price in PRICES
            ),
            *(
                between(
                    f"{bar}_{column}",
                    "an MMLU or GPQA Diamond score is a percentage",
                    min_value=0,
                    max_value=100,
                )
                for bar in BARS
                for column in ("mmlu_bar", "mmlu", "gpqa_bar", "gpqa")
            ),
            *(
                at_least(
                    f"{bar}_qualifying_{column}",
                    f"{bar}_{column}_bar",
                    "the frontier model scores at least the bar on the benchmark that qualified it",
                    evidence=(f"{bar}_model", f"{bar}_benchmark"),
                )
                for bar in BARS
                for column in BENCHMARKS
            ),
            *(
                between(
                    f"{bar}_decline_factor_per_year",
                    "a log-linear fit to a running minimum has a slope <= 0, so the yearly decline "
                    "factor exp(-slope) is at least 1",
                    min_value=1,
                )
                for bar in BARS
            ),
            *(
                expectation
                for bar in BARS
                for expectation in ranged(
                    inputs,
                    "mart_ai_cost",
                    f"{bar}_decline_factor_per_year",
                    f"the {bar} yearly price decline",
                )
            ),
            spine_freshness(inputs, "mart_ai_cost", None),
        ],
    )
