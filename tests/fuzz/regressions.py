"""Every failing body the fuzzing found, kept in `tests/fixtures/fuzz/<format>/`: what the parser
raised before its fix, and what it does now (`parsed`, or `refused` with a SourceError; for a
refusal, `rejected` when the values are corrupt, which the load check blocks on). Each body is
the smallest the harness could cut it down to (`harness.minimize`) while it still failed the same way.
"""

from dataclasses import dataclass

from tests.conftest import FIXTURES


@dataclass(frozen=True)
class Regression:
    slug: str  # the format (tests/fuzz/seeds.py)
    file: str
    key: str
    raised: str  # before the fix: the exception and where
    now: str  # parsed | refused | rejected
    problem: str = ""  # a refusal's problem contains this

    @property
    def path(self):
        return FIXTURES / "fuzz" / self.slug / self.file


REGRESSIONS = (
    Regression(
        "fred-json",
        "realtime_start_a_number.json",
        "UNRATE",
        "AttributeError: 'float' object has no attribute 'strip' (fred._date on a numeric realtime_start)",
        "refused",
        "not an ISO date: '8'",
    ),
    Regression(
        "fred-json",
        "nested_5000_deep.json",
        "UNRATE",
        "RecursionError in json.loads (found reading the decoder, not by the fuzzer)",
        "refused",
        "nested too deeply",
    ),
    Regression(
        "yahoo",
        "integer_beyond_float.json",
        "SPY",
        "OverflowError: int too large to convert to float (yahoo._number)",
        "rejected",
        "absurd value",
    ),
    Regression(
        "worldbank",
        "lone_surrogate_country_id.json",
        "NY.GDP.MKTP.CD",
        "UnicodeEncodeError: surrogates not allowed (Arrow, on a lone \\udbf1 escape)",
        "parsed",
    ),
    Regression(
        "worldbank",
        "country_name_a_number.json",
        "SP.POP.TOTL",
        "ArrowTypeError: Expected bytes, got a 'int' object (country.value, the name, a number)",
        "refused",
        "country.value is not a name",
    ),
    Regression(
        "worldbank",
        "integer_of_4301_digits.json",
        "SP.POP.TOTL",
        "ValueError: Exceeds the limit (4300 digits) for integer string conversion (json.loads)",
        "refused",
        "an integer of more than 4300 digits",
    ),
    Regression(
        "worldbank",
        "year_0000.json",
        "NY.GDP.MKTP.CD",
        "ValueError: year 0 is out of range (a date of '0000' passed the four-digit check)",
        "refused",
        "date is not a year: '0000'",
    ),
    Regression(
        "imf-sdmx",
        "year_0000.csv",
        "cofer",
        "ValueError: year 0 is out of range (imf._quarter took '0000-Q4' for a quarter)",
        "refused",
        "not a YYYY-Qn quarter: '0000-Q4'",
    ),
    Regression(
        "dbnomics",
        "year_0000.json",
        "cofer",
        "ValueError: year 0 is out of range (imf._quarter took '0000-Q4' for a quarter)",
        "refused",
        "not a YYYY-Qn quarter: '0000-Q4'",
    ),
    Regression(
        "dbnomics",
        "integer_of_4301_digits.json",
        "cofer",
        "ValueError: Exceeds the limit (4300 digits) for integer string conversion (json.loads)",
        "refused",
        "an integer of more than 4300 digits",
    ),
    Regression(
        "dbnomics",
        "integer_beyond_float.json",
        "cofer",
        "OverflowError: int too large to convert to float (imf.parse_dbnomics)",
        "rejected",
        "outside [0, 100] percent",
    ),
    Regression(
        "openrouter",
        "modality_an_object.json",
        "models",
        "ArrowTypeError: Expected bytes, got a 'dict' object (architecture.modality an object)",
        "refused",
        "'modality' is not str",
    ),
    Regression(
        "openrouter",
        "lone_surrogate_slug.json",
        "models",
        "UnicodeEncodeError: surrogates not allowed (Arrow, on a lone \\ud800 escape)",
        "parsed",
    ),
    Regression(
        "openrouter",
        "integer_of_4301_digits.json",
        "models",
        "ValueError: Exceeds the limit (4300 digits) for integer string conversion (json.loads)",
        "refused",
        "an integer of more than 4300 digits",
    ),
    Regression(
        "openrouter",
        "created_before_year_1.json",
        "models",
        "ValueError: year -3166904 is out of range (found reading the parser, not by the fuzzer)",
        "refused",
        "created -99999999999999 is not a unix time",
    ),
    Regression(
        "openrouter",
        "context_length_beyond_int64.json",
        "models",
        "OverflowError: Python int too large to convert to C long (Arrow, context_length)",
        "refused",
        "is not a size",
    ),
)
