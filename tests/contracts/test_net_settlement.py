"""Net programs (issue 23 item 1; SPECIFICATION.md N-1..N-3): a program settles on imports or, chosen
at creation, on net load, max(import - export, 0) per interval, so a consumer with rooftop solar is
never paid for exporting more. Every result is compared with the Python reference to the Wh."""

from __future__ import annotations

from collections.abc import Callable, Collection

import brownie
import pytest

from oracles.protocol.enums import Basis
from oracles.reference import baseline as ref
from oracles.reference import baseline_days as walk
from oracles.reference.meter_leaf import Channel, ConsumerDay
from tests.contracts.helpers import err
from tests.contracts.suite import REGION, program_tuple
from tests.contracts.test_settlement import (
    INSUFFICIENT,
    SETTLED,
    Readings,
    Scenario,
    activation,
    assert_result,
)

Leaf = tuple[int, bytes, list[bytes]]


def solar(cid: int, day: int) -> tuple[int, ...]:
    """Rooftop-solar exports: consumer 1 exports at midday and a little into the event (16:00-20:00);
    consumer 2 exports more than it imports at 16:00; consumers 3 and 4 have no panels (zeros)."""
    if cid == 1:
        return tuple(900 if 10 <= h < 15 else 120 if 16 <= h < 18 else 0 for h in range(24))
    if cid == 2:
        return tuple(40_000 if h == 16 else 0 for h in range(24))
    return (0,) * 24


class NetScenario(Scenario):
    """A Scenario whose days also carry export records (N-2)."""

    def post_exports(self, first_day: int, exports: Readings, skip: Collection[int] = ()) -> None:
        """Post one export batch per day from `first_day` to the event day, except `skip`."""
        for d in range(first_day, self.event_day + 1):
            if d in skip:
                continue
            recs = [
                ConsumerDay(
                    channel=Channel.EXPORT,
                    consumer_id=cid,
                    region_id=REGION,
                    day=d,
                    readings=exports(cid, d) or (0,) * 24,
                )
                for cid in range(1, 5)
            ]
            self.book.post(REGION, d, recs)

    def has_day(self, d: int, cid: int) -> bool:
        """N-2: a net program's day has data when both its records were posted."""
        return self.book.posted(REGION, d, cid) and self.book.posted(REGION, d, cid, Channel.EXPORT)

    def net_leaves(self, who) -> list[Leaf]:  # type: ignore[no-untyped-def]
        """The walk's leaves of a net program: per day with data, its import then its export record."""
        cid = self.s.consumers.consumer(who)["id"]
        cands = list(self.s.proofs.candidateDays(self.event, who))
        days = [d for d in [self.event_day, *cands] if self.has_day(d, cid)]
        return [
            self.book.leaf_proof(REGION, d, cid, channel)
            for d in days
            for channel in (Channel.IMPORT, Channel.EXPORT)
        ]

    def net_usable(self, cid: int) -> Callable[[int], tuple[int, ...] | None]:
        """A day's net readings, max(import - export, 0) (N-1), or None for a gap (S-4, B-9)."""

        def f(d: int) -> tuple[int, ...] | None:
            if not self.has_day(d, cid) or (cid, d) in self.missing:
                return None
            return ref.net_readings(
                self.book.record(REGION, d, cid).readings,
                self.book.record(REGION, d, cid, Channel.EXPORT).readings,
            )

        return f

    def net_expected(self, who, program: dict) -> tuple[ref.BaselineResult | None, int]:  # type: ignore[no-untyped-def]
        cid = self.s.consumers.consumer(who)["id"]
        cands = list(self.s.proofs.candidateDays(self.event, who))
        usable = self.net_usable(cid)
        return self._result(who, program, cands, usable, usable(self.event_day))

    def _result(  # type: ignore[no-untyped-def]
        self,
        who,
        program: dict,
        cands: list[int],
        usable: Callable[[int], tuple[int, ...] | None],
        event: tuple[int, ...] | None,
    ) -> tuple[ref.BaselineResult | None, int]:
        inputs = walk.baseline_inputs(cands, usable)
        if event is None or not walk.sufficient(True, inputs):
            return None, 0
        p = ref.BaselineParams(
            method=program["method"],
            start_interval=16,
            end_interval=20,
            adj_window_hours=program["adjWindowHours"],
            adj_gap_hours=program["adjGapHours"],
            adj_cap_bps=program["adjCapBps"],
        )
        r = ref.compute(inputs.days, list(event), p, inputs.gapped)
        rate = self.rr.drEvent(self.event)["rate"]
        reward = ref.reward(
            r.reduction_wh,
            self.committed[who.address],
            rate,
            program["minDeliveryBps"],
            program["bonusCapBps"],
        )
        return r, reward


def _net_program(world, utility) -> int:  # type: ignore[no-untyped-def]
    s = world.suite
    return s.programs.createProgram(
        REGION, program_tuple(s.token, basis=int(Basis.Net)), 10**9, {"from": utility}
    ).return_value


@pytest.fixture
def net(world, utility, oracle):  # type: ignore[no-untyped-def]
    """A net program's event with consumers 1..3 enrolled, imports posted (not final yet)."""
    sc = NetScenario(world, utility, oracle, program_id=_net_program(world, utility))
    a, b, c = world.consumers[:3]
    sc.enroll(a, 4_000)
    sc.enroll(b, 20_000)
    sc.enroll(c, 100_000)
    sc.post(activation(world) + 1, sc.reducing({1: 0.3, 2: 0.8}), final=False)
    return sc


def test_create_program__basis__stored_and_read(world, utility):
    """P-2, N-1: the basis is chosen at creation and read back; the default is import."""
    s = world.suite
    assert s.programs.program(world.program_id)["basis"] == int(Basis.Import)
    pid = _net_program(world, utility)
    assert s.programs.program(pid)["basis"] == int(Basis.Net)
    with brownie.reverts():  # not a Basis: the ABI decoder refuses the enum value
        s.programs.createProgram(REGION, program_tuple(s.token, basis=2), 10**9, {"from": utility})


@pytest.mark.both_profiles
def test_net_settle__every_outcome_equals_the_reference(world, net):
    """N-1, N-2, S-5..S-8: each day's net readings, max(import - export, 0), make the baseline and
    the event-day use; settle and verify equal the reference to the Wh, and the solar consumer's
    result differs from what its imports alone would give."""
    s = world.suite
    net.post_exports(activation(world) + 1, solar)
    net.finalize()
    program = s.programs.program(net.program_id).dict()
    a, b, c = world.consumers[:3]
    for who in (a, b, c):
        leaves = net.net_leaves(who)
        r, reward = net.net_expected(who, program)
        assert r is not None
        verified = s.proofs.verify(net.event, who, leaves)
        assert tuple(verified["result"]) == r.as_tuple()
        before = s.token.balanceOf(who)
        tx = s.proofs.settle(net.event, who, leaves, {"from": world.consumers[3]})
        ev = tx.events["Settled"]
        assert_result(ev, r)
        assert ev["reward"] == reward
        assert s.token.balanceOf(who) - before == reward
        assert s.requests.enrollment(net.event, who)["status"] == SETTLED
    imports_only, _ = net.expected(a, program)
    net_a, _ = net.net_expected(a, program)
    assert imports_only is not None and net_a is not None
    assert net_a.baseline_wh < imports_only.baseline_wh  # its exports were netted (N-1)


def test_attack_net_settle__exporting_more_is_not_paid(world, net):
    """N-1 (threat: a solar consumer exports more during the event to be paid for it): consumer 2
    exports 40 kWh at 16:00, far above its import; the interval's net load is 0, not negative, so its
    actual use and reward are what an export of exactly its import would give."""
    s = world.suite
    net.post_exports(activation(world) + 1, solar)
    net.finalize()
    program = s.programs.program(net.program_id).dict()
    b = world.consumers[1]
    cid = s.consumers.consumer(b)["id"]
    event_import = net.book.record(REGION, net.event_day, cid).readings
    event_export = net.book.record(REGION, net.event_day, cid, Channel.EXPORT).readings
    assert event_export[16] > event_import[16]
    tx = s.proofs.settle(net.event, b, net.net_leaves(b), {"from": world.consumers[3]})
    ev = tx.events["Settled"]
    # the same day with the 16:00 export cut to exactly the import
    capped = tuple(min(e, i) for e, i in zip(event_export, event_import, strict=True))
    cands = list(s.proofs.candidateDays(net.event, b))
    r, reward = net._result(
        b, program, cands, net.net_usable(cid), ref.net_readings(event_import, capped)
    )
    assert r is not None
    assert_result(ev, r)
    assert ev["reward"] == reward


def test_net_settle__export_record_missing__the_day_is_a_gap(world, net):
    """N-2, B-9: a baseline day without its export record has no data in a net program: it needs
    no records and counts as a gap of zeros (never the import alone); supplying its import record
    is refused as cherry-picking."""
    s = world.suite
    a = world.consumers[0]
    # the walk's days, from the reference (the chain answers once the day is final): no holidays,
    # no other event days in this world
    cands = walk.candidate_days(net.event_day, activation(world), set(), set())
    gap = cands[2]
    net.post_exports(activation(world) + 1, solar, skip={gap})
    net.finalize()
    assert list(s.proofs.candidateDays(net.event, a)) == cands
    program = s.programs.program(net.program_id).dict()
    leaves = net.net_leaves(a)
    assert len(leaves) == 2 * len(cands)  # the event day and every candidate but `gap`, two each
    # the gap's import record slipped in where the next day's is due
    cid = s.consumers.consumer(a)["id"]
    sneaked = list(leaves)
    sneaked.insert(2 * 3, net.book.leaf_proof(REGION, gap, cid))
    with brownie.reverts(err("NotEligibleBaselineDay", cands[3], gap)):
        s.proofs.settle(net.event, a, sneaked, {"from": world.consumers[3]})
    r, reward = net.net_expected(a, program)
    assert r is not None
    tx = s.proofs.settle(net.event, a, leaves, {"from": world.consumers[3]})
    assert_result(tx.events["Settled"], r)
    assert tx.events["Settled"]["reward"] == reward


def test_net_settle__import_records_only__refused_by_shape(world, net):
    """N-2, S-13: a net program's walk reads each day's export record after its import record; an
    import record where the export one is due is refused with the shape error, never misread."""
    s = world.suite
    net.post_exports(activation(world) + 1, solar)
    net.finalize()
    a = world.consumers[0]
    imports = net.net_leaves(a)[::2]
    with brownie.reverts(err("RecordShapeNotSettleable", 1, 60, 0)):
        s.proofs.settle(net.event, a, imports, {"from": world.consumers[3]})


def test_net_settle__event_day_export_missing__insufficient_data(world, net):
    """N-2, S-6: without the event day's export record a net program's event day has no data: the
    settlement records insufficient data and pays nothing."""
    s = world.suite
    net.post_exports(activation(world) + 1, solar, skip={net.event_day})
    net.finalize()
    a = world.consumers[0]
    leaves = net.net_leaves(a)
    tx = s.proofs.settle(net.event, a, leaves, {"from": world.consumers[3]})
    assert "Settled" not in tx.events
    assert s.requests.enrollment(net.event, a)["status"] == INSUFFICIENT


def test_net_settle_batch__refused(world, net):
    """N-3: settleBatch reads one channel; a net program's enrollments settle one by one."""
    s = world.suite
    net.post_exports(activation(world) + 1, solar)
    net.finalize()
    consumers, groups = net.batch_args(world.consumers[:1])
    with brownie.reverts(err("NetProgramNotBatchable", net.event)):
        s.proofs.settleBatch(net.event, consumers, groups, {"from": world.consumers[3]})


def test_import_program__export_records__ignored(world, utility, oracle):
    """N-1: an import program reads the import records only, whatever was exported: its result is
    the import reference's even with export records posted."""
    s = world.suite
    sc = NetScenario(world, utility, oracle)
    a = world.consumers[0]
    sc.enroll(a, 4_000)
    sc.post(activation(world) + 1, sc.reducing({1: 0.3}), final=False)
    sc.post_exports(activation(world) + 1, solar)
    sc.finalize()
    program = s.programs.program(sc.program_id).dict()
    r, reward = sc.expected(a, program)
    assert r is not None
    tx = s.proofs.settle(sc.event, a, sc.leaves(a), {"from": world.consumers[3]})
    assert_result(tx.events["Settled"], r)
    assert tx.events["Settled"]["reward"] == reward
