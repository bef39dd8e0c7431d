"""The gateway's web dashboard (issue 27 item 4) in a real headless browser: Debian's chromium
driven by selenium through chromedriver (debian-packages.txt; `make setup` installs both).

The world (tests/python/cli_world.py): event 1 of program 1 with consumers A (2 kWh, a full
reduction on the event day) and B (1 kWh, no event-day data) enrolled, the meter data posted;
the grid oracle's forecasts for the 48 hours after the event day and the measured load of the
40 hours before the clock (two days later); A settled through `gridbalance settle`. Every page is
loaded in chromium, its browser log read (no console error), its figures compared with values
read from the chain here, and the event page must show B's settlement, made during the test,
without a reload. The home page's screenshot is written to $GRIDBALANCE_DASHBOARD_SCREENSHOT when
set (docs/dashboard.png in the README)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_utils.crypto import keccak

from oracles.gateway.app import Backend, create_app
from oracles.gateway.chain_view import ChainView
from oracles.gateway.clients import load_clients
from oracles.gateway.dashboard.units import amount, kwh
from oracles.gateway.serving import serving
from oracles.gateway.tokens import TokenIssuer
from oracles.protocol.bindings import GridState, HourRecord
from tests.python.cli_world import (
    ADMIN,
    ORACLE,
    REGION,
    A,
    B,
    World,
    build_world,
    enrolled_world,
    final_ts,
    run,
)

pytestmark = pytest.mark.xdist_group("dashboard")

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(f"the browser tests need {CHROMIUM} and {CHROMEDRIVER} (Debian's chromium and "
                "chromium-driver: `make setup` installs them)", allow_module_level=True)  # fmt: skip
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (pyproject dev extras)")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CLIENTS = {
    "clients": [{"client_id": "ven-1", "client_secret": "ven-secret-0123456789", "role": "VEN"}]
}
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1100")  # fmt: skip


def load(hour: int) -> int:
    """A region's daily load shape in kW: low at night, the peak at 17:00 local."""
    return round(6_200 + 1_400 * math.cos((hour % 24 - 17) * math.pi / 12))


@dataclass
class Board:
    w: World
    url: str


def _post_forecasts(w: World) -> None:
    """The grid oracle's roles, and its forecasts of the next 48 hours (the horizon, F-2)."""
    p = w.p
    now = int(p.forecasting.functions.currentHour(REGION).call())
    admin = w.client(ADMIN)
    for role in ("FORECAST_ORACLE_ROLE", "GRID_ORACLE_ROLE"):
        admin.transact(
            p.forecasting.functions.grantRole(keccak(text=role), w.accounts[ORACLE]), role
        )
    points = [(h, load(h), load(h) - 350, load(h) + 350) for h in range(now + 1, now + 49)]
    w.client(ORACLE).transact(
        p.forecasting.functions.postForecasts(REGION, 1, w.now(), points), "forecasts"
    )


def _post_actuals(w: World) -> None:
    """The measured load of the 40 hours before the current one."""
    p = w.p
    now = int(p.forecasting.functions.currentHour(REGION).call())
    nominal = p.region(REGION).nominal_frequency_mhz
    hours = list(range(now - 40, now))
    points = [(h, load(h) - 40 + 9 * (h % 7), nominal + 10, 1_001) for h in hours]
    w.client(ORACLE).transact(p.forecasting.functions.postActuals(REGION, points), "actuals")


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Board]:
    tmp = tmp_path_factory.mktemp("dashboard")
    for w in build_world(tmp):
        enrolled_world(w)
        _post_forecasts(w)
        w.warp(final_ts())
        _post_actuals(w)
        from oracles.cli.main import main

        assert main(w.args("settle", "--event", "1", "--consumer", w.accounts[A])) == 0
        clients = tmp / "clients.json"
        clients.write_text(json.dumps(CLIENTS))
        protocol, index = w.p, tmp / "gateway-index.sqlite"
        backend = Backend(lambda: ChainView(protocol, index, sync_seconds=0))  # noqa: B023 (one world)
        app = create_app(backend, TokenIssuer(load_clients(clients)))
        try:
            with serving(app) as url:
                yield Board(w, url)
        finally:
            backend.close()


@pytest.fixture(scope="module")
def browser(board: Board, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(browser: Any, url: str, ready: str = "live-root") -> None:
    """Load ``url``, wait for its live fragment and its charts, and fail on any console error."""
    browser.get(url)
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.ID, ready))
    WebDriverWait(browser, 15).until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('canvas[data-chart]')]"
        ".every(c => window.Chart && Chart.getChart(c));"))  # fmt: skip
    assert_no_console_errors(browser)


def assert_no_console_errors(browser: Any) -> None:
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def cell(browser: Any, row: str, field: str) -> Any:
    return browser.find_element(By.CSS_SELECTOR, f"{row} [data-field='{field}']")


def value(browser: Any, row: str, field: str) -> int:
    """The exact figure a cell carries (``data-value``: Wh or token base units)."""
    return int(cell(browser, row, field).find_element(By.CSS_SELECTOR, "[data-value]")
               .get_attribute("data-value"))  # fmt: skip


def chart_data(browser: Any, canvas: str) -> list[list[float | None]]:
    return list(browser.execute_script(
        "return Chart.getChart(document.getElementById(arguments[0])).data.datasets"
        ".map(d => d.data);", canvas))  # fmt: skip


def settled_logs(w: World, name: str = "Settled") -> dict[str, Any]:
    logs = getattr(w.p.requests.events, name).get_logs(from_block=0)
    return {str(e["args"]["account"]): e for e in logs}


# ---------------------------------------------------------------------------------- pages


def test_home__regions_and_events_as_the_chain_has_them(board: Board, browser: Any) -> None:
    w, p = board.w, board.w.p
    open_page(browser, board.url + "/")
    state = GridState.model_validate(p.forecasting.functions.gridState(REGION).call())
    region = f"section[data-region='{REGION}']"
    assert cell(browser, region, "load_status").text == state.load.name
    assert cell(browser, region, "load_kw").text == f"{state.load_kw:,}"
    assert cell(browser, region, "frequency_hz").text == f"{state.frequency_mhz / 1000:.3f}"
    stress = int(p.forecasting.functions.stressMultiplierBps(REGION).call())
    assert cell(browser, region, "stress").text == f"{stress / 10_000:.2f}"
    # load against forecast: every hour of the chart is the chain's hour record
    # the chart runs from 48 hours before the latest measured hour to 24 after it
    assert state.hour == int(p.forecasting.functions.currentHour(REGION).call()) - 1
    actual, forecast, low, high = chart_data(browser, f"load-{REGION}")
    assert len(actual) == 72
    for i, h in enumerate(range(state.hour - 48, state.hour + 24)):
        rec = HourRecord.model_validate(p.forecasting.functions.hourRecord(REGION, h).call())
        assert actual[i] == (rec.actual_kw if rec.flags & 4 else None)
        assert (forecast[i], low[i], high[i]) == (
            (rec.forecast_kw, rec.low_kw, rec.high_kw) if rec.flags & 2 else (None, None, None)
        )
    assert any(a is not None for a in actual) and any(f is not None for f in forecast)
    e = p.dr_event(1)
    row = "tr[data-event='1']"
    assert cell(browser, row, "tier").text == e.tier.name.lower()
    assert value(browser, row, "rate") == e.rate
    assert cell(browser, row, "rate").text == f"{amount(e.rate, 6)} mUSD"
    assert int(cell(browser, row, "enrolled").text) == e.enrolled == 2
    assert value(browser, row, "committed") == e.committed_wh == 3_000
    assert int(cell(browser, row, "settled").text) == e.settled == 1
    assert value(browser, row, "paid") == int(settled_logs(w)[w.accounts[A]]["args"]["reward"])
    assert "PDT" in cell(browser, row, "window").text
    shot = os.environ.get("GRIDBALANCE_DASHBOARD_SCREENSHOT")
    if shot:
        Path(shot).parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(shot)


def test_event_page__chart_and_class_table_from_the_settled_logs(
    board: Board, browser: Any
) -> None:
    w, p = board.w, board.w.p
    open_page(browser, f"{board.url}/dashboard/events/1")
    a = settled_logs(w)[w.accounts[A]]["args"]
    residential, total = "tr[data-class='residential']", "tr[data-class='total']"
    for row in (residential, total):
        assert int(cell(browser, row, "enrolled").text) == 2
        assert value(browser, row, "committed") == p.dr_event(1).committed_wh
        assert value(browser, row, "baseline") == a["baselineWh"]
        assert value(browser, row, "actual") == a["actualWh"]
        assert value(browser, row, "verified") == a["reductionWh"] == 2_000
        assert value(browser, row, "paid") == a["reward"]
        assert cell(browser, row, "verified").text == kwh(a["reductionWh"])
    assert int(cell(browser, "tr[data-class='commercial']", "enrolled").text) == 0
    baseline, actual, verified = chart_data(browser, "event-chart")
    assert (baseline, actual, verified) == (
        [a["baselineWh"] / 1_000],
        [a["actualWh"] / 1_000],
        [a["reductionWh"] / 1_000],
    )
    mine = f"tr[data-account='{w.accounts[A]}']"
    assert cell(browser, mine, "outcome").text == "settled"
    tx_hash = settled_logs(w)[w.accounts[A]]["transactionHash"].to_0x_hex()
    assert cell(browser, mine, "tx").find_element(By.TAG_NAME, "a").get_attribute(
        "href").endswith(f"/dashboard/tx/{tx_hash}")  # fmt: skip
    assert cell(browser, f"tr[data-account='{w.accounts[B]}']", "outcome").text == "enrolled"


def test_consumer_page__enrollments_settlements_payments_with_their_transactions(
    board: Board, browser: Any
) -> None:
    w = board.w
    account = w.accounts[A]
    open_page(browser, f"{board.url}/dashboard/consumers/{account.lower()}")  # any case
    enrolled = {
        str(e["args"]["account"]): e for e in w.p.requests.events.Enrolled.get_logs(from_block=0)
    }
    settled = settled_logs(w)[account]
    hashes = {name: [c.get_attribute("data-tx") for c in
                     browser.find_elements(By.CSS_SELECTOR, f"#{name} [data-field='tx']")]
              for name in ("enrollments", "settlements", "payments")}  # fmt: skip
    assert hashes == {
        "enrollments": [enrolled[account]["transactionHash"].to_0x_hex()],
        "settlements": [settled["transactionHash"].to_0x_hex()],
        "payments": [settled["transactionHash"].to_0x_hex()],
    }
    assert value(browser, "#enrollments", "energy") == 2_000
    assert value(browser, "#settlements", "energy") == settled["args"]["reductionWh"]
    assert value(browser, "#payments", "money") == settled["args"]["reward"]
    # the transaction's page: the receipt and the protocol logs the index holds of it
    browser.find_element(By.CSS_SELECTOR, "#payments [data-field='tx'] a").click()
    WebDriverWait(browser, 15).until(lambda d: "/dashboard/tx/" in d.current_url)
    open_page(browser, browser.current_url)
    receipt = w.w3.eth.get_transaction_receipt(settled["transactionHash"])
    assert cell(browser, "table.facts", "block").text == str(receipt["blockNumber"])
    assert cell(browser, "table.facts", "status").text == "success"
    names = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "[data-field='name']")]
    assert "Settled" in names


def test_pages__bad_or_unknown_ids__html_answers(board: Board) -> None:
    with httpx.Client(base_url=board.url, timeout=10) as http:
        r = http.get("/dashboard/events/99")
        assert r.status_code == 404 and "no event 99 is indexed" in r.text
        assert r.headers["content-type"].startswith("text/html")
        assert http.get("/dashboard/events/x").status_code == 400
        assert http.get("/dashboard/consumers/0x12").status_code == 400
        assert http.get("/dashboard/tx/0x" + "0" * 64).status_code == 404
        r = http.get("/", params={"fragment": "1"})
        assert r.status_code == 200 and "<html" not in r.text and 'id="live-root"' in r.text
        found = http.get("/dashboard/consumer", params={"address": board.w.accounts[A].lower()})
        assert found.status_code == 303
        assert found.headers["location"] == f"/dashboard/consumers/{board.w.accounts[A]}"
        assert http.get("/dashboard/consumer", params={"address": "bob"}).status_code == 400
        head = http.get("/dashboard/head.json").json()
        assert head["block"] == board.w.w3.eth.block_number
        js = http.get("/dashboard/vendor/chart.umd.js")
        assert js.status_code == 200 and "Chart" in js.text[:2_000]


# ---------------------------------------------------------------------------------- the chain moves (last)


def test_live__a_settlement_made_now_shows_without_a_reload(
    board: Board, browser: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Changes the chain: B is settled (insufficient data) while the event page is open."""
    w = board.w
    open_page(browser, f"{board.url}/dashboard/events/1")
    browser.execute_script("window.__same_page = 42;")
    before = int(browser.find_element(By.ID, "head-block").text)
    code, out, _ = run(capsys, w.args("settle", "--event", "1", "--consumer", w.accounts[B]))
    assert code == 0 and "insufficient data" in out
    row = f"tr[data-account='{w.accounts[B]}']"
    WebDriverWait(browser, 20).until(lambda d: cell(d, row, "outcome").text == "insufficient data")
    assert browser.execute_script("return window.__same_page;") == 42  # no reload
    assert int(browser.find_element(By.ID, "head-block").text) > before
    assert int(cell(browser, "tr[data-class='total']", "insufficient_data").text) == 1
    assert cell(browser, "table.facts", "status").text == "settled"
    nd = settled_logs(w, "SettledInsufficientData")[w.accounts[B]]
    assert cell(browser, row, "tx").find_element(By.TAG_NAME, "a").get_attribute(
        "href").endswith(nd["transactionHash"].to_0x_hex())  # fmt: skip
    assert_no_console_errors(browser)
