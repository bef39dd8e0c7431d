"""`gridbalance program create|deposit|withdraw|show`: a utility's demand-response programs and their
escrowed budgets (ProgramRegistry P-1, P-2; IncentiveEscrow E-1..E-8).

``program create`` takes one flag per field of :class:`oracles.protocol.bindings.ProgramParams` (the
one builder of a program's terms), named after it (``gate_lead_hours`` -> ``--gate-lead-hours``),
defaulting to its default: a field added there is a flag here without an edit. Amounts (budget,
base rate) are in the token's units (``--budget 1000.5``), its decimals read from the token.
"""

from __future__ import annotations

import argparse
import re
from enum import IntEnum
from typing import Any

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from oracles.cli import argtypes, tokens
from oracles.cli.actions import Account, CliError, Need, Session, Tx, command, group, one_event
from oracles.protocol.bindings import Program, ProgramAccount, ProgramKind, ProgramParams
from oracles.protocol.enums import ProgramType

CONTRACT = "ProgramRegistry"
ESCROW = "IncentiveEscrow"
# ProgramParams fields given by their own flags (amounts in token units), not generated
SPECIAL = ("token", "base_rate")


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _param_flags(p: argparse.ArgumentParser) -> None:
    """One flag per ProgramParams field with a default (see the module's docstring)."""
    for name, info in ProgramParams.model_fields.items():
        if name in SPECIAL:
            continue
        default = info.get_default()
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, IntEnum):
            names = [choice(m) for m in kind]
            p.add_argument(flag(name), choices=names, default=None,
                           help=f"{_words(name)} (default: {choice(kind(default))})")  # fmt: skip
        elif kind is bool:
            p.add_argument(flag(name), action=argparse.BooleanOptionalAction, default=None,
                           help=f"{_words(name)} (default: {'yes' if default else 'no'})")  # fmt: skip
        else:
            p.add_argument(flag(name), type=argtypes.uint(256), default=None,
                           help=f"{_words(name)} (default: {default:_})")  # fmt: skip


def choice(member: IntEnum) -> str:
    """An enum value as a flag's choice: TEN_IN_TEN -> ten_in_ten, LoadShifting -> load_shifting."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", member.name).lower()


def _words(name: str) -> str:
    return name.replace("_bps", " (basis points)").replace("_", " ")


def _abi_widths(s: Session) -> dict[str, str]:
    """ProgramParams' Solidity field name -> ABI type, from createProgram's ABI."""
    fn = s.p.programs.get_function_by_name("createProgram")
    params = next(i for i in fn.abi["inputs"] if i["type"] == "tuple")
    return {str(c["name"]): str(c["type"]) for c in params["components"]}


def build_params(s: Session, args: argparse.Namespace, token: str, base_rate: int) -> ProgramParams:
    """The program's terms: the flags given, ProgramParams' defaults for the rest; each value checked
    against its Solidity type."""
    given: dict[str, Any] = {"token": token, "base_rate": base_rate}
    widths = _abi_widths(s)
    for name, info in ProgramParams.model_fields.items():
        value = getattr(args, name, None)
        if name in SPECIAL or value is None:
            continue
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, IntEnum):
            value = next(m for m in kind if choice(m) == value)
        _check_width(flag(name), value, widths.get(_alias(info)))
        given[name] = value
    try:
        return ProgramParams(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CliError(f"{flag(str(first['loc'][0]))}: {first['msg']}") from None


def _alias(info: FieldInfo) -> str:
    return str(info.validation_alias)


def _check_width(name: str, value: Any, abi_type: str | None) -> None:
    if abi_type is None or not abi_type.startswith("uint") or isinstance(value, bool):
        return
    high = 2 ** int(abi_type[4:] or 256) - 1
    if not 0 <= int(value) <= high:
        raise CliError(f"{name} {value} is out of range 0..{high} ({abi_type})")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    g = group(sub, "program", "create a program, deposit to or withdraw from its budget, show it")
    p = command(g, "create",
                "create a program in one of the sender's regions and escrow its budget "
                "(an active utility of the region; approves the escrow first when needed)", _create)  # fmt: skip
    p.add_argument("--region", type=argtypes.uint(16, 1), required=True, help="region id")
    p.add_argument("--base-rate", type=tokens.amount, required=True,
                   help="reward per kWh reduced, in token units (e.g. 0.25)")  # fmt: skip
    p.add_argument("--budget", type=tokens.amount, required=True,
                   help="the budget escrowed now, in token units (e.g. 1000.5)")  # fmt: skip
    p.add_argument("--token", type=argtypes.address, default=None,
                   help="the allowlisted payment token (default: the deployment's token)")  # fmt: skip
    _param_flags(p)
    for name, text, handler in (
        ("deposit", "add to a program's budget (its utility; approves the escrow first when needed)",
         _deposit),
        ("withdraw", "take unreserved budget back (its utility)", _withdraw),
    ):  # fmt: skip
        p = command(g, name, text, handler)
        p.add_argument("program", type=argtypes.uint(32, 1), help="program id")
        p.add_argument("--amount", type=tokens.amount, required=True,
                       help="in token units (e.g. 1000.5)")  # fmt: skip
        if name == "withdraw":
            p.add_argument("--to", type=argtypes.address, default=None,
                           help="receiver (default: the utility)")  # fmt: skip
    p = command(g, "show", "a program's terms and its budget", _show, sends=False)
    p.add_argument("program", type=argtypes.uint(32, 1), help="program id")


def region_utility(s: Session, region: int) -> Need:
    """The sender of a new program or event of ``region``: an active utility of it (U-7). A named
    sender that is not one is refused; without one, a node account that is one."""
    is_active = s.p.utilities.functions.isActiveUtility
    what = f"an active utility of region {region}"
    named = s.named_signer()
    if named is not None:
        if not is_active(named.address, region).call():
            raise CliError(
                f"the sender must be {what} (UtilityRegistry), not {s.label(named.address)}"
            )
        return Account(named.address, what)
    from oracles.ops.roles import node_accounts

    for a in node_accounts(s.w3) if s.dev else []:
        if is_active(a, region).call():
            return Account(a, what)
    raise CliError(f"the sender must be {what}: pass --account or --keystore "
                   "(see `gridbalance utility show`)")  # fmt: skip


def program_of(s: Session, program_id: int) -> Program:
    count = int(s.p.programs.functions.programCount().call())
    if not 1 <= program_id <= count:
        raise CliError(f"program {program_id} does not exist ({count} programs on this chain)")
    return s.p.program(program_id)


def _create(args: argparse.Namespace) -> int:
    s = Session.open(args)
    if not s.p.regions.functions.regionExists(args.region).call():
        raise CliError(f"region {args.region} is not registered on this chain")
    address = args.token or (s.p.token.address if s.p.token is not None else None)
    if address is None:
        raise CliError("the deployment has no payment token: pass --token ADDRESS")
    token = tokens.Token.at(s.w3, address)
    base_rate = token.units(args.base_rate, "--base-rate")
    budget = token.units(args.budget, "--budget", positive=False)
    params = build_params(s, args, token.address, base_rate)
    need = region_utility(s, args.region)
    sender = s.signer(need).address
    txs = token.approve_txs(sender, s.p.escrow.address, budget, "the escrow") if budget else []
    fn = s.p.programs.functions.createProgram(args.region, params.abi(), budget)
    txs.append(Tx(fn, f"create a program in region {args.region}", CONTRACT, after=bool(txs)))

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.programs, "ProgramCreated")
        return (f"Program {e['programId']} created by {s.label(e['utility'])} in region {e['regionId']}: "
                f"{token.text(base_rate)} per kWh, budget {token.text(budget)} escrowed, "
                f"{params.method.name} baseline, enrollment closes {params.gate_lead_hours} h before "
                f"an event (`gridbalance event create --program {e['programId']} ...`).")  # fmt: skip

    return s.run(txs, need, summary)


def _owner(s: Session, program_id: int) -> tuple[Program, tokens.Token, Need]:
    prog = program_of(s, program_id)
    return prog, tokens.Token.at(s.w3, prog.token), Account(prog.utility, "the program's utility")


def _available(s: Session, program_id: int) -> int:
    return int(s.p.escrow.functions.available(program_id).call())


def _deposit(args: argparse.Namespace) -> int:
    s = Session.open(args)
    _, token, need = _owner(s, args.program)
    units = token.units(args.amount, "--amount")
    sender = s.signer(need).address
    txs = token.approve_txs(sender, s.p.escrow.address, units, "the escrow")
    fn = s.p.escrow.functions.deposit(args.program, units)
    txs.append(Tx(fn, f"deposit {token.text(units)} to program {args.program}", ESCROW,
                  after=bool(txs)))  # fmt: skip

    def summary(receipts: list[dict[str, Any]]) -> str:
        return (f"Deposited {token.text(units)} to program {args.program}: "
                f"{token.text(_available(s, args.program))} available.")  # fmt: skip

    return s.run(txs, need, summary)


def _withdraw(args: argparse.Namespace) -> int:
    s = Session.open(args)
    prog, token, need = _owner(s, args.program)
    units = token.units(args.amount, "--amount")
    to = args.to or prog.utility
    fn = s.p.escrow.functions.withdrawUnreserved(args.program, units, to)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.escrow, "Withdrawn")
        return (f"Withdrew {token.text(e['amount'])} of program {args.program} to {s.label(e['to'])}: "
                f"{token.text(_available(s, args.program))} still available.")  # fmt: skip

    tx = Tx(fn, f"withdraw {token.text(units)} from program {args.program}", ESCROW)
    return s.run([tx], need, summary)


def _kind_text(kind: ProgramKind) -> str:
    """P-7, L-1, L-2 in words."""
    if kind.program_type == ProgramType.LoadShifting:
        where = "before" if kind.shift_before else "after"
        return (f"load shifting: the rebound in the {kind.shift_hours} h {where} the event settles with "
                f"the reduction, neutral within {kind.neutrality_bps / 100:g} % (L-1..L-5)")  # fmt: skip
    if kind.program_type == ProgramType.EmergencyResponse:
        return "emergency response: events only from DR activations at a measured emergency (P-7)"
    return "peak shaving: a reduction in the event window"


def _show(args: argparse.Namespace) -> int:
    s = Session.open(args)
    prog = program_of(s, args.program)
    token = tokens.Token.at(s.w3, prog.token)
    acct = ProgramAccount.model_validate(s.p.escrow.functions.programAccount(args.program).call())
    s.say(f"program {args.program}: utility {s.label(prog.utility)}, region {prog.region_id}")
    s.say(f"  rate         {token.text(prog.base_rate)} per kWh (economic x{prog.economic_bps / 10_000:g}, "
          f"emergency x{prog.emergency_bps / 10_000:g})")  # fmt: skip
    s.say(f"  type         {_kind_text(s.p.program_kind(args.program))}")
    s.say(f"  baseline     {prog.method.name}, adjustment {prog.adj_window_hours} h window, "
          f"{prog.adj_gap_hours} h gap, cap {prog.adj_cap_bps / 100:g} %")  # fmt: skip
    s.say(f"  delivery     at least {prog.min_delivery_bps / 100:g} %, bonus up to "
          f"{prog.bonus_cap_bps / 100:g} %; one consumer at most {prog.max_share_bps / 100:g} % of a target")  # fmt: skip
    s.say(f"  events       at most {prog.max_events_per_30_days} per 30 days; enrollment closes "
          f"{prog.gate_lead_hours} h before the start; classes mask {prog.class_mask}; "
          f"{'signed' if prog.signed_data else 'unsigned'} meter data")  # fmt: skip
    s.say(f"  budget       {token.text(acct.deposited)} deposited, {token.text(acct.reserved)} reserved, "
          f"{token.text(acct.paid)} paid, {token.text(acct.withdrawn)} withdrawn; "
          f"{token.text(_available(s, args.program))} available")  # fmt: skip
    return 0
