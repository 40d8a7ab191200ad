"""The Dagster UI, used the way a person uses it: headless Chromium against `dagster dev`.

Follows /work/shared/BROWSER.md: Debian's chromium driven by Playwright (never `playwright
install`), no DNS outside loopback, a 30 s expect timeout, a fresh DAGSTER_HOME with the nux
modal off, and SIGTERM to the server's process group at the end. Screenshots go to
$THESIS_SCREENSHOT_DIR, else data/screenshots/.
"""

import datetime as dt
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import PROJECT_ROOT, dev_command
from tests.dagster_dev import DEV_COMMAND, LOCATION, Dagster
from tests.dagster_dev import dagster_dev as start_dagster_dev

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Without this Chromium looks up Google hosts; the EXCLUDEs keep the test server reachable.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
expect.set_options(timeout=30_000)  # node statuses can take ~8 s on a fresh server


def screenshot_dir() -> Path:
    folder = Path(os.environ.get("THESIS_SCREENSHOT_DIR") or PROJECT_ROOT / "data" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    message = f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium fonts-dejavu-core"
    if os.environ.get("CI") == "true":
        pytest.fail(message)  # CI must run this test, never skip it
    pytest.skip(message)


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory) -> Iterator[Dagster]:
    """One server for this module, on a fresh instance and a fresh demo warehouse."""
    with start_dagster_dev(tmp_path_factory.mktemp("dagster_dev")) as server:
        yield server


def asset_keys_by_group(server: Dagster) -> dict[str, list[str]]:
    """Each group's asset keys, written as the UI writes them (`marts / mart_dollar`)."""
    nodes = server.graphql("{ assetNodes { assetKey { path } groupName } }")["assetNodes"]
    groups: dict[str, list[str]] = {}
    for node in nodes:
        groups.setdefault(node["groupName"], []).append(" / ".join(node["assetKey"]["path"]))
    return groups


def open_lineage_with_groups_expanded(page: Page, server: Dagster) -> None:
    page.goto(f"{server.url}/asset-groups")
    expect(page.locator("foreignObject").first).to_be_visible()
    page.locator("svg").filter(has=page.locator("foreignObject")).first.click(
        button="right", position={"x": 40, "y": 40}
    )
    page.get_by_role("menuitem", name="Expand all groups").click()
    # The whole graph no longer fits one screen: Dagster draws only the nodes in view (the List
    # tabs below check every asset), so here it is enough that asset nodes replaced the group boxes.
    expect(page.locator("foreignObject:not(.group)").filter(has_text=re.compile(r"\w")).first).to_be_visible()


def test_materialize_all_from_the_asset_graph(dagster_dev):
    server, shots = dagster_dev, screenshot_dir()
    groups = asset_keys_by_group(server)
    assert {"ingest", "staging", "marts", "summary"} <= set(groups)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium()), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
            # A fresh UI shows one collapsed box per group.
            page.goto(f"{server.url}/asset-groups")
            expect(page.locator("foreignObject.group")).to_have_count(len(groups))
            open_lineage_with_groups_expanded(page, server)
            page.screenshot(path=shots / "graph-before.png")

            with page.expect_response(lambda r: "op=LaunchPipelineExecution" in r.url) as response:
                page.get_by_role("button", name="Materialize all").click()
            launched = response.value.json()["data"]["launchPipelineExecution"]
            assert launched["__typename"] == "LaunchRunSuccess", launched
            run_id = launched["run"]["id"]
            started = time.monotonic()
            assert server.wait_for_run(run_id) == "SUCCESS", server.tail()
            print(f"run {run_id[:8]} succeeded in {time.monotonic() - started:.1f} s")

            page.goto(f"{server.url}/runs/{run_id}")
            expect(page).to_have_title(re.compile(r"\[SUCCESS\]"))
            expect(page.get_by_text("RUN_SUCCESS").first).to_be_visible()
            page.screenshot(path=shots / "run.png")

            # A big group's graph is zoomed out too far to show node status; its List tab shows
            # one status per asset at any size (a tall viewport keeps every row rendered).
            page.set_viewport_size({"width": 1600, "height": 4000})
            for group, keys in sorted(groups.items()):
                page.goto(f"{server.url}/locations/{LOCATION}/asset-groups/{group}/list")
                for key in keys:
                    expect(page.get_by_title(key, exact=True)).to_be_visible()
                expect(page.get_by_text("Never materialized")).to_have_count(0)
                # Exact and case-sensitive: "Never materialized" must not count.
                expect(page.get_by_text("Materialized", exact=True)).to_have_count(len(keys))
                page.screenshot(path=shots / f"group-{group}-after.png")
            page.set_viewport_size({"width": 1600, "height": 1000})
            # The UI remembers the groups it expanded before the run.
            page.goto(f"{server.url}/asset-groups")
            expect(
                page.locator("foreignObject:not(.group)").filter(has_text=re.compile(r"\w")).first
            ).to_be_visible()
            page.screenshot(path=shots / "graph-after.png")
        finally:
            browser.close()


SCHEDULE = """
query($selector: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $selector) {
    __typename
    ... on Schedule {
      cronSchedule executionTimezone
      scheduleState { status }
      futureTicks(limit: 1) { results { timestamp } }
    }
  }
}
"""
SENSORS = """
query($selector: RepositorySelector!) {
  sensorsOrError(repositorySelector: $selector) {
    ... on Sensors { results { name sensorState { status } } }
  }
}
"""


def test_a_fresh_instance_runs_the_daily_schedule_and_the_alert_sensors(dagster_dev):
    repository = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__"}
    schedule = dagster_dev.graphql(
        SCHEDULE, selector={**repository, "scheduleName": "thesis_daily_schedule"}
    )["scheduleOrError"]
    assert schedule["__typename"] == "Schedule", schedule
    assert schedule["scheduleState"]["status"] == "RUNNING"
    assert (schedule["cronSchedule"], schedule["executionTimezone"]) == ("30 7 * * *", "America/New_York")
    (tick,) = schedule["futureTicks"]["results"]
    next_tick = dt.datetime.fromtimestamp(tick["timestamp"], ZoneInfo("America/New_York"))
    assert next_tick > dt.datetime.now(ZoneInfo("America/New_York"))
    assert (next_tick.hour, next_tick.minute) == (7, 30)

    sensors = dagster_dev.graphql(SENSORS, selector=repository)["sensorsOrError"]["results"]
    states = {s["name"]: s["sensorState"]["status"] for s in sensors}
    assert states == {"thesis_run_failure_alert": "RUNNING", "thesis_status_flip_alert": "RUNNING"}


def test_the_browser_test_starts_the_same_command_as_make_dev():
    assert dev_command().endswith(f"/dagster {' '.join(DEV_COMMAND)} -p 3000")
