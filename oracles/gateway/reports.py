"""``/reports``: a VEN's ``USAGE`` report for its resources becomes meter readings in the meter
oracle's outbox (:mod:`oracles.agents.outbox`, the queue the CSV and Green Button sources fill),
which the meter oracle daemon (``gridbalance oracle meter --watch`` on the same ``--outbox``) posts
as MeterData batches once each day has ended. The gateway holds no key: it writes the outbox, and
one process signs the meter oracle's batches.

``POST /reports`` (scope ``write_reports``), in order, each refusal a problem object:

1. the caller's VEN (403 without one), ``clientName`` its ``venName`` or id (400);
2. ``eventID`` a live event of the chain and ``programID`` its program (400);
3. each ``resourceName`` one of the VEN's resources (another VEN's: 403; none: 400) in the event's
   region (400);
4. the intervals as readings (:mod:`oracles.gateway.usage`), then each consumer-day the report
   touches rebuilt from every interval reported for it so far (a later report of an interval
   replaces the earlier) and checked by the file sources' own
   :func:`~oracles.ingest.meter_files.assemble_days`: aligned, not in the future (the chain's
   clock), no duplicate, not before the consumer's activation (400, the rejects also appended to
   the rejects file as the file sources do). A day not whole yet is queued flagged missing, as
   for the files, and queued again whole when the rest arrives, while it is not posted;
5. a day already posted (or sent) with other readings: 409 (a posted record cannot be corrected,
   M-4); the same readings again are taken (nothing is sent twice).

The report is accepted whole or not at all (201 with the report). ``GET /reports`` and
``/reports/{reportID}`` (a VEN client sees its own, a BL client all) answer the accepted reports,
normalised (each interval with its own period, values in Wh), with the extension field
``chainStatus``: per consumer-day ``queued``, ``sent``, ``posted`` (batch, transaction) or
``final`` (MeterData declared the region-day final, from the index's ``DaysFinalized`` logs).
``PUT`` and ``DELETE`` of a report are refused (403): its readings are on their way to the chain.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from oracles.agents.meter_oracle import enqueue_checked, same_data
from oracles.gateway import ids
from oracles.gateway.chain_view import ChainView
from oracles.gateway.desk import Desk, now_text
from oracles.gateway.mapping import date_time, duration, event_id_text, program_id_text
from oracles.gateway.objects import Interval, IntervalPeriod, ValuesMap
from oracles.gateway.problems import bad_request, forbidden, not_found
from oracles.gateway.queries import parse_search
from oracles.gateway.registry import DayKey, Reading, ReportRow, ResourceRow, VenRow, number
from oracles.gateway.tokens import Grant
from oracles.gateway.usage import USAGE, Located, readings, unit_factor
from oracles.gateway.ven_objects import (
    DayStatus,
    Report,
    ReportIn,
    ReportPayloadDescriptor,
    ReportResource,
    Status,
    check_object_type,
    parse_body,
)
from oracles.gateway.vens import Call, GrantFn, conflict
from oracles.ingest.meter_files import MeterReading, Reject, assemble_days, write_rejects
from oracles.reference.baseline_days import day_date
from oracles.reference.meter_leaf import Channel, ConsumerDay

MISSING = "posted flagged missing"  # assemble_days' reject of a day not whole: not a refusal here
SHOWN_REJECTS = 3


def _event(view: ChainView, body: ReportIn) -> tuple[int, int]:
    """The event's on-chain id and region; the program must be the event's."""
    s = view.snapshot()
    oid = ids.parse(body.eventID)
    n = oid.number if oid is not None and oid.kind == "event" else None
    if n is None or event_id_text(view.chain_id, view.events_address, n) != body.eventID:
        raise bad_request(f"eventID {body.eventID!r}: no event of this chain has that id")
    if n in s.cancelled:
        raise bad_request(f"eventID {body.eventID!r}: the event was cancelled on chain")
    event = s.events.get(n)
    if event is None:
        raise bad_request(f"eventID {body.eventID!r}: no event of this chain has that id")
    program = program_id_text(view.chain_id, view.programs_address, event.program_id)
    if body.programID != program:
        raise bad_request(f"programID {body.programID!r} is not the program of event "
                          f"{body.eventID!r} ({program})")  # fmt: skip
    return n, event.region_id


def _resources(desk: Desk, ven: VenRow, body: ReportIn, region: int) -> list[ResourceRow]:
    mine = {r.resource_name: r for r in desk.registry.resources(ven.n)}
    out: list[ResourceRow] = []
    seen: set[str] = set()
    for i, item in enumerate(body.resources):
        name = item.resourceName
        if name in seen:
            raise bad_request(f"resources[{i}].resourceName {name!r} given twice: one item per "
                              "resource")  # fmt: skip
        seen.add(name)
        row = mine.get(name)
        if row is None:
            others = [r for r in desk.registry.resources_named(name) if r.ven != ven.n]
            if others:
                raise forbidden(f"resources[{i}]: resource {name!r} is VEN {others[0].ven_id}'s, "
                                f"not VEN {ven.id}'s: a VEN reports for its own resources")  # fmt: skip
            known = ", ".join(repr(n) for n in sorted(mine)) or "none"
            raise bad_request(f"resources[{i}]: unknown resource {name!r} (VEN {ven.id} has "
                              f"{known}): POST /vens/{ven.id}/resources first")  # fmt: skip
        if row.region != region:
            raise bad_request(f"resources[{i}]: resource {name!r} is a meter of region "
                              f"{row.region}; the event is in region {region}")  # fmt: skip
        out.append(row)
    return out


def _day(ts: int, offset_minutes: int) -> int:
    return (ts + offset_minutes * 60) // 86_400


class _Accepted:
    """What a report adds: its consumer-days, its readings, the days rebuilt."""

    def __init__(self) -> None:
        self.keys: set[DayKey] = set()
        self.readings: list[tuple[DayKey, Reading]] = []
        self.days: list[ConsumerDay] = []
        self.rejects: list[tuple[str, Reject]] = []  # (where in the report, reject)


def _rebuild(
    desk: Desk,
    located: list[Located],
    offset: int,
    interval_minutes: int,
    now_ts: int,
    source: str,
) -> _Accepted:
    """Each touched consumer-day from every reading of it so far, through assemble_days."""
    acc = _Accepted()
    by_resource: dict[int, list[Located]] = defaultdict(list)
    for x in located:
        by_resource[x.resource.n].append(x)
    for group in by_resource.values():
        row = group[0].resource
        where_of = {x.reading.line: x.where for x in group}
        new = {x.reading.start_ts: x.reading for x in group}
        days = sorted({_day(t, offset) for t in new})
        merged: list[MeterReading] = [x.reading for x in group]
        line = len(located)
        for day in days:
            for old in desk.registry.readings(
                row.consumer_id, row.region, int(Channel.IMPORT), day
            ):
                if old.start in new:
                    continue
                line += 1
                where_of[line] = "an interval of an earlier report"
                merged.append(MeterReading.model_construct(
                    meter_id=old.meter_id, interval_start=_utc(old.start),
                    interval_seconds=old.seconds, wh=old.wh, channel=Channel.IMPORT, line=line,
                ))  # fmt: skip
        built, rejects = assemble_days(
            merged, region_id=row.region, utc_offset_minutes=offset,
            resolve=lambda m, row=row: row.consumer_id if m == row.meter_id else None,  # type: ignore[misc]
            source=source, now_ts=now_ts, interval_minutes=interval_minutes,
            first_day=lambda _c, row=row: row.activation_day,  # type: ignore[misc]
        )  # fmt: skip
        for r in rejects:
            if MISSING not in r.reason:
                where = where_of.get(r.line) if r.line else None
                acc.rejects.append((where or f"resource {row.resource_name!r}", r))
        acc.days.extend(built)
        for day in days:
            acc.keys.add(DayKey(row.resource_name, row.consumer_id, row.region, day,
                                int(Channel.IMPORT)))  # fmt: skip
        for x in group:
            key = DayKey(row.resource_name, row.consumer_id, row.region,
                         _day(x.reading.start_ts, offset), int(Channel.IMPORT))  # fmt: skip
            acc.readings.append((key, Reading(x.reading.start_ts, x.reading.interval_seconds,
                                              x.reading.wh, row.meter_id)))  # fmt: skip
    return acc


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def _normalised(body: ReportIn, located: list[Located]) -> dict[str, Any]:
    """The report as served: each interval with its own period, its value in Wh."""
    by_item: dict[int, list[Interval]] = defaultdict(list)
    for x in located:
        i = int(x.where.split("[")[1].split("]")[0])
        j = int(x.where.split("[")[2].split("]")[0])
        r = x.reading
        by_item[i].append(Interval(
            id=body.resources[i].intervals[j].id,
            intervalPeriod=IntervalPeriod(start=date_time(r.interval_start),
                                          duration=duration(r.interval_seconds // 60)),
            payloads=[ValuesMap(type=USAGE, values=[r.wh])],
        ))  # fmt: skip
    reading_type = next(
        (d.readingType for d in body.payloadDescriptors or [] if d.readingType), None
    )
    return {
        "programID": body.programID,
        "eventID": body.eventID,
        "clientName": body.clientName,
        "reportName": body.reportName,
        "payloadDescriptors": [ReportPayloadDescriptor(payloadType=USAGE, units="WH",
                                                       readingType=reading_type).dump()],
        "resources": [ReportResource(resourceName=item.resourceName,
                                     intervals=by_item[i]).dump()
                      for i, item in enumerate(body.resources)],
    }  # fmt: skip


def statuses(view: ChainView, desk: Desk, n: int) -> list[DayStatus]:
    """Where each consumer-day of report ``n`` is: the outbox's row and the index's finality."""
    final: dict[int, int] = {}
    for r in view.store.rows("name='DaysFinalized'", ()):
        region, through = int(r.args["regionId"]), int(r.args["throughDay"])
        final[region] = max(final.get(region, -1), through)
    out: list[DayStatus] = []
    for k in desk.registry.report_days(n):
        row = desk.outbox.db.execute(
            "SELECT status, tx_hash, batch FROM meter WHERE region=? AND day=? AND consumer=? "
            "AND channel=?",
            (k.region, k.day, k.consumer_id, k.channel),
        ).fetchone()
        minutes = desk.registry.minutes(k.consumer_id, k.region, k.channel, k.day)
        status: Status = "unknown"
        batch: int | None = None
        tx: str | None = None
        if row is not None:
            state, tx, raw_batch = str(row[0]), row[1], row[2]
            status = {"pending": "queued", "sent": "sent"}.get(state, "posted")  # type: ignore[assignment]
            if state == "confirmed":
                batch = int(raw_batch) if raw_batch is not None else None
                if k.day <= final.get(k.region, -1):
                    status = "final"
            if state == "pending":
                tx = None
        out.append(DayStatus(resourceName=k.resource_name, day=str(day_date(k.day)),
                             status=status, minutes=minutes, missing=minutes < 1_440,
                             batch=batch, txHash=tx))  # fmt: skip
    return out


def report_object(view: ChainView, desk: Desk, row: ReportRow) -> dict[str, object]:
    body = {k: v for k, v in row.body.items() if v is not None}
    return Report.model_validate({
        **body, "id": row.id, "createdDateTime": row.created, "modificationDateTime": row.created,
        "chainStatus": [s.dump() for s in statuses(view, desk, row.n)],
    }).dump()  # fmt: skip


def accept(view: ChainView, desk: Desk, g: Grant, body: ReportIn) -> dict[str, object]:
    """Check the report, queue its consumer-days, store it; the report as served."""
    reg = desk.registry
    vens = reg.vens_of(g.client_id)
    if not vens:
        raise forbidden(f"client {g.client_id!r} has no VEN: POST /vens with venName "
                        f"{g.client_id!r} and its consumer first")  # fmt: skip
    ven = vens[0]
    if body.clientName not in (ven.ven_name, ven.id):
        raise bad_request(f"clientName {body.clientName!r}: a report names its VEN, "
                          f"{ven.ven_name!r} (or {ven.id!r})")  # fmt: skip
    factor = unit_factor(body.payloadDescriptors)
    _, region = _event(view, body)
    rows = _resources(desk, ven, body, region)
    params = view.snapshot().regions[region].params
    located = readings(body, rows, params.interval_minutes, factor)
    now_ts = int(view.w3.eth.get_block("latest")["timestamp"])
    source = f"POST /reports ({g.client_id})"
    acc = _rebuild(desk, located, params.utc_offset_minutes, params.interval_minutes, now_ts,
                   source)  # fmt: skip
    if acc.rejects:
        write_rejects(desk.rejects_path, [r for _, r in acc.rejects])
        shown = "; ".join(f"{w}: {r.field}: {r.reason}" for w, r in acc.rejects[:SHOWN_REJECTS])
        more = len(acc.rejects) - SHOWN_REJECTS
        raise bad_request(shown + (f" (and {more} more)" if more > 0 else ""))
    queued = desk.outbox.queued_days(acc.days)
    for d in acc.days:
        old = queued.get((d.region_id, d.day, d.channel, d.consumer_id))
        if (
            old is not None
            and old.status != "pending"
            and not same_data(ConsumerDay.decode(old.record), d)
        ):
            raise conflict(f"{day_date(d.day)} of consumer {d.consumer_id} is posted already "
                           f"(tx {old.tx_hash}) with other readings: a posted record cannot be "
                           "corrected (M-4)")  # fmt: skip
    done = enqueue_checked(desk.outbox, desk.rejects_path, acc.days, source)
    if done.refused:
        raise conflict("a day of the report was posted while it was being queued, with other "
                       "readings: a posted record cannot be corrected (M-4)")  # fmt: skip
    stored = _normalised(body, located)
    n = reg.add_report(g.client_id, stored, acc.keys, acc.readings, now_text())
    found = reg.report(n)
    assert found is not None
    return report_object(view, desk, found)


def install_reports(app: FastAPI, grant: GrantFn, call: Call, desk: Desk) -> None:
    def visible(g: Grant, row: ReportRow) -> None:
        if g.role.value == "VEN" and row.client_id != g.client_id:
            raise forbidden(f"report {row.id} is client {row.client_id!r}'s: a VEN client sees "
                            "its own reports only")  # fmt: skip

    def report_row(reportID: str) -> ReportRow:
        if not ids.is_object_id(reportID):
            raise bad_request(f"reportID: {reportID!r} is no objectID (1..128 of A-Z a-z 0-9 _ -)")
        n = number(reportID, "report")
        found = desk.registry.report(n) if n is not None else None
        if found is None:
            raise not_found(f"no report has id {reportID!r}")
        return found

    @app.post("/reports")
    async def create_report(request: Request) -> JSONResponse:
        g = grant(request, "write_reports")
        body = parse_body(ReportIn, await request.body(), "report")
        check_object_type(body.objectType, "REPORT")
        return JSONResponse(await call(lambda view: accept(view, desk, g, body)), status_code=201)

    @app.get("/reports")
    async def search_reports(request: Request) -> JSONResponse:
        g = grant(request, "read_all")
        q = parse_search(request.query_params, with_program=True)
        event, client = (_one(request, "eventID"), _one(request, "clientName"))
        if event is not None and not ids.is_object_id(event):
            raise bad_request(f"eventID: {event!r} is no objectID (1..128 of A-Z a-z 0-9 _ -)")

        def read(view: ChainView) -> list[dict[str, object]]:
            reg = desk.registry
            rows = reg.reports() if g.role.value == "BL" else reg.reports(g.client_id)
            found = [r for r in rows
                     if (q.program_id is None or r.program_id == q.program_id)
                     and (event is None or r.event_id == event)
                     and (client is None or r.client_name == client)]  # fmt: skip
            return [report_object(view, desk, r) for r in q.page(found)]

        return JSONResponse(await call(read))

    @app.get("/reports/{reportID}")
    async def report_by_id(request: Request, reportID: str) -> JSONResponse:
        g = grant(request, "read_all")

        def read(view: ChainView) -> dict[str, object]:
            row = report_row(reportID)
            visible(g, row)
            return report_object(view, desk, row)

        return JSONResponse(await call(read))

    async def refuse(request: Request, reportID: str) -> JSONResponse:
        g = grant(request, "write_reports")

        def check(view: ChainView) -> None:
            visible(g, report_row(reportID))

        await call(check)
        raise forbidden(f"report {reportID!r} cannot be changed or deleted: its readings are in "
                        "the meter oracle's outbox on their way to MeterData; POST a new report "
                        "with corrected intervals (taken while their day is not posted)")  # fmt: skip

    app.add_api_route("/reports/{reportID}", refuse, methods=["PUT", "DELETE"])


def _one(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise bad_request(f"{name}: given {len(values)} times; it takes one value")
    return values[0] if values else None
