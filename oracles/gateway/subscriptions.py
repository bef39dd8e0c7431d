"""Subscriptions (OpenADR 3.0.1 ``/subscriptions``, ``/subscriptions/{subscriptionID}``): a client
names objects (``PROGRAM``, ``EVENT``, ...), operations (``CREATE``, ``DELETE``, ...) and a
``callbackUrl``; the gateway POSTs the document's ``notification`` object there when such an
operation happens on chain (:mod:`oracles.gateway.notifier` finds them in the log index).

* ``POST /subscriptions`` (scope ``write_subscriptions``) answers 201 with the subscription and its
  id; ``GET`` (``read_all``) searches by ``programID``, ``clientName``, ``targetType`` and
  ``targetValues``, ``objects``, ``skip`` and ``limit``; ``GET``/``PUT``/``DELETE`` by id.
* A client sees and changes its own subscriptions; a BL client (the utility's systems) sees and
  changes every one. Another client's id is a 404, as an unknown one.
* A body that is not the document's ``subscription`` (a missing field, an object or operation the
  document does not name, a ``callbackUrl`` that is no absolute http(s) URL) is a 400 problem naming
  the field. The VTN-provisioned fields of a body (``id``, ``createdDateTime``,
  ``modificationDateTime``, ``objectType``) are ignored; a field the schema does not have is a 400.
* Subscriptions live in the gateway's memory, as its tokens do: a restart ends them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, get_args
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from oracles.gateway.clients import Role
from oracles.gateway.ids import is_object_id
from oracles.gateway.mapping import date_time
from oracles.gateway.objects import ValuesMap, Wire
from oracles.gateway.problems import bad_request, not_found
from oracles.gateway.queries import Search, parse_search
from oracles.gateway.tokens import Grant

ObjectType = Literal["PROGRAM", "EVENT", "REPORT", "SUBSCRIPTION", "VEN", "RESOURCE"]
OBJECT_TYPES: tuple[str, ...] = get_args(ObjectType)
Operation = Literal["READ", "CREATE", "UPDATE", "DELETE"]
PATHS = frozenset({"/subscriptions", "/subscriptions/{subscriptionID}"})
MAX_URL = 2_048
PROVISIONED = ("id", "createdDateTime", "modificationDateTime", "objectType")


class ObjectOperation(Wire):
    """One item of ``subscription.objectOperations``."""

    objects: list[ObjectType]
    operations: list[Operation]
    callbackUrl: str = Field(max_length=MAX_URL)
    bearerToken: str | None = None

    @field_validator("callbackUrl")
    @classmethod
    def _http_url(cls, v: str) -> str:
        try:
            parts = urlsplit(v)
            parts.port  # noqa: B018 (a bad port raises here)
        except ValueError:
            raise ValueError(f"{v!r} is no URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{v!r} is no absolute http(s) URL")
        return v


class SubscriptionBody(BaseModel):
    """What a client sends (POST, PUT): the document's ``subscription`` without the fields the VTN
    provisions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    clientName: str = Field(min_length=1, max_length=128)
    programID: str
    objectOperations: list[ObjectOperation]
    targets: list[ValuesMap] | None = None

    @field_validator("programID")
    @classmethod
    def _object_id(cls, v: str) -> str:
        if not is_object_id(v):
            raise ValueError(f"{v!r} is no objectID (1..128 of A-Z a-z 0-9 _ -)")
        return v


class Subscription(Wire):
    """``subscription`` as the gateway answers with it."""

    id: str
    createdDateTime: str
    modificationDateTime: str
    objectType: Literal["SUBSCRIPTION"] = "SUBSCRIPTION"
    clientName: str
    programID: str
    objectOperations: list[ObjectOperation]
    targets: list[ValuesMap] | None = None


@dataclass
class Stored:
    subscription: Subscription
    owner: str  # the client_id of the token that created it

    def visible_to(self, g: Grant) -> bool:
        return g.role is Role.BL or g.client_id == self.owner


@dataclass
class SubscriptionBook:
    """The gateway's subscriptions, by id, in creation order."""

    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    items: dict[str, Stored] = field(default_factory=dict)

    def add(self, body: SubscriptionBody, owner: str) -> Subscription:
        stamp = date_time(self.now())
        sid = f"subscription-{secrets.token_hex(8)}"
        sub = Subscription(id=sid, createdDateTime=stamp, modificationDateTime=stamp,
                           **body.model_dump())  # fmt: skip
        self.items[sid] = Stored(sub, owner)
        return sub

    def replace(self, sid: str, body: SubscriptionBody) -> Subscription:
        old = self.items[sid].subscription
        sub = Subscription(id=sid, createdDateTime=old.createdDateTime,
                           modificationDateTime=date_time(self.now()), **body.model_dump())  # fmt: skip
        self.items[sid].subscription = sub
        return sub

    def remove(self, sid: str) -> Subscription:
        return self.items.pop(sid).subscription

    def all(self) -> list[Subscription]:
        return [s.subscription for s in self.items.values()]


def parse_body(raw: bytes) -> SubscriptionBody:
    """A request body as a subscription, or a 400 problem naming the first bad field."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad_request("the body is not JSON (application/json: a subscription)") from None
    if not isinstance(data, dict):
        raise bad_request("the body must be a JSON object (a subscription)")
    given = {k: v for k, v in data.items() if k not in PROVISIONED}
    try:
        return SubscriptionBody.model_validate(given)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "body"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise bad_request(f"{where}: {message}") from None


@dataclass(frozen=True)
class SubscriptionSearch:
    search: Search
    client_name: str | None
    objects: frozenset[str]

    def matches(self, s: Subscription) -> bool:
        q = self.search
        kinds = {o for op in s.objectOperations for o in op.objects}
        return (
            (q.program_id is None or s.programID == q.program_id)
            and (self.client_name is None or s.clientName == self.client_name)
            and (not self.objects or bool(kinds & self.objects))
            and q.matches(s.targets or [])
        )


def parse_subscription_search(request: Request) -> SubscriptionSearch:
    q = request.query_params
    names = q.getlist("clientName")
    if len(names) > 1:
        raise bad_request(f"clientName: given {len(names)} times; it takes one value")
    objects = q.getlist("objects")
    unknown = [o for o in objects if o not in OBJECT_TYPES]
    if unknown:
        raise bad_request(
            f"objects: {unknown[0]!r} is not an object type ({', '.join(OBJECT_TYPES)})"
        )
    return SubscriptionSearch(parse_search(q, with_program=True), names[0] if names else None,
                              frozenset(objects))  # fmt: skip


def install_routes(
    app: FastAPI,
    grant: Callable[[Request, str], Grant],
    book: SubscriptionBook,
    before_add: Callable[[], Awaitable[None]],
) -> None:
    """The five operations of the document on ``book``. ``before_add`` runs before a subscription is added: the notifier catches up with the index, so
    that an object already indexed is never new to the subscription."""

    def mine(request: Request, sid: str, scope: str) -> tuple[Grant, Stored]:
        g = grant(request, scope)
        if not is_object_id(sid):
            raise bad_request(f"subscriptionID: {sid!r} is no objectID (1..128 of A-Z a-z 0-9 _ -)")
        found = book.items.get(sid)
        if found is None or not found.visible_to(g):
            raise not_found(f"no subscription has id {sid!r}")
        return g, found

    @app.get("/subscriptions")
    async def search_subscriptions(request: Request) -> JSONResponse:
        g = grant(request, "read_all")
        q = parse_subscription_search(request)
        found = [s.subscription for s in book.items.values()
                 if s.visible_to(g) and q.matches(s.subscription)]  # fmt: skip
        return JSONResponse([s.dump() for s in q.search.page(found)])

    @app.post("/subscriptions")
    async def create_subscription(request: Request) -> JSONResponse:
        g = grant(request, "write_subscriptions")
        body = parse_body(await request.body())
        await before_add()
        return JSONResponse(book.add(body, g.client_id).dump(), status_code=201)

    @app.get("/subscriptions/{subscriptionID}")
    async def subscription_by_id(request: Request, subscriptionID: str) -> JSONResponse:
        _, found = mine(request, subscriptionID, "read_all")
        return JSONResponse(found.subscription.dump())

    @app.put("/subscriptions/{subscriptionID}")
    async def update_subscription(request: Request, subscriptionID: str) -> JSONResponse:
        mine(request, subscriptionID, "write_subscriptions")
        body = parse_body(await request.body())
        return JSONResponse(book.replace(subscriptionID, body).dump())

    @app.delete("/subscriptions/{subscriptionID}")
    async def delete_subscription(request: Request, subscriptionID: str) -> JSONResponse:
        mine(request, subscriptionID, "write_subscriptions")
        return JSONResponse(book.remove(subscriptionID).dump())
