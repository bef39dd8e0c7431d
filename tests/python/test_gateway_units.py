"""The gateway's parts without a chain: object ids, durations and prices, the clients file, token
expiry and scopes, the search parameters, and the catalog of 1,000 events (how long mapping and a
search take; the HTTP side is tests/python/test_gateway.py)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.datastructures import QueryParams

from oracles.gateway import ids
from oracles.gateway.catalog import Catalog
from oracles.gateway.chain_view import EventRecord, ProgramRecord, Region, Snapshot, Token
from oracles.gateway.clients import ClientsError, Role, load_clients
from oracles.gateway.mapping import classes, duration, price
from oracles.gateway.problems import ProblemError
from oracles.gateway.queries import MAX_LIMIT, parse_search
from oracles.gateway.tokens import TokenIssuer, TokenRefused
from oracles.protocol.bindings import ProgramParams, RegionParams
from oracles.protocol.enums import Tier

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
REQUESTS = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
SECRET = "s3cret-s3cret-s3cret"


def test_object_id__round_trip__lower_case_and_inside_object_id() -> None:
    oid = ids.ObjectId("program", 31337, REGISTRY, 7)
    text = oid.text()
    assert text == "program-31337-5fbdb2315678afecb367f032d93f642f64180aa3-7"
    assert ids.is_object_id(text) and len(text) <= 128
    back = ids.parse(text)
    assert back is not None and back.text() == text and back.number == 7
    assert ids.parse("program-1") is None and ids.parse("event-1-zz-1") is None


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "PT0S"), (120, "PT2H"), (90, "PT1H30M"), (15, "PT15M"), (-480, "-PT8H"), (330, "PT5H30M")],
)
def test_duration__iso_8601(minutes: int, text: str) -> None:
    assert duration(minutes) == text


def test_price__token_units_exact_and_classes_by_bit() -> None:
    assert price(750_000, Token("0x0", "mUSD", 6)) == 0.75
    assert price(10**18 + 5 * 10**17, Token("0x0", "DAI", 18)) == 1.5
    assert classes(0b001) == ["RESIDENTIAL"] and classes(0b110) == ["COMMERCIAL", "INDUSTRIAL"]


def test_clients__json_and_toml__same_clients(tmp_path: Path) -> None:
    j = tmp_path / "c.json"
    j.write_text(
        f'{{"clients": [{{"client_id": "a", "client_secret": "{SECRET}", "role": "BL"}}]}}'
    )
    t = tmp_path / "c.toml"
    t.write_text(f'[[clients]]\nclient_id = "a"\nclient_secret = "{SECRET}"\nrole = "BL"\n')
    for path in (j, t):
        [c] = load_clients(path).clients
        assert (c.client_id, c.role, c.client_secret.get_secret_value()) == ("a", Role.BL, SECRET)
        assert SECRET not in repr(c)  # a secret never shows in a log line


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("c.yaml", "", "a clients file is .json or .toml"),
        ("c.json", "{", "not valid JSON"),
        ("c.toml", "[[clients]\n", "not valid TOML"),
        ("c.json", '{"clients": []}', "clients: List should have at least 1 item"),
        ("c.json", f'{{"clients": [{{"client_id": "a", "client_secret": "{SECRET}", "role": "VTN"}}]}}',
         "clients.0.role: Input should be 'VEN' or 'BL'"),
        ("c.json", f'{{"clients": [{{"client_id": "a", "client_secret": "{SECRET}", "role": "VEN"}}, '
                   f'{{"client_id": "a", "client_secret": "{SECRET}", "role": "BL"}}]}}',
         "client_id 'a' appears twice"),
    ],
)  # fmt: skip
def test_clients__bad_file__one_line_naming_it(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ClientsError) as err:
        load_clients(path)
    assert str(err.value).startswith(str(path)) and message in str(err.value)
    assert "\n" not in str(err.value).strip()


def _issuer(tmp_path: Path, now: list[float]) -> TokenIssuer:
    path = tmp_path / "c.toml"
    path.write_text(f'[[clients]]\nclient_id = "v"\nclient_secret = "{SECRET}"\nrole = "VEN"\n')
    return TokenIssuer(load_clients(path), seconds=60, clock=lambda: now[0])


def test_token__expires_after_its_seconds(tmp_path: Path) -> None:
    now = [1_000.0]
    issuer = _issuer(tmp_path, now)
    token, grant = issuer.issue("v", SECRET, None)
    assert grant.scopes == {"read_all", "write_reports", "write_subscriptions", "write_vens"}
    assert issuer.check(token) == grant
    now[0] += 59.9
    assert issuer.check(token) == grant
    now[0] += 0.1
    assert issuer.check(token) is None
    assert issuer.check("made-up") is None


def test_token__wrong_secret_or_scope__refused(tmp_path: Path) -> None:
    issuer = _issuer(tmp_path, [0.0])
    for client_id, secret, scope, error in (("v", "x" * 20, None, "invalid_client"),
                                            ("nobody", SECRET, None, "invalid_client"),
                                            ("v", SECRET, "write_events", "invalid_scope")):  # fmt: skip
        with pytest.raises(TokenRefused) as err:
            issuer.issue(client_id, secret, scope)
        assert err.value.error == error


def test_search__defaults_and_bounds() -> None:
    q = parse_search(QueryParams(""), with_program=True)
    assert (q.program_id, q.target_type, q.skip, q.limit) == (None, None, 0, MAX_LIMIT)
    q = parse_search(QueryParams("targetType=GROUP&targetValues=A&targetValues=B&skip=3&limit=0"),
                     with_program=False)  # fmt: skip
    assert (q.target_type, q.target_values, q.skip, q.limit) == ("GROUP", ("A", "B"), 3, 0)
    for bad in ("skip=-1", "limit=51", "skip=1e3", "limit=5_0", "targetType=&targetValues=a"):
        with pytest.raises(ProblemError) as err:
            parse_search(QueryParams(bad), with_program=True)
        assert err.value.status == 400


def _snapshot(events: int) -> Snapshot:
    t = datetime(2027, 3, 1, tzinfo=UTC)
    region = Region(1, "Valley", RegionParams(capacity_kw=10_000, nominal_frequency_mhz=60_000,
                    utc_offset_minutes=-480, high_load_bps=8_500, critical_load_bps=9_500,
                    area_id=0, interval_minutes=60), "America/Los_Angeles")  # fmt: skip
    program = ProgramRecord(
        1, REGISTRY, 1, ProgramParams(token="0x" + "11" * 20, base_rate=500_000), t
    )
    evs = {
        n: EventRecord(n, 1, 1, 20_000 + n, 17, 19, Tier(n % 3), 500_000, 10_000, False, t)
        for n in range(1, events + 1)
    }
    token = Token("0x" + "11" * 20, "mUSD", 6)
    return Snapshot(1, {1: program}, evs, {}, {1: region}, {token.address: token})


def test_catalog__1000_events__mapped_once_searched_fast() -> None:
    """1,000 events: mapping them all (once per indexed block) and a search of a full page. The
    timings are printed (``-s``); the bounds are loose, for a slow shared machine."""
    snapshot = _snapshot(1_000)
    started = time.perf_counter()
    catalog = Catalog.of(snapshot, 31337, REGISTRY, REQUESTS)
    mapped = time.perf_counter() - started
    started = time.perf_counter()
    page = catalog.search_events(parse_search(QueryParams("skip=950"), with_program=True))
    searched = time.perf_counter() - started
    assert len(catalog.events) == 1_000 and len(page) == 50
    assert page[0]["id"] == ids.ObjectId("event", 31337, REQUESTS, 951).text()
    print(
        f"\n1,000 events: mapped in {mapped * 1000:.0f} ms, a page searched in {searched * 1000:.2f} ms"
    )
    assert mapped < 5 and searched < 0.5


def test_app__chain_side_fails__500_problem_without_internals(tmp_path: Path) -> None:
    """A node or index that fails mid-read is a 500 problem; the cause goes to the log only."""
    import asyncio

    import httpx

    from oracles.gateway.app import Backend, create_app

    def broken() -> Any:
        raise ConnectionError("node at http://10.0.0.1:8545 refused")

    backend = Backend(broken)
    app = create_app(backend, _issuer(tmp_path, [0.0]))

    async def read() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            token = await http.post("/auth/token", data={"grant_type": "client_credentials",
                                                         "client_id": "v", "client_secret": SECRET})  # fmt: skip
            bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
            return await http.get("/events", headers=bearer)

    try:
        r = asyncio.run(read())
    finally:
        backend.close()
    assert r.status_code == 500
    assert r.json() == {"type": "about:blank", "title": "Internal Server Error", "status": 500,
                        "detail": "the gateway failed to answer; see its log",
                        "instance": "/events"}  # fmt: skip
