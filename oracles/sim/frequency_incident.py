"""A deterministic (by seed) generator trip in a synchronous area, as the grid oracle would post it
(SPECIFICATION.md G-7), at 1-minute resolution over two hours.

The shape, for any band profile with at least one UFLS stage (G-5):

* **minutes 0-19, normal operation**: load about 60 % of capacity with a slow drift, frequency
  within the deadband of nominal (noise strictly inside it), voltage within a few ‰ of nominal,
  the phase angle against the reference bus near +12° (the region exports a little).
* **minute 20, the trip**: 8 % of the generation (the load it was balancing) is lost (the first
  stage's share + 2 % if that sheds 8 % or more: one stage never covers the whole loss); the sample
  is taken during the fall, halfway between ``normalMHz`` and the first stage's drop; FCR starts to
  deploy (``reserve_kw`` falls), the voltage sags and the angle swings negative (the region
  imports).
* **minute 21, the nadir**: frequency a quarter of the way from the first stage's drop to the second
  (or 50 mHz past a single stage): exactly one stage is reached and its share of the load is shed;
  FCR (sized for the trip, at most the reserve) deploys along its droop, fully from
  ``reserveFullMHz``.
* **minutes 22+, recovery**: frequency restoration brings the deviation back from the middle of the
  alert band with a 5-minute time constant (inside the normal band some 5-10 minutes after the
  trip); the reserve still in use (the loss the shedding did not cover) is replaced by other
  generation with an 8-minute constant, and the angle follows the import back; the shed load is
  reconnected over minutes 40-50. Everything is back in the normal bands well over
  ``recoverySeconds`` (900 s in the presets) before minute 120, so the reference state returns to
  Normal.

Reserves: the area holds ``max(6 % of capacity, 1.25 x reserveAlertKw)`` (so a judged area,
ERCOT-like, starts above its alert level).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from oracles.reference.grid_state import BandProfile, Measurement, shed_stage

MINUTES = 120  # points at minutes 0..120
TRIP_MINUTE = 20
NADIR_MINUTE = TRIP_MINUTE + 1
TRIP_SHARE = 0.08  # of the generation (= the load before the trip)
SHED_MARGIN = 0.02  # a first stage shedding 8 % or more meets a trip this much larger than it
LOAD_SHARE = 0.60  # of capacity before the trip
RESERVE_SHARE = 0.06  # of capacity, the area's reserve
RESTORE_TAU_MIN = 5.0  # frequency restoration after the nadir
REPLACE_TAU_MIN = 8.0  # replacement of the deployed reserve
RECONNECT = (40, 50)  # shed load back, linearly, over these minutes
BASE_ANGLE_CDEG = 1_200
ANGLE_SWING_CDEG = 3_000  # angle change when the whole deficit is imported
VOLTAGE_SAG_PERMILLE = {TRIP_MINUTE: 25, NADIR_MINUTE: 35, NADIR_MINUTE + 1: 15}


@dataclass(frozen=True)
class IncidentSummary:
    """What happened: the trip, the nadir, the stage reached and the load it shed, and the first
    time from which the frequency stays inside the normal band."""

    trip_time: int
    trip_kw: int
    nadir_time: int
    nadir_frequency_mhz: int
    stage: int
    shed_kw: int
    recovery_time: int


def _nadir_drop(profile: BandProfile) -> int:
    """A quarter of the way from the first stage's drop to the second (50 mHz past a single one)."""
    first = profile.stage_mhz[0]
    gap = profile.stage_mhz[1] - first if profile.stages > 1 else 200
    return min(first + gap // 4, 5_000)


def simulate(
    profile: BandProfile, nominal_mhz: int, capacity_kw: int, start_time: int, seed: int = 0
) -> tuple[list[Measurement], IncidentSummary]:
    """The incident's measurements (one a minute from ``start_time``) and its summary."""
    if profile.stages == 0:
        raise ValueError("the profile has no UFLS stage to reach")
    if nominal_mhz not in (50_000, 60_000) or profile.nominal_frequency_mhz not in (0, nominal_mhz):
        raise ValueError(f"nominal {nominal_mhz} mHz does not fit the profile")
    if capacity_kw <= 0:
        raise ValueError("capacity must be positive")
    rng = np.random.default_rng([seed, 0])
    n = MINUTES + 1
    noise_limit = max(profile.deadband_mhz - 1, 0)
    f_noise = np.clip(
        np.rint(rng.normal(0.0, profile.deadband_mhz / 3, n)), -noise_limit, noise_limit
    )
    v_noise = np.clip(np.rint(rng.normal(0.0, 1.5, n)), -4, 4)
    a_noise = np.rint(rng.normal(0.0, 15.0, n))
    drift = 1.0 + 0.01 * np.sin(np.arange(n) / 40.0 + rng.uniform(0, 2 * math.pi))
    l_noise = rng.normal(0.0, 0.002, n)
    demand = capacity_kw * LOAD_SHARE * (drift + l_noise)  # kW the consumers would draw

    reserve0 = max(int(capacity_kw * RESERVE_SHARE), profile.reserve_alert_kw * 5 // 4)
    nadir = _nadir_drop(profile)
    falling = (profile.normal_mhz + profile.stage_mhz[0] + 1) // 2
    restoring = min((profile.normal_mhz + profile.alert_mhz) // 2, nadir - 1)
    share = profile.stage_share_bps[0]
    # the stage never covers the whole loss
    trip_share = TRIP_SHARE if share / 10_000 < TRIP_SHARE else share / 10_000 + SHED_MARGIN
    trip_kw = round(float(demand[TRIP_MINUTE]) * trip_share)
    shed_kw = int(demand[NADIR_MINUTE]) * share // 10_000
    fcr_kw = min(reserve0, trip_kw)  # FCR sized for the reference incident, at most the reserve

    def used_kw(k: int, drop: int) -> float:
        """Reserve in use: FCR along its droop during the fall and at the nadir, then whatever
        the shedding left uncovered, replaced by other generation over time."""
        if k < TRIP_MINUTE:
            return 0.0
        if k <= NADIR_MINUTE:
            return fcr_kw * min(drop / profile.reserve_full_mhz, 1.0)
        return (trip_kw - shed_kw) * math.exp(-(k - NADIR_MINUTE) / REPLACE_TAU_MIN)

    points: list[Measurement] = []
    for k in range(n):
        shed = 0.0
        if NADIR_MINUTE <= k < RECONNECT[1]:
            shed = shed_kw * min(1.0, (RECONNECT[1] - k) / (RECONNECT[1] - RECONNECT[0]))
        if k < TRIP_MINUTE:
            drop = 0
        elif k == TRIP_MINUTE:
            drop = falling
        elif k == NADIR_MINUTE:
            drop = nadir
        else:
            drop = round(restoring * math.exp(-(k - NADIR_MINUTE - 1) / RESTORE_TAU_MIN))
        deployed = used_kw(k, drop)
        noise = 0 if k == NADIR_MINUTE else int(f_noise[k])
        imported = deployed / trip_kw if trip_kw else 0.0
        points.append(
            Measurement(
                time=start_time + 60 * k,
                load_kw=max(round(float(demand[k]) - shed), 0),
                reserve_kw=max(round(reserve0 - deployed), 0),
                frequency_mhz=nominal_mhz - drop + noise,
                voltage_permille=1_000 - VOLTAGE_SAG_PERMILLE.get(k, 0) + int(v_noise[k]),
                phase_centideg=round(
                    BASE_ANGLE_CDEG - ANGLE_SWING_CDEG * imported + float(a_noise[k])
                ),
            )
        )
    recovery = next(
        p.time
        for i, p in enumerate(points)
        if i > NADIR_MINUTE
        and all(abs(q.frequency_mhz - nominal_mhz) <= profile.normal_mhz for q in points[i:])
    )  # the tail is back at nominal: there is always one
    summary = IncidentSummary(
        trip_time=start_time + 60 * TRIP_MINUTE,
        trip_kw=trip_kw,
        nadir_time=points[NADIR_MINUTE].time,
        nadir_frequency_mhz=points[NADIR_MINUTE].frequency_mhz,
        stage=shed_stage(profile, nominal_mhz, points[NADIR_MINUTE]),
        shed_kw=shed_kw,
        recovery_time=recovery,
    )
    return points, summary


def incident(
    profile: BandProfile, nominal_mhz: int, capacity_kw: int, start_time: int, seed: int = 0
) -> list[Measurement]:
    """The incident's measurements, one a minute over two hours (see the module docstring)."""
    return simulate(profile, nominal_mhz, capacity_kw, start_time, seed)[0]


def incident_summary(
    profile: BandProfile, nominal_mhz: int, capacity_kw: int, start_time: int, seed: int = 0
) -> IncidentSummary:
    """The summary of ``incident`` with the same arguments."""
    return simulate(profile, nominal_mhz, capacity_kw, start_time, seed)[1]
