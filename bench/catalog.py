"""Widened catalogs for the scale runs: the real catalog plus N synthetic Yahoo daily price series.

Each synthetic series is an ordinary catalog entry (a business-daily US-listed equity with a
`gbm` demo path and a `chart` listing), so the run goes through the same code as the real
symbols: the demo generator writes v8 chart bodies, the Yahoo parser reads them, `assets/raw.py`
upserts them, and `int_prices__returns` (which takes every Yahoo symbol) processes them. The
parameters are drawn from a generator seeded with the series' number: catalog N+1 holds the
series of catalog N, unchanged, plus one.
"""

from pathlib import Path

import numpy as np
import yaml

from config.catalog import CATALOG_PATH, parse_catalog

PREFIX = "BENCH"


def synthetic_id(i: int) -> str:
    return f"{PREFIX}{i:05d}"


def synthetic_series(i: int) -> dict:
    rng = np.random.default_rng(i)
    return {
        "id": synthetic_id(i),
        "source": "yahoo",
        "pillar": "equities",
        "frequency": "business_daily",
        "unit": "USD per share",
        "description": f"Synthetic benchmark equity {i} (bench/catalog.py); not market data.",
        "start": "2015-01-01",
        "demo": {
            "kind": "gbm",
            "start": round(float(rng.uniform(5, 500)), 2),
            "drift": round(float(rng.uniform(-0.05, 0.15)), 3),
            "vol": round(float(rng.uniform(0.10, 0.60)), 3),
            # Four decimals, as sub-dollar listings are quoted: with two, a path that drifts to
            # cents moves 0.01 → 0.02 (+100 %), which the gate rightly refuses as a bad print.
            "decimals": 4,
            "corr_with": "SP500",
            "corr": round(float(rng.uniform(0.0, 0.9)), 2),
            "chart": {
                "name": f"Bench Synthetic {i} Inc",
                "type": "EQUITY",
                "exchange": "NMS",
                "timezone": "America/New_York",
                "open": "09:30",
                "close": "16:00",
                "currency": "USD",
                "volume": int(rng.integers(100_000, 50_000_000)),
            },
        },
    }


def write_catalog(n: int, path: Path) -> Path:
    """Write the real catalog plus `n` synthetic series to `path`, checked by the catalog's own parser."""
    doc = yaml.safe_load(CATALOG_PATH.read_text())
    doc["series"] = [*doc["series"], *(synthetic_series(i) for i in range(1, n + 1))]
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    parse_catalog(text, origin=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
