"""The request: one keyless GET per indicator, every economy (`country/all`), the window's years."""

from urllib.parse import quote

from assets.sources.base import HttpRequest, Window
from config.catalog import Series

SOURCE = "worldbank"
API_URL = "https://api.worldbank.org/v2/country/all/indicator/{indicator}"
# Every economy x 1960..today is ~18,000 rows in 2026; one page must hold the whole answer.
PER_PAGE = 20000


def request(series: Series, window: Window, api_key: str | None = None) -> HttpRequest:
    """Every economy's values of one indicator over the window's years; keyless (`api_key` is ignored)."""
    return HttpRequest(
        url=API_URL.format(indicator=quote(series.id, safe="")),
        params={
            "format": "json",
            "per_page": str(PER_PAGE),
            "date": f"{window.start.year}:{window.end.year}",
        },
        ext="json",
    )
