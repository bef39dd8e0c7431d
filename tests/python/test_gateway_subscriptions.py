"""OpenADR 3.0.1 subscriptions of the gateway (issue 27 item 1): a subscriber's callback server
(tests/python/gateway_serving.py) receives the document's notification when an event or a program
appears on chain (found in the log index, not in the gateway's own writes), when an event is
cancelled; once per object, never for an object created before the subscription, never after its
DELETE; a failing callback is tried again with backoff and finally dropped. Plus the operations'
answers and problems.

The world is test_gateway.py's (programs 1 and 2, events 1 and 2, event 3 cancelled), on a chain
of this module's own. Every test but the error ones changes the chain (new events on later days)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from oracles.chain.anvil import free_port
from oracles.gateway.app import Backend, create_app
from oracles.gateway.chain_view import ChainView
from oracles.gateway.clients import load_clients
from oracles.gateway.notifier import Notifier, extension
from oracles.gateway.tokens import TokenIssuer
from oracles.protocol.bindings import ProgramParams
from tests.python.cli_world import (
    EVENT_DAY,
    QUARTER,
    UNIT,
    UTILITY,
    World,
    build_world,
    create_event,
    day_number,
)
from tests.python.gateway_serving import Subscriber, serving, wait_for
from tests.python.test_gateway import (
    BL_SECRET,
    CLIENTS,
    VEN_SECRET,
    _setup,
    _token,
    conforms,
)

pytestmark = pytest.mark.xdist_group("gateway_subscriptions")


@dataclass
class Env:
    w: World
    http: httpx.Client
    ven: str
    bl: str
    sub: Subscriber
    callback: str  # the subscriber's base URL
    notifier: Notifier
    days: Iterator[int]

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.ven}"}

    def subscribe(self, path: str, objects: list[str], operations: list[str] | None = None,
                  program: int = 1, token: str | None = None, **extra: Any) -> dict[str, Any]:  # fmt: skip
        body = {
            "clientName": "ven-1",
            "programID": self.program_id(program),
            "objectOperations": [
                {"objects": objects, "operations": operations or ["CREATE"],
                 "callbackUrl": f"{self.callback}/{path}", "bearerToken": f"token-{path}"}
            ],
            **extra,
        }  # fmt: skip
        r = self.http.post("/subscriptions", json=body, headers=self.headers(token))
        assert r.status_code == 201, r.text
        conforms(r.json(), "subscription")
        return dict(r.json())

    def program_id(self, n: int) -> str:
        return f"program-{self.w.w3.eth.chain_id}-{self.w.p.programs.address.lower()[2:]}-{n}"

    def event_id(self, n: int) -> str:
        return f"event-{self.w.w3.eth.chain_id}-{self.w.p.requests.address.lower()[2:]}-{n}"

    def new_event(self) -> int:
        """An event of program 1 on a day no other test used (the days before EVENT_DAY, latest
        first: program 1 has room for 9 more events in 30 days, P-3: the tests use 8)."""
        return create_event(self.w, EVENT_DAY + timedelta(days=next(self.days)))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("subscriptions")
    for w in build_world(tmp):
        _setup(w)
        clients = tmp / "clients.json"
        clients.write_text(json.dumps(CLIENTS))
        protocol, index = w.p, tmp / "gateway-index.sqlite"
        backend = Backend(lambda: ChainView(protocol, index, sync_seconds=0))  # noqa: B023 (one world)
        ext, notifier = extension(backend, poll_seconds=0.05, attempts=3, backoff=0.05)
        app = create_app(backend, TokenIssuer(load_clients(clients)), extensions=[ext])
        sub = Subscriber()
        with (
            serving(sub.app()) as callback,
            serving(app) as url,
            httpx.Client(base_url=url, timeout=10) as http,
        ):
            yield Env(w, http, _token(http, "ven-1", VEN_SECRET),
                      _token(http, "utility-bl", BL_SECRET), sub, callback, notifier,
                      iter(range(-1, -21, -1)))  # fmt: skip
        backend.close()


@pytest.fixture(autouse=True)
def _no_subscriptions_left(env: Env) -> Iterator[None]:
    """Each test starts without subscriptions (a BL client sees and deletes every one)."""
    yield
    h = env.headers(env.bl)
    for s in env.http.get("/subscriptions", headers=h).json():
        env.http.delete(f"/subscriptions/{s['id']}", headers=h)


def _after_next_change(env: Env, path: str) -> list[Any]:
    """Bodies at ``path`` once a control subscription has been told of a new event: the notifier
    has handled every block up to it."""
    control = env.subscribe(f"control-{path}", ["EVENT"])
    n = env.new_event()
    wait_for(lambda: any(r.body["object"]["id"] == env.event_id(n)
                         for r in env.sub.at(f"control-{path}")), what="the control notification")  # fmt: skip
    env.http.delete(f"/subscriptions/{control['id']}", headers=env.headers())
    return [r.body for r in env.sub.at(path)]


# ---------------------------------------------------------------------------------- notifications


def test_event_created_on_chain__one_notification__none_for_earlier_or_after_delete(
    env: Env,
) -> None:
    s = env.subscribe("events", ["EVENT"])
    n = env.new_event()
    wait_for(lambda: len(env.sub.at("events")) >= 1, what="the notification")
    [got] = env.sub.at("events")
    conforms(got.body, "notification")
    event = env.http.get(f"/events/{env.event_id(n)}", headers=env.headers()).json()
    assert got.body == {"objectType": "EVENT", "operation": "POST", "object": event,
                        "targets": event["targets"]}  # fmt: skip
    assert got.authorization == "Bearer token-events"
    # events 1 and 2 existed before the subscription: never announced; event n once only
    assert [b["object"]["id"] for b in _after_next_change(env, "events")] == [
        env.event_id(n),
        env.event_id(n + 1),
    ]
    r = env.http.delete(f"/subscriptions/{s['id']}", headers=env.headers())
    assert r.status_code == 200 and r.json() == s
    before = len(env.sub.at("events"))
    assert len(_after_next_change(env, "events")) == before  # nothing after DELETE


def test_other_program_and_targets__filtered(env: Env) -> None:
    env.subscribe("program-2", ["EVENT"], program=2)
    env.subscribe("region-9", ["EVENT"], targets=[{"type": "SERVICE_AREA", "values": ["9"]}])
    env.subscribe("region-1", ["EVENT"], targets=[{"type": "SERVICE_AREA", "values": ["1"]}])
    _after_next_change(env, "program-2")
    assert env.sub.at("program-2") == [] and env.sub.at("region-9") == []
    assert len(env.sub.at("region-1")) == 1


def test_program_created_on_chain__program_notification(env: Env) -> None:
    env.subscribe("programs", ["PROGRAM"])
    p, u = env.w.p, env.w.client(UTILITY)
    assert p.token is not None
    u.transact(p.token.functions.approve(p.escrow.address, 100 * UNIT), "approve")
    params = ProgramParams(token=p.token.address, base_rate=UNIT, class_mask=2)
    u.transact(p.programs.functions.createProgram(QUARTER, params.abi(), 100 * UNIT), "program 3")
    wait_for(lambda: len(env.sub.at("programs")) == 1, what="the program notification")
    body = env.sub.at("programs")[0].body
    conforms(body, "notification")
    assert body["objectType"] == "PROGRAM" and body["operation"] == "POST"
    assert body["object"] == env.http.get(f"/programs/{env.program_id(3)}",
                                          headers=env.headers()).json()  # fmt: skip


def test_event_cancelled_on_chain__delete_notification(env: Env) -> None:
    n = env.new_event()
    served = env.http.get(f"/events/{env.event_id(n)}", headers=env.headers()).json()
    env.subscribe("deletes", ["EVENT"], ["DELETE"])
    env.w.client(UTILITY).transact(env.w.p.requests.functions.cancelEvent(n), "cancel")
    wait_for(lambda: len(env.sub.at("deletes")) == 1, what="the DELETE notification")
    body = env.sub.at("deletes")[0].body
    conforms(body, "notification")
    assert body["operation"] == "DELETE" and body["object"] == served


def test_callback_refusing__retried_with_backoff__then_dropped(env: Env) -> None:
    env.sub.refuse["flaky"] = 2  # two 503s, then accepted (3 attempts allowed)
    env.sub.refuse["down"] = 1_000
    env.subscribe("flaky", ["EVENT"])
    env.subscribe("down", ["EVENT"])
    dropped = env.notifier.dropped
    n = env.new_event()
    wait_for(lambda: len(env.sub.at("flaky")) == 1, what="the third attempt")
    assert env.sub.attempts["flaky"] == 3
    assert env.sub.at("flaky")[0].body["object"]["id"] == env.event_id(n)
    wait_for(lambda: env.notifier.dropped == dropped + 1, what="the drop")
    assert env.sub.attempts["down"] == 3 and env.sub.at("down") == []
    # the gateway goes on serving and notifying
    assert env.http.get("/events", headers=env.headers()).status_code == 200


def test_unreachable_callback__dropped_not_fatal(env: Env) -> None:
    body = {"clientName": "ven-1", "programID": env.program_id(1), "objectOperations": [
        {"objects": ["EVENT"], "operations": ["CREATE"], "callbackUrl": "http://127.0.0.1:9/x"}]}  # fmt: skip
    r = env.http.post("/subscriptions", json=body, headers=env.headers())
    assert r.status_code == 201
    dropped = env.notifier.dropped
    _after_next_change(env, "nobody")
    wait_for(lambda: env.notifier.dropped == dropped + 1, what="the drop")
    env.http.delete(f"/subscriptions/{r.json()['id']}", headers=env.headers())


# ---------------------------------------------------------------------------------- operations


def test_search_get_put__own_subscriptions_bl_sees_all(env: Env) -> None:
    mine = env.subscribe("crud", ["EVENT", "PROGRAM"], program=2)
    theirs = env.subscribe("crud-bl", ["PROGRAM"], token=env.bl)
    h = env.headers()
    ids = [s["id"] for s in env.http.get("/subscriptions", headers=h).json()]
    assert mine["id"] in ids and theirs["id"] not in ids  # a VEN sees its own
    every = [s["id"] for s in env.http.get("/subscriptions", headers=env.headers(env.bl)).json()]
    assert {mine["id"], theirs["id"]} <= set(every)
    found = env.http.get("/subscriptions", headers=h,
                         params={"programID": env.program_id(2), "objects": "EVENT"}).json()  # fmt: skip
    assert [s["id"] for s in found] == [mine["id"]]
    assert env.http.get("/subscriptions", headers=h, params={"clientName": "nobody"}).json() == []
    assert env.http.get(f"/subscriptions/{mine['id']}", headers=h).json() == mine
    _problem(env.http.get(f"/subscriptions/{theirs['id']}", headers=h), 404, "no subscription")
    changed = {**{k: mine[k] for k in ("clientName", "programID", "objectOperations")},
               "clientName": "ven-1-renamed"}  # fmt: skip
    r = env.http.put(f"/subscriptions/{mine['id']}", json=changed, headers=h)
    assert r.status_code == 200, r.text
    conforms(r.json(), "subscription")
    assert r.json()["id"] == mine["id"] and r.json()["clientName"] == "ven-1-renamed"
    assert r.json()["createdDateTime"] == mine["createdDateTime"]
    for sid in (mine["id"], theirs["id"]):
        assert (
            env.http.delete(f"/subscriptions/{sid}", headers=env.headers(env.bl)).status_code == 200
        )
    _problem(env.http.delete(f"/subscriptions/{mine['id']}", headers=h), 404, "no subscription")


def _problem(r: httpx.Response, status: int, detail: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    conforms(body, "problem")
    assert body["status"] == status and detail in body["detail"], body


def _body(env: Env, **change: Any) -> dict[str, Any]:
    op = {"objects": ["EVENT"], "operations": ["CREATE"], "callbackUrl": f"{env.callback}/x"}
    op |= change.pop("op", {})
    return {"clientName": "ven-1", "programID": env.program_id(1), "objectOperations": [op],
            **change}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"op": {"callbackUrl": "not a url"}}, "objectOperations.0.callbackUrl: 'not a url' is no absolute http(s) URL"),
        ({"op": {"callbackUrl": "ftp://example.com/x"}}, "is no absolute http(s) URL"),
        ({"op": {"callbackUrl": "http://host:99999/x"}}, "is no URL"),
        ({"op": {"objects": ["EVENTS"]}}, "objectOperations.0.objects.0: Input should be 'PROGRAM'"),
        ({"op": {"operations": ["POST"]}}, "objectOperations.0.operations.0: Input should be 'READ'"),
        ({"clientName": ""}, "clientName: String should have at least 1 character"),
        ({"programID": "bad id!"}, "programID: 'bad id!' is no objectID"),
        ({"colour": "blue"}, "colour: Extra inputs are not permitted"),
    ],
    ids=["not-url", "ftp", "bad-port", "object", "operation", "client-name", "program-id", "extra"],
)  # fmt: skip
def test_post__bad_body__400_problem(env: Env, change: dict[str, Any], detail: str) -> None:
    _problem(env.http.post("/subscriptions", json=_body(env, **change), headers=env.headers()),
             400, detail)  # fmt: skip


def test_post__missing_field_or_not_json__400_problem(env: Env) -> None:
    body = _body(env)
    del body["objectOperations"]
    _problem(env.http.post("/subscriptions", json=body, headers=env.headers()), 400,
             "objectOperations: Field required")  # fmt: skip
    r = env.http.post("/subscriptions", content=b"{nope", headers=env.headers())
    _problem(r, 400, "the body is not JSON")
    _problem(env.http.post("/subscriptions", json=[1], headers=env.headers()), 400, "JSON object")
    # the fields the VTN provisions are ignored, not refused
    r = env.http.post("/subscriptions", json={**_body(env), "id": "mine", "objectType": "SUBSCRIPTION"},
                      headers=env.headers())  # fmt: skip
    assert r.status_code == 201 and r.json()["id"] != "mine"
    env.http.delete(f"/subscriptions/{r.json()['id']}", headers=env.headers())


def test_auth_and_ids__403_400_404_problems(env: Env) -> None:
    _problem(env.http.post("/subscriptions", json=_body(env)), 403, "no bearer token")
    r = env.http.post("/auth/token", data={"grant_type": "client_credentials", "client_id": "ven-1",
                                           "client_secret": VEN_SECRET, "scope": "read_all"})  # fmt: skip
    read_only = r.json()["access_token"]
    _problem(env.http.post("/subscriptions", json=_body(env), headers=env.headers(read_only)), 403,
             "lacks scope write_subscriptions")  # fmt: skip
    _problem(env.http.get("/subscriptions/bad.id", headers=env.headers()), 400, "is no objectID")
    _problem(env.http.get("/subscriptions/subscription-none", headers=env.headers()), 404,
             "no subscription has id 'subscription-none'")  # fmt: skip
    _problem(env.http.put("/subscriptions/subscription-none", json=_body(env), headers=env.headers()),
             404, "no subscription")  # fmt: skip
    _problem(env.http.get("/subscriptions", headers=env.headers(), params={"objects": "NOPE"}), 400,
             "objects: 'NOPE' is not an object type")  # fmt: skip
    _problem(env.http.get("/subscriptions", headers=env.headers(), params={"limit": 51}), 400,
             "limit: 51 is outside 0..50")  # fmt: skip


# ---------------------------------------------------------------------------------- clients


def test_python_oa3_client__subscribes_and_is_notified(env: Env) -> None:
    """python-oa3-client 0.5.0 (openadr3 0.5.0 underneath): its raw ``create_subscription`` with
    the 3.0.1 operation names; the notification reaches the callback. (Its ``subscribe()`` first
    resolves the program through the coerced 3.1 reads, which fail on 3.0.1 targets:
    test_gateway.py shows that call.)"""
    from openadr3_client import VenClient  # type: ignore[import-untyped]

    ven = VenClient(url=env.http.base_url.__str__().rstrip("/"), client_id="ven-1",
                    client_secret=VEN_SECRET).start()  # fmt: skip
    try:
        r = ven.create_subscription({"clientName": "oa3-ven", "programID": env.program_id(1),
                                     "objectOperations": [{"objects": ["EVENT"], "operations": ["CREATE"],
                                                           "callbackUrl": f"{env.callback}/oa3"}]})  # fmt: skip
        assert r.status_code == 201, r.text
        listed = ven.get_subscriptions(clientName="oa3-ven")
        assert [s["id"] for s in listed.json()] == [r.json()["id"]]
    finally:
        ven.stop()
    n = env.new_event()
    wait_for(lambda: len(env.sub.at("oa3")) == 1, what="the notification")
    assert env.sub.at("oa3")[0].body["object"]["id"] == env.event_id(n)


def test_toadr3__its_operation_names_are_not_3_0_1s__400_problem(env: Env) -> None:
    """toadr3 0.29.0's ``post_subscription``: its ``OperationType`` is GET/POST/PUT/DELETE, where
    the 3.0.1 document's subscription operations are READ/CREATE/UPDATE/DELETE, so a conforming
    3.0.1 VTN refuses what it sends (the failing call)."""
    import asyncio

    import aiohttp
    import toadr3
    from toadr3.models import ObjectOperation, Subscription
    from toadr3.models.objectoperation import ObjectType, OperationType

    sub = Subscription(client_name="toadr3-ven", programID=env.program_id(1), object_operations=[
        ObjectOperation(objects=[ObjectType.EVENT], operations=[OperationType.POST],
                        callback_url=f"{env.callback}/toadr3")])  # fmt: skip

    async def post() -> toadr3.ToadrError:
        async with aiohttp.ClientSession() as session:
            token = toadr3.AccessToken(env.ven, 3600)
            with pytest.raises(toadr3.ToadrError) as err:
                await toadr3.post_subscription(
                    session, str(env.http.base_url).rstrip("/"), token, sub
                )
            return err.value

    refused = asyncio.run(post())
    assert refused.status_code == 400
    r = env.http.post("/subscriptions", content=sub.as_json(), headers=env.headers())
    _problem(
        r,
        400,
        "objectOperations.0.operations.0: Input should be 'READ', 'CREATE', 'UPDATE' or 'DELETE'",
    )


def test_command__serves_subscriptions_and_notifies(env: Env, tmp_path: Path) -> None:
    """``gridbalance gateway`` as a process installs the subscriptions: one made there is told of
    an event of program 2 created on chain; SIGTERM still ends it with exit 0."""
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps(CLIENTS))
    port = free_port()
    argv = [sys.executable, "-m", "oracles.cli.main", "gateway", "--rpc", env.w.anvil.url,
            "--manifest", str(env.w.manifest), "--clients", str(clients), "--port", str(port),
            "--index", str(tmp_path / "index.sqlite"), "--sync-seconds", "0.2"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            wait_for(lambda: _answers(http, proc), 30, "the gateway")
            token = _token(http, "ven-1", VEN_SECRET)
            body = _body(env, programID=env.program_id(2))
            body["objectOperations"][0]["callbackUrl"] = f"{env.callback}/command"
            r = http.post("/subscriptions", json=body, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 201, r.text
            day = day_number(EVENT_DAY - timedelta(days=2))
            env.w.client(UTILITY).transact(
                env.w.p.requests.functions.createEvent(2, day, 69, 75, 5_000, 1), "event"
            )
            wait_for(lambda: len(env.sub.at("command")) == 1, 30, "the notification")
            assert env.sub.at("command")[0].body["object"]["programID"] == env.program_id(2)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err


def _answers(http: httpx.Client, proc: subprocess.Popen[str]) -> bool:
    assert proc.poll() is None, proc.communicate()
    try:
        return http.get("/auth/server").status_code == 200
    except httpx.ConnectError:
        return False
