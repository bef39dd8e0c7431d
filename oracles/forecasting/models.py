"""Load forecasting: a time-of-week-and-temperature (TOWT) regression, and the naive benchmark.

The model follows the CalTRACK/OpenEEmeter TOWT class, scaled to a short history:

* **time of week**: one indicator per (day type, hour of day), day type = weekday or weekend
  (48 indicators); with at least three weeks of history, one per hour of the week (168);
* **temperature**: piecewise-linear terms with knots at 16, 22 and 28 °C (``T``, ``max(T-16, 0)``,
  ``max(T-22, 0)``, ``max(T-28, 0)``), fitted separately for occupied hours (08:00-22:00) and
  the rest, as CalTRACK fits occupied and unoccupied temperature slopes separately, and separately
  for weekdays and weekends (an office cools on weekdays only). With one weekday/weekend split only
  (v1), a 10,000-consumer aggregate lost to the naive forecast: its weekend and heat-wave errors
  come from applying the weekday cooling slope at weekends.

It is fitted by least squares (numpy, with a small ridge penalty so that indicators with few
observations stay stable). The confidence band is the point forecast ± 1.645 x the residual standard
deviation (a 90 % band under normal errors). Hours are local hour indices (T-1); hour ``h`` is hour
``h % 24`` of local day ``h // 24``.

The naive benchmark forecasts every hour with the actual load of the same hour one week earlier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from oracles.reference.baseline_days import is_weekend

KNOTS_C = (16.0, 22.0, 28.0)
OCCUPIED = range(8, 22)
Z90 = 1.645
RIDGE = 1e-3
MODEL_ID = 0x70A7_0002  # "TOWT v2": the model id posted with every forecast (F-2)
HOURS_PER_WEEK = 168
MIN_HISTORY_HOURS = 48  # a fit needs two days of hours with both weather and actual load
TEMP_GROUPS = 4  # (weekday, weekend) x (unoccupied, occupied)


def _time_column(hour: int, weekly: bool) -> int:
    day, hod = divmod(hour, 24)
    if weekly:
        return ((day + 3) % 7) * 24 + hod  # day 0 (1970-01-01) was a Thursday: Monday = 0
    return (24 if is_weekend(day) else 0) + hod


def _temperature_terms(temp: float, group: int) -> list[float]:
    """The piecewise terms in the columns of ``group`` (one of TEMP_GROUPS), zeros elsewhere."""
    terms = [temp] + [max(temp - k, 0.0) for k in KNOTS_C]
    out = [0.0] * (len(terms) * TEMP_GROUPS)
    out[group * len(terms) : (group + 1) * len(terms)] = terms
    return out


def _temperature_group(hour: int) -> int:
    """Occupied or not, on a weekday or at the weekend: each has its own temperature response."""
    return 2 * int(is_weekend(hour // 24)) + int(hour % 24 in OCCUPIED)


@dataclass(frozen=True)
class TowtModel:
    coefficients: npt.NDArray[np.float64]
    weekly: bool
    residual_std: float
    observations: int

    @classmethod
    def fit(cls, hours: Sequence[int], temps: Sequence[float], loads: Sequence[float]) -> TowtModel:
        if not len(hours) == len(temps) == len(loads):
            raise ValueError("hours, temperatures and loads must have the same length")
        if len(hours) < MIN_HISTORY_HOURS:
            raise ValueError(
                f"need at least {MIN_HISTORY_HOURS} hours of history, got {len(hours)}"
            )
        weekly = (max(hours) - min(hours) + 1) >= 3 * HOURS_PER_WEEK
        x = np.array([cls._row(h, t, weekly) for h, t in zip(hours, temps, strict=True)])
        y = np.asarray(loads, dtype=np.float64)
        penalty = np.sqrt(RIDGE * len(y)) * np.eye(x.shape[1])
        coef, *_ = np.linalg.lstsq(
            np.vstack([x, penalty]), np.concatenate([y, np.zeros(x.shape[1])]), rcond=None
        )
        residuals = y - x @ coef
        dof = max(len(y) - x.shape[1], 1)
        return cls(coef, weekly, float(np.sqrt(residuals @ residuals / dof)), len(y))

    @staticmethod
    def _row(hour: int, temp: float, weekly: bool) -> list[float]:
        width = HOURS_PER_WEEK if weekly else 48
        tow = [0.0] * width
        tow[_time_column(hour, weekly)] = 1.0
        return tow + _temperature_terms(temp, _temperature_group(hour))

    def predict(
        self, hours: Sequence[int], temps: Sequence[float]
    ) -> list[tuple[float, float, float]]:
        """(point, low, high) per hour, kW, never negative."""
        out = []
        for h, t in zip(hours, temps, strict=True):
            point = max(float(np.asarray(self._row(h, t, self.weekly)) @ self.coefficients), 0.0)
            band = Z90 * self.residual_std
            out.append((point, max(point - band, 0.0), point + band))
        return out


def naive_last_week(actuals: Mapping[int, float], hours: Sequence[int]) -> list[float | None]:
    """The actual load of the same hour one week earlier (None where it is unknown)."""
    return [actuals.get(h - HOURS_PER_WEEK) for h in hours]


def mape_percent(forecast: Sequence[float | None], actual: Sequence[float]) -> float | None:
    """Mean absolute percentage error over the hours with a forecast and a positive actual."""
    pairs = [(f, a) for f, a in zip(forecast, actual, strict=True) if f is not None and a > 0]
    if not pairs:
        return None
    return 100.0 * sum(abs(f - a) / a for f, a in pairs) / len(pairs)
