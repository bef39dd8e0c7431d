"""`make bench STEPS=gateway` (issue 27): GET /events response times of the OpenADR 3 gateway with
1,000 events on chain.

The events are created as fast as Anvil takes them: 35 programs of one utility (P-3 allows one
event per program and local day, at most 30 days ahead, and the bench programs' cap of 30 per 30
days), 29 events each on the local days 1..29 ahead, sent as JSON-RPC batches of unsigned
transactions (eth_sendTransaction with fixed gas, automine off) and mined 500 to a block. Then the
gateway (the application `gridbalance gateway` serves, with its defaults: `--sync-seconds 2`) runs
under uvicorn on a free port, on a fresh index, and is read over HTTP with httpx:

* ``cold``: the first GET /events?limit=50: the index built from nothing (every log of the
  deployment), the block times read, 1,000 events mapped;
* ``page_50``: GET /events?limit=50, ``REQUESTS`` times (median, p95);
* ``last_page``: GET /events?skip=950&limit=50;
* ``program``: GET /events?programID=<one program> (its 29 events);
* ``whole_list``: the whole list as a client pages it (skip 0, 50, ... until a short page: 20
  requests), ``LISTS`` times.

Milliseconds, wall time on the client (``time.perf_counter``). Not a test: nothing is asserted.
Run alone: ``python -m benchmarks.gateway``.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from web3 import Web3

from benchmarks.run import REGION, Bench, _mine, program_params
from oracles.chain.anvil import rpc_call, start_anvil
from oracles.chain.client import calldata
from oracles.chain.rpc import connect
from oracles.gateway.app import Backend, create_app
from oracles.gateway.chain_view import ChainView
from oracles.gateway.clients import ClientsFile
from oracles.gateway.serving import serving
from oracles.gateway.tokens import TokenIssuer

EVENTS = 1_000
DAYS = 29  # local days 1..29 ahead: each event starts within 30 days (P-3)
PER_BLOCK = 500
REQUESTS = 100
LISTS = 20
BUDGET = 10**12  # per program (the bench utility holds 10**15)


def _send(b: Bench, calls: list[Any], gas: int, what: str) -> None:
    """``calls`` from the utility, ``PER_BLOCK`` to a block, nonces in order."""
    rpc_call(b.url, "evm_setAutomine", [False])
    try:
        for start in range(0, len(calls), PER_BLOCK):
            nonce = b.w3.eth.get_transaction_count(Web3.to_checksum_address(b.utility))
            chunk = calls[start : start + PER_BLOCK]
            _mine(b, [{"from": b.utility, "to": fn.address, "gas": hex(gas), "gasPrice": "0x0",
                       "nonce": hex(nonce + k), "data": calldata(fn)}
                      for k, fn in enumerate(chunk)], what)  # fmt: skip
    finally:
        rpc_call(b.url, "evm_setAutomine", [True])
        b.clients[b.utility].resync_nonce()


def populate(b: Bench, events: int = EVENTS) -> dict[str, Any]:
    """``events`` events of ``ceil(events / DAYS)`` programs (program 1 is the Bench's)."""
    started = time.perf_counter()
    programs = -(-events // DAYS)
    assert b.p.token is not None
    params = program_params(b.p.token.address, signed=False)
    fns = b.p.programs.functions
    _send(b, [fns.createProgram(REGION, params, BUDGET) for _ in range(programs - 1)], 1_500_000,
          "programs")  # fmt: skip
    have = int(b.p.programs.functions.programCount().call())
    if have != programs:
        raise RuntimeError(f"gateway bench: {programs} programs expected, {have} on chain")
    req = b.p.requests.functions
    calls = [req.createEvent(1 + k // DAYS, b.day0 + 1 + k % DAYS, 16, 20, 50_000, 0)
             for k in range(events)]  # fmt: skip
    _send(b, calls, 600_000, "events")
    count = int(req.eventCount().call())
    if count != events:
        raise RuntimeError(f"gateway bench: {events} events expected, {count} on chain")
    return {"programs": programs, "events": count, "seconds": round(time.perf_counter() - started, 1),
            "blocks": int(b.w3.eth.block_number)}  # fmt: skip


def _ms(seconds: float) -> float:
    return round(seconds * 1_000, 2)


def _summary(runs: list[float]) -> dict[str, Any]:
    ordered = sorted(runs)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"n": len(runs), "median_ms": _ms(statistics.median(runs)), "p95_ms": _ms(p95),
            "min_ms": _ms(ordered[0]), "max_ms": _ms(ordered[-1])}  # fmt: skip


def _timed(http: httpx.Client, params: dict[str, Any], token: str) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    r = http.get("/events", params=params, headers={"Authorization": f"Bearer {token}"})
    elapsed = time.perf_counter() - started
    if r.status_code != 200:
        raise RuntimeError(f"gateway bench: GET /events {params}: {r.status_code} {r.text[:200]}")
    return elapsed, r


def read(b: Bench, work: Path) -> dict[str, Any]:
    """The gateway over ``b``'s chain, on a fresh index, read over HTTP."""
    secret = "bench-secret-0123456789"
    clients = ClientsFile.model_validate(
        {"clients": [{"client_id": "bench", "client_secret": secret, "role": "VEN"}]}
    )
    p, index = b.p, work / "gateway-index.sqlite"
    backend = Backend(lambda: ChainView(p, index))  # the command's default --sync-seconds
    app = create_app(backend, TokenIssuer(clients))
    out: dict[str, Any] = {}
    try:
        with serving(app) as url, httpx.Client(base_url=url, timeout=120) as http:
            form = {
                "grant_type": "client_credentials",
                "client_id": "bench",
                "client_secret": secret,
            }
            token = str(http.post("/auth/token", data=form).json()["access_token"])
            elapsed, r = _timed(http, {"limit": 50}, token)
            out["cold_ms"] = _ms(elapsed)
            out["page_bytes"] = len(r.content)
            program = r.json()[0]["programID"]
            for name, params in (("page_50", {"limit": 50}), ("last_page", {"skip": 950, "limit": 50}),
                                 ("program", {"programID": program})):  # fmt: skip
                runs = [_timed(http, params, token)[0] for _ in range(REQUESTS)]
                out[name] = _summary(runs)
            out["program"]["events"] = len(_timed(http, {"programID": program}, token)[1].json())
            lists, total, pages = [], 0, 0
            for _ in range(LISTS):
                started, total, pages = time.perf_counter(), 0, 0
                while True:
                    _, r = _timed(http, {"skip": total, "limit": 50}, token)
                    total, pages = total + len(r.json()), pages + 1
                    if len(r.json()) < 50:
                        break
                lists.append(time.perf_counter() - started)
            out["whole_list"] = _summary(lists) | {"events": total, "requests": pages}
    finally:
        backend.close()
    return out


def measure() -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_anvil(accounts=10, base_fee=0, gas_limit=2**30) as chain,
    ):
        b = Bench(connect(chain.url), chain.url, Path(tmp))
        chain_side = populate(b)
        print(f"bench: {chain_side['events']} events of {chain_side['programs']} programs in "
              f"{chain_side['seconds']} s", file=sys.stderr)  # fmt: skip
        return {"chain": chain_side, **read(b, Path(tmp))}


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
