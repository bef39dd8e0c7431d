"""The objects served, built once per index block from a :class:`~oracles.gateway.chain_view.Snapshot`
(mapped by :mod:`oracles.gateway.mapping`), in on-chain id order, with their JSON ready: a read
filters and pages lists, it maps nothing. Besides its targets, a program matches ``targetType``
``PROGRAM_NAME`` by its ``programName`` and an event ``EVENT_NAME`` by its ``eventName``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from oracles.gateway.chain_view import Snapshot
from oracles.gateway.mapping import event_id_text, event_object, program_object
from oracles.gateway.objects import Event, Program, ValuesMap
from oracles.gateway.queries import Search

log = logging.getLogger("gridbalance.gateway")

# target types an object matches by its own name (the document's examples of targetType; the
# 3.1 clients look programs up by PROGRAM_NAME)
PROGRAM_NAME, EVENT_NAME = "PROGRAM_NAME", "EVENT_NAME"


@dataclass
class Catalog:
    last_block: int
    programs: list[Program] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    program_json: dict[str, dict[str, object]] = field(default_factory=dict)
    event_json: dict[str, dict[str, object]] = field(default_factory=dict)
    cancelled: dict[str, int] = field(default_factory=dict)  # event id text -> EventCancelled block

    @classmethod
    def of(
        cls, s: Snapshot, chain_id: int, programs_address: str, requests_address: str
    ) -> Catalog:
        c = cls(s.last_block)
        for pid in sorted(s.programs):
            rec = s.programs[pid]
            obj = program_object(rec, s.regions.get(rec.region_id),
                                 s.tokens[rec.params.token], chain_id, programs_address)  # fmt: skip
            c.programs.append(obj)
            c.program_json[obj.id] = obj.dump()
        for eid in sorted(s.events):
            e = s.events[eid]
            program, region = s.programs.get(e.program_id), s.regions.get(e.region_id)
            if program is None or region is None:  # never on a whole index: logs of one deployment
                log.warning("event %d: program %d or region %d not indexed; not served", eid,
                            e.program_id, e.region_id)  # fmt: skip
                continue
            ev = event_object(e, program, region, s.tokens[program.params.token], chain_id,
                              programs_address, requests_address)  # fmt: skip
            c.events.append(ev)
            c.event_json[ev.id] = ev.dump()
        c.cancelled = {event_id_text(chain_id, requests_address, eid): block
                       for eid, block in s.cancelled.items()}  # fmt: skip
        return c

    def search_programs(self, q: Search) -> list[dict[str, object]]:
        found = [
            p for p in self.programs if q.matches(_named(p.targets, PROGRAM_NAME, p.programName))
        ]
        return [self.program_json[p.id] for p in q.page(found)]

    def search_events(self, q: Search) -> list[dict[str, object]]:
        found = [
            e
            for e in self.events
            if (q.program_id is None or e.programID == q.program_id)
            and q.matches(_named(e.targets, EVENT_NAME, e.eventName))
        ]
        return [self.event_json[e.id] for e in q.page(found)]


def _named(targets: list[ValuesMap] | None, kind: str, name: str | None) -> list[ValuesMap]:
    """An object's targets and its name as a target of ``kind``."""
    return [*(targets or []), *([ValuesMap(type=kind, values=[name])] if name else [])]
