"""The protocol's programs and events as OpenADR 3.0.1 objects, field by field (the table in
docs/openadr.md says the same, object field -> protocol field or "not filled").

* A program's rate and an event's rate are ``PRICE`` payloads in the payment token's units per kWh
  (base units / 10^decimals), its currency the token's symbol.
* An event's window ``[startInterval, endInterval)`` of its region's local day (P-3, R-7) is the
  event's ``intervalPeriod`` (start in UTC, duration) and its one interval (id 0).
* The tier is the event's ``priority`` (lower is more urgent: emergency 0, economic 1, voluntary 2)
  and a ``SIMPLE`` payload (the document's levels: voluntary 1, economic 2, emergency 3; 0 is normal
  operation, which is no event).
* Targets: ``SERVICE_AREA`` the region id, ``GROUP`` the consumer classes the program admits.
* ``bindingEvents`` is true: an event's terms are fixed on chain at creation; a cancelled event is
  not served (a VTN deletes it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from oracles.gateway.chain_view import EventRecord, ProgramRecord, Region, Token
from oracles.gateway.ids import ObjectId
from oracles.gateway.objects import (
    Event,
    EventPayloadDescriptor,
    Interval,
    IntervalPeriod,
    Program,
    ValuesMap,
)
from oracles.protocol.enums import ConsumerClass, Tier
from oracles.protocol.region_time import RegionClock, TimeZoneError

PROGRAM_TYPE = "DEMAND_RESPONSE"
SERVICE_AREA, GROUP = "SERVICE_AREA", "GROUP"
PRICE, SIMPLE = "PRICE", "SIMPLE"
PRIORITY = {Tier.Emergency: 0, Tier.Economic: 1, Tier.Voluntary: 2}
SIMPLE_LEVEL = {Tier.Voluntary: 1, Tier.Economic: 2, Tier.Emergency: 3}


def date_time(t: datetime) -> str:
    """An aware instant as the document's ``dateTime``, in UTC: ``2027-03-25T01:00:00Z``."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(minutes: int) -> str:
    """Whole minutes as the document's ISO 8601 ``duration``: ``PT2H``, ``PT1H30M``, ``-PT8H``,
    ``PT0S``."""
    if minutes == 0:
        return "PT0S"
    sign, m = ("-" if minutes < 0 else ""), abs(minutes)
    hours, rest = divmod(m, 60)
    return f"{sign}PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest else "")


def price(rate: int, token: Token) -> float:
    """A rate in token base units per kWh as the token's units per kWh."""
    return float(Decimal(rate) / (Decimal(10) ** token.decimals))


def classes(class_mask: int) -> list[str]:
    """The consumer classes of a program's class mask (bit = ConsumerClass), upper case."""
    return [c.name.upper() for c in ConsumerClass if class_mask >> int(c) & 1]


def targets(program: ProgramRecord) -> list[ValuesMap]:
    return [
        ValuesMap(type=SERVICE_AREA, values=[str(program.region_id)]),
        ValuesMap(type=GROUP, values=list(classes(program.params.class_mask))),
    ]


def payload_descriptors(token: Token) -> list[EventPayloadDescriptor]:
    return [
        EventPayloadDescriptor(payloadType=PRICE, units="KWH", currency=token.symbol or None),
        EventPayloadDescriptor(payloadType=SIMPLE),
    ]


def program_id_text(chain_id: int, programs_address: str, program_id: int) -> str:
    return ObjectId("program", chain_id, programs_address, program_id).text()


def event_id_text(chain_id: int, requests_address: str, event_id: int) -> str:
    return ObjectId("event", chain_id, requests_address, event_id).text()


def program_object(
    rec: ProgramRecord, region: Region | None, token: Token, chain_id: int, programs_address: str
) -> Program:
    created = date_time(rec.created_at)
    where = f"region {rec.region_id}" + (f" ({region.name})" if region and region.name else "")
    return Program(
        id=program_id_text(chain_id, programs_address, rec.program_id),
        createdDateTime=created,
        modificationDateTime=created,  # a program is written once (P-1)
        programName=f"gridbalance-program-{rec.program_id}",
        programLongName=f"GridBalance program {rec.program_id}, {where}",
        retailerName=rec.utility,
        programType=PROGRAM_TYPE,
        timeZoneOffset=None if region is None else duration(region.params.utc_offset_minutes),
        bindingEvents=True,
        localPrice=False,
        payloadDescriptors=payload_descriptors(token),
        targets=targets(rec),
    )


def clock(region: Region) -> RegionClock:
    """The region's clock (a zone set by hand that is not the region's: the fixed offset)."""
    p = region.params
    try:
        return RegionClock.of(p.utc_offset_minutes, region.time_zone, p.interval_minutes)
    except TimeZoneError:
        return RegionClock.of(p.utc_offset_minutes, "", p.interval_minutes)


def event_object(
    rec: EventRecord,
    program: ProgramRecord,
    region: Region,
    token: Token,
    chain_id: int,
    programs_address: str,
    requests_address: str,
) -> Event:
    created = date_time(rec.created_at)
    minutes = region.params.interval_minutes
    start = clock(region).interval_start(rec.day, rec.start_interval)
    period = IntervalPeriod(
        start=date_time(start), duration=duration((rec.end_interval - rec.start_interval) * minutes)
    )
    name = f"GridBalance event {rec.event_id} ({rec.tier.name.lower()}" + (
        ", triggered by the forecast)" if rec.triggered else ")"
    )
    return Event(
        id=event_id_text(chain_id, requests_address, rec.event_id),
        createdDateTime=created,
        modificationDateTime=created,  # an event's terms are fixed at creation (P-3)
        programID=program_id_text(chain_id, programs_address, rec.program_id),
        eventName=name,
        priority=PRIORITY[rec.tier],
        targets=targets(program),
        payloadDescriptors=payload_descriptors(token),
        intervalPeriod=period,
        intervals=[
            Interval(
                id=0,
                payloads=[
                    ValuesMap(type=PRICE, values=[price(rec.rate, token)]),
                    ValuesMap(type=SIMPLE, values=[SIMPLE_LEVEL[rec.tier]]),
                ],
            )
        ],
    )
