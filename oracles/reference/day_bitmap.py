"""Python reference of contracts/libraries/DayBitmap.sol's rolling cap (SPECIFICATION.md P-4, V-4).

A program holds fewer than ``maxEventsPer30Days`` events, and a consumer enrolls in fewer than its own
cap, in *every* window of 30 consecutive days, whatever the order in which the days were taken.
"""

from __future__ import annotations

from collections.abc import Collection

WINDOW_DAYS = 30


def rolling_cap_reached(taken: Collection[int], day: int, cap: int) -> bool:
    """Whether some window of WINDOW_DAYS consecutive days containing ``day`` already holds ``cap``
    or more days of ``taken`` (``day`` itself not in it)."""
    if day in taken:
        raise ValueError(f"day {day} is already taken")
    return any(
        sum(1 for d in taken if start <= d < start + WINDOW_DAYS) >= cap
        for start in range(day - WINDOW_DAYS + 1, day + 1)
    )
