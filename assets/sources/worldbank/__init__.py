"""World Bank Indicators API v2 (WDI): population, GDP, exports and market cap of every economy, yearly.

One keyless request per indicator returns every economy (`country/all`), countries and
aggregates alike (World is `WLD` / `1W`), as the JSON array `[paging, rows]`, newest year first.
The whole answer must fit in one page (`per_page=20000`): a body that says `pages > 1` is
incomplete and rejected. The latest year is usually NULL until the annual WDI update; NULL rows
are kept, so the marts can tell "published as missing" from "absent". Each row carries the
answer's `lastupdated` (the WDI vintage). Errors come back as HTTP 200 with a `message` array.
"""

from assets.sources.base import Connector
from assets.sources.worldbank import api, demo, parsing

CONNECTOR = Connector(
    source=api.SOURCE,
    description=__doc__,
    request=api.request,
    parse=parsing.parse,
    demo=demo.demo,
    demo_ext="json",
    table="worldbank_indicators",
    schema=parsing.SCHEMA,
    key=("indicator_id", "country_code", "obs_date"),
    series_column="indicator_id",
    date_column="obs_date",
    revision_columns=("value",),
)
