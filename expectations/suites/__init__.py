"""Great Expectations suites as reviewable data, one module per table they gate.

`SUITES` maps each mart to its suite builder: `expectations/checks.py` turns each into the
blocking check `gx_<mart>` on `marts/<mart>`, and the thesis summary waits for every one.
`SERIES_SUITES` gates the tables the marts are built from (name → asset key path, builder):
the check `gx_<name>` on that asset, run in the same step, blocking the same summary.
"""

from collections.abc import Callable

from expectations.suites.mart_ai_cost import mart_ai_cost
from expectations.suites.mart_crypto import mart_crypto
from expectations.suites.mart_dollar import mart_dollar
from expectations.suites.mart_equities import mart_equities
from expectations.suites.mart_macro import mart_macro
from expectations.suites.mart_value_share import mart_value_share
from expectations.suites.price_series import price_series
from expectations.suites.spec import Suite, SuiteInputs

SUITES: dict[str, Callable[[SuiteInputs], Suite]] = {
    "mart_dollar": mart_dollar,
    "mart_equities": mart_equities,
    "mart_crypto": mart_crypto,
    "mart_macro": mart_macro,
    "mart_value_share": mart_value_share,
    "mart_ai_cost": mart_ai_cost,
}

SERIES_SUITES: dict[str, tuple[list[str], Callable[[SuiteInputs], Suite]]] = {
    "price_series": (["staging", "int_prices__daily"], price_series),
}
