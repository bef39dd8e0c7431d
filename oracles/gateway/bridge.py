"""The outbound bridge (issue 27 item 3): each event created on chain for the programs named is
pushed to a utility's existing OpenADR 3 VTN, as a business-logic (BL) client, through
``python-oa3-client``'s ``BlClient`` (``openadr3`` 0.5.0's ``OpenADRClient`` underneath: its
``create_event`` and ``create_program`` are POST /events and POST /programs). ``toadr3`` 0.29.0
cannot: it is a VEN library, with no call that creates an event.

* The events come from the log index (:class:`~oracles.gateway.chain_view.ChainView`, an index of
  the bridge's own) mapped exactly as the gateway serves them (:mod:`oracles.gateway.mapping`),
  but for what the VTN provisions (``id``, ``createdDateTime``, ``modificationDateTime``,
  ``objectType``) and ``programID``, the VTN's id of the program linked.
* A chain program is linked to the VTN program of a name: ``gridbalance-program-<n>`` by default,
  created on the VTN from the mapped program when it has none; an explicit name must exist there.
* Idempotent: an event carries its stable id (``event-<chainId>-<contract>-<eventId>``) at the end
  of its ``eventName`` (``GridBalance event 4 (voluntary) [event-31337-...-4]``; the document
  gives the name to "debugging or User Interface" and the VTN assigns ids). At start the bridge
  reads the VTN's events of each linked program and pushes only the stable ids not there, so a
  restarted bridge (or two in turn) never sends one twice.
* A cancelled event is not pushed; one already pushed stays on the VTN (deleting it there is left
  to the utility: its VEN may have acted on it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from oracles.gateway.catalog import Catalog

log = logging.getLogger("gridbalance.bridge")

PROVISIONED = ("id", "createdDateTime", "modificationDateTime", "objectType")
PAGE = 50  # the document's largest page
_STABLE = re.compile(r"\[(event-[0-9]{1,20}-[0-9a-f]{40}-[0-9]{1,20})\]$")


class VtnError(ValueError):
    """The VTN refused or failed a call (one line: the call, the status, its problem's detail)."""


class ProgramLink(BaseModel):
    """A chain program and the name of its program on the VTN."""

    model_config = ConfigDict(frozen=True)

    program: int = Field(ge=1)
    vtn_name: str | None = Field(default=None, min_length=1, max_length=128)

    @property
    def name(self) -> str:
        return self.vtn_name or f"gridbalance-program-{self.program}"

    @classmethod
    def parse(cls, text: str) -> ProgramLink:
        """``4`` or ``4=Summer-DR`` (``--program``)."""
        number, _, name = text.partition("=")
        if not number.strip().isdigit():
            raise ValueError(
                f"--program {text!r}: a program number, optionally =<VTN program name>"
            )
        return cls(program=int(number), vtn_name=name.strip() or None)


class VtnConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str = Field(min_length=1)
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    token_url: str | None = None  # None: GET /auth/server names it, else <url>/auth/token


def stable_id(event_name: object) -> str | None:
    """The stable id at the end of an ``eventName`` the bridge wrote, None for any other."""
    m = _STABLE.search(event_name) if isinstance(event_name, str) else None
    return m.group(1) if m else None


def outbound_event(served: dict[str, Any], vtn_program_id: str) -> dict[str, Any]:
    """An event as the gateway serves it, as the body of POST /events on the VTN."""
    body = {k: v for k, v in served.items() if k not in PROVISIONED}
    body["programID"] = vtn_program_id
    name = str(served.get("eventName") or "GridBalance event")
    body["eventName"] = f"{name} [{served['id']}]"
    return body


def outbound_program(served: dict[str, Any], name: str) -> dict[str, Any]:
    body = {k: v for k, v in served.items() if k not in PROVISIONED}
    body["programName"] = name
    return body


class Vtn:
    """The VTN through ``python-oa3-client``'s BL client; a token refused (403) is asked for again
    once."""

    def __init__(self, cfg: VtnConfig) -> None:
        self.cfg = cfg
        self._client: Any = None

    def start(self) -> Vtn:
        from openadr3_client import BlClient  # type: ignore[import-untyped]

        try:
            token = self._token()
        except httpx.TransportError as exc:
            raise VtnError(f"token from {self.cfg.url}: {type(exc).__name__}") from None
        self._client = BlClient(url=self.cfg.url, token=token).start()
        return self

    def close(self) -> None:
        if self._client is not None:
            self._client.stop()
            self._client = None

    def program_id(self, name: str) -> str | None:
        for p in self._pages("GET /programs", lambda **q: self._client.get_programs(**q)):
            if p.get("programName") == name:
                return str(p["id"])
        return None

    def create_program(self, body: dict[str, Any]) -> str:
        made = self._call("POST /programs", lambda: self._client.create_program(body))
        return str(made["id"])

    def events(self, program_id: str) -> list[dict[str, Any]]:
        return self._pages("GET /events",
                           lambda **q: self._client.get_events(programID=program_id, **q))  # fmt: skip

    def create_event(self, body: dict[str, Any]) -> dict[str, Any]:
        made: dict[str, Any] = self._call("POST /events", lambda: self._client.create_event(body))
        return made

    # ------------------------------------------------------------------ internals

    def _token(self) -> str:
        from openadr3.auth import fetch_token

        secret = self.cfg.client_secret.get_secret_value()
        try:
            return str(fetch_token(self.cfg.url, self.cfg.client_id, secret,
                                   token_url=self.cfg.token_url))  # fmt: skip
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code != 404 or self.cfg.token_url is not None:
                raise VtnError(f"token: {_refusal(exc.response)}") from None
        # a 3.0.1 VTN without GET /auth/server: the document's token path
        try:
            return str(fetch_token(self.cfg.url, self.cfg.client_id, secret,
                                   token_url=self.cfg.url.rstrip("/") + "/auth/token"))  # fmt: skip
        except httpx.HTTPStatusError as exc:
            raise VtnError(f"token: {_refusal(exc.response)}") from None

    def _call(self, what: str, fn: Callable[[], httpx.Response]) -> Any:
        try:
            r = fn()
            if r.status_code == 403:  # the token may have expired: once more with a new one
                self.close()
                self.start()
                r = fn()
        except httpx.TransportError as exc:
            raise VtnError(f"{what} on {self.cfg.url}: {type(exc).__name__}") from None
        if not 200 <= r.status_code < 300:
            raise VtnError(f"{what} on {self.cfg.url}: {_refusal(r)}")
        return r.json()

    def _pages(self, what: str, fn: Callable[..., httpx.Response]) -> list[dict[str, Any]]:
        """Every item, page by page; a VTN that ignores ``limit`` (a longer page) or ``skip`` (a
        page seen before) ends the walk instead of looping."""
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        while True:
            page = self._call(what, lambda: fn(skip=len(out), limit=PAGE))
            if not isinstance(page, list):
                raise VtnError(f"{what} on {self.cfg.url}: the answer is not a list")
            fresh = [o for o in page if str(o.get("id")) not in seen]
            out.extend(fresh)
            seen |= {str(o.get("id")) for o in fresh}
            if len(page) != PAGE or len(fresh) < len(page):
                return out


def _refusal(r: httpx.Response) -> str:
    try:
        detail = r.json().get("detail") or r.json().get("error_description") or r.text
    except ValueError:
        detail = r.text
    return f"HTTP {r.status_code}: {str(detail)[:200]}"


@dataclass
class PassStats:
    pushed: list[str] = field(default_factory=list)  # stable ids pushed in this pass
    on_vtn: int = 0  # events of the linked programs already there


class Bridge:
    """Pushes the linked programs' new events; ``catalog`` gives the chain's objects as the
    gateway maps them (``Backend.catalog_now``)."""

    def __init__(self, catalog: Callable[[], Catalog], vtn: Vtn, links: list[ProgramLink]) -> None:
        self._catalog = catalog
        self._vtn = vtn
        self._links = links
        self._vtn_programs: dict[int, str] = {}  # chain program -> VTN program id
        self._on_vtn: set[str] = set()  # stable ids the VTN holds

    def run_pass(self) -> PassStats:
        c = self._catalog()
        stats = PassStats()
        for link in self._links:
            chain_id = self._chain_program(c, link)
            vtn_id = self._vtn_programs.get(link.program)
            if vtn_id is None:
                vtn_id = self._link(c, link, chain_id)
            for e in c.events:
                if e.programID != chain_id:
                    continue
                if e.id in self._on_vtn:
                    stats.on_vtn += 1
                    continue
                made = self._vtn.create_event(outbound_event(c.event_json[e.id], vtn_id))
                self._on_vtn.add(e.id)
                stats.pushed.append(e.id)
                log.info("bridge: %s pushed as %s (VTN program %s)", e.id, made.get("id"), vtn_id)
        return stats

    def _chain_program(self, c: Catalog, link: ProgramLink) -> str:
        for p in c.programs:
            if p.programName == f"gridbalance-program-{link.program}":
                return p.id
        raise VtnError(f"program {link.program} is not on chain (block {c.last_block})")

    def _link(self, c: Catalog, link: ProgramLink, chain_id: str) -> str:
        """The VTN's program for ``link`` (created when the default name has none) and the stable
        ids of its events already there."""
        vtn_id = self._vtn.program_id(link.name)
        if vtn_id is None:
            if link.vtn_name is not None:
                raise VtnError(f"the VTN has no program named {link.name!r} (--program "
                               f"{link.program}={link.name})")  # fmt: skip
            vtn_id = self._vtn.create_program(outbound_program(c.program_json[chain_id], link.name))
            log.info("bridge: program %s created on the VTN as %s", link.name, vtn_id)
        self._vtn_programs[link.program] = vtn_id
        found = {stable_id(e.get("eventName")) for e in self._vtn.events(vtn_id)}
        self._on_vtn |= {s for s in found if s is not None}
        return vtn_id
