"""The search parameters of GET /programs and GET /events as the document defines them
(``programID`` an objectID; ``targetType`` a string; ``targetValues`` an array of strings, the
parameter repeated; ``skip`` an int32 >= 0; ``limit`` an int32 0..50), parsed from the query string
so that a bad one is a 400 problem naming it. Parameters the document does not define are ignored.

``targetType`` and ``targetValues`` go together (one without the other is a 400): an object
matches when one of its targets has that type and shares a value with ``targetValues``. Without
``limit`` a page holds the document's maximum, 50.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from starlette.datastructures import QueryParams

from oracles.gateway.ids import is_object_id
from oracles.gateway.objects import ValuesMap
from oracles.gateway.problems import bad_request

MAX_LIMIT = 50  # the document's limit maximum
INT32_MAX = 2**31 - 1
_DIGITS = re.compile(r"^[0-9]{1,10}$")
T = TypeVar("T")


@dataclass(frozen=True)
class Search:
    program_id: str | None = None
    target_type: str | None = None
    target_values: tuple[str, ...] = ()
    skip: int = 0
    limit: int = MAX_LIMIT

    def matches(self, targets: Sequence[ValuesMap]) -> bool:
        if self.target_type is None:
            return True
        wanted = set(self.target_values)
        return any(
            t.type == self.target_type and wanted & {str(v) for v in t.values} for t in targets
        )

    def page(self, items: Sequence[T]) -> list[T]:
        return list(items[self.skip : self.skip + self.limit])


def parse_search(q: QueryParams, *, with_program: bool) -> Search:
    program_id = _one(q, "programID") if with_program else None
    if program_id is not None and not is_object_id(program_id):
        raise bad_request(f"programID: {program_id!r} is no objectID (1..128 of A-Z a-z 0-9 _ -)")
    target_type = _one(q, "targetType")
    target_values = tuple(q.getlist("targetValues"))
    if target_type is not None and not target_values:
        raise bad_request("targetType needs targetValues (the target names to match)")
    if target_values and target_type is None:
        raise bad_request("targetValues needs targetType (the kind of target they name)")
    if target_type == "":
        raise bad_request("targetType: must not be empty")
    skip = _int(q, "skip", 0, INT32_MAX, 0)
    limit = _int(q, "limit", 0, MAX_LIMIT, MAX_LIMIT)
    return Search(program_id, target_type, target_values, skip, limit)


def _one(q: QueryParams, name: str) -> str | None:
    values = q.getlist(name)
    if len(values) > 1:
        raise bad_request(f"{name}: given {len(values)} times; it takes one value")
    return values[0] if values else None


def _int(q: QueryParams, name: str, low: int, high: int, default: int) -> int:
    text = _one(q, name)
    if text is None:
        return default
    if _DIGITS.match(text) is None:
        raise bad_request(f"{name}: {text!r} is not a whole number")
    value = int(text)
    if not low <= value <= high:
        raise bad_request(f"{name}: {value} is outside {low}..{high}")
    return value
