"""Alert sensors: a failed run and a status flip each write one alert row, log it, and POST it to
the webhook when one is configured (mocked here; never a real request)."""

import datetime as dt
import json
import subprocess
import sys
import time

import dagster as dg
import duckdb
import httpx
import pytest
import respx

from assets.history import status_flips
from assets.summary import STATUS_FLIPS_KEY
from orchestration.alerts import AlertResource
from orchestration.definitions import defs
from orchestration.sensors import (
    SUMMARY_KEY,
    flip_alert_for,
    thesis_run_failure_alert,
    thesis_status_flip_alert,
)

HOOK = "https://hooks.example.test/services/T0K3N"


@pytest.fixture
def alert_file(tmp_path, monkeypatch) -> str:
    monkeypatch.delenv("THESIS_ALERT_WEBHOOK_URL", raising=False)
    return str(tmp_path / "alerts.duckdb")


@pytest.fixture
def alerts(alert_file) -> AlertResource:
    return AlertResource(path=alert_file)


def rows(alerts: AlertResource) -> list[dict]:
    with duckdb.connect(str(alerts.resolved_path()), read_only=True) as con:
        result = con.execute("select * from alerts order by raised_at")
        names = [d[0] for d in result.description]
        return [dict(zip(names, r, strict=True)) for r in result.fetchall()]


@dg.op
def load_prices():
    raise RuntimeError("FRED answered 503 three times")


@dg.job
def doomed():
    load_prices()


def failure_context(instance: dg.DagsterInstance, alerts: AlertResource):
    result = doomed.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return dg.build_run_status_sensor_context(
        sensor_name="thesis_run_failure_alert",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
        resources={"alerts": alerts},
    ).for_run_failure()


def test_a_failed_run_is_recorded_logged_and_posted_once(alerts, monkeypatch, capfd):
    monkeypatch.setenv("THESIS_ALERT_WEBHOOK_URL", HOOK)  # read when the alert is sent, not at import
    instance = dg.DagsterInstance.ephemeral()
    context = failure_context(instance, alerts)
    with respx.mock(assert_all_mocked=True) as mock:
        hook = mock.post(HOOK).mock(return_value=httpx.Response(200))
        thesis_run_failure_alert(context)
        thesis_run_failure_alert(context)  # the same failure seen twice alerts once
    assert hook.call_count == 1
    payload = json.loads(hook.calls[0].request.content)
    run_id = context.dagster_run.run_id
    assert (
        payload["kind"] == "run_failure" and payload["run_id"] == run_id and payload["job_name"] == "doomed"
    )
    assert payload["details"]["failed_steps"] == ["load_prices"]
    assert "doomed failed at load_prices: RuntimeError: FRED answered 503 three times" in payload["text"]
    (row,) = rows(alerts)
    assert (row["alert_key"], row["kind"], row["webhook"]) == (
        f"run_failure:{run_id}",
        "run_failure",
        "sent (HTTP 200)",
    )
    log = capfd.readouterr().err
    assert "ALERT run_failure" in log and HOOK not in log


def test_without_a_webhook_the_alert_is_still_recorded(alerts):
    context = failure_context(dg.DagsterInstance.ephemeral(), alerts)
    with respx.mock(assert_all_mocked=True):  # any request at all would fail the test
        thesis_run_failure_alert(context)
    assert [r["webhook"] for r in rows(alerts)] == ["not configured"]


def test_a_webhook_that_fails_does_not_lose_the_alert(alert_file):
    alerts = AlertResource(path=alert_file, webhook_url=HOOK)
    context = failure_context(dg.DagsterInstance.ephemeral(), alerts)
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post(HOOK).mock(side_effect=httpx.ConnectError("connection refused"))
        thesis_run_failure_alert(context)
    assert [r["webhook"] for r in rows(alerts)] == ["failed (ConnectError)"]


def report_summary(instance: dg.DagsterInstance, flips: list[dict]) -> None:
    metadata = {STATUS_FLIPS_KEY: dg.MetadataValue.json(flips)}
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=SUMMARY_KEY, metadata=metadata))


def test_a_status_flip_in_the_summary_metadata_alerts_once(alert_file):
    alerts = AlertResource(path=alert_file, webhook_url=HOOK)
    instance = dg.DagsterInstance.ephemeral()
    # The metadata is built by the summary's own function, so producer and sensor share one contract.
    flips = status_flips(
        "fed_cant_cut",
        {"dollar": "contradicts", "verdict": "neutral"},
        {"dollar": "confirms", "verdict": "neutral"},
        dt.date(2026, 11, 24),
    )
    report_summary(instance, [])
    report_summary(instance, flips)
    with respx.mock(assert_all_mocked=True) as mock:
        hook = mock.post(HOOK).mock(return_value=httpx.Response(204))
        first = thesis_status_flip_alert(
            dg.build_sensor_context(instance=instance, resources={"alerts": alerts})
        )
        assert hook.call_count == 1
        payload = json.loads(hook.calls[0].request.content)
        keys = ("kind", "thesis", "pillar", "previous_status", "status", "as_of")
        assert {k: payload[k] for k in keys} == {
            "kind": "status_flip",
            "thesis": "fed_cant_cut",
            "pillar": "dollar",
            "previous_status": "confirms",
            "status": "contradicts",
            "as_of": "2026-11-24",
        }
        again = dg.build_sensor_context(instance=instance, cursor=first.cursor, resources={"alerts": alerts})
        second = thesis_status_flip_alert(again)
        assert hook.call_count == 1 and second.skip_reason is not None
        # The same flip reported again (a re-run of the day) is not a new alert.
        report_summary(instance, flips)
        thesis_status_flip_alert(
            dg.build_sensor_context(instance=instance, cursor=second.cursor, resources={"alerts": alerts})
        )
        assert hook.call_count == 1
    (row,) = rows(alerts)
    assert row["message"].startswith("Thesis fed_cant_cut: pillar dollar flipped from confirms")
    assert (row["thesis"], row["pillar"], row["previous_status"], row["status"], row["as_of"]) == (
        "fed_cant_cut",
        "dollar",
        "confirms",
        "contradicts",
        dt.date(2026, 11, 24),
    )
    assert row["webhook"] == "sent (HTTP 204)"


def test_an_alert_file_and_a_flip_from_before_theses_had_ids_are_the_essays(alert_file):
    """An older alert file gains the thesis column (its flips were the essay's), and a flip in an
    older summary's metadata, with no thesis, alerts as the essay's."""
    old = (
        "create table alerts (alert_key varchar primary key, raised_at timestamptz not null, kind varchar "
        "not null, message varchar not null, run_id varchar, job_name varchar, pillar varchar, "
        "previous_status varchar, status varchar, as_of date, webhook varchar not null)"
    )
    with duckdb.connect(alert_file) as con:
        con.execute(old)
        con.execute(
            "insert into alerts values ('status_flip:dollar:2026-11-23:a:b', now(), 'status_flip', 'old', "
            "null, null, 'dollar', 'a', 'b', '2026-11-23', 'not configured')"
        )
    alerts = AlertResource(path=alert_file)
    flip = {"pillar": "macro", "previous_status": "neutral", "status": "stale", "as_of": "2026-11-24"}
    assert alerts.raise_alert(flip_alert_for(flip, None), dg.get_dagster_logger())
    assert [(r["thesis"], r["pillar"]) for r in rows(alerts)] == [
        ("american_exceptionalism", "dollar"),
        ("american_exceptionalism", "macro"),
    ]


def test_a_reader_holding_the_alert_file_only_delays_the_write(alerts):
    context = failure_context(dg.DagsterInstance.ephemeral(), alerts)
    with alerts.connect():
        pass  # create the file and its table
    hold = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
        "print('open', flush=True); time.sleep(1.5)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(alerts.resolved_path())], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "open"
    started = time.monotonic()
    thesis_run_failure_alert(context)
    assert time.monotonic() - started > 1.0  # it waited for the reader to let go instead of failing
    assert holder.wait(10) == 0
    assert len(rows(alerts)) == 1


def test_both_sensors_are_in_the_definitions_and_on_by_default():
    for name in ("thesis_run_failure_alert", "thesis_status_flip_alert"):
        sensor = defs.resolve_sensor_def(name)
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
        assert "alerts" in sensor.required_resource_keys
