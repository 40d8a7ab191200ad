"""Alerts: one row in a small DuckDB file of its own, a log line, and a webhook POST if configured.

Why a file of its own (`<THESIS_DATA_DIR>/alerts.duckdb`) and not a table in the warehouse:
sensors are evaluated by the daemon while runs write the warehouse, and DuckDB admits one writer
process per file, with readers blocking writers too. An alert written into the warehouse would
wait for, or break, the very run it reports on, and a run that failed *because* the warehouse was
locked or damaged could not be reported at all. The alert file is written only by sensor ticks,
a few milliseconds at a time; if someone has it open for a moment, the write is retried.

In the team profile the sensors run in a daemon on a server, and a local file is the wrong home:
alerts go to a PostgreSQL database of their own (`thesis_ops` on the team's cluster,
$THESIS_ALERTS_DSN), never the lake's catalog, for the same reason. DuckDB writes it through its
PostgreSQL extension, so the table and the statements are the same.

The webhook URL is read when an alert is sent ($THESIS_ALERT_WEBHOOK_URL, or the resource's
`webhook_url`), never at import, and never logged or stored: such URLs usually embed a token.
"""

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import httpx
from pydantic import Field
from tenacity import retry, retry_if_exception, stop_after_delay, wait_exponential

from config import lake
from config.resources import CONNECTION_CONFIG, data_dir, resolved_profile

ALERTS_DDL = """
create table if not exists alerts (
    -- run_failure:<run> | status_flip:<thesis>:<pillar>:<as_of>:<previous>:<status>
    alert_key varchar primary key,
    raised_at timestamptz not null,
    kind varchar not null,           -- run_failure | status_flip
    message varchar not null,
    run_id varchar,
    job_name varchar,
    pillar varchar,
    previous_status varchar,
    status varchar,
    as_of date,
    webhook varchar not null,        -- not configured | sent (HTTP 2xx) | failed (<HTTP status or error>)
    thesis varchar                   -- a status flip's thesis id (config/theses/<id>.yaml)
)
"""
# An alert file from before theses had ids gains the column; its flips were the essay's.
ALERTS_MIGRATION = """
alter table alerts add column if not exists thesis varchar;
update alerts set thesis = 'american_exceptionalism' where kind = 'status_flip' and thesis is null;
"""


@dataclass(frozen=True)
class Alert:
    """Something an operator must hear about; `key` makes raising it twice a no-op."""

    key: str
    kind: str
    message: str
    run_id: str | None = None
    job_name: str | None = None
    thesis: str | None = None
    pillar: str | None = None
    previous_status: str | None = None
    status: str | None = None
    as_of: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def payload(self, raised_at: dt.datetime) -> dict[str, Any]:
        """The webhook body; `text` is what Slack/Teams/Mattermost incoming webhooks display."""
        body = {k: v for k, v in asdict(self).items() if k != "key"}
        return {"text": f"[thesis-warehouse] {self.message}", "raised_at": raised_at.isoformat(), **body}


def _locked(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


class AlertResource(dg.ConfigurableResource):
    """Where alerts go: the `alerts` table of a DuckDB file beside the warehouse, the sensor's log,
    and a JSON POST to a webhook when one is configured."""

    path: str | None = Field(
        default=None, description="Alert file. Default: <THESIS_DATA_DIR>/alerts.duckdb."
    )
    dsn: str | None = Field(
        default=None,
        description="Team profile: the PostgreSQL database of alerts (libpq DSN). Default: "
        "$THESIS_ALERTS_DSN, else thesis_ops on the cluster of `make team-up`.",
    )
    webhook_url: str | None = Field(
        default=None,
        description="POST alerts here as JSON. Default: $THESIS_ALERT_WEBHOOK_URL; unset: no POST.",
    )
    timeout_s: float = Field(default=10.0, description="Webhook timeout in seconds.")

    def resolved_path(self) -> Path:
        return Path(self.path) if self.path else data_dir() / "alerts.duckdb"

    def resolved_dsn(self) -> str:
        return self.dsn or os.environ.get("THESIS_ALERTS_DSN") or lake.LOCAL_OPS

    @retry(retry=retry_if_exception(_locked), wait=wait_exponential(0.1, max=2), stop=stop_after_delay(15))
    def _open(self) -> duckdb.DuckDBPyConnection:
        if resolved_profile() == "team":
            con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False})
            try:
                lake.load_extensions(con)
                con.execute(f"attach {lake.sql_string(self.resolved_dsn())} as ops (type postgres)")
                con.execute("use ops")
            except BaseException:
                con.close()
                raise
            return con
        path = self.resolved_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(path), config=dict(CONNECTION_CONFIG))

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self._open()
        try:
            con.execute(ALERTS_DDL)
            con.execute(ALERTS_MIGRATION)
            yield con
        finally:
            con.close()

    def _post(self, payload: dict[str, Any]) -> str:
        url = self.webhook_url or os.environ.get("THESIS_ALERT_WEBHOOK_URL")
        if not url:
            return "not configured"
        try:
            response = httpx.post(url, json=payload, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            return f"failed ({type(exc).__name__})"  # not str(exc): it would contain the URL
        return f"{'sent' if response.is_success else 'failed'} (HTTP {response.status_code})"

    def raise_alert(self, alert: Alert, log) -> bool:
        """Record, log and POST `alert` once; returns False if it had already been raised."""
        with self.connect() as con:
            if con.execute("select 1 from alerts where alert_key = ?", [alert.key]).fetchall():
                return False
        raised_at = dt.datetime.now(dt.UTC)
        webhook = self._post(alert.payload(raised_at))
        with self.connect() as con:
            con.execute(
                "insert or ignore into alerts (alert_key, raised_at, kind, message, run_id, job_name, "
                "thesis, pillar, previous_status, status, as_of, webhook) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    alert.key,
                    raised_at,
                    alert.kind,
                    alert.message,
                    alert.run_id,
                    alert.job_name,
                    alert.thesis,
                    alert.pillar,
                    alert.previous_status,
                    alert.status,
                    alert.as_of,
                    webhook,
                ],
            )
        log.warning(f"ALERT {alert.kind}: {alert.message} [webhook {webhook}]")
        return True
