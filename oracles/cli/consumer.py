"""`gridbalance consumer register|activate|set-meter-key|update|pause|deregister|show`: consumers, their
meters, consent and preferences (ConsumerRegistry, C-1..C-12)."""

from __future__ import annotations

import argparse
from typing import Any

from eth_utils.crypto import keccak

from oracles.cli import argtypes, tokens
from oracles.cli.actions import (
    CliError,
    Need,
    Own,
    Role,
    Session,
    Tx,
    command,
    group,
    one_event,
)
from oracles.protocol.bindings import Consumer, MeterKey, Preferences, TrackRecord
from oracles.protocol.enums import ConsumerClass, ConsumerStatus
from oracles.protocol.region_time import offset_text

CONTRACT = "ConsumerRegistry"
ATTESTER = "KYC_ATTESTER_ROLE"
CONSENT_BITS = {"data": 1, "keeper": 2}  # bit 0 data use, bit 1 automated enrollment (C-1)
ZERO = "0x" + "00" * 20
OWN = Own("the consumer")


def consent(text: str) -> int:
    """Consent flags: ``data``, ``keeper`` (automated enrollment), both ``data,keeper``, or ``none``."""
    if text == "none":
        return 0
    value = 0
    for part in (t.strip() for t in text.split(",")):
        if part not in CONSENT_BITS:
            raise argparse.ArgumentTypeError(
                f"{text!r}: consent is data, keeper, data,keeper or none"
            )
        value |= CONSENT_BITS[part]
    return value


def consent_text(value: int) -> str:
    return ",".join(n for n, bit in CONSENT_BITS.items() if value & bit) or "none"


def hours_text(mask: int) -> str:
    """A 24-bit hours mask as ranges ``0-6,18``, or ``all``."""
    if mask == 2**24 - 1:
        return "all"
    hours = [h for h in range(24) if mask >> h & 1]
    parts: list[str] = []
    for h in hours:
        if parts and h - 1 in hours:
            lo = parts[-1].split("-")[0]
            parts[-1] = f"{lo}-{h}"
        else:
            parts.append(str(h))
    return ",".join(parts) or "none"


def _preference_args(p: argparse.ArgumentParser, *, defaults: bool) -> None:
    """Capacity, consent and preferences; without ``defaults`` (update) a flag not given keeps the
    current value."""

    def d(value: Any) -> Any:
        return value if defaults else None

    keep = "" if defaults else " (default: unchanged)"
    p.add_argument("--capacity-w", type=argtypes.uint(32, 1), required=defaults,
                   help=f"reduction capacity, W (1 W .. 100 MW; an attester vouches for it){keep}")  # fmt: skip
    p.add_argument("--consent", type=consent, default=d(1),
                   help=f"data (use of its meter data, needed to enroll), keeper (automated enrollment), "
                   f"data,keeper or none{keep or ' (default: data)'}")  # fmt: skip
    p.add_argument("--min-rate", type=argtypes.uint(80), default=d(0),
                   help=f"lowest event rate accepted, smallest token units per kWh{keep or ' (default: 0)'}")  # fmt: skip
    p.add_argument("--max-events", type=argtypes.uint(8, 1), default=d(10),
                   help=f"at most this many event days in any 30 days, 1..30{keep or ' (default: 10)'}")  # fmt: skip
    p.add_argument("--hours", type=argtypes.hours_mask, default=d(2**24 - 1),
                   help=f"hours of the region's standard time (R-6) it may be in an event: all, or 0-6,18,20-23{keep or ' (default: all)'}")  # fmt: skip


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    g = group(sub, "consumer",
              "register, activate, set a meter key, update, pause, deregister, show consumers")  # fmt: skip
    p = command(g, "register", "register the sender as a consumer (sent by the consumer itself)",
                _register)  # fmt: skip
    p.add_argument("--region", type=argtypes.uint(16, 1), required=True, help="region id")
    p.add_argument("--class", dest="klass", choices=[c.name.lower() for c in ConsumerClass],
                   default="residential", help="consumer class (default: %(default)s)")  # fmt: skip
    p.add_argument("--meter-id", required=True,
                   help="the meter's id as the meter files name it (its keccak256 goes on chain)")  # fmt: skip
    _preference_args(p, defaults=True)
    p = command(g, "activate",
                "attest KYC and meter ownership and activate a registered consumer "
                "(a KYC attester or an active utility of its region)", _activate)  # fmt: skip
    p.add_argument("consumer", type=argtypes.account,
                   help="the registered consumer's address (on the localnet also its name, consumer1)")  # fmt: skip
    p.add_argument("--kyc", type=argtypes.hash32, required=True,
                   help="the KYC record's hash (0x + 64 hex digits), or its text (hashed)")  # fmt: skip
    p.add_argument("--meter-attestation", type=argtypes.hash32, required=True,
                   help="the meter-ownership evidence's hash, or its text (hashed)")  # fmt: skip
    p = command(g, "set-meter-key",
                "register the signing key of an active consumer's meter "
                "(a KYC attester or an active utility of its region)", _set_meter_key)  # fmt: skip
    p.add_argument("consumer", type=argtypes.account,
                   help="the active consumer's address (on the localnet also its name, consumer1)")  # fmt: skip
    p.add_argument("--key", type=argtypes.address, required=True, help="the meter key's address")
    p.add_argument("--from-day", type=argtypes.calendar_day, default=None,
                   help="first local day the key signs, YYYY-MM-DD (default: today in the region)")  # fmt: skip
    p = command(g, "update", "change capacity (down only), consent and preferences (the consumer)",
                _update)  # fmt: skip
    _preference_args(p, defaults=False)
    p = command(g, "pause", "pause (or with --resume resume) participation (the consumer)", _pause)
    p.add_argument("--resume", action="store_true", help="resume participation")
    command(g, "deregister",
            "leave: burn the participation token and free the meter (the consumer; final)",
            _deregister)  # fmt: skip
    p = command(g, "show", "a consumer's registration, preferences, meter key and track record",
                _show, sends=False)  # fmt: skip
    p.add_argument("consumer", type=argtypes.account,
                   help="the consumer's address (on the localnet also its name, consumer1)")  # fmt: skip


def _consumer(s: Session, account: str) -> Consumer:
    return s.p.consumer(account)


def _in_status(s: Session, account: str, *wanted: ConsumerStatus) -> Consumer:
    c = _consumer(s, account)
    if c.status not in wanted:
        names = " or ".join(w.name for w in wanted)
        now = "not registered" if c.status == ConsumerStatus.None_ else c.status.name
        raise CliError(f"consumer {account} is {now}, not {names}")
    return c


def attester(s: Session, region: int) -> Need:
    """Who may activate or attest for a consumer of ``region`` (C-3): KYC_ATTESTER_ROLE or an active
    utility of the region. A named sender that is neither is refused with both named. Without one,
    on a development chain where no node account is an attester (the localnet has none), a node
    account that is an active utility of the region sends it."""
    need = Role(CONTRACT, ATTESTER)
    named = s.named_signer()
    if named is not None:
        held = named.address in s.book.holders(CONTRACT, ATTESTER)
        if not held and not s.p.utilities.functions.isActiveUtility(named.address, region).call():
            holders = s.book.holder_text(s.book.holders(CONTRACT, ATTESTER))
            raise CliError(f"{s.label(named.address)} cannot attest: it needs {CONTRACT}.{ATTESTER} "
                           f"(held by {holders}) or to be an active utility of region {region}")  # fmt: skip
        return need
    if s.dev and not _node_holders(s, need):  # no attester among the node's accounts: its utility
        from oracles.cli.program import region_utility

        return region_utility(s, region)
    return need


def _node_holders(s: Session, need: Role) -> list[str]:
    from oracles.ops.roles import node_accounts

    return s.book.node_holders(node_accounts(s.w3), need.contract, need.role)


def _register(args: argparse.Namespace) -> int:
    s = Session.open(args)
    if not s.p.regions.functions.regionExists(args.region).call():
        raise CliError(f"region {args.region} is not registered on this chain")
    klass = ConsumerClass[args.klass.capitalize()]
    meter_hash = keccak(text=args.meter_id)
    prefs = Preferences(min_rate=args.min_rate, max_events_per_30_days=args.max_events,
                        available_hours=args.hours)  # fmt: skip
    fn = s.p.consumers.functions.register(int(klass), args.region, meter_hash, args.capacity_w,
                                          args.consent, prefs.abi())  # fmt: skip

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.consumers, "ConsumerRegistered")
        return (f"{s.label(e['account'])} registered as a {klass.name.lower()} consumer in region "
                f"{args.region}, meter {args.meter_id!r}, {args.capacity_w:,} W, consent "
                f"{consent_text(args.consent)}; it takes part once an attester activates it "
                f"(`gridbalance consumer activate {e['account']}`).")  # fmt: skip

    return s.run([Tx(fn, f"register meter {args.meter_id!r}", CONTRACT)],
                 Own("the registering consumer"), summary)  # fmt: skip


def _activate(args: argparse.Namespace) -> int:
    s = Session.open(args)
    c = _in_status(s, args.consumer, ConsumerStatus.Registered)
    fn = s.p.consumers.functions.activate(args.consumer, args.kyc, args.meter_attestation)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.consumers, "ConsumerActivated")
        day = argtypes.day_text(_consumer(s, args.consumer).activation_day)
        return (f"Consumer {args.consumer} activated by {s.label(e['attester'])}: consumer id "
                f"{e['consumerId']} (its participation token), active from {day}.")  # fmt: skip

    return s.run([Tx(fn, f"activate {args.consumer}", CONTRACT)], attester(s, c.region_id), summary)


def _today(s: Session, region: int) -> int:
    return int(s.p.regions.functions.localDay(region, s.now()).call())


def _set_meter_key(args: argparse.Namespace) -> int:
    s = Session.open(args)
    c = _in_status(s, args.consumer, ConsumerStatus.Active)
    day = args.from_day if args.from_day is not None else _today(s, c.region_id)
    fn = s.p.consumers.functions.setMeterKey(args.consumer, args.key, day)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.consumers, "MeterKeySet")
        before = "" if e["previousKey"] == ZERO else f"; {e['previousKey']} keeps the days before"
        return (f"Meter key {e['key']} signs consumer {args.consumer}'s days from "
                f"{argtypes.day_text(e['fromDay'])}{before}.")  # fmt: skip

    tx = Tx(fn, f"set meter key of {args.consumer}", CONTRACT)
    return s.run([tx], attester(s, c.region_id), summary)


def _own_account(s: Session) -> str:
    return s.signer(OWN).address


def _update(args: argparse.Namespace) -> int:
    s = Session.open(args)
    account = _own_account(s)
    c = _in_status(s, account, ConsumerStatus.Registered, ConsumerStatus.Active)

    def pick(given: int | None, current: int) -> int:
        return current if given is None else given

    capacity = pick(args.capacity_w, c.capacity_w)
    given = pick(args.consent, c.consent)
    prefs = Preferences(min_rate=pick(args.min_rate, c.min_rate),
                        max_events_per_30_days=pick(args.max_events, c.max_events_per_30_days),
                        available_hours=pick(args.hours, c.available_hours))  # fmt: skip
    fn = s.p.consumers.functions.updateProfile(capacity, given, prefs.abi())

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.consumers, "ProfileUpdated")
        p = Preferences.model_validate(e["prefs"])
        return (f"Consumer {account} updated: {e['capacityW']:,} W, consent {consent_text(e['consent'])}, "
                f"min rate {p.min_rate}, at most {p.max_events_per_30_days} events per 30 days, "
                f"hours {hours_text(p.available_hours)}.")  # fmt: skip

    return s.run([Tx(fn, f"update profile of {account}", CONTRACT)], OWN, summary)


def _pause(args: argparse.Namespace) -> int:
    s = Session.open(args)
    account = _own_account(s)
    _in_status(s, account, ConsumerStatus.Active)
    fn = s.p.consumers.functions.setPaused(not args.resume)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.consumers, "ParticipationPaused")
        if e["paused"]:
            return f"Consumer {account} paused: it is enrolled in no new event until it resumes."
        return f"Consumer {account} resumed participation."

    what = f"{'resume' if args.resume else 'pause'} {account}"
    return s.run([Tx(fn, what, CONTRACT)], OWN, summary)


def _deregister(args: argparse.Namespace) -> int:
    s = Session.open(args)
    account = _own_account(s)
    _in_status(s, account, ConsumerStatus.Active)
    fn = s.p.consumers.functions.deregister()

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.consumers, "ConsumerDeregistered")
        return (f"Consumer {account} deregistered: token {e['consumerId']} burned, meter freed; "
                "unpaid rewards stay payable.")  # fmt: skip

    return s.run([Tx(fn, f"deregister {account}", CONTRACT)], OWN, summary)


def _show(args: argparse.Namespace) -> int:
    s = Session.open(args)
    fns = s.p.consumers.functions
    c = _consumer(s, args.consumer)
    if c.status == ConsumerStatus.None_:
        raise CliError(f"{args.consumer} has not registered as a consumer")
    s.say(f"consumer {s.label(args.consumer)}: {c.status.name}{', paused' if c.paused else ''}"
          f"{f', id {c.id}' if c.id else ''}")  # fmt: skip
    clock = s.p.region_clock(c.region_id)
    s.say(f"  region       {c.region_id} ({clock.zone_label}), {c.consumer_class.name.lower()}")
    s.say(f"  capacity     {c.capacity_w:,} W")
    s.say(f"  consent      {consent_text(c.consent)}")
    s.say(f"  preferences  min rate {c.min_rate}, at most {c.max_events_per_30_days} events per 30 "
          f"days, hours {hours_text(c.available_hours)} "
          f"({offset_text(clock.offset_minutes)} standard time)")  # fmt: skip
    s.say(f"  meter        0x{c.meter_id_hash.hex()}")
    if c.status != ConsumerStatus.Registered:
        s.say(f"  active from  {argtypes.day_text(c.activation_day)}")
        key = MeterKey.model_validate(fns.meterKey(args.consumer).call())
        if key.key != ZERO:
            s.say(f"  meter key    {key.key} from {argtypes.day_text(key.from_day)}"
                  f"{'' if key.previous_key == ZERO else f', before it {key.previous_key}'}")  # fmt: skip
        t = TrackRecord.model_validate(fns.trackRecord(args.consumer).call())
        s.say(f"  track record {t.events_settled} settled, {t.events_delivered} delivered, "
              f"{t.events_insufficient} insufficient data, reliability {t.reliability_bps / 100:g} %, "
              f"{t.verified_wh:,} Wh verified")  # fmt: skip
    if s.p.token is not None:  # where its rewards are paid (E-5)
        token = tokens.Token.at(s.w3, s.p.token.address)
        s.say(f"  balance      {token.text(token.balance(args.consumer))} (the deployment's token)")
    return 0
