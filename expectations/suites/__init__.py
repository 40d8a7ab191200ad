"""One Great Expectations suite per mart, each in its own module, as reviewable data.

`SUITES` maps a mart to its suite builder; `expectations/checks.py` turns each into a blocking
asset check on `marts/<mart>`.
"""

from collections.abc import Callable

from expectations.suites.mart_crypto import mart_crypto
from expectations.suites.mart_dollar import mart_dollar
from expectations.suites.mart_equities import mart_equities
from expectations.suites.spec import Suite, SuiteInputs

SUITES: dict[str, Callable[[SuiteInputs], Suite]] = {
    "mart_dollar": mart_dollar,
    "mart_equities": mart_equities,
    "mart_crypto": mart_crypto,
}
