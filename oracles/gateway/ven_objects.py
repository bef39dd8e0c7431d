"""The OpenADR 3.0.1 ``ven``, ``resource`` and ``report`` objects (``openadr3-3.0.1.yaml``
``components/schemas``): what a client sends (``*In``: VTN-provisioned fields it echoes back, such
as ``id`` or ``createdDateTime``, are ignored) and what the gateway answers (field names as the
document spells them, unset optional fields left out).

A VEN is tied to a registered consumer by its attribute ``CONSUMER_ADDRESS`` and a resource to a
registered meter by its attribute ``METER_ID`` (or, without it, its ``resourceName``). A report's
status on chain is the extension field ``chainStatus`` (the document's ``report`` allows further
properties): one :class:`DayStatus` per consumer-day the report touched.
"""

from __future__ import annotations

import json
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oracles.gateway.objects import Interval, IntervalPeriod, ValuesMap, Wire
from oracles.gateway.problems import bad_request

CONSUMER_ADDRESS = "CONSUMER_ADDRESS"  # a VEN's attribute: the consumer's address
METER_ID = "METER_ID"  # a resource's attribute: the meter id the consumer registered
OBJECT_ID = r"^[a-zA-Z0-9_-]*$"


class Body(BaseModel):
    """A request body: what the document defines is validated, the rest ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class ResourceIn(Body):
    resourceName: str = Field(min_length=1, max_length=128)
    objectType: str | None = None
    venID: str | None = Field(default=None, min_length=1, max_length=128, pattern=OBJECT_ID)
    attributes: list[ValuesMap] | None = None
    targets: list[ValuesMap] | None = None


class VenIn(Body):
    venName: str = Field(min_length=1, max_length=128)
    objectType: str | None = None
    attributes: list[ValuesMap] | None = None
    targets: list[ValuesMap] | None = None
    resources: list[ResourceIn] | None = None


class ReportPayloadDescriptor(Wire):
    """``reportPayloadDescriptor``."""

    objectType: Literal["REPORT_PAYLOAD_DESCRIPTOR"] = "REPORT_PAYLOAD_DESCRIPTOR"
    payloadType: str = Field(min_length=1, max_length=128)
    readingType: str | None = None
    units: str | None = None
    accuracy: float | None = None
    confidence: int | None = Field(default=None, ge=0, le=100)


class ReportResource(Wire):
    """One item of ``report.resources``: a resource's intervals."""

    resourceName: str = Field(min_length=1, max_length=128)
    intervalPeriod: IntervalPeriod | None = None
    intervals: list[Interval]


class ReportIn(Body):
    objectType: str | None = None
    programID: str = Field(min_length=1, max_length=128, pattern=OBJECT_ID)
    eventID: str = Field(min_length=1, max_length=128, pattern=OBJECT_ID)
    clientName: str = Field(min_length=1, max_length=128)
    reportName: str | None = None
    payloadDescriptors: list[ReportPayloadDescriptor] | None = None
    resources: list[ReportResource]


class Resource(Wire):
    """``resource``."""

    id: str
    createdDateTime: str
    modificationDateTime: str
    objectType: Literal["RESOURCE"] = "RESOURCE"
    resourceName: str
    venID: str
    attributes: list[ValuesMap] | None = None
    targets: list[ValuesMap] | None = None


class Ven(Wire):
    """``ven``."""

    id: str
    createdDateTime: str
    modificationDateTime: str
    objectType: Literal["VEN"] = "VEN"
    venName: str
    attributes: list[ValuesMap] | None = None
    targets: list[ValuesMap] | None = None
    resources: list[Resource] | None = None


Status = Literal["queued", "sent", "posted", "final", "unknown"]


class DayStatus(Wire):
    """Where one consumer-day of a report is on its way to MeterData (the extension field
    ``chainStatus`` of a report): ``queued`` in the meter oracle's outbox, ``sent`` (a batch
    transaction awaits its confirmations), ``posted`` in batch ``batch`` of the day, ``final``
    (posted and the region-day declared final, M-9); ``unknown`` when the outbox no longer has it."""

    resourceName: str
    day: str  # the region-local date
    status: Status
    minutes: int  # minutes of the day reported so far (1,440 a whole day)
    missing: bool  # the record is (or will be) posted flagged missing: the day is incomplete
    batch: int | None = None
    txHash: str | None = None


class Report(Wire):
    """``report`` with the extension field ``chainStatus``."""

    id: str
    createdDateTime: str
    modificationDateTime: str
    objectType: Literal["REPORT"] = "REPORT"
    programID: str
    eventID: str
    clientName: str
    reportName: str | None = None
    payloadDescriptors: list[ReportPayloadDescriptor] | None = None
    resources: list[ReportResource]
    chainStatus: list[DayStatus] | None = None


M = TypeVar("M", bound=BaseModel)


def parse_body(model: type[M], raw: bytes, what: str) -> M:
    """The request body as ``model``; anything else is a 400 problem naming the field."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request(f"the body is not JSON ({exc}); send the document's {what}") from None
    if not isinstance(data, dict):
        raise bad_request(f"the body must be a JSON object: the document's {what}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or what
        raise bad_request(f"{what}.{where}: {first['msg']}") from None


def check_object_type(given: str | None, expected: str) -> None:
    if given is not None and given != expected:
        raise bad_request(
            f"objectType {given!r}: a 3.0.1 {expected.lower()} has objectType {expected!r} or none"
        )
