"""`gridbalance gateway` (issue 27 item 1, the read side and auth): the OpenADR 3.0.1 VTN over a
deployed world (tests/python/cli_world.py) served by uvicorn on a free port, read with plain HTTP
and with the OpenADR 3 client libraries from PyPI (``toadr3`` as a VEN, ``python-oa3-client`` over
``openadr3`` for the token discovery and raw reads). Every answer is validated against the
document's schemas (oracles/gateway/openadr3-3.0.1.yaml) and every field checked against the chain.

The world: program 1 (region 1, hourly, America/Los_Angeles, every class), program 2 (region 2,
15-minute, residential only), event 1 of program 1 (voluntary, 17:00-19:00 standard), event 2 of
program 2 (economic, 17:15-18:45), event 3 of program 1 cancelled. Tests that change the chain come
last in the file and say so."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30Validator
from web3 import Web3

from oracles.chain.anvil import free_port, rpc_call
from oracles.cli.tokens import Token
from oracles.gateway.app import SPEC, Backend, create_app
from oracles.gateway.chain_view import ChainView
from oracles.gateway.clients import load_clients
from oracles.gateway.serving import serving
from oracles.gateway.tokens import TokenIssuer
from oracles.protocol.bindings import ProgramParams
from oracles.protocol.enums import ConsumerClass, Tier
from tests.python.cli_world import (
    EVENT_DAY,
    QUARTER,
    REGION,
    UNIT,
    UTILITY,
    World,
    build_world,
    create_event,
    day_number,
    one_line,
    run,
)

pytestmark = pytest.mark.xdist_group("gateway")

DOC = yaml.safe_load(SPEC.read_text())


def _without_discriminators(node: Any) -> Any:
    """The schemas without ``discriminator``: the document's (program.payloadDescriptors,
    notification.object) have no ``mapping``, so a validator resolves the value
    (``EVENT_PAYLOAD_DESCRIPTOR``) as a schema name the document does not have; the ``anyOf``
    beside each still checks the object."""
    if isinstance(node, dict):
        return {k: _without_discriminators(v) for k, v in node.items() if k != "discriminator"}
    if isinstance(node, list):
        return [_without_discriminators(v) for v in node]
    return node


COMPONENTS = _without_discriminators(DOC["components"])
VEN_SECRET, BL_SECRET = "ven-secret-0123456789", "bl-secret-0123456789ab"
CLIENTS = {
    "clients": [
        {"client_id": "ven-1", "client_secret": VEN_SECRET, "role": "VEN"},
        {"client_id": "utility-bl", "client_secret": BL_SECRET, "role": "BL"},
    ]
}


def conforms(body: Any, schema: str) -> None:
    """``body`` is valid against the document's ``components/schemas/<schema>``."""
    root = {"$ref": f"#/components/schemas/{schema}", "components": COMPONENTS}
    OAS30Validator(root).validate(body)


@dataclass
class Gateway:
    w: World
    url: str
    http: httpx.Client
    ven: str  # a VEN's bearer token
    bl: str  # a BL client's bearer token
    backend: Backend

    def get(self, path: str, token: str | None = None, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.ven}"}
        return self.http.get(path, params=params, headers=headers)

    def ids(self, path: str, **params: Any) -> list[str]:
        r = self.get(path, **params)
        assert r.status_code == 200, r.text
        return [o["id"] for o in r.json()]


def _token(http: httpx.Client, client_id: str, secret: str) -> str:
    r = http.post("/auth/token", data={"grant_type": "client_credentials",
                                       "client_id": client_id, "client_secret": secret})  # fmt: skip
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _setup(w: World) -> None:
    """Program 2 (region 2, residential only), events 1..3, event 3 cancelled."""
    p, u = w.p, w.client(UTILITY)
    assert p.token is not None
    budget = 1_000 * UNIT
    u.transact(p.token.functions.approve(p.escrow.address, budget), "approve")
    params = ProgramParams(token=p.token.address, base_rate=UNIT, class_mask=1)
    u.transact(p.programs.functions.createProgram(QUARTER, params.abi(), budget), "program 2")
    assert create_event(w) == 1  # program 1, 17..19, voluntary
    w.client(UTILITY).transact(  # a fresh client each time: each keeps its own nonce
        p.requests.functions.createEvent(2, day_number(EVENT_DAY), 69, 75, 5_000, 1), "event 2"
    )
    assert create_event(w, EVENT_DAY + timedelta(days=1)) == 3
    w.client(UTILITY).transact(p.requests.functions.cancelEvent(3), "cancel 3")


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gateway")
    for w in build_world(tmp):
        _setup(w)
        clients = tmp / "clients.json"
        clients.write_text(json.dumps(CLIENTS))
        protocol, index = w.p, tmp / "gateway-index.sqlite"
        backend = Backend(lambda: ChainView(protocol, index, sync_seconds=0))  # noqa: B023 (one world)
        app = create_app(backend, TokenIssuer(load_clients(clients)))
        with serving(app) as url, httpx.Client(base_url=url, timeout=10) as http:
            yield Gateway(w, url, http, _token(http, "ven-1", VEN_SECRET),
                          _token(http, "utility-bl", BL_SECRET), backend)  # fmt: skip
        backend.close()


def _program_id(gw: Gateway, n: int) -> str:
    return f"program-{gw.w.w3.eth.chain_id}-{gw.w.p.programs.address.lower()[2:]}-{n}"


def _event_id(gw: Gateway, n: int) -> str:
    return f"event-{gw.w.w3.eth.chain_id}-{gw.w.p.requests.address.lower()[2:]}-{n}"


def _block_time(gw: Gateway, log_name: str, contract: Any, **match: int) -> str:
    logs = getattr(contract.events, log_name).get_logs(from_block=0, argument_filters=match)
    [found] = logs
    ts = int(gw.w.w3.eth.get_block(found["blockNumber"])["timestamp"])
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _offset(minutes: int) -> str:
    sign, m = ("-" if minutes < 0 else ""), abs(minutes)
    return f"{sign}PT{m // 60}H" + (f"{m % 60}M" if m % 60 else "")


# ---------------------------------------------------------------------------------- auth


def test_token__client_credentials__bearer_token_with_the_roles_scopes(gw: Gateway) -> None:
    for client_id, secret, scopes in (
        ("ven-1", VEN_SECRET, "read_all write_reports write_subscriptions write_vens"),
        ("utility-bl", BL_SECRET,
         "read_all write_events write_programs write_subscriptions write_vens"),
    ):  # fmt: skip
        r = gw.http.post("/auth/token", data={"grant_type": "client_credentials",
                                              "client_id": client_id, "client_secret": secret})  # fmt: skip
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        body = r.json()
        conforms(body, "clientCredentialResponse")
        assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
        assert body["scope"] == scopes and len(body["access_token"]) >= 40


def test_token__narrower_scope__only_that_scope(gw: Gateway) -> None:
    r = gw.http.post("/auth/token", data={"grant_type": "client_credentials", "client_id": "ven-1",
                                          "client_secret": VEN_SECRET, "scope": "read_all"})  # fmt: skip
    assert r.status_code == 200 and r.json()["scope"] == "read_all"
    assert gw.get("/programs", r.json()["access_token"]).status_code == 200


def test_auth_server__names_the_token_endpoint(gw: Gateway) -> None:
    r = gw.http.get("/auth/server")
    assert r.status_code == 200 and r.json() == {"tokenURL": f"{gw.url}/auth/token"}


# ---------------------------------------------------------------------------------- programs


def test_programs__every_field_from_the_chain(gw: Gateway) -> None:
    w, p = gw.w, gw.w.p
    r = gw.get("/programs")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    programs = r.json()
    assert [o["id"] for o in programs] == [_program_id(gw, 1), _program_id(gw, 2)]
    token = Token.at(w.w3, p.token.address if p.token else "")
    for n, o in enumerate(programs, start=1):
        conforms(o, "program")
        chain = p.program(n)
        region = p.region(chain.region_id)
        created = _block_time(gw, "ProgramCreated", p.programs, programId=n)
        names = [c.name.upper() for c in ConsumerClass if chain.class_mask >> int(c) & 1]
        region_name = p.regions.functions.regionName(chain.region_id).call()
        assert o == {
            "id": _program_id(gw, n),
            "createdDateTime": created,
            "modificationDateTime": created,
            "objectType": "PROGRAM",
            "programName": f"gridbalance-program-{n}",
            "programLongName": f"GridBalance program {n}, region {chain.region_id} ({region_name})",
            "retailerName": Web3.to_checksum_address(chain.utility),
            "programType": "DEMAND_RESPONSE",
            "timeZoneOffset": _offset(region.utc_offset_minutes),
            "bindingEvents": True,
            "localPrice": False,
            "payloadDescriptors": [
                {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": "PRICE",
                 "units": "KWH", "currency": token.symbol},
                {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": "SIMPLE"},
            ],
            "targets": [
                {"type": "SERVICE_AREA", "values": [str(chain.region_id)]},
                {"type": "GROUP", "values": names},
            ],
        }  # fmt: skip
        assert gw.get(f"/programs/{o['id']}").json() == o
    assert programs[0]["timeZoneOffset"] == "-PT8H"
    assert programs[0]["targets"][1]["values"] == ["RESIDENTIAL", "COMMERCIAL", "INDUSTRIAL"]
    assert programs[1]["targets"] == [{"type": "SERVICE_AREA", "values": ["2"]},
                                      {"type": "GROUP", "values": ["RESIDENTIAL"]}]  # fmt: skip


def test_programs__targets_skip_limit(gw: Gateway) -> None:
    one, two = _program_id(gw, 1), _program_id(gw, 2)
    assert gw.ids("/programs", targetType="SERVICE_AREA", targetValues=["2"]) == [two]
    assert gw.ids("/programs", targetType="SERVICE_AREA", targetValues=["1", "2"]) == [one, two]
    assert gw.ids("/programs", targetType="GROUP", targetValues=["COMMERCIAL"]) == [one]
    assert gw.ids("/programs", targetType="GROUP", targetValues=["NOBODY"]) == []
    assert gw.ids("/programs", targetType="PROGRAM_NAME",
                  targetValues=["gridbalance-program-2"]) == [two]  # fmt: skip
    assert gw.ids("/programs", skip=1) == [two]
    assert gw.ids("/programs", limit=1) == [one]
    assert gw.ids("/programs", skip=1, limit=1) == [two]
    assert gw.ids("/programs", limit=0) == [] and gw.ids("/programs", skip=5) == []


# ---------------------------------------------------------------------------------- events


def test_events__every_field_from_the_chain(gw: Gateway) -> None:
    w, p = gw.w, gw.w.p
    events = gw.get("/events").json()
    assert [o["id"] for o in events] == [_event_id(gw, 1), _event_id(gw, 2)]  # 3 is cancelled
    symbol, decimals = Token.at(w.w3, p.token.address if p.token else "").symbol, 6
    for o, n in zip(events, (1, 2), strict=True):
        conforms(o, "event")
        e = p.dr_event(n)
        program, clock = p.program(e.program_id), p.region_clock(e.region_id)
        created = _block_time(gw, "EventCreated", p.requests, eventId=n)
        start = clock.interval_start(e.day, e.start_interval)
        minutes = (e.end_interval - e.start_interval) * p.meter_interval(e.region_id)
        names = [c.name.upper() for c in ConsumerClass if program.class_mask >> int(c) & 1]
        assert o == {
            "id": _event_id(gw, n),
            "createdDateTime": created,
            "modificationDateTime": created,
            "objectType": "EVENT",
            "programID": _program_id(gw, e.program_id),
            "eventName": f"GridBalance event {n} ({e.tier.name.lower()})",
            "priority": {Tier.Emergency: 0, Tier.Economic: 1, Tier.Voluntary: 2}[e.tier],
            "targets": [
                {"type": "SERVICE_AREA", "values": [str(e.region_id)]},
                {"type": "GROUP", "values": names},
            ],
            "payloadDescriptors": [
                {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": "PRICE",
                 "units": "KWH", "currency": symbol},
                {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": "SIMPLE"},
            ],
            "intervalPeriod": {
                "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "duration": f"PT{minutes // 60}H" + (f"{minutes % 60}M" if minutes % 60 else ""),
            },
            "intervals": [{"id": 0, "payloads": [
                {"type": "PRICE", "values": [float(Decimal(e.rate) / 10**decimals)]},
                {"type": "SIMPLE", "values": [int(e.tier) + 1]},
            ]}],
        }  # fmt: skip
        assert gw.get(f"/events/{o['id']}").json() == o
    # 17:00-19:00 and 17:15-18:45 local standard time (UTC-08:00) of the event day
    assert events[0]["intervalPeriod"] == {"start": f"{EVENT_DAY + timedelta(days=1)}T01:00:00Z",
                                           "duration": "PT2H"}  # fmt: skip
    assert events[1]["intervalPeriod"] == {"start": f"{EVENT_DAY + timedelta(days=1)}T01:15:00Z",
                                           "duration": "PT1H30M"}  # fmt: skip
    # voluntary at the base rate (0.5), economic at 1.5 x 1.0 (TOOLCHAIN: no stress on a quiet grid)
    assert events[0]["intervals"][0]["payloads"][0]["values"] == [0.5]
    assert events[1]["intervals"][0]["payloads"][0]["values"] == [1.5]


def test_events__program_targets_skip_limit(gw: Gateway) -> None:
    one, two = _event_id(gw, 1), _event_id(gw, 2)
    assert gw.ids("/events", programID=_program_id(gw, 2)) == [two]
    assert gw.ids("/events", programID=_program_id(gw, 1)) == [one]
    assert gw.ids("/events", programID="program-1-unknown") == []
    assert gw.ids("/events", targetType="SERVICE_AREA", targetValues=[str(REGION)]) == [one]
    assert gw.ids("/events", targetType="GROUP", targetValues=["INDUSTRIAL", "X"]) == [one]
    assert gw.ids("/events", targetType="EVENT_NAME",
                  targetValues=["GridBalance event 2 (economic)"]) == [two]  # fmt: skip
    assert gw.ids("/events", skip=1) == [two] and gw.ids("/events", limit=1) == [one]


def test_cancelled_event__not_found_with_the_reason(gw: Gateway) -> None:
    r = gw.get(f"/events/{_event_id(gw, 3)}")
    assert r.status_code == 404
    conforms(r.json(), "problem")
    assert "was cancelled on chain" in r.json()["detail"]


# ---------------------------------------------------------------------------------- clients


def test_toadr3__a_ven_reads_programs_and_events(gw: Gateway) -> None:
    """toadr3 0.29.0 (aiohttp): its token call, get_programs and get_events, parsed into its own
    pydantic models of the 3.0.1 objects."""
    import aiohttp
    import toadr3

    async def read() -> tuple[list[Any], list[Any], list[Any]]:
        async with aiohttp.ClientSession() as session:
            token = await toadr3.acquire_access_token(
                session, f"{gw.url}/auth/token", "client_credentials", {"scope": "read_all"},
                client_id="ven-1", client_secret=VEN_SECRET,
            )  # fmt: skip
            programs = await toadr3.get_programs(session, gw.url, token)
            events = await toadr3.get_events(session, gw.url, token)
            mine = await toadr3.get_events(session, gw.url, token, program_id=programs[1].id,
                                           target_type="GROUP", target_values=["RESIDENTIAL"])  # fmt: skip
            return programs, events, mine

    programs, events, mine = asyncio.run(read())
    assert [x.id for x in programs] == [_program_id(gw, 1), _program_id(gw, 2)]
    assert programs[0].binding_events is True
    assert programs[0].time_zone_offset == timedelta(hours=-8)
    assert [(t.type, t.values) for t in programs[1].targets] == [("SERVICE_AREA", ["2"]),
                                                                 ("GROUP", ["RESIDENTIAL"])]  # fmt: skip
    assert [x.id for x in events] == [_event_id(gw, 1), _event_id(gw, 2)]
    e = events[1]
    assert e.program_id == _program_id(gw, 2) and e.priority == 1
    assert e.interval_period.start == datetime.combine(EVENT_DAY + timedelta(days=1),
                                                       datetime.min.time(), UTC) + timedelta(minutes=75)  # fmt: skip
    assert e.interval_period.duration == timedelta(minutes=90)
    [interval] = e.intervals
    assert [(v.type, v.values) for v in interval.payloads] == [("PRICE", [1.5]), ("SIMPLE", [2])]
    assert [x.id for x in mine] == [_event_id(gw, 2)]


def test_toadr3__refusals_raise_its_error_with_the_status(gw: Gateway) -> None:
    import aiohttp
    import toadr3

    async def refused() -> list[int]:
        codes = []
        async with aiohttp.ClientSession() as session:
            bad = toadr3.AccessToken("not-a-token", 3600)
            for call in (toadr3.get_programs(session, gw.url, bad),
                         toadr3.get_events(session, gw.url, bad)):  # fmt: skip
                with pytest.raises(toadr3.ToadrError) as err:
                    await call
                codes.append(err.value.status_code)
            with pytest.raises(toadr3.ToadrError) as err:
                await toadr3.acquire_access_token(session, f"{gw.url}/auth/token", "client_credentials",
                                                  {"scope": "read_all"}, client_id="ven-1",
                                                  client_secret="wrong-secret-0123456789")  # fmt: skip
            codes.append(err.value.status_code)
        return codes

    assert asyncio.run(refused()) == [403, 403, 400]


def test_python_oa3_client__discovers_the_token_endpoint_and_reads(gw: Gateway) -> None:
    """python-oa3-client 0.5.0 over openadr3 0.5.0: the VEN client finds the token endpoint by
    GET /auth/server, takes a token and reads programs and events as raw responses. Its coerced
    entity reads (``programs()``) follow OpenADR 3.1, where ``targets`` is a list of strings: on a
    conforming 3.0.1 server (``targets`` a list of valuesMap objects) they raise."""
    from openadr3_client import VenClient
    from pydantic import ValidationError

    ven = VenClient(url=gw.url, client_id="ven-1", client_secret=VEN_SECRET).start()
    try:
        raw = ven.get_programs()
        assert raw.status_code == 200 and raw.json() == gw.get("/programs").json()
        events = ven.get_events(programID=_program_id(gw, 1))
        assert [x["id"] for x in events.json()] == [_event_id(gw, 1)]
        assert (
            ven.get_event_by_id(_event_id(gw, 2)).json()
            == gw.get(f"/events/{_event_id(gw, 2)}").json()
        )
        with pytest.raises(ValidationError, match="targets"):
            ven.programs()  # the failing call: 3.1's targets shape against 3.0.1's
    finally:
        ven.stop()


# ---------------------------------------------------------------------------------- errors


def _problem(r: httpx.Response, status: int, detail: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    conforms(body, "problem")
    assert body["status"] == status and body["title"] and detail in body["detail"], body


READS = ["/programs", "/events", "/programs/{p1}", "/events/{e1}"]


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, "no bearer token"),
        ("Bearer not-a-token", "unknown or expired bearer token"),
        (f"Basic {VEN_SECRET}", "not 'Bearer <token>'"),
        ("Bearer", "not 'Bearer <token>'"),
    ],
    ids=["no-token", "bad-token", "basic", "empty"],
)
def test_read__without_a_valid_token__403_problem(
    gw: Gateway, path: str, header: str | None, detail: str
) -> None:
    url = path.format(p1=_program_id(gw, 1), e1=_event_id(gw, 1))
    r = gw.http.get(url, headers={"Authorization": header} if header is not None else {})
    _problem(r, 403, detail)
    assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("path", "params", "detail"),
    [
        ("/programs", {"limit": 51}, "limit: 51 is outside 0..50"),
        ("/events", {"limit": -1}, "limit: '-1' is not a whole number"),
        ("/events", {"skip": "x"}, "skip: 'x' is not a whole number"),
        ("/programs", {"skip": "1.5"}, "skip: '1.5' is not a whole number"),
        ("/events", {"limit": [1, 2]}, "limit: given 2 times"),
        ("/events", {"targetType": "GROUP"}, "targetType needs targetValues"),
        ("/programs", {"targetValues": ["A"]}, "targetValues needs targetType"),
        ("/events", {"programID": "bad id!"}, "programID: 'bad id!' is no objectID"),
        ("/programs/bad.id", {}, "programID: 'bad.id' is no objectID"),
        ("/events/" + "x" * 129, {}, "is no objectID"),
    ],
)
def test_read__bad_parameter__400_problem(
    gw: Gateway, path: str, params: dict[str, Any], detail: str
) -> None:
    _problem(gw.get(path, **params), 400, detail)


def test_read__unknown_id__404_problem(gw: Gateway) -> None:
    _problem(gw.get(f"/programs/{_program_id(gw, 9)}"), 404, "no program has id")
    _problem(gw.get("/programs/program-1"), 404, "no program has id 'program-1'")
    _problem(gw.get(f"/events/{_event_id(gw, 99)}"), 404, "no event has id")
    # another chain's id of the same contract and number is another object
    other = _event_id(gw, 1).replace(f"event-{gw.w.w3.eth.chain_id}-", "event-1-")
    _problem(gw.get(f"/events/{other}"), 404, "no event has id")


@pytest.mark.parametrize(
    ("method", "path", "what"),
    [
        ("POST", "/programs", "programs are created on chain"),
        ("PUT", "/programs/{p1}", "programs are created on chain"),
        ("DELETE", "/programs/{p1}", "programs are created on chain"),
        ("POST", "/events", "events are created on chain"),
        ("PUT", "/events/{e1}", "events are created on chain"),
        ("DELETE", "/events/{e1}", "events are created on chain"),
    ],
)
def test_write__chain_owned__403_problem(gw: Gateway, method: str, path: str, what: str) -> None:
    url = path.format(p1=_program_id(gw, 1), e1=_event_id(gw, 1))
    body = {"programName": "x", "programID": _program_id(gw, 1), "intervals": []}
    # a BL client holds the write scope: the chain still owns the object
    r = gw.http.request(method, url, json=body, headers={"Authorization": f"Bearer {gw.bl}"})
    _problem(r, 403, what)
    # a VEN lacks the scope
    scope = "write_programs" if "program" in path else "write_events"
    r = gw.http.request(method, url, json=body, headers={"Authorization": f"Bearer {gw.ven}"})
    _problem(r, 403, f"lacks scope {scope}")
    _problem(gw.http.request(method, url, json=body), 403, "no bearer token")


def test_other_operations__501_405_404_problems(gw: Gateway) -> None:
    """An app built with the read side only (this module's fixture; `gridbalance gateway` installs
    reports, VENs and subscriptions too: test_gateway_reports.py, test_gateway_subscriptions.py)
    answers 501 for the operations it was built without."""
    _problem(gw.get("/reports"), 501, "GET /reports is an operation of OpenADR 3.0.1")
    _problem(gw.http.post("/subscriptions", json={}), 501, "POST /subscriptions")
    _problem(gw.get("/vens/v1/resources/r1"), 501, "/vens/{venID}/resources/{resourceID}")
    r = gw.http.patch("/programs", headers={"Authorization": f"Bearer {gw.ven}"})
    _problem(r, 405, "PATCH is not an operation of /programs")
    assert r.headers["allow"] == "GET, POST"
    _problem(gw.get("/nowhere"), 404, "no such path: /nowhere")
    assert gw.http.get("/openapi.yaml").text == SPEC.read_text()
    assert gw.http.get("/docs").status_code == 404  # no framework-made document beside the spec


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "client_credentials", "client_id": "ven-1",
          "client_secret": "wrong-secret-0123456789"}, "invalid_client"),
        ({"grant_type": "client_credentials", "client_id": "nobody",
          "client_secret": VEN_SECRET}, "invalid_client"),
        ({"grant_type": "password", "client_id": "ven-1", "client_secret": VEN_SECRET},
         "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "client_id": "ven-1"}, "invalid_request"),
        ({"grant_type": "client_credentials", "client_id": "ven-1", "client_secret": VEN_SECRET,
          "scope": "read_all write_programs"}, "invalid_scope"),
    ],
    ids=["wrong-secret", "unknown-client", "password-grant", "no-secret", "scope"],
)  # fmt: skip
def test_token__refused__400_auth_error(gw: Gateway, form: dict[str, str], error: str) -> None:
    r = gw.http.post("/auth/token", data=form)
    assert r.status_code == 400
    conforms(r.json(), "authError")
    assert r.json()["error"] == error and r.json()["error_description"]


def test_token__json_body__400_invalid_request(gw: Gateway) -> None:
    r = gw.http.post("/auth/token", json={"grant_type": "client_credentials", "client_id": "ven-1",
                                          "client_secret": VEN_SECRET})  # fmt: skip
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    assert "x-www-form-urlencoded" in r.json()["error_description"]


# ---------------------------------------------------------------------------------- the command


def test_command__serves_the_same_objects_and_ends_on_sigterm(gw: Gateway, tmp_path: Path) -> None:
    """``gridbalance gateway`` as a process: its own index and tokens, the same objects as the
    gateway of the other tests; SIGTERM ends it with exit 0."""
    clients = tmp_path / "clients.toml"
    clients.write_text(
        f'[[clients]]\nclient_id = "ven-1"\nclient_secret = "{VEN_SECRET}"\nrole = "VEN"\n'
    )
    port = free_port()
    argv = [sys.executable, "-m", "oracles.cli.main", "gateway", "--rpc", gw.w.anvil.url,
            "--manifest", str(gw.w.manifest), "--clients", str(clients), "--port", str(port),
            "--index", str(tmp_path / "index.sqlite")]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 30
        with httpx.Client(base_url=url, timeout=10) as http:
            while True:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the gateway did not start"
                try:
                    token = _token(http, "ven-1", VEN_SECRET)
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            for path in ("/programs", "/events"):
                r = http.get(path, headers={"Authorization": f"Bearer {token}"})
                assert r.status_code == 200 and r.json() == gw.get(path).json()
            # a token of the other gateway is not one of this gateway's
            assert (
                http.get("/programs", headers={"Authorization": f"Bearer {gw.ven}"}).status_code
                == 403
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "OpenADR 3.0.1 gateway on http://127.0.0.1:" in out and "2 programs, 2 events" in out


def test_command__bad_clients_file__one_line_error(
    gw: Gateway, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "clients.json"
    bad.write_text('{"clients": [{"client_id": "v", "client_secret": "short", "role": "VEN"}]}')
    argv = ["gateway", "--rpc", gw.w.anvil.url, "--manifest", str(gw.w.manifest),
            "--clients", str(bad)]  # fmt: skip
    code, _, err = run(capsys, argv)
    assert code == 1 and one_line(err)
    assert "clients.json: clients.0.client_secret: must be 16..4096 characters" in err
    code, _, err = run(capsys, [*argv[:-1], str(tmp_path / "none.json")])
    assert code == 1 and one_line(err) and "none.json: no such file" in err


# ---------------------------------------------------------------------------------- the chain moves (last)


def test_new_event_on_chain__served_at_the_next_read(gw: Gateway) -> None:
    """Changes the chain: an event created after the gateway started is served at the next read
    (the index syncs before it), and one cancelled later disappears."""
    n = create_event(gw.w, EVENT_DAY + timedelta(days=3))
    assert gw.ids("/events")[-1] == _event_id(gw, n)
    gw.w.client(UTILITY).transact(gw.w.p.requests.functions.cancelEvent(n), "cancel")
    assert _event_id(gw, n) not in gw.ids("/events")
    assert gw.backend.catalog_now().last_block == gw.w.w3.eth.block_number


def test_reorg__an_event_taken_back__no_longer_served(gw: Gateway) -> None:
    """Changes the chain: an event served, then the blocks that created it taken back (Anvil's
    revert) and others mined in their place: the index undoes its logs and the event is gone."""
    url = gw.w.anvil.url
    snapshot = rpc_call(url, "evm_snapshot")
    n = create_event(gw.w, EVENT_DAY + timedelta(days=5))
    assert gw.ids("/events")[-1] == _event_id(gw, n)
    rpc_call(url, "evm_revert", [snapshot])
    rpc_call(url, "anvil_mine", [hex(3)])  # the same heights again, other blocks
    assert _event_id(gw, n) not in gw.ids("/events")
    _problem(gw.get(f"/events/{_event_id(gw, n)}"), 404, "no event has id")
