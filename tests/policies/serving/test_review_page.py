"""The store manager's review page in a real headless Chromium against a real server on
127.0.0.1: load a city's state with the key, change and reject orders, veto one transfer
alert and accept another, and find the decisions in the feedback log exactly as the
API would write them."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.policies.serving.test_http import KEY, Server
from tests.policies.serving.test_transfer_options import city_state  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def server(transfer_policy_dir, tmp_path_factory):
    log = tmp_path_factory.mktemp("review") / "log.jsonl"
    srv = Server(transfer_policy_dir, log, max_body_bytes=20_000_000)
    srv.feedback_log = log
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: `make test` installs it"
    with playwright.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_the_page_holds_no_data_and_says_what_it_may_load(server):
    answer = httpx.get(f"{server.url}/review")
    assert answer.status_code == 200 and "Today's review" in answer.text
    csp = answer.headers["content-security-policy"]
    assert "connect-src 'self'" in csp and "default-src 'none'" in csp
    assert httpx.post(f"{server.url}/transfer-options", content=b"{}").status_code == 401


def test_a_manager_reviews_orders_and_transfers_in_the_browser(
    server,
    browser,
    city_state,  # noqa: F811 - the fixture
    tmp_path,
):
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(city_state))
    page = browser.new_page()
    page.goto(f"{server.url}/review")
    page.fill("#key", "wrong-key")
    page.set_input_files("#state", str(state_file))
    page.click("#load")
    page.wait_for_selector("#error:not(:empty)")  # no eval: the page's policy forbids it
    assert "403" in page.inner_text("#error")  # a wrong key shows, and loads nothing

    page.fill("#key", KEY)
    page.click("#load")
    page.wait_for_selector("#order-table tbody tr")
    rows = page.locator("#order-table tbody tr")
    n_rows = rows.count()
    assert n_rows == len(city_state["sku_ids"])
    suggested = int(rows.nth(1).locator("td").nth(2).inner_text())
    rows.nth(1).locator("select.decision").select_option("changed")
    rows.nth(1).locator("input.units").fill(str(suggested + 2))
    rows.nth(2).locator("select.decision").select_option("rejected")
    page.wait_for_selector("#alerts fieldset")
    alerts = page.locator("#alerts fieldset")
    assert alerts.count() >= 2
    vetoed_alert = alerts.nth(0).get_attribute("data-alert")
    alerts.nth(0).locator("input[value='veto']").check()
    alerts.nth(1).locator("input[type=radio]").first.check()
    page.click("#submit")
    page.wait_for_selector("#result:not(:empty)")
    assert page.inner_text("#result") == (
        f"Recorded {n_rows} order decisions and 2 transfer decisions."
    )

    lines = [json.loads(line) for line in server.feedback_log.read_text().splitlines()]
    orders = [e for e in lines if e["kind"] == "order"]
    transfers = [e for e in lines if e["kind"] == "transfer"]
    assert len(orders) == n_rows and len(transfers) == 2
    assert orders[1]["decision"] == "changed" and orders[1]["final_units"] == suggested + 2
    assert orders[2]["decision"] == "rejected" and orders[2]["final_units"] == 0
    assert {e["decision"] for e in orders[3:]} == {"accepted"}
    veto, accepted = transfers
    assert f"{veto['store_id']}/{veto['sku_id']}" == vetoed_alert
    assert veto["decision"] == "rejected" and veto["final_units"] == 0  # nothing moves
    assert accepted["decision"] == "accepted" and accepted["final_units"] > 0
    page.close()
