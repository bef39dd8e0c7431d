"""Program types and load shifting (issue 26 item 6; SPECIFICATION.md P-7, L-1..L-6): a load-shifting
program settles the reduction in the event window and the rebound in the window beside it together,
within an energy-neutrality tolerance, on its own baseline formula; an emergency-response program takes
events only from the emergency path. Every result is compared with the Python reference
(oracles/reference/load_shift.py) to the Wh."""

from __future__ import annotations

from collections.abc import Collection

import brownie
import pytest
from brownie.test import given
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from oracles.protocol.enums import ProgramType
from oracles.reference import baseline as ref
from oracles.reference import baseline_days as walk
from oracles.reference import load_shift as ls
from tests.contracts.helpers import err
from tests.contracts.suite import REGION, program_tuple
from tests.contracts.test_settlement import (
    INSUFFICIENT,
    SETTLED,
    VOLUNTARY,
    Readings,
    Scenario,
    activation,
    shape,
)

LOAD_SHIFTING = int(ProgramType.LoadShifting)
EMERGENCY_RESPONSE = int(ProgramType.EmergencyResponse)
PEAK_SHAVING = int(ProgramType.PeakShaving)
EMERGENCY = 2
EVENT = range(16, 20)  # the Scenario's event: 16:00-20:00 of an hourly region
TOLERANCE = 2_000  # +-20 %


@pytest.fixture(scope="module")
def harness(LoadShiftHarness, admin):  # type: ignore[no-untyped-def]
    return LoadShiftHarness.deploy({"from": admin})


def shift_program(world, utility, **overrides: int) -> int:  # type: ignore[no-untyped-def]
    """A load-shifting program (L-1): 10-in-10, no day-of adjustment, a 4-hour rebound window after
    the event, +-20 % neutrality; ``overrides`` by Solidity name."""
    s = world.suite
    fields = {
        "programType": LOAD_SHIFTING,
        "adjWindowHours": 0,
        "shiftHours": 4,
        "neutralityBps": TOLERANCE,
    } | overrides
    tx = s.programs.createProgram(
        REGION, program_tuple(s.token, **fields), 10**9, {"from": utility}
    )
    return int(tx.return_value)


class ShiftScenario(Scenario):
    """A Scenario of a load-shifting program: the consumers move part of their event-window use into
    the rebound window."""

    def terms(self) -> ls.ShiftTerms:
        kind = self.s.programs.programKind(self.program_id)
        start, end = ls.rebound_window(60, 16, 20, kind["shiftHours"], kind["shiftBefore"])
        return ls.ShiftTerms(
            rebound_start=start, rebound_end=end, neutrality_bps=kind["neutralityBps"]
        )

    def shifting(self, plan: dict[int, tuple[float, float]]) -> Readings:
        """Consumer ``cid`` cuts ``plan[cid][0]`` of its event-window use on the event day and uses
        ``plan[cid][1]`` times the energy it cut, spread evenly, in the rebound window."""
        window = self.terms()

        def f(cid: int, day: int) -> tuple[int, ...]:
            r = list(shape(cid, day))
            if cid in plan and day == self.event_day:
                cut, back = plan[cid]
                moved = 0
                for h in EVENT:
                    part = int(r[h] * cut)
                    r[h] -= part
                    moved += part
                hours = range(window.rebound_start, window.rebound_end)
                for h in hours:
                    r[h] += int(moved * back) // len(hours)
            return tuple(r)

        return f

    def expected_shift(  # type: ignore[no-untyped-def]
        self, who, skip: Collection[int] = ()
    ) -> tuple[ref.BaselineResult, ls.LoadShiftResult, int] | None:
        """The reference's event-window result (its reduction the shifted energy), the load shift and
        the reward; None for insufficient data (S-6, and L-3: any gap)."""
        cid = self.s.consumers.consumer(who)["id"]
        _, cands = self.required(who)
        ev = self.book.record(REGION, self.event_day, cid)
        inputs = walk.baseline_inputs(cands, self.usable(cid))
        if not walk.sufficient(not ev.missing, inputs) or inputs.gapped:
            return None
        program = self.s.programs.program(self.program_id).dict()
        p = ref.BaselineParams(
            start_interval=16,
            end_interval=20,
            adj_window_hours=0,
            adj_gap_hours=program["adjGapHours"],
            adj_cap_bps=program["adjCapBps"],
        )
        base, shift = ls.compute_shift(inputs.days, list(ev.readings), p, self.terms())
        rate = self.rr.drEvent(self.event)["rate"]
        reward = ref.reward(
            base.reduction_wh,
            self.committed[who.address],
            rate,
            program["minDeliveryBps"],
            program["bonusCapBps"],
        )
        return base, shift, reward


def measured(ev) -> tuple[int, int, int, int, int, bool]:  # type: ignore[no-untyped-def]
    return (
        ev["reductionWh"],
        ev["reboundBaselineWh"],
        ev["reboundActualWh"],
        ev["reboundWh"],
        ev["shiftedWh"],
        ev["neutral"],
    )


def shifted_scenario(world, utility, oracle, **overrides: int) -> ShiftScenario:  # type: ignore[no-untyped-def]
    """Consumers 1..3 of a load-shifting event: 1 moves half its event use into the rebound window
    (neutral), 2 cuts 80 % and uses nothing more later (a curtailment, not a shift), 3 cuts half and
    uses 1.5 times as much later (outside the tolerance)."""
    sc = ShiftScenario(
        world, utility, oracle, program_id=shift_program(world, utility, **overrides)
    )
    a, b, c = world.consumers[:3]
    sc.enroll(a, 3_000)  # it shifts about 1.8 kWh: above the 50 % minimum delivery
    sc.enroll(b, 20_000)
    sc.enroll(c, 100_000)
    sc.post(activation(world) + 1, sc.shifting({1: (0.5, 1.0), 2: (0.8, 0.0), 3: (0.5, 1.5)}))
    return sc


# ------------------------------------------------------------------ P-7, L-1 program terms


def test_p7_program_kind__stored_and_read(world, utility):
    """P-7: the type is chosen at creation and read back with `programKind`; a peak-shaving program
    (the default) has no rebound window."""
    s = world.suite
    assert tuple(s.programs.programKind(1)) == (PEAK_SHAVING, 0, False, 0)
    pid = shift_program(world, utility, shiftBefore=True)
    assert tuple(s.programs.programKind(pid)) == (LOAD_SHIFTING, 4, True, TOLERANCE)
    tx = s.programs.createProgram(
        REGION, program_tuple(s.token, programType=EMERGENCY_RESPONSE), 10**9, {"from": utility}
    )
    assert tuple(s.programs.programKind(tx.return_value)) == (EMERGENCY_RESPONSE, 0, False, 0)
    assert tx.events["ProgramCreated"]["params"][16] == EMERGENCY_RESPONSE
    with brownie.reverts(err("UnknownProgram", 99)):
        s.programs.programKind(99)
    with brownie.reverts():  # not a ProgramType: the ABI decoder refuses the enum value
        s.programs.createProgram(
            REGION, program_tuple(s.token, programType=3), 10**9, {"from": utility}
        )


@pytest.mark.parametrize(
    "overrides",
    [
        {"method": 1},  # high-5-of-10 would pick days by their event-window use (L-1)
        {"adjWindowHours": 3},  # the rebound may lie in the adjustment window
        {"shiftHours": 0},
        {"shiftHours": 13},
        {"neutralityBps": 10_001},
    ],
)
def test_l1_load_shift_terms__out_of_range__refused(world, utility, overrides):
    """L-1: InvalidLoadShift names the method, adjustment window, rebound hours and tolerance."""
    s = world.suite
    fields = {
        "programType": LOAD_SHIFTING,
        "adjWindowHours": 0,
        "shiftHours": 4,
        "neutralityBps": TOLERANCE,
    } | overrides
    with brownie.reverts(
        err(
            "InvalidLoadShift",
            fields.get("method", 0),
            fields["adjWindowHours"],
            fields["shiftHours"],
            fields["neutralityBps"],
        )
    ):
        s.programs.createProgram(REGION, program_tuple(s.token, **fields), 10**9, {"from": utility})
    assert ls.invalid_load_shift(
        fields.get("method", 0),
        fields["adjWindowHours"],
        fields["shiftHours"],
        fields["neutralityBps"],
    )


@pytest.mark.parametrize("program_type", [PEAK_SHAVING, EMERGENCY_RESPONSE])
@pytest.mark.parametrize(
    "overrides", [{"shiftHours": 1}, {"shiftBefore": True}, {"neutralityBps": 1}]
)
def test_p7_rebound_terms_on_another_type__refused(world, utility, program_type, overrides):
    """P-7: only a load-shifting program has a rebound window or a tolerance (InvalidProgramKind)."""
    s = world.suite
    fields = {"programType": program_type} | overrides
    with brownie.reverts(
        err(
            "InvalidProgramKind",
            program_type,
            fields.get("shiftHours", 0),
            fields.get("shiftBefore", False),
            fields.get("neutralityBps", 0),
        )
    ):
        s.programs.createProgram(REGION, program_tuple(s.token, **fields), 10**9, {"from": utility})


# ------------------------------------------------------------------ P-7 emergency response


@pytest.mark.parametrize("tier", [0, 1, 2])
def test_p7_emergency_response__utility_event__refused(world, utility, tier):
    """P-7: an emergency-response program's utility creates no event of any tier: its events come
    from the emergency path (a trigger holder, Emergency tier)."""
    s = world.suite
    pid = s.programs.createProgram(
        REGION, program_tuple(s.token, programType=EMERGENCY_RESPONSE), 10**9, {"from": utility}
    ).return_value
    day = walk_day(world)
    with brownie.reverts(err("EventOriginNotAllowed", pid, False, tier)):
        s.requests.createEvent(pid, day, 16, 20, 1_000_000, tier, {"from": utility})


def test_p7_emergency_response__triggered_below_emergency__refused(world, utility, admin, stranger):
    """P-7: a trigger holder's event on an emergency-response program must be Emergency-tier; a
    peak-shaving program takes the same triggered event (authorized/unauthorized pair)."""
    s = world.suite
    rr = s.requests
    rr.grantRole(rr.TRIGGER_ROLE(), stranger, {"from": admin})
    pid = s.programs.createProgram(
        REGION, program_tuple(s.token, programType=EMERGENCY_RESPONSE), 10**9, {"from": utility}
    ).return_value
    day = walk_day(world)
    for tier in (0, 1):
        with brownie.reverts(err("EventOriginNotAllowed", pid, True, tier)):
            rr.createTriggeredEvent(pid, day, 16, 20, 1_000_000, tier, {"from": stranger})
    # an Emergency-tier event passes the type and meets the grid's rule next (F-9)
    with brownie.reverts(err("EmergencyNotMeasured", REGION)):
        rr.createTriggeredEvent(pid, day, 16, 20, 1_000_000, EMERGENCY, {"from": stranger})
    tx = rr.createTriggeredEvent(1, day, 16, 20, 1_000_000, VOLUNTARY, {"from": stranger})
    assert tx.events["EventCreated"]["programId"] == 1


def test_p7_check_event_allowed__inactive_utility__refused(world, utility, verifiers):
    """P-3 (through ProgramRegistry.checkEventAllowed): a suspended utility's program takes no event."""
    s = world.suite
    day = walk_day(world)
    s.utilities.suspend(utility, b"\x01" * 32, {"from": verifiers[0]})
    with brownie.reverts(err("UtilityNotActive", utility, REGION)):
        s.requests.createEvent(1, day, 16, 20, 1_000_000, VOLUNTARY, {"from": utility})
    with brownie.reverts(err("UtilityNotActive", utility, REGION)):
        s.programs.checkEventAllowed(1, False, VOLUNTARY)


def walk_day(world) -> int:  # type: ignore[no-untyped-def]
    from tests.contracts.suite import local_day, next_weekday, now

    return next_weekday(local_day(now()), at_least=2)


# ------------------------------------------------------------------ L-2 rebound window


@pytest.mark.parametrize(
    "interval,start,end,hours,before,expected",
    [
        (60, 16, 20, 4, False, (20, 24)),
        (60, 16, 20, 4, True, (12, 16)),
        (60, 20, 24, 3, False, (24, 24)),  # an event ending at midnight: no rebound window that day
        (60, 2, 6, 4, True, (0, 2)),  # cut at midnight
        (15, 69, 75, 2, False, (75, 83)),  # 17:15-18:45, then 18:45-20:45
        (15, 69, 75, 12, True, (21, 69)),
        (30, 40, 44, 12, False, (44, 48)),
    ],
)
def test_l2_rebound_window__equals_the_reference(
    harness, interval, start, end, hours, before, expected
):
    assert ls.rebound_window(interval, start, end, hours, before) == expected
    assert tuple(harness.reboundWindow(interval, start, end, hours, before)) == expected


# ------------------------------------------------------------------ L-3..L-5 the formula


def _params(start: int, end: int) -> ref.BaselineParams:
    return ref.BaselineParams(start_interval=start, end_interval=end, adj_window_hours=0)


def test_l4_neutrality__edges_exact(harness):
    """L-4: |R - I| x 10,000 <= tolerance x R, no division; no reduction is never neutral."""
    cases = [(1_000, 800, 2_000, True), (1_000, 799, 2_000, False), (1_000, 1_200, 2_000, True),
             (1_000, 1_201, 2_000, False), (0, 0, 10_000, False), (1, 0, 10_000, True),
             (1_000, 1_000, 0, True), (1_000, 1_001, 0, False)]  # fmt: skip
    for r, i, tol, neutral in cases:
        assert ls.is_neutral(r, i, tol) is neutral
        assert harness.isNeutral(r, i, tol) is neutral


def test_l3_l5_hand_computed(harness):
    """L-3..L-5 by hand: a 1,000 Wh/h baseline; 600 Wh/h in 16-20 (reduction 1,600) and 1,400 Wh/h
    in 20-24 (rebound 1,600): neutral, shifted 1,600; the Result's reduction is the shifted energy."""
    days = [[1_000] * 24] * 10
    event = [1_000] * 16 + [600] * 4 + [1_400] * 4
    t = ls.ShiftTerms(rebound_start=20, rebound_end=24, neutrality_bps=TOLERANCE)
    base, shift = ls.compute_shift(days, event, _params(16, 20), t)
    assert shift.as_tuple() == (1_600, 4_000, 5_600, 1_600, 1_600, True)
    assert base.as_tuple() == (4_000, 2_400, 1_600, 10_000)
    chain_base, chain_shift = harness.compute(
        days, event, _params(16, 20).as_tuple(), (20, 24, TOLERANCE)
    )
    assert tuple(chain_base) == base.as_tuple() and tuple(chain_shift) == shift.as_tuple()


@settings(max_examples=25, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(5, 10),
    seed=st.integers(0, 2**32 - 1),
    start=st.integers(0, 22),
    length=st.integers(1, 6),
    hours=st.integers(1, 12),
    before=st.booleans(),
    tol=st.integers(0, 10_000),
)
def test_l3_l5_random__chain_equals_reference(harness, n, seed, start, length, hours, before, tol):
    """L-2..L-5 on random days, windows and tolerances: the library equals the reference exactly."""
    import random

    rng = random.Random(seed)
    end = min(start + length, 24)
    days = [[rng.randrange(0, 5_000) for _ in range(24)] for _ in range(n)]
    event = [rng.randrange(0, 8_000) for _ in range(24)]
    rs, re_ = ls.rebound_window(60, start, end, hours, before)
    t = ls.ShiftTerms(rebound_start=rs, rebound_end=re_, neutrality_bps=tol)
    base, shift = ls.compute_shift(days, event, _params(start, end), t)
    chain_base, chain_shift = harness.compute(
        days, event, _params(start, end).as_tuple(), (rs, re_, tol)
    )
    assert tuple(chain_base) == base.as_tuple()
    assert tuple(chain_shift) == shift.as_tuple()


# ------------------------------------------------------------------ settlement (L-5, L-6)


@pytest.mark.both_profiles
def test_l5_settle__every_outcome_equals_the_reference(world, utility, oracle):
    """L-3..L-5, S-5..S-8: settle and verify equal the reference to the Wh; the neutral shift is paid
    for the shifted energy, the curtailment without rebound and the over-rebound are paid nothing, and
    each consumer's load shift is logged (LoadShiftMeasured)."""
    s = world.suite
    sc = shifted_scenario(world, utility, oracle)
    a, b, c = world.consumers[:3]
    results = {}
    for who in (a, b, c):
        expected = sc.expected_shift(who)
        assert expected is not None
        base, shift, reward = expected
        leaves = sc.leaves(who)
        assert tuple(s.proofs.verify(sc.event, who, leaves)["result"]) == base.as_tuple()
        before = s.token.balanceOf(who)
        tx = s.proofs.settle(sc.event, who, leaves, {"from": world.consumers[3]})
        settled = tx.events["Settled"]
        assert (settled["baselineWh"], settled["actualWh"], settled["reductionWh"],
                settled["adjustmentBps"]) == base.as_tuple()  # fmt: skip
        assert settled["reward"] == reward
        logged = tx.events["LoadShiftMeasured"]
        assert (logged["eventId"], logged["account"]) == (sc.event, who)
        assert measured(logged) == shift.as_tuple()
        assert s.token.balanceOf(who) - before == reward
        assert s.requests.enrollment(sc.event, who)["status"] == SETTLED
        results[who.address] = (shift, reward)
    shift_a, reward_a = results[a.address]
    assert shift_a.neutral and shift_a.shifted_wh > 0 and reward_a > 0
    shift_b, reward_b = results[b.address]
    assert (
        shift_b.reduction_wh > 0 and not shift_b.neutral and reward_b == 0
    )  # curtailed, not shifted
    shift_c, reward_c = results[c.address]
    assert shift_c.rebound_wh > shift_c.reduction_wh and not shift_c.neutral and reward_c == 0


@pytest.mark.both_profiles
def test_l6_settle_batch__equals_settle_and_the_reference(world, utility, oracle):
    """L-6, S-11: batch settlement of a load-shifting event reads the rebound window too: every
    outcome and every LoadShiftMeasured log equal the reference (and so `settle`)."""
    s = world.suite
    sc = shifted_scenario(world, utility, oracle)
    whos = world.consumers[:3]
    consumers, groups = sc.batch_args(whos)
    tx = s.proofs.settleBatch(sc.event, consumers, groups, {"from": world.consumers[3]})
    settled = {e["account"]: e for e in tx.events["Settled"]}
    logged = {e["account"]: e for e in tx.events["LoadShiftMeasured"]}
    for who in whos:
        expected = sc.expected_shift(who)
        assert expected is not None
        base, shift, reward = expected
        ev = settled[who.address]
        assert (
            ev["baselineWh"],
            ev["actualWh"],
            ev["reductionWh"],
            ev["adjustmentBps"],
        ) == base.as_tuple()
        assert ev["reward"] == reward
        assert measured(logged[who.address]) == shift.as_tuple()


def test_l2_settle__rebound_before_the_event(world, utility, oracle):
    """L-2: with `shiftBefore` the rebound window is the 4 hours before the event (pre-cooling):
    consumer 1's move into 12:00-16:00 is the shift settled and paid."""
    s = world.suite
    sc = shifted_scenario(world, utility, oracle, shiftBefore=True)
    assert sc.terms().rebound_start == 12 and sc.terms().rebound_end == 16
    a = world.consumers[0]
    expected = sc.expected_shift(a)
    assert expected is not None
    _, shift, reward = expected
    tx = s.proofs.settle(sc.event, a, sc.leaves(a), {"from": world.consumers[3]})
    assert measured(tx.events["LoadShiftMeasured"]) == shift.as_tuple()
    assert shift.neutral and tx.events["Settled"]["reward"] == reward > 0


def test_attack_l3_withheld_baseline_day__insufficient_not_paid(world, utility, oracle):
    """L-3 (threat: the oracle or the consumer withholds a baseline day so that its zeros lower the
    rebound window's baseline and so raise the rebound): a baseline day flagged missing makes the
    load shift insufficient data, SettledInsufficientData, nothing paid, no LoadShiftMeasured. Read as
    zeros (B-9's rule for peak shaving), the same gap would have raised the rebound."""
    s = world.suite
    sc = ShiftScenario(world, utility, oracle, program_id=shift_program(world, utility))
    a = world.consumers[0]
    sc.enroll(a, 4_000)
    honest = sc.shifting({1: (0.5, 0.7)})
    probe = walk.candidate_days(sc.event_day, activation(world), set(), set())
    gap_day = probe[0]

    def withheld(cid: int, day: int) -> tuple[int, ...] | None:
        return None if (cid == 1 and day == gap_day) else honest(cid, day)

    sc.post(activation(world) + 1, withheld)
    assert list(s.proofs.candidateDays(sc.event, a)) == probe
    assert sc.expected_shift(a) is None
    tx = s.proofs.settle(sc.event, a, sc.leaves(a), {"from": world.consumers[3]})
    assert "Settled" not in tx.events and "LoadShiftMeasured" not in tx.events
    ins = tx.events["SettledInsufficientData"]
    assert (ins["baselineDays"], ins["eventDayMissing"]) == (len(probe) - 1, False)
    assert s.requests.enrollment(sc.event, a)["status"] == INSUFFICIENT
    assert s.requests.enrollment(sc.event, a)["paid"] == 0
    # what the rule prevents: the gap as zeros raises the rebound above the honest days' rebound
    event_day = list(honest(1, sc.event_day))
    p = _params(16, 20)
    _, with_all = ls.compute_shift([honest(1, d) for d in probe], event_day, p, sc.terms())
    zeros = walk.baseline_inputs(probe, lambda d: None if d == gap_day else honest(1, d))
    _, with_zeros = ls.compute_shift(zeros.days, event_day, p, sc.terms())
    assert with_zeros.rebound_wh > with_all.rebound_wh
    assert with_zeros.reduction_wh < with_all.reduction_wh


# ------------------------------------------------------------------ L-6 optimistic roots


def test_l6_optimistic_root__peak_shaving_figures_caught__load_shift_figures_stand(
    world, utility, oracle, keeper, stranger
):
    """L-6, O-4: a root of a load-shifting event is recomputed by `settle`, so L-3..L-5 hold there too:
    an entry paying consumer 2's curtailment as if the program were peak shaving is voided, while the
    entries of the load-shift reference are correct (EntryCorrect)."""
    from oracles.reference import optimistic_root as opt
    from tests.contracts.suite import ROOT_BOND
    from tests.contracts.test_optimistic import WRONG_RESULT, result_of

    s = world.suite
    sc = shifted_scenario(world, utility, oracle)
    whos = world.consumers[:3]
    committed = [sc.committed[w.address] for w in whos]
    honest = []
    for who, wh in zip(whos, committed, strict=True):
        expected = sc.expected_shift(who)
        assert expected is not None
        honest.append(result_of(who, wh, expected[0], expected[2]))
    program = s.programs.program(sc.program_id).dict()
    plain, plain_reward = sc.expected(
        whos[1], program | {"adjWindowHours": 0}
    )  # peak shaving's figures
    assert plain is not None and plain_reward > honest[1].reward == 0
    wrong = list(honest)
    wrong[1] = result_of(whos[1], committed[1], plain, plain_reward)
    tree = opt.RootTree(sc.event, opt.entries_for(wrong))
    s.optimistic.propose(sc.event, tree.count, tree.total, {"from": keeper, "value": ROOT_BOND})
    s.optimistic.postEntries(sc.event, opt.pack_entries(tree.entries), {"from": keeper})
    for i in (0, 2):  # the load-shift figures stand
        e = tree.entries[i]
        with brownie.reverts(err("EntryCorrect", sc.event, i)):
            s.optimistic.challengeEntry(
                sc.event, e.as_tuple(), tree.proof(e.index), sc.leaves(whos[i]), {"from": stranger}
            )
    e = tree.entries[1]
    tx = s.optimistic.challengeEntry(
        sc.event, e.as_tuple(), tree.proof(e.index), sc.leaves(whos[1]), {"from": stranger}
    )
    assert tx.events["RootVoided"]["fault"] == WRONG_RESULT
    assert measured(tx.events["LoadShiftMeasured"]) == sc.expected_shift(whos[1])[1].as_tuple()  # type: ignore[index]
    assert s.requests.enrollment(sc.event, whos[1])["paid"] == 0
