"""``/vens`` and ``/vens/{venID}/resources`` (OpenADR 3.0.1; the document has no top-level
``/resources``, which 3.1 adds): a VEN is a VEN client of the clients file tied to a registered,
active consumer (attribute ``CONSUMER_ADDRESS``); a resource is one of that consumer's meters
(attribute ``METER_ID``, or its ``resourceName`` when that attribute is absent).

Who may do what (scopes as the document gives them: ``read_all`` to read, ``write_vens`` to write):

* a VEN's ``venName`` is the ``client_id`` of its VEN client; a VEN client creates, reads, changes
  and deletes its own VEN and resources only (another's: 403); a BL client may do so for any VEN
  client of the clients file;
* ``targets`` are the VTN's, from the chain: ``SERVICE_AREA`` the consumer's region, ``GROUP`` its
  class (a body's targets are ignored);
* a meter is one resource at most (another: 409), a ``venName`` one VEN, a ``resourceName`` one
  resource of its VEN (409); a VEN's consumer does not change while it has resources (409).

The chain is asked when a VEN or resource is written (``consumer``, ``meterOwner``), never on a
read: a read serves the registry.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from eth_utils.crypto import keccak
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from web3 import Web3

from oracles.gateway.chain_view import ChainView
from oracles.gateway.desk import Desk, now_text
from oracles.gateway.ids import is_object_id
from oracles.gateway.mapping import GROUP, SERVICE_AREA
from oracles.gateway.objects import ValuesMap
from oracles.gateway.problems import ProblemError, bad_request, forbidden, not_found
from oracles.gateway.queries import Search, parse_search
from oracles.gateway.registry import ResourceRow, VenRow, number
from oracles.gateway.tokens import Grant
from oracles.gateway.ven_objects import (
    CONSUMER_ADDRESS,
    METER_ID,
    Resource,
    ResourceIn,
    Ven,
    VenIn,
    check_object_type,
    parse_body,
)
from oracles.protocol.enums import ConsumerStatus

# names as targets (3.1 clients look VENs up so)
VEN_NAME, RESOURCE_NAME = "VEN_NAME", "RESOURCE_NAME"

GrantFn = Callable[[Request, str], Grant]
Call = Callable[[Callable[[ChainView], Any]], Any]


def conflict(detail: str) -> ProblemError:
    return ProblemError(409, detail)


# ---------------------------------------------------------------------------------- objects


def targets(ven: VenRow) -> list[ValuesMap]:
    return [ValuesMap(type=SERVICE_AREA, values=[str(ven.region)]),
            ValuesMap(type=GROUP, values=[ven.consumer_class])]  # fmt: skip


def resource_object(r: ResourceRow, ven: VenRow) -> Resource:
    return Resource(
        id=r.id,
        createdDateTime=r.created,
        modificationDateTime=r.modified,
        resourceName=r.resource_name,
        venID=r.ven_id,
        attributes=[ValuesMap.model_validate(a) for a in r.attributes],
        targets=targets(ven),
    )


def ven_object(v: VenRow, resources: list[ResourceRow]) -> Ven:
    return Ven(
        id=v.id,
        createdDateTime=v.created,
        modificationDateTime=v.modified,
        venName=v.ven_name,
        attributes=[ValuesMap.model_validate(a) for a in v.attributes],
        targets=targets(v),
        resources=[resource_object(r, v) for r in resources],
    )


# ---------------------------------------------------------------------------------- checks


def _attribute(attributes: list[ValuesMap] | None, kind: str) -> str | None:
    found = [a for a in attributes or [] if a.type == kind]
    if not found:
        return None
    if len(found) > 1 or len(found[0].values) != 1 or not isinstance(found[0].values[0], str):
        raise bad_request(f"attribute {kind} takes one string value (given {found[0].values!r})")
    return str(found[0].values[0])


def _consumer(view: ChainView, attributes: list[ValuesMap] | None) -> tuple[str, int, str]:
    """The VEN's consumer (address, region, class) from its CONSUMER_ADDRESS attribute."""
    text = _attribute(attributes, CONSUMER_ADDRESS)
    if text is None:
        raise bad_request(f"a VEN needs attribute {CONSUMER_ADDRESS}: the address of the "
                          "registered consumer it reports for")  # fmt: skip
    if not Web3.is_address(text):
        raise bad_request(f"{CONSUMER_ADDRESS} {text!r} is not an address")
    address = Web3.to_checksum_address(text)
    c = view.p.consumer(address)
    if c.status != ConsumerStatus.Active or not c.id:
        state = "not registered" if c.status == ConsumerStatus.None_ else c.status.name.lower()
        raise bad_request(f"{address} is no active consumer of ConsumerRegistry ({state}): "
                          "register and activate it first")  # fmt: skip
    return address, c.region_id, c.consumer_class.name.upper()


def _meter(view: ChainView, ven: VenRow, body: ResourceIn, n: int = 0) -> ResourceRow:
    """The resource's row: its meter owned by the VEN's consumer."""
    meter_id = _attribute(body.attributes, METER_ID) or body.resourceName
    owner = str(view.p.consumers.functions.meterOwner(keccak(text=meter_id)).call())
    if int(owner, 16) == 0:
        raise bad_request(f"unknown meter {meter_id!r}: no consumer registered it "
                          "(ConsumerRegistry.meterOwner)")  # fmt: skip
    if Web3.to_checksum_address(owner) != ven.consumer:
        raise bad_request(f"meter {meter_id!r} is consumer {Web3.to_checksum_address(owner)}'s, "
                          f"not {ven.consumer}'s, the consumer of VEN {ven.ven_name!r}")  # fmt: skip
    c = view.p.consumer(ven.consumer)
    if c.status != ConsumerStatus.Active or not c.id:
        raise bad_request(f"{ven.consumer}, the consumer of VEN {ven.ven_name!r}, is no longer "
                          f"active ({c.status.name.lower()})")  # fmt: skip
    attributes = [a.dump() for a in body.attributes or []]
    return ResourceRow(n, ven.n, body.resourceName, meter_id, c.id, c.region_id, c.activation_day,
                       attributes, "", "")  # fmt: skip


def _check_resource_body(body: ResourceIn, ven_id: str) -> None:
    check_object_type(body.objectType, "RESOURCE")
    if body.venID is not None and body.venID != ven_id:
        raise bad_request(f"venID {body.venID!r} is not the path's {ven_id!r}")


def _one_param(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise bad_request(f"{name}: given {len(values)} times; it takes one value")
    return values[0] if values else None


def _matches(q: Search, name_param: str | None, kind: str, name: str, own: list[ValuesMap]) -> bool:
    if name_param is not None and name != name_param:
        return False
    return q.matches([*own, ValuesMap(type=kind, values=[name])])


# ---------------------------------------------------------------------------------- routes


def install_vens(app: FastAPI, grant: GrantFn, call: Call, desk: Desk) -> None:
    def may(g: Grant, ven: VenRow) -> None:
        if g.role.value == "VEN" and ven.client_id != g.client_id:
            raise forbidden(f"VEN {ven.id} ({ven.ven_name!r}) is not client "
                            f"{g.client_id!r}'s: a VEN client sees its own VEN only")  # fmt: skip

    def ven_row(venID: str) -> VenRow:
        if not is_object_id(venID):
            raise bad_request(f"venID: {venID!r} is no objectID (1..128 of A-Z a-z 0-9 _ -)")
        n = number(venID, "ven")
        found = desk.registry.ven(n) if n is not None else None
        if found is None:
            raise not_found(f"no VEN has id {venID!r}")
        return found

    def resource_row(ven: VenRow, resourceID: str) -> ResourceRow:
        if not is_object_id(resourceID):
            raise bad_request(
                f"resourceID: {resourceID!r} is no objectID (1..128 of A-Z a-z 0-9 _ -)"
            )
        n = number(resourceID, "resource")
        found = desk.registry.resource(n) if n is not None else None
        if found is None or found.ven != ven.n:
            raise not_found(f"VEN {ven.id} has no resource {resourceID!r}")
        return found

    def new_resource(view: ChainView, db: sqlite3.Connection, ven: VenRow, body: ResourceIn,
                     now: str) -> int:  # fmt: skip
        row = _meter(view, ven, body)
        taken = desk.registry.resource_of_meter(row.meter_id)
        if taken is not None:
            raise conflict(f"meter {row.meter_id!r} is resource {taken.id} of VEN {taken.ven_id} "
                           "already: a meter is one resource")  # fmt: skip
        try:
            return desk.registry.add_resource(db, ven.n, row, now)
        except sqlite3.IntegrityError:
            raise conflict(
                f"VEN {ven.id} has a resource named {body.resourceName!r} already"
            ) from None

    # ------------------------------------------------------------------ /vens

    @app.get("/vens")
    async def search_vens(request: Request) -> JSONResponse:
        g = grant(request, "read_all")
        q = parse_search(request.query_params, with_program=False)
        name = _one_param(request, "venName")

        def read(view: ChainView) -> list[dict[str, object]]:
            reg = desk.registry
            rows = reg.vens() if g.role.value == "BL" else reg.vens_of(g.client_id)
            found = [v for v in rows if _matches(q, name, VEN_NAME, v.ven_name, targets(v))]
            return [ven_object(v, reg.resources(v.n)).dump() for v in q.page(found)]

        return JSONResponse(await call(read))

    @app.post("/vens")
    async def create_ven(request: Request) -> JSONResponse:
        g = grant(request, "write_vens")
        body = parse_body(VenIn, await request.body(), "ven")
        check_object_type(body.objectType, "VEN")
        if g.role.value == "VEN" and body.venName != g.client_id:
            raise forbidden(f"a VEN client creates its own VEN only: venName must be "
                            f"{g.client_id!r}, not {body.venName!r}")  # fmt: skip
        if body.venName not in desk.ven_clients:
            raise bad_request(f"venName {body.venName!r} is no VEN client of the gateway's clients "
                              "file: a VEN's venName is its client's client_id")  # fmt: skip
        for r in body.resources or []:
            check_object_type(r.objectType, "RESOURCE")

        def write(view: ChainView) -> dict[str, object]:
            reg = desk.registry
            consumer = _consumer(view, body.attributes)
            attributes = [a.dump() for a in body.attributes or []]
            for a in attributes:  # the address as the chain spells it
                if a["type"] == CONSUMER_ADDRESS:
                    a["values"] = [consumer[0]]
            if reg.ven_named(body.venName) is not None:
                raise conflict(f"a VEN named {body.venName!r} exists already")
            now = now_text()
            with reg.transaction() as db:
                n = reg.add_ven(db, body.venName, body.venName, consumer, attributes, now)
                ven = reg.ven(n)
                assert ven is not None
                for r in body.resources or []:
                    new_resource(view, db, ven, r, now)
            return ven_object(ven, reg.resources(n)).dump()

        return JSONResponse(await call(write), status_code=201)

    @app.get("/vens/{venID}")
    async def ven_by_id(request: Request, venID: str) -> JSONResponse:
        g = grant(request, "read_all")

        def read(view: ChainView) -> dict[str, object]:
            ven = ven_row(venID)
            may(g, ven)
            return ven_object(ven, desk.registry.resources(ven.n)).dump()

        return JSONResponse(await call(read))

    @app.put("/vens/{venID}")
    async def update_ven(request: Request, venID: str) -> JSONResponse:
        g = grant(request, "write_vens")
        body = parse_body(VenIn, await request.body(), "ven")
        check_object_type(body.objectType, "VEN")

        def write(view: ChainView) -> dict[str, object]:
            reg = desk.registry
            ven = ven_row(venID)
            may(g, ven)
            if body.venName != ven.ven_name:
                raise bad_request(f"venName {body.venName!r}: a VEN's venName is its client's id, "
                                  f"{ven.ven_name!r}, and does not change")  # fmt: skip
            consumer = _consumer(view, body.attributes)
            if consumer[0] != ven.consumer and reg.resources(ven.n):
                raise conflict(f"VEN {ven.id} has resources, meters of {ven.consumer}: delete them "
                               "before tying the VEN to another consumer")  # fmt: skip
            attributes = [a.dump() for a in body.attributes or []]
            for a in attributes:
                if a["type"] == CONSUMER_ADDRESS:
                    a["values"] = [consumer[0]]
            reg.update_ven(ven.n, consumer, attributes, now_text())
            fresh = reg.ven(ven.n)
            assert fresh is not None
            return ven_object(fresh, reg.resources(ven.n)).dump()

        return JSONResponse(await call(write))

    @app.delete("/vens/{venID}")
    async def delete_ven(request: Request, venID: str) -> JSONResponse:
        g = grant(request, "write_vens")

        def write(view: ChainView) -> dict[str, object]:
            ven = ven_row(venID)
            may(g, ven)
            gone = ven_object(ven, desk.registry.resources(ven.n)).dump()
            desk.registry.delete_ven(ven.n)
            return gone

        return JSONResponse(await call(write))

    # ------------------------------------------------------------------ /vens/{venID}/resources

    @app.get("/vens/{venID}/resources")
    async def search_resources(request: Request, venID: str) -> JSONResponse:
        g = grant(request, "read_all")
        q = parse_search(request.query_params, with_program=False)
        name = _one_param(request, "resourceName")

        def read(view: ChainView) -> list[dict[str, object]]:
            ven = ven_row(venID)
            may(g, ven)
            rows = desk.registry.resources(ven.n)
            found = [r for r in rows
                     if _matches(q, name, RESOURCE_NAME, r.resource_name, targets(ven))]  # fmt: skip
            return [resource_object(r, ven).dump() for r in q.page(found)]

        return JSONResponse(await call(read))

    @app.post("/vens/{venID}/resources")
    async def create_resource(request: Request, venID: str) -> JSONResponse:
        g = grant(request, "write_vens")
        body = parse_body(ResourceIn, await request.body(), "resource")

        def write(view: ChainView) -> dict[str, object]:
            reg = desk.registry
            ven = ven_row(venID)
            may(g, ven)
            _check_resource_body(body, ven.id)
            with reg.transaction() as db:
                n = new_resource(view, db, ven, body, now_text())
            row = reg.resource(n)
            assert row is not None
            return resource_object(row, ven).dump()

        return JSONResponse(await call(write), status_code=201)

    @app.get("/vens/{venID}/resources/{resourceID}")
    async def resource_by_id(request: Request, venID: str, resourceID: str) -> JSONResponse:
        g = grant(request, "read_all")

        def read(view: ChainView) -> dict[str, object]:
            ven = ven_row(venID)
            may(g, ven)
            return resource_object(resource_row(ven, resourceID), ven).dump()

        return JSONResponse(await call(read))

    @app.put("/vens/{venID}/resources/{resourceID}")
    async def update_resource(request: Request, venID: str, resourceID: str) -> JSONResponse:
        g = grant(request, "write_vens")
        body = parse_body(ResourceIn, await request.body(), "resource")

        def write(view: ChainView) -> dict[str, object]:
            reg = desk.registry
            ven = ven_row(venID)
            may(g, ven)
            old = resource_row(ven, resourceID)
            _check_resource_body(body, ven.id)
            row = _meter(view, ven, body, old.n)
            taken = reg.resource_of_meter(row.meter_id)
            if taken is not None and taken.n != old.n:
                raise conflict(f"meter {row.meter_id!r} is resource {taken.id} of VEN "
                               f"{taken.ven_id} already: a meter is one resource")  # fmt: skip
            if any(r.n != old.n for r in reg.resources_named(body.resourceName) if r.ven == ven.n):
                raise conflict(f"VEN {ven.id} has a resource named {body.resourceName!r} already")
            reg.update_resource(row, now_text())
            fresh = reg.resource(old.n)
            assert fresh is not None
            return resource_object(fresh, ven).dump()

        return JSONResponse(await call(write))

    @app.delete("/vens/{venID}/resources/{resourceID}")
    async def delete_resource(request: Request, venID: str, resourceID: str) -> JSONResponse:
        g = grant(request, "write_vens")

        def write(view: ChainView) -> dict[str, object]:
            ven = ven_row(venID)
            may(g, ven)
            row = resource_row(ven, resourceID)
            desk.registry.delete_resource(row.n)
            return resource_object(row, ven).dump()

        return JSONResponse(await call(write))
