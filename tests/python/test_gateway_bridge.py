"""The outbound bridge (issue 27 item 3): `gridbalance gateway-bridge` pushes the events created on
chain for the programs named to a utility's OpenADR 3 VTN through python-oa3-client's BL client.
The VTN is a stand-in written here (FastAPI: POST /auth/token, GET/POST /programs and /events of
the 3.0.1 document, every body it takes validated against the document's schemas, ids of its own;
like a strict 3.0.1 VTN it has no GET /auth/server). An event created on chain appears there once,
with the fields the gateway maps; restarted bridges push nothing twice.

The world is test_gateway.py's (program 1: event 1 live, event 3 cancelled; program 2: event 2)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from jsonschema import ValidationError  # type: ignore[import-untyped]

from oracles.gateway.app import Backend
from oracles.gateway.bridge import Bridge, ProgramLink, Vtn, VtnConfig
from oracles.gateway.catalog import Catalog
from oracles.gateway.chain_view import ChainView
from tests.python.cli_world import (
    EVENT_DAY,
    UTILITY,
    World,
    build_world,
    create_event,
    day_number,
    one_line,
    run,
)
from tests.python.gateway_serving import serving
from tests.python.test_gateway import _setup, conforms

pytestmark = pytest.mark.xdist_group("gateway_bridge")

BL_ID, BL_SECRET = "gridbalance-bridge", "bridge-secret-0123456789"


@dataclass
class StandInVtn:
    """What the utility's VTN holds, and the calls it took."""

    programs: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)  # "POST /events" ...
    tokens: set[str] = field(default_factory=set)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> FastAPI:
        app = FastAPI()

        def problem(status: int, detail: str) -> JSONResponse:
            return JSONResponse({"title": "refused", "status": status, "detail": detail},
                                status_code=status)  # fmt: skip

        def authorized(request: Request) -> bool:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            return scheme == "Bearer" and token in self.tokens

        @app.post("/auth/token")
        async def token(request: Request) -> JSONResponse:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            if (form.get("client_id"), form.get("client_secret")) != (BL_ID, BL_SECRET):
                return JSONResponse({"error": "invalid_client"}, status_code=400)
            issued = f"vtn-token-{next(self.ids)}"
            self.tokens.add(issued)
            return JSONResponse({"access_token": issued, "token_type": "Bearer", "expires_in": 60})

        def listing(kind: str, items: list[dict[str, Any]]) -> Any:
            async def search(request: Request) -> JSONResponse:
                if not authorized(request):
                    return problem(403, "no token")
                q = request.query_params
                found = [o for o in items
                         if "programID" not in q or o.get("programID") == q["programID"]]  # fmt: skip
                skip, limit = int(q.get("skip", 0)), int(q.get("limit", 50))
                return JSONResponse(found[skip : skip + limit])

            async def create(request: Request) -> JSONResponse:
                if not authorized(request):
                    return problem(403, "no token")
                body = await request.json()
                try:
                    conforms(body, kind)
                except ValidationError as exc:
                    return problem(400, exc.message)
                self.posts.append(f"POST /{kind}s")
                stamp = "2027-03-01T18:00:00Z"
                made = {**body, "id": f"vtn-{kind}-{next(self.ids)}", "createdDateTime": stamp,
                        "modificationDateTime": stamp, "objectType": kind.upper()}  # fmt: skip
                items.append(made)
                return JSONResponse(made, status_code=201)

            return search, create

        for kind, items in (("program", self.programs), ("event", self.events)):
            search, create = listing(kind, items)
            app.add_api_route(f"/{kind}s", search, methods=["GET"])
            app.add_api_route(f"/{kind}s", create, methods=["POST"])
        return app


@dataclass
class Env:
    w: World
    vtn: StandInVtn
    url: str
    tmp: Path
    catalog: Catalog | None = None

    def argv(self, *extra: str) -> list[str]:
        return self.w.args("gateway-bridge", "--vtn", self.url, "--client-id", BL_ID, "--once",
                           "--index", str(self.tmp / "bridge-index.sqlite"), *extra)  # fmt: skip

    def mapped(self) -> Catalog:
        """The chain's objects as the gateway maps them (an index of the test's own)."""
        p, index = self.w.p, self.tmp / "check-index.sqlite"
        backend = Backend(lambda: ChainView(p, index, sync_seconds=0))
        try:
            return backend.catalog_now()
        finally:
            backend.close()

    def event_id(self, n: int) -> str:
        return f"event-{self.w.w3.eth.chain_id}-{self.w.p.requests.address.lower()[2:]}-{n}"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("bridge")
    for w in build_world(tmp):
        _setup(w)
        vtn = StandInVtn()
        with serving(vtn.app()) as url:
            yield Env(w, vtn, url, tmp)


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDBALANCE_VTN_CLIENT_SECRET", BL_SECRET)


def test_bridge__chain_events_pushed_once_with_the_mapped_fields(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, env.argv("--program", "1"))
    assert code == 0, err
    assert "pushed 1 events, 0 already on the VTN" in out
    c = env.mapped()
    [program] = env.vtn.programs
    served_program = c.program_json[c.programs[0].id]
    assert program["programName"] == "gridbalance-program-1"
    vtn_made = ("id", "createdDateTime", "modificationDateTime")
    assert {k: v for k, v in program.items() if k not in vtn_made} == {
        k: v for k, v in served_program.items() if k not in vtn_made
    }
    # event 1 only: event 3 was cancelled, event 2 is program 2's
    [event] = env.vtn.events
    served = c.event_json[env.event_id(1)]
    assert event["programID"] == program["id"]
    assert event["eventName"] == f"{served['eventName']} [{env.event_id(1)}]"
    for key in ("priority", "targets", "payloadDescriptors", "intervalPeriod", "intervals"):
        assert event[key] == served[key], key
    assert event["intervals"][0]["payloads"][0] == {"type": "PRICE", "values": [0.5]}

    # a new event on chain; a restarted bridge pushes it, and only it
    n = create_event(env.w, EVENT_DAY + timedelta(days=4))
    code, out, _ = run(capsys, env.argv("--program", "1"))
    assert code == 0 and "pushed 1 events, 1 already on the VTN" in out
    assert [e["eventName"].rsplit("[", 1)[1] for e in env.vtn.events] == [
        f"{env.event_id(1)}]",
        f"{env.event_id(n)}]",
    ]
    # once more, from a fresh index: nothing twice (the VTN's events carry the stable ids)
    (env.tmp / "bridge-index.sqlite").unlink()
    code, out, _ = run(capsys, env.argv("--program", "1"))
    assert code == 0 and "pushed 0 events, 2 already on the VTN" in out
    assert env.vtn.posts == ["POST /programs", "POST /events", "POST /events"]


def test_bridge__running__pushes_each_new_event_as_it_appears(env: Env) -> None:
    """The bridge as the command's loop runs it: one Bridge, passes after chain changes."""
    p, index = env.w.p, env.tmp / "loop-index.sqlite"
    backend = Backend(lambda: ChainView(p, index, sync_seconds=0))
    cfg = VtnConfig(url=env.url, client_id=BL_ID, client_secret=BL_SECRET)  # type: ignore[arg-type]
    vtn = Vtn(cfg).start()
    try:
        bridge = Bridge(backend.catalog_now, vtn, [ProgramLink(program=2, vtn_name=None)])
        assert len(bridge.run_pass().pushed) == 1  # event 2
        assert bridge.run_pass().pushed == []
        day = day_number(EVENT_DAY + timedelta(days=2))
        env.w.client(UTILITY).transact(
            p.requests.functions.createEvent(2, day, 69, 75, 5_000, 1), "event of program 2"
        )
        [pushed] = bridge.run_pass().pushed
        assert pushed == env.event_id(int(p.requests.functions.eventCount().call()))
        assert bridge.run_pass().pushed == []
    finally:
        vtn.close()
        backend.close()
    programs = [x["programName"] for x in env.vtn.programs]
    assert programs.count("gridbalance-program-2") == 1


def test_bridge__named_vtn_program_missing__one_line_error(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, env.argv("--program", "1=Summer-DR"))
    assert code == 1 and one_line(err)
    assert "the VTN has no program named 'Summer-DR'" in err


def test_bridge__wrong_secret_or_unknown_program__one_line_error(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, env.argv("--program", "9"))
    assert code == 1 and one_line(err) and "program 9 is not on chain" in err
    monkeypatch.setenv("GRIDBALANCE_VTN_CLIENT_SECRET", "wrong-secret-0123456789")
    code, _, err = run(capsys, env.argv("--program", "1"))
    assert code == 1 and one_line(err) and "token: HTTP 400" in err
    code, _, err = run(capsys, [*env.argv("--program", "x")])
    assert code == 2 and "a program number" in err


def test_stand_in_vtn__refuses_what_the_document_refuses(env: Env) -> None:
    """The stand-in is strict: an event without intervals is a 400, as a conforming VTN's."""
    import httpx

    token = httpx.post(f"{env.url}/auth/token", data={"grant_type": "client_credentials",
                       "client_id": BL_ID, "client_secret": BL_SECRET}).json()["access_token"]  # fmt: skip
    r = httpx.post(f"{env.url}/events", json={"programID": "x"},
                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert r.status_code == 400 and "intervals" in r.json()["detail"]
    assert json.loads(httpx.get(f"{env.url}/auth/server").text)["detail"] == "Not Found"


def test_bridge__as_a_daemon__pushes_new_events_and_ends_on_sigterm(env: Env) -> None:
    """The command without --once: it keeps passing; an event created while it runs reaches the
    VTN; SIGTERM ends it with exit 0."""
    import os
    import signal
    import subprocess
    import sys
    import time

    argv = [a for a in env.argv("--program", "1", "--poll-seconds", "0.2") if a != "--once"]
    argv[argv.index("--index") + 1] = str(env.tmp / "daemon-index.sqlite")
    proc = subprocess.Popen([sys.executable, "-m", "oracles.cli.main", *argv], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "GRIDBALANCE_VTN_CLIENT_SECRET": BL_SECRET})  # fmt: skip
    try:
        before = len(env.vtn.events)
        n = create_event(env.w, EVENT_DAY - timedelta(days=3))
        deadline = time.monotonic() + 30
        while not any(e["eventName"].endswith(f"[{env.event_id(n)}]") for e in env.vtn.events):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the bridge did not push the event"
            time.sleep(0.1)
        time.sleep(0.5)  # a few more passes: nothing twice
        assert len(env.vtn.events) == before + 1
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "OpenADR 3 bridge to" in out and "bridge stopped" in out


@pytest.mark.parametrize(
    ("honours", "expected"),
    [("both", 120), ("limit only", 50), ("skip only", 120)],
)
def test_vtn_pages__every_item_and_no_loop_on_a_careless_vtn(honours: str, expected: int) -> None:
    """The bridge pages a VTN's lists by skip/limit (50, the document's largest page); a VTN
    ignoring ``skip`` (the same page again) or ``limit`` (all at once) ends the walk."""
    import httpx

    items = [{"id": f"e{i}"} for i in range(120)]

    def page(skip: int, limit: int) -> httpx.Response:
        start = skip if honours in ("both", "skip only") else 0
        end = start + limit if honours in ("both", "limit only") else len(items)
        return httpx.Response(200, json=items[start:end])

    cfg = VtnConfig(url="http://vtn.invalid", client_id="x", client_secret="y" * 16)  # type: ignore[arg-type]
    got = Vtn(cfg)._pages("GET /events", page)
    assert [o["id"] for o in got] == [o["id"] for o in items[:expected]]
