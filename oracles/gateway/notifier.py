"""Notifications of subscriptions (:mod:`oracles.gateway.subscriptions`) from the chain: a background
task brings the gateway's catalog up to the log index every ``poll_seconds`` while a subscription
exists (the index syncs at most every ``--sync-seconds``) and compares it with the catalog it saw
before; a new subscription first lets it catch up, so what was indexed before is never new to it. What is new there
happened on chain, never through the gateway (it writes no program or event):

* a program in the catalog for the first time: ``PROGRAM`` ``CREATE`` (notification operation
  ``POST``), to every subscription naming ``PROGRAM``, whatever its ``programID`` (a new program's
  id cannot be named before it exists);
* an event in the catalog for the first time: ``EVENT`` ``CREATE`` (``POST``), to the
  subscriptions of its program (``programID``);
* an event cancelled on chain (``EventCancelled``, P-5/P-6): ``EVENT`` ``DELETE`` (``DELETE``),
  with the event as it was served.

A subscription's ``targets`` filter further: each target type it names must be one of the object's
with a value in common. Each object is announced once: an event taken back by a reorg and mined
again is not announced twice.

Each callback URL has a queue and one worker, so its notifications arrive in chain order. A
delivery is the document's ``notification`` POSTed as JSON (``Authorization: Bearer`` the
subscription's ``bearerToken`` when it has one); any 2xx accepts it. A refused or unreachable
callback is tried again after ``backoff``, 2 x ``backoff``, 4 x ... seconds, ``attempts`` times in
all, then logged and dropped: a callback that keeps failing never stops the gateway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from oracles.gateway.app import Authorize, Backend, Extension
from oracles.gateway.catalog import Catalog
from oracles.gateway.objects import ValuesMap
from oracles.gateway.subscriptions import PATHS, Subscription, SubscriptionBook, install_routes

log = logging.getLogger("gridbalance.gateway")

Json = dict[str, object]


@dataclass(frozen=True)
class Change:
    """One operation found on chain: the object's type, the subscription operation it is, the
    notification operation, the object as served."""

    object_type: str  # PROGRAM, EVENT
    operation: str  # CREATE, DELETE
    verb: str  # POST, DELETE
    program_id: str | None  # an event's program
    body: Json

    def notification(self) -> Json:
        out: Json = {"objectType": self.object_type, "operation": self.verb, "object": self.body}
        targets = self.body.get("targets")
        if targets is not None:
            out["targets"] = targets
        return out


@dataclass(frozen=True)
class Delivery:
    url: str
    token: str | None
    body: Json
    what: str  # for the log: "EVENT POST event-... to subscription-..."


def changes(before: Catalog, after: Catalog, announced: set[str]) -> list[Change]:
    """What happened on chain between two catalogs, programs first, each in on-chain id order."""
    out: list[Change] = []
    for p in after.programs:
        if p.id not in before.program_json and p.id not in announced:
            out.append(Change("PROGRAM", "CREATE", "POST", None, after.program_json[p.id]))
    for e in after.events:
        if e.id not in before.event_json and e.id not in announced:
            out.append(Change("EVENT", "CREATE", "POST", e.programID, after.event_json[e.id]))
    for eid in after.cancelled:
        gone = before.event_json.get(eid)
        if eid not in before.cancelled and gone is not None:
            out.append(Change("EVENT", "DELETE", "DELETE", str(gone["programID"]), gone))
    return out


def _targets(body: Json) -> list[ValuesMap]:
    raw = body.get("targets")
    return [ValuesMap.model_validate(t) for t in raw] if isinstance(raw, list) else []


def wants(s: Subscription, c: Change) -> bool:
    """Whether subscription ``s`` is told of ``c`` (its objects and operations aside)."""
    if c.program_id is not None and s.programID != c.program_id:
        return False
    have = _targets(c.body)
    for t in s.targets or []:
        wanted = {str(v) for v in t.values}
        if not any(h.type == t.type and wanted & {str(v) for v in h.values} for h in have):
            return False
    return True


def deliveries(subs: list[Subscription], found: list[Change]) -> list[Delivery]:
    """Each change to each callback of each subscription that wants it (one per callback URL and
    token within a subscription)."""
    out: list[Delivery] = []
    for c in found:
        for s in subs:
            if not wants(s, c):
                continue
            seen: set[tuple[str, str | None]] = set()
            for op in s.objectOperations:
                key = (op.callbackUrl, op.bearerToken)
                if c.object_type in op.objects and c.operation in op.operations and key not in seen:
                    seen.add(key)
                    out.append(Delivery(op.callbackUrl, op.bearerToken, c.notification(),
                                        f"{c.object_type} {c.verb} {c.body.get('id')} to {s.id}"))  # fmt: skip
    return out


class Notifier:
    def __init__(
        self,
        catalog: Callable[[], Awaitable[Catalog]],
        book: SubscriptionBook,
        *,
        poll_seconds: float = 1.0,
        attempts: int = 5,
        backoff: float = 1.0,
        timeout: float = 10.0,
    ) -> None:
        self._catalog = catalog
        self._book = book
        self._poll = poll_seconds
        self._attempts = attempts
        self._backoff = backoff
        self._timeout = timeout
        self._last: Catalog | None = None
        self._announced: set[str] = set()
        self._lock = asyncio.Lock()
        self._queues: dict[str, asyncio.Queue[Delivery]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._http: httpx.AsyncClient | None = None
        self.delivered = 0
        self.dropped = 0

    async def step(self) -> int:
        """Compare the catalog with the last one seen and queue what subscribers want; the number
        of deliveries queued."""
        async with self._lock:
            c = await self._catalog()
            before, self._last = self._last, c
            if before is None or before is c:
                return 0
            found = changes(before, c, self._announced)
            self._announced |= {str(x.body["id"]) for x in found if x.operation == "CREATE"}
            queued = deliveries(self._book.all(), found)
            for d in queued:
                self._queue(d.url).put_nowait(d)
            if found:
                log.info("notifier: block %d, %d changes, %d deliveries queued", c.last_block,
                         len(found), len(queued))  # fmt: skip
            return len(queued)

    async def step_quietly(self) -> None:
        await self.step()

    async def run(self) -> None:
        while True:
            try:
                if self._book.items:  # idle without subscriptions: a POST catches up first
                    await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # the chain side failing must not end notifications for good
                log.exception("notifier: the catalog could not be read; trying again")
            await asyncio.sleep(self._poll)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The polling task and the HTTP client, while the application runs."""
        self._http = httpx.AsyncClient(timeout=self._timeout)
        task = asyncio.create_task(self.run(), name="gateway-notifier")
        try:
            yield
        finally:
            for t in [task, *self._workers]:
                t.cancel()
            for t in [task, *self._workers]:
                with suppress(asyncio.CancelledError):
                    await t
            await self._http.aclose()

    # ------------------------------------------------------------------ internals

    def _queue(self, url: str) -> asyncio.Queue[Delivery]:
        q = self._queues.get(url)
        if q is None:
            q = self._queues[url] = asyncio.Queue()
            self._workers.append(asyncio.create_task(self._work(q), name=f"notify {url}"))
        return q

    async def _work(self, q: asyncio.Queue[Delivery]) -> None:
        while True:
            d = await q.get()
            if await self._deliver(d):
                self.delivered += 1
            else:
                self.dropped += 1
            q.task_done()

    async def _deliver(self, d: Delivery) -> bool:
        assert self._http is not None
        headers = {"Authorization": f"Bearer {d.token}"} if d.token else {}
        problem = ""
        for attempt in range(self._attempts):
            try:
                r = await self._http.post(d.url, json=d.body, headers=headers)
                if 200 <= r.status_code < 300:
                    return True
                problem = f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            if attempt + 1 < self._attempts:
                await asyncio.sleep(self._backoff * 2**attempt)
        log.warning("notifier: %s: %s failed %d times (%s); dropped", d.url, d.what,
                    self._attempts, problem)  # fmt: skip
        return False


def extension(
    backend: Backend,
    *,
    book: SubscriptionBook | None = None,
    poll_seconds: float = 1.0,
    attempts: int = 5,
    backoff: float = 1.0,
) -> tuple[Extension, Notifier]:
    """The subscription operations and their notifier for :func:`~oracles.gateway.app.create_app`."""
    book = book or SubscriptionBook()
    notifier = Notifier(backend.catalog, book, poll_seconds=poll_seconds, attempts=attempts,
                        backoff=backoff)  # fmt: skip

    def install(app: FastAPI, grant: Authorize) -> None:
        install_routes(app, grant, book, notifier.step_quietly)

    return Extension(PATHS, install, notifier.running), notifier
