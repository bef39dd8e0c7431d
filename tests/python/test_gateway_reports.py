"""The gateway's VENs, resources and USAGE reports (issue 27 items 1 and 2), over real HTTP on a
deployed world (tests/python/cli_world.py: consumers A and B active in hourly region 1, meters
``meter-A`` and ``meter-B``; event 1 of program 1 on the event day with A and B enrolled), driven
by client libraries nobody here wrote:

* ``python-oa3-client`` (over ``openadr3``) as the business-logic client: creates VEN ``ven-1``
  and its resource, reads the reports back; and as VEN ``ven-2`` (its ``register()`` sends 3.1's
  ``objectType`` and fails on 3.0.1: shown), posting B's readings;
* ``toadr3`` as VEN ``ven-1``, posting A's readings with its own report models.

Then the meter oracle's pass (the daemon's ``flush``) posts the outbox, the chain's records equal
the reports, and the keeper settles event 1 from them as from file data
(tests/python/test_cli_settle.py's reference reward). The tests run in file order: each builds on
the state the ones before left (the error tests change nothing)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from oracles.agents.outbox import Outbox
from oracles.cli.daemons import keeper_pass
from oracles.gateway.app import Backend, create_app
from oracles.gateway.chain_view import ChainView
from oracles.gateway.clients import load_clients
from oracles.gateway.desk import Desk
from oracles.gateway.serving import serving
from oracles.gateway.tokens import TokenIssuer
from oracles.protocol.enums import EnrollmentStatus
from oracles.protocol.meter_batches import day_batches
from tests.python.cli_world import (
    EVENT_DAY,
    KEEPER,
    ORACLE,
    OUTSIDER,
    REGION,
    START,
    A,
    B,
    World,
    build_world,
    day_number,
    enrolled_event,
    final_ts,
    local_ts,
    reading,
    run,
)
from tests.python.test_cli_settle import enrollment, expected_reward
from tests.python.test_gateway import _problem, _token, conforms

pytestmark = pytest.mark.xdist_group("gateway_reports")

SECRETS = {"ven-1": "ven-1-secret-0123456789", "ven-2": "ven-2-secret-0123456789",
           "ven-3": "ven-3-secret-0123456789", "utility-bl": "bl-secret-0123456789ab"}  # fmt: skip
DAYS = [
    START + timedelta(days=k) for k in range(1, (EVENT_DAY - START).days + 1)
]  # as post_history


@dataclass
class Rg:
    w: World
    url: str
    http: httpx.Client
    tokens: dict[str, str]
    desk: Desk
    tmp: Path

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, path: str, who: str = "utility-bl", **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers=self.auth(who))

    def post(self, path: str, body: Any, who: str) -> httpx.Response:
        return self.http.post(path, json=body, headers=self.auth(who))

    def id_of(self, kind: str, n: int) -> str:
        address = (self.w.p.programs if kind == "program" else self.w.p.requests).address
        return f"{kind}-{self.w.w3.eth.chain_id}-{address.lower()[2:]}-{n}"


@pytest.fixture(scope="module")
def rg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rg]:
    tmp = tmp_path_factory.mktemp("gateway-reports")
    for w in build_world(tmp):
        assert enrolled_event(w) == 1
        w.warp(local_ts(EVENT_DAY + timedelta(days=1), 0, 10))  # the event day has ended
        clients = tmp / "clients.json"
        roles = {"utility-bl": "BL"}
        clients.write_text(json.dumps({"clients": [
            {"client_id": c, "client_secret": s, "role": roles.get(c, "VEN")}
            for c, s in SECRETS.items()]}))  # fmt: skip
        protocol, index = w.p, tmp / "gateway-index.sqlite"
        backend = Backend(lambda: ChainView(protocol, index, sync_seconds=0))  # noqa: B023 (one world)
        desk = Desk(tmp / "vens.sqlite", tmp / "outbox.sqlite", tmp / "rejects.jsonl",
                    frozenset(c for c in SECRETS if c != "utility-bl"))  # fmt: skip
        backend.at_close(desk.close)
        app = create_app(backend, TokenIssuer(load_clients(clients)), desk)
        with serving(app) as url, httpx.Client(base_url=url, timeout=30) as http:
            tokens = {c: _token(http, c, s) for c, s in SECRETS.items()}
            yield Rg(w, url, http, tokens, desk, tmp)
        backend.close()


def _utc(d: date, hour: int) -> datetime:
    return datetime.fromtimestamp(local_ts(d, hour), tz=UTC)


def _z(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def usage(rg: Rg, resource: str, rows: list[tuple[datetime, Any]], client: str = "ven-1",
          seconds: str = "PT1H") -> dict[str, Any]:  # fmt: skip
    """A raw USAGE report of one resource for event 1, one interval per (start, value)."""
    return {
        "programID": rg.id_of("program", 1), "eventID": rg.id_of("event", 1),
        "clientName": client, "reportName": f"{resource} usage",
        "payloadDescriptors": [{"objectType": "REPORT_PAYLOAD_DESCRIPTOR", "payloadType": "USAGE",
                                "units": "WH", "readingType": "DIRECT_READ"}],
        "resources": [{"resourceName": resource, "intervals": [
            {"id": k, "intervalPeriod": {"start": _z(t), "duration": seconds},
             "payloads": [{"type": "USAGE", "values": [v]}]} for k, (t, v) in enumerate(rows)]}],
    }  # fmt: skip


def _status(report: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {s["day"]: (s["status"], s["minutes"]) for s in report["chainStatus"]}


# ---------------------------------------------------------------------------------- VENs, resources


def test_vens__python_oa3_client_bl_creates_a_ven_and_its_resource(rg: Rg) -> None:
    """python-oa3-client's BlClient (raw calls): VEN ven-1 tied to consumer A, resource meter-A.
    Its resource calls use 3.1's top-level /resources, which 3.0.1 does not have (404, shown)."""
    from openadr3_client import BlClient

    a = rg.w.accounts[A]
    bl = BlClient(url=rg.url, client_id="utility-bl", client_secret=SECRETS["utility-bl"]).start()
    try:
        r = bl.create_ven({"venName": "ven-1",
                           "attributes": [{"type": "CONSUMER_ADDRESS", "values": [a.lower()]}]})  # fmt: skip
        assert r.status_code == 201, r.text
        ven = r.json()
        conforms(ven, "ven")
        assert ven["venName"] == "ven-1" and ven["objectType"] == "VEN" and ven["resources"] == []
        assert ven["attributes"] == [{"type": "CONSUMER_ADDRESS", "values": [a]}]  # checksummed
        assert ven["targets"] == [{"type": "SERVICE_AREA", "values": [str(REGION)]},
                                  {"type": "GROUP", "values": ["RESIDENTIAL"]}]  # fmt: skip
        r = bl.api._request(
            "POST", f"/vens/{ven['id']}/resources", json={"resourceName": "meter-A"}
        )
        assert r.status_code == 201, r.text
        res = r.json()
        conforms(res, "resource")
        assert res["venID"] == ven["id"] and res["resourceName"] == "meter-A"
        r = bl.create_resource({"resourceName": "meter-A"})  # the failing call: 3.1's path
        _problem(r, 404, "no such path: /resources")
        [listed] = bl.get_vens().json()
        assert listed["id"] == ven["id"] and [x["id"] for x in listed["resources"]] == [res["id"]]
    finally:
        bl.stop()


def test_vens__python_oa3_client_ven_registers_itself(rg: Rg) -> None:
    """python-oa3-client's VenClient: ``register()`` sends 3.1's objectType VEN_VEN_REQUEST, which
    3.0.1 refuses (400, shown); its raw calls create VEN ven-2 (consumer B) and resource battery-B
    (meter-B by its METER_ID attribute). A VEN client sees its own VEN only."""
    from openadr3_client import VenClient

    ven = VenClient(url=rg.url, client_id="ven-2", client_secret=SECRETS["ven-2"]).start()
    try:
        with pytest.raises(httpx.HTTPStatusError) as err:
            ven.register("ven-2")
        _problem(err.value.response, 400, "objectType 'VEN_VEN_REQUEST'")
        address = rg.w.accounts[B]
        r = ven.create_ven({"venName": "ven-2",
                            "attributes": [{"type": "CONSUMER_ADDRESS", "values": [address]}]})  # fmt: skip
        assert r.status_code == 201, r.text
        vid = r.json()["id"]
        r = ven.api._request("POST", f"/vens/{vid}/resources", json={
            "resourceName": "battery-B", "attributes": [{"type": "METER_ID", "values": ["meter-B"]}]})  # fmt: skip
        assert r.status_code == 201, r.text
        assert [v["venName"] for v in ven.get_vens().json()] == ["ven-2"]  # not ven-1
        found = ven.get_vens(targetType="VEN_NAME", targetValues=["ven-2"]).json()
        assert [v["id"] for v in found] == [vid]
        assert ven.get_vens(venName="ven-1").json() == []
        r = ven.get_ven_by_id("ven-1")
        _problem(r, 403, "is not client 'ven-2''s")
    finally:
        ven.stop()
    everyone = rg.get("/vens").json()
    assert [v["venName"] for v in everyone] == ["ven-1", "ven-2"]
    for v in everyone:
        conforms(v, "ven")


def _consumer(who: int | str, rg: Rg) -> list[dict[str, Any]]:
    address = rg.w.accounts[who] if isinstance(who, int) else who
    return [{"type": "CONSUMER_ADDRESS", "values": [address]}]


def test_vens__refusals__problem_objects(rg: Rg) -> None:
    """Every refusal of a VEN or resource write is the document's problem object (never 422)."""
    a = _consumer(A, rg)
    cases: list[tuple[str, Any, str, int, str]] = [
        ("/vens", {"venName": "ven-3", "attributes": _consumer(OUTSIDER, rg)}, "ven-3", 400,
         "is no active consumer of ConsumerRegistry (not registered)"),
        ("/vens", {"venName": "ven-3", "attributes": _consumer("0x1234", rg)}, "ven-3", 400,
         "'0x1234' is not an address"),
        ("/vens", {"venName": "ven-3"}, "ven-3", 400, "a VEN needs attribute CONSUMER_ADDRESS"),
        ("/vens", {"venName": "ven-9", "attributes": a}, "ven-3", 403,
         "venName must be 'ven-3', not 'ven-9'"),
        ("/vens", {"venName": "nobody", "attributes": a}, "utility-bl", 400,
         "'nobody' is no VEN client of the gateway's clients file"),
        ("/vens", {"venName": "ven-1", "attributes": a}, "utility-bl", 409,
         "a VEN named 'ven-1' exists already"),
        ("/vens", {"attributes": a}, "utility-bl", 400, "ven.venName: Field required"),
        ("/vens", {"venName": "ven-3", "objectType": "PROGRAM", "attributes": a}, "ven-3", 400,
         "objectType 'PROGRAM'"),
        ("/vens/ven-1/resources", {"resourceName": "meter-Z"}, "ven-1", 400,
         "unknown meter 'meter-Z': no consumer registered it"),
        ("/vens/ven-1/resources", {"resourceName": "meter-B"}, "ven-1", 400,
         "meter 'meter-B' is consumer"),
        ("/vens/ven-1/resources", {"resourceName": "again",
                                   "attributes": [{"type": "METER_ID", "values": ["meter-A"]}]},
         "ven-1", 409, "meter 'meter-A' is resource resource-1 of VEN ven-1 already"),
        ("/vens/ven-2/resources", {"resourceName": "x"}, "ven-1", 403,
         "is not client 'ven-1''s"),
        ("/vens/ven-1/resources", {"resourceName": "x", "venID": "ven-2"}, "ven-1", 400,
         "venID 'ven-2' is not the path's 'ven-1'"),
        ("/vens/ven-99/resources", {"resourceName": "x"}, "utility-bl", 404, "no VEN has id"),
        ("/vens", "not json", "utility-bl", 400, "the body must be a JSON object"),
    ]  # fmt: skip
    for path, body, who, status, detail in cases:
        _problem(rg.post(path, body, who), status, detail)
    _problem(rg.get("/vens/ven-99"), 404, "no VEN has id 'ven-99'")
    _problem(rg.get("/vens/bad.id"), 400, "venID: 'bad.id' is no objectID")
    _problem(rg.get("/vens/ven-1/resources/resource-2"), 404, "VEN ven-1 has no resource")
    _problem(rg.get("/vens", limit=51), 400, "limit: 51 is outside 0..50")
    _problem(rg.http.get("/vens"), 403, "no bearer token")
    _problem(rg.http.post("/vens", json={}, headers={"Authorization": "Bearer nope"}), 403,
             "unknown or expired bearer token")  # fmt: skip


def test_vens__update_and_delete(rg: Rg) -> None:
    """ven-3 ties a VEN to consumer A, changes it and deletes it; a VEN with resources keeps its
    consumer (409); a resource renamed. A VEN whose nested resource is refused is not created."""
    nested = {"venName": "ven-3", "attributes": _consumer(A, rg),
              "resources": [{"resourceName": "meter-A"}]}  # fmt: skip
    _problem(rg.post("/vens", nested, "ven-3"), 409, "meter 'meter-A' is resource resource-1")
    assert rg.get("/vens", venName="ven-3").json() == []
    r = rg.post("/vens", {"venName": "ven-3", "attributes": _consumer(A, rg)}, "ven-3")
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    r = rg.http.put(f"/vens/{vid}", json={"venName": "ven-3", "attributes": _consumer(B, rg)},
                    headers=rg.auth("ven-3"))  # fmt: skip
    assert r.status_code == 200 and r.json()["attributes"][0]["values"] == [rg.w.accounts[B]]
    conforms(r.json(), "ven")
    r = rg.http.put(f"/vens/{vid}", json={"venName": "other"}, headers=rg.auth("ven-3"))
    _problem(r, 400, "does not change")
    r = rg.http.put("/vens/ven-1", json={"venName": "ven-1", "attributes": _consumer(B, rg)},
                    headers=rg.auth("utility-bl"))  # fmt: skip
    _problem(r, 409, "has resources")
    r = rg.http.delete(f"/vens/{vid}", headers=rg.auth("ven-3"))
    assert r.status_code == 200 and r.json()["id"] == vid
    _problem(rg.get(f"/vens/{vid}", "ven-3"), 404, "no VEN has id")
    # a resource renamed (same meter) and back
    path = "/vens/ven-2/resources/resource-2"
    body = {
        "resourceName": "battery-B2",
        "attributes": [{"type": "METER_ID", "values": ["meter-B"]}],
    }
    r = rg.http.put(path, json=body, headers=rg.auth("ven-2"))
    assert r.status_code == 200 and r.json()["resourceName"] == "battery-B2"
    conforms(r.json(), "resource")
    body["resourceName"] = "battery-B"
    assert rg.http.put(path, json=body, headers=rg.auth("ven-2")).status_code == 200
    assert rg.get("/vens/ven-2/resources", "ven-2", resourceName="battery-B").json()[0]["id"] == (
        "resource-2"
    )


# ---------------------------------------------------------------------------------- reports


def test_reports__toadr3_ven_posts_a_usage(rg: Rg) -> None:
    """toadr3 0.29.0 as VEN ven-1: A's hourly readings of every day up to the event day (0 Wh in
    the event's hours) as one USAGE report built with its own models; all 23 days queued whole."""
    import aiohttp
    import toadr3
    from toadr3.models import Interval, IntervalPeriod, Report, ReportData, ValuesMap
    from toadr3.models.reportpayloaddescriptor import ReportPayloadDescriptor

    intervals = [
        Interval(id=k, interval_period=IntervalPeriod(start=_utc(d, h), duration="PT1H"),
                 payloads=[ValuesMap(type="USAGE", values=[reading(d, h, d == EVENT_DAY)])])
        for k, (d, h) in enumerate((d, h) for d in DAYS for h in range(24))
    ]  # fmt: skip
    report = Report(program_id=rg.id_of("program", 1), event_id=rg.id_of("event", 1),
                    client_name="ven-1", report_name="meter-A history",
                    payload_descriptors=[ReportPayloadDescriptor(payload_type="USAGE", units="WH")],
                    resources=[ReportData(resource_name="meter-A", intervals=intervals)])  # fmt: skip

    async def post() -> Any:
        async with aiohttp.ClientSession() as session:
            token = await toadr3.acquire_access_token(
                session, f"{rg.url}/auth/token", "client_credentials", {"scope": "write_reports"},
                client_id="ven-1", client_secret=SECRETS["ven-1"],
            )  # fmt: skip
            return await toadr3.post_report(session, rg.url, token, report)

    created = asyncio.run(post())
    assert created.id == "report-1" and created.client_name == "ven-1"
    assert len(created.resources[0].intervals) == 24 * len(DAYS)
    body = rg.get("/reports/report-1").json()
    conforms(body, "report")
    assert _status(body) == {str(d): ("queued", 1_440) for d in DAYS}
    assert body["resources"][0]["intervals"][17 + 24 * (len(DAYS) - 1)] == {
        "id": 17 + 24 * (len(DAYS) - 1),
        "intervalPeriod": {"start": _z(_utc(EVENT_DAY, 17)), "duration": "PT1H"},
        "payloads": [{"type": "USAGE", "values": [0]}],
    }


def test_reports__python_oa3_client_ven_posts_in_two_reports(rg: Rg) -> None:
    """python-oa3-client as VEN ven-2: B's readings (none on the event day, as post_history), the
    last day in two reports: the first leaves it half (queued flagged missing), the second (the
    resource's intervalPeriod, intervals following one another, in KWH) makes it whole."""
    from openadr3_client import VenClient

    last = DAYS[-2]
    first = [(_utc(d, h), 1_000) for d in DAYS[:-2] for h in range(24)]
    first += [(_utc(last, h), 1_000) for h in range(12)]
    ven = VenClient(url=rg.url, client_id="ven-2", client_secret=SECRETS["ven-2"]).start()
    try:
        r = ven.create_report(usage(rg, "battery-B", first, client="ven-2"))
        assert r.status_code == 201, r.text
        conforms(r.json(), "report")
        assert _status(r.json())[str(last)] == ("queued", 720)
        second = usage(rg, "battery-B", [], client="ven-2")
        second["payloadDescriptors"][0]["units"] = "KWH"
        second["resources"][0] = {
            "resourceName": "battery-B",
            "intervalPeriod": {"start": _z(_utc(last, 12)), "duration": "PT1H"},
            "intervals": [{"id": k, "payloads": [{"type": "USAGE", "values": [1.0]}]}
                          for k in range(12)],
        }  # fmt: skip
        r = ven.create_report(second)
        assert r.status_code == 201, r.text
        assert _status(r.json()) == {str(last): ("queued", 1_440)}
        assert r.json()["resources"][0]["intervals"][11]["intervalPeriod"]["start"] == _z(
            _utc(last, 23)
        )
        assert r.json()["resources"][0]["intervals"][11]["payloads"][0]["values"] == [1_000]
    finally:
        ven.stop()
    outbox = Outbox(rg.desk.outbox_path)
    try:
        assert outbox.counts() == {"pending": 2 * len(DAYS) - 1, "sent": 0, "confirmed": 0}
    finally:
        outbox.close()


def test_reports__bl_reads_them_back(rg: Rg) -> None:
    """python-oa3-client's BlClient reads every report (raw); the filters of the document; a VEN
    client sees its own reports only."""
    from openadr3_client import BlClient

    bl = BlClient(url=rg.url, client_id="utility-bl", client_secret=SECRETS["utility-bl"]).start()
    try:
        every = bl.get_reports().json()
        assert [x["id"] for x in every] == ["report-1", "report-2", "report-3"]
        for x in every:
            conforms(x, "report")
        assert [x["id"] for x in bl.get_reports(clientName="ven-2").json()] == [
            "report-2",
            "report-3",
        ]
        assert len(bl.get_reports(eventID=rg.id_of("event", 1)).json()) == 3
        assert bl.get_reports(programID=rg.id_of("program", 2)).json() == []
        assert [x["id"] for x in bl.get_reports(skip=1, limit=1).json()] == ["report-2"]
        assert bl.get_report_by_id("report-2").json() == every[1]
    finally:
        bl.stop()
    assert [x["id"] for x in rg.get("/reports", "ven-1").json()] == ["report-1"]
    _problem(rg.get("/reports/report-2", "ven-1"), 403, "is client 'ven-2''s")
    _problem(rg.get("/reports/report-99"), 404, "no report has id 'report-99'")
    _problem(rg.get("/reports", limit=51), 400, "limit: 51 is outside 0..50")
    _problem(rg.get("/reports", eventID="bad id"), 400, "eventID: 'bad id' is no objectID")


Mutate = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutate:
    def change(body: dict[str, Any]) -> None:
        node: Any = body
        *head, last = path.split(".")
        for key in head:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(last) if last.isdigit() else last] = value

    return change


P0 = "resources.0.intervals.0"
REFUSALS: list[tuple[str, Mutate, str, int, str]] = [
    ("unknown-resource", _set("resources.0.resourceName", "meter-Z"), "ven-1", 400,
     "resources[0]: unknown resource 'meter-Z' (VEN ven-1 has 'meter-A')"),
    ("foreign-resource", _set("resources.0.resourceName", "battery-B"), "ven-1", 403,
     "resource 'battery-B' is VEN ven-2's, not VEN ven-1's"),
    ("interval-length", _set(f"{P0}.intervalPeriod.duration", "PT30M"), "ven-1", 400,
     "duration: 1800 s; the meter interval of region 1 is 60 minutes"),
    ("interval-not-aligned", _set(f"{P0}.intervalPeriod.start", "2027-03-10T08:30:00Z"), "ven-1",
     400, "resources[0].intervals[0]: interval_start: interval not aligned within one hour"),
    ("interval-in-future", _set(f"{P0}.intervalPeriod.start", _z(_utc(EVENT_DAY + timedelta(days=2), 3))),
     "ven-1", 400, "interval_start: interval ends in the future"),
    ("interval-no-offset", _set(f"{P0}.intervalPeriod.start", "2027-03-10T08:00:00"), "ven-1", 400,
     "is no date-time with a UTC offset"),
    ("duration-not-iso", _set(f"{P0}.intervalPeriod.duration", "1 hour"), "ven-1", 400,
     "'1 hour' is no ISO 8601 duration"),
    ("no-period", _set(f"{P0}.intervalPeriod", None), "ven-1", 400,
     "no intervalPeriod, neither its own nor its resource's"),
    ("negative-value", _set(f"{P0}.payloads.0.values", [-5]), "ven-1", 400,
     "values[0]: -5 is negative"),
    ("fractional-wh", _set(f"{P0}.payloads.0.values", [1.5]), "ven-1", 400,
     "1.5 Wh, not a whole number of Wh"),
    ("text-value", _set(f"{P0}.payloads.0.values", ["1000"]), "ven-1", 400,
     "'1000' is not a number of Wh"),
    ("wrong-payload-type", _set(f"{P0}.payloads.0.type", "DEMAND"), "ven-1", 400,
     "payloads[0].type 'DEMAND': the gateway takes USAGE reports only"),
    ("wrong-report-type", _set("payloadDescriptors.0.payloadType", "BASELINE"), "ven-1", 400,
     "payloadType 'BASELINE': the gateway takes USAGE reports only"),
    ("wrong-units", _set("payloadDescriptors.0.units", "MWH"), "ven-1", 400,
     "USAGE is in WH or KWH"),
    ("unknown-event", _set("eventID", "event-1"), "ven-1", 400,
     "eventID 'event-1': no event of this chain has that id"),
    ("other-program", _set("programID", "program-9"), "ven-1", 400,
     "programID 'program-9' is not the program of event"),
    ("client-name", _set("clientName", "ven-2"), "ven-1", 400, "a report names its VEN, 'ven-1'"),
    ("object-type", _set("objectType", "EVENT"), "ven-1", 400, "objectType 'EVENT'"),
    ("no-resources", lambda b: b.pop("resources"), "ven-1", 400, "report.resources: Field required"),
    ("bad-program-id", _set("programID", "bad id!"), "ven-1", 400, "report.programID: String should"),
    ("too-many-intervals", lambda b: b["resources"][0]["intervals"].extend(
        b["resources"][0]["intervals"] * 10_000), "ven-1", 400,
     "20,002 intervals: a report holds at most 20,000"),
    ("missing-scope", lambda b: None, "utility-bl", 403, "lacks scope write_reports"),
    ("no-ven-object", _set("clientName", "ven-3"), "ven-3", 403, "client 'ven-3' has no VEN"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "who", "status", "detail"), [c[1:] for c in REFUSALS],
                         ids=[c[0] for c in REFUSALS])  # fmt: skip
def test_post_report__refused__problem_object(
    rg: Rg, change: Mutate, who: str, status: int, detail: str
) -> None:
    body = usage(rg, "meter-A", [(_utc(DAYS[0], h), 1_000) for h in (3, 4)])
    change(body)
    _problem(rg.post("/reports", body, who), status, detail)


def test_post_report__auth_and_body_refusals__problem_objects(rg: Rg) -> None:
    body = usage(rg, "meter-A", [(_utc(DAYS[0], 3), 1_000)] * 2)
    _problem(rg.post("/reports", body, "ven-1"), 400, "interval_start: duplicate interval")
    _problem(rg.http.post("/reports", json=body), 403, "no bearer token")
    r = rg.http.post("/reports", json=body, headers={"Authorization": "Bearer not-a-token"})
    _problem(r, 403, "unknown or expired bearer token")
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = rg.http.post("/reports", content=b"{not json", headers=rg.auth("ven-1"))
    _problem(r, 400, "the body is not JSON")
    for method in ("PUT", "DELETE"):
        r = rg.http.request(method, "/reports/report-1", json=body, headers=rg.auth("ven-1"))
        _problem(r, 403, "cannot be changed or deleted")
        r = rg.http.request(method, "/reports/report-1", json=body, headers=rg.auth("utility-bl"))
        _problem(r, 403, "lacks scope write_reports")
    _problem(rg.http.patch("/reports", headers=rg.auth("ven-1")), 405, "PATCH is not an operation")
    # nothing of the refused reports was taken
    assert [x["id"] for x in rg.get("/reports").json()] == ["report-1", "report-2", "report-3"]


# ---------------------------------------------------------------------------------- on chain (last)


def test_meter_oracle_posts_them__the_chain_holds_the_reports(
    rg: Rg, capsys: pytest.CaptureFixture[str]
) -> None:
    """Changes the chain: ``gridbalance oracle meter`` (the meter daemon's pass, here with a CSV of
    no rows) on the gateway's outbox posts one batch per day; the reports say ``posted`` with the
    batch, and the chain's records are the reports' readings."""
    w = rg.w
    empty = rg.tmp / "no-rows.csv"
    empty.write_text("meter_id,interval_start,interval_seconds,wh\n")
    argv = w.args("oracle", "meter", "--region", str(REGION), "--csv", str(empty),
                  "--outbox", str(rg.desk.outbox_path), "--rejects", str(rg.tmp / "meter.jsonl"),
                  "--account", str(ORACLE))  # fmt: skip
    code, out, err = run(capsys, argv)
    assert code == 0, err
    n = 2 * len(DAYS) - 1
    assert f"0 readings -> 0 consumer-days (0 new); posted {n} in {len(DAYS)} batches" in out
    for d in DAYS:
        [batch] = day_batches(w.p.meter, REGION, day_number(d))
        records = {r.consumer_id: r for r in batch.records}
        assert records[1].readings == tuple(reading(d, h, d == EVENT_DAY) for h in range(24))
        assert not records[1].missing
        if d == EVENT_DAY:
            assert 2 not in records
        else:
            assert records[2].readings == (1_000,) * 24 and not records[2].missing
    report = rg.get("/reports/report-1").json()
    assert {s["status"] for s in report["chainStatus"]} == {"posted"}
    last = report["chainStatus"][-1]
    [batch] = day_batches(w.p.meter, REGION, day_number(EVENT_DAY))
    assert (last["day"], last["batch"], last["txHash"]) == (str(EVENT_DAY), 0, batch.tx_hash)


def test_post_report__a_posted_day_again(rg: Rg) -> None:
    """Other readings of a posted day: 409 (M-4); the same readings again: taken, nothing sent."""
    body = usage(rg, "meter-A", [(_utc(EVENT_DAY, 3), 999)])
    _problem(rg.post("/reports", body, "ven-1"), 409, "is posted already")
    body = usage(rg, "meter-A", [(_utc(EVENT_DAY, 3), 1_000)])
    r = rg.post("/reports", body, "ven-1")
    assert r.status_code == 201 and _status(r.json()) == {str(EVENT_DAY): ("posted", 1_440)}


def test_keeper_settles_the_event_from_the_reports(rg: Rg) -> None:
    """Changes the chain: once the event day is final the keeper settles event 1 from the reported
    data; A is paid what the reference says (as from file data, test_cli_settle.py), B has no
    event-day data; the reports of the event day say ``final``."""
    w = rg.w
    w.warp(final_ts())
    assert keeper_pass(w.p, w.client(KEEPER), 1) == 0
    a = enrollment(w, A)
    assert a.status == EnrollmentStatus.Settled and a.paid == expected_reward(w) > 0
    assert enrollment(w, B).paid == 0
    report = rg.get("/reports/report-1").json()
    assert _status(report)[str(EVENT_DAY)] == ("final", 1_440)


def test_command__serves_vens_and_reports_beside_its_index(rg: Rg, tmp_path: Path) -> None:
    """``gridbalance gateway`` as a process serves VENs and reports (not 501), its registry and
    the outbox it fills beside its ``--index`` unless told."""
    import signal
    import subprocess
    import sys
    import time

    from oracles.chain.anvil import free_port

    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps({"clients": [
        {"client_id": "ven-1", "client_secret": SECRETS["ven-1"], "role": "VEN"}]}))  # fmt: skip
    port = free_port()
    argv = [sys.executable, "-m", "oracles.cli.main", "gateway", "--rpc", rg.w.anvil.url,
            "--manifest", str(rg.w.manifest), "--clients", str(clients), "--port", str(port),
            "--index", str(tmp_path / "index.sqlite")]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            while True:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the gateway did not start"
                try:
                    token = _token(http, "ven-1", SECRETS["ven-1"])
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            headers = {"Authorization": f"Bearer {token}"}
            assert http.get("/vens", headers=headers).json() == []
            assert http.get("/reports", headers=headers).json() == []
            body = usage(rg, "meter-A", [(_utc(DAYS[0], 3), 1_000)])
            _problem(http.post("/reports", json=body, headers=headers), 403, "has no VEN")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert f"reports' readings go to {tmp_path / 'gridbalance-outbox.sqlite'}" in out
    assert (tmp_path / "gridbalance-gateway-vens.sqlite").exists()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT1H", 3600), ("PT15M", 900), ("PT3600S", 3600), ("PT1H30M", 5400), ("P1DT1H", 90_000),
     ("P1W", 604_800), ("PT0.5S", 0.5), ("PT0S", 0), ("P", None), ("PT", None), ("P1DT", None),
     ("1H", None), ("P1M", None), ("P1Y", None), ("-PT1H", None), ("pt1h", None)],
)  # fmt: skip
def test_usage_seconds__iso_8601_durations(text: str, seconds: float | None) -> None:
    from oracles.gateway.usage import seconds as parse

    assert parse(text) == seconds
