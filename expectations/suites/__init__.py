"""One Great Expectations suite per mart, each in its own module, as reviewable data.

`SUITES` maps a mart to its suite builder; `expectations/checks.py` turns each into a blocking
asset check on `marts/<mart>`.
"""

from collections.abc import Callable

from expectations.suites.mart_ai_cost import mart_ai_cost
from expectations.suites.mart_crypto import mart_crypto
from expectations.suites.mart_dollar import mart_dollar
from expectations.suites.mart_equities import mart_equities
from expectations.suites.mart_macro import mart_macro
from expectations.suites.mart_value_share import mart_value_share
from expectations.suites.spec import Suite, SuiteInputs

SUITES: dict[str, Callable[[SuiteInputs], Suite]] = {
    "mart_dollar": mart_dollar,
    "mart_equities": mart_equities,
    "mart_crypto": mart_crypto,
    "mart_macro": mart_macro,
    "mart_value_share": mart_value_share,
    "mart_ai_cost": mart_ai_cost,
}
