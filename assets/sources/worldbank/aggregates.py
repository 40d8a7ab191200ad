"""The World Bank country list (`/v2/country`) and the aggregates seed derived from it.

Aggregates (World, regions, income and lending groups) sit in indicator answers next to the
countries; summing countries must leave them out. The `worldbank_aggregates` dbt seed lists
them, and is regenerated from a saved country list with

    python -m assets.sources.worldbank.aggregates countries.json > dbt_project/seeds/worldbank_aggregates.csv
"""

import csv
import datetime as dt
import io
import sys
from dataclasses import dataclass
from pathlib import Path

from assets.sources.base import Body, SourceError
from assets.sources.worldbank.api import SOURCE
from assets.sources.worldbank.paging import page_rows, read_answer

COUNTRY_LIST_URL = "https://api.worldbank.org/v2/country?format=json&per_page=400"


@dataclass(frozen=True)
class Economy:
    """One entry of the country list (`/v2/country`): a country or an aggregate."""

    iso3: str
    iso2: str
    name: str
    is_aggregate: bool


def parse_countries(body: Body) -> list[Economy]:
    """The country list; aggregates are the entries whose region is `{"id": "NA", "value": "Aggregates"}`.

    Codes are read as JSON strings, so Namibia's iso2Code `"NA"` stays "NA" (CSV readers that
    treat NA as missing turn it into NULL).
    """
    paging, rows = read_answer(body)
    economies = []
    for i, row in enumerate(page_rows(paging, rows, body.key)):
        region = row.get("region") if isinstance(row, dict) else None
        if not isinstance(region, dict) or not row.get("id") or not row.get("iso2Code"):
            raise SourceError(SOURCE, body.key, f"not a country entry: {str(row)[:80]}", f"rows[{i}]")
        aggregate = region.get("id") == "NA" and str(region.get("value")).strip() == "Aggregates"
        economies.append(Economy(row["id"], row["iso2Code"], row["name"].strip(), aggregate))
    return economies


def aggregates_csv(economies: list[Economy]) -> str:
    """The `worldbank_aggregates` dbt seed: every aggregate of the country list, by ISO3 code."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["iso3", "iso2", "name", "source_url"])
    for e in sorted((e for e in economies if e.is_aggregate), key=lambda e: e.iso3):
        writer.writerow([e.iso3, e.iso2, e.name, COUNTRY_LIST_URL])
    return out.getvalue()


if __name__ == "__main__":
    source = Path(sys.argv[1])
    countries = Body(SOURCE, "countries", "json", source.read_bytes(), "replay", dt.datetime.now(dt.UTC), "")
    sys.stdout.write(aggregates_csv(parse_countries(countries)))
