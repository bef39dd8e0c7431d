"""The OpenADR 3.0.1 objects the gateway answers with, as the document's ``components/schemas``
define them (``openadr3-3.0.1.yaml``): field names as the document spells them, only the fields
the gateway fills (a field the chain has nothing for is left out rather than sent as null; every
one left out is optional in the document). tests/python/test_gateway.py validates every answer
against the document's schemas.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Value = float | int | str | bool


class Wire(BaseModel):
    """An object as sent: unset optional fields are omitted (``dump``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def dump(self) -> dict[str, object]:
        return self.model_dump(mode="json", exclude_none=True)


class ValuesMap(Wire):
    """``valuesMap``: a type and its values (a PRICE payload, a target)."""

    type: str = Field(min_length=1, max_length=128)
    values: list[Value]


class IntervalPeriod(Wire):
    """``intervalPeriod``: a start (ISO 8601 date-time) and a duration (ISO 8601 duration)."""

    start: str
    duration: str | None = None
    randomizeStart: str | None = None


class Interval(Wire):
    """``interval``: an id (client generated, not a sequence number) and its payloads."""

    id: int
    intervalPeriod: IntervalPeriod | None = None
    payloads: list[ValuesMap]


class EventPayloadDescriptor(Wire):
    """``eventPayloadDescriptor``: what a payload type means (units, currency)."""

    objectType: Literal["EVENT_PAYLOAD_DESCRIPTOR"] = "EVENT_PAYLOAD_DESCRIPTOR"
    payloadType: str = Field(min_length=1, max_length=128)
    units: str | None = None
    currency: str | None = None


class Program(Wire):
    """``program``."""

    id: str
    createdDateTime: str
    modificationDateTime: str
    objectType: Literal["PROGRAM"] = "PROGRAM"
    programName: str = Field(min_length=1, max_length=128)
    programLongName: str | None = None
    retailerName: str | None = None
    retailerLongName: str | None = None
    programType: str | None = None
    country: str | None = None
    principalSubdivision: str | None = None
    timeZoneOffset: str | None = None
    intervalPeriod: IntervalPeriod | None = None
    bindingEvents: bool | None = None
    localPrice: bool | None = None
    payloadDescriptors: list[EventPayloadDescriptor] | None = None
    targets: list[ValuesMap] | None = None


class Event(Wire):
    """``event``."""

    id: str
    createdDateTime: str
    modificationDateTime: str
    objectType: Literal["EVENT"] = "EVENT"
    programID: str
    eventName: str | None = None
    priority: int | None = Field(default=None, ge=0)
    targets: list[ValuesMap] | None = None
    payloadDescriptors: list[EventPayloadDescriptor] | None = None
    intervalPeriod: IntervalPeriod | None = None
    intervals: list[Interval]


class Problem(Wire):
    """``problem`` (RFC 7807, the Zalando schema the document takes it from)."""

    type: str = "about:blank"
    title: str
    status: int = Field(ge=100, lt=600)
    detail: str | None = None
    instance: str | None = None


class ClientCredentialResponse(Wire):
    """``clientCredentialResponse``: the body of a successful POST /auth/token (RFC 6749 5.1)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str


AuthErrorCode = Literal[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "invalid_scope",
    "unauthorized_client",
    "unsupported_grant_type",
]


class AuthError(Wire):
    """``authError``: the body of a refused POST /auth/token (RFC 6749 5.2)."""

    error: AuthErrorCode
    error_description: str | None = None
