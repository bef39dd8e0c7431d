"""`gridbalance`: the command-line entry point."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from oracles.chain.anvil import DevChainError, install_sigterm_handler
from oracles.protocol.artifacts import DEFAULT_BUILD_DIR, ArtifactError

if TYPE_CHECKING:
    from oracles.chain.client import ChainClient
    from oracles.ops.localnet import Endpoint
    from oracles.ops.roles import RoleBook
    from oracles.protocol.contracts import Protocol

USER_ERRORS: tuple[type[BaseException], ...] = (ArtifactError, DevChainError)


def build_parser() -> argparse.ArgumentParser:
    from oracles.cli import (
        actions,
        balancing,
        bridge,
        consumer,
        dispute,
        enroll,
        event,
        gateway,
        grid,
        operator,
        program,
        region,
        roles,
        settle,
        status,
        utility,
        verify,
    )

    parser = actions.OneLineParser(
        prog="gridbalance", description="GridBalance: verifiable demand response on EVM chains."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="a simulated scenario on a local Anvil it starts and stops (DR cycle, frequency incident)",
        description="Start a fresh local Anvil and play a scenario. dr-cycle (the default): deploy, "
        "simulate 14 days of history and a heat-wave event day, let the forecast trigger the event, "
        "enroll, settle and pay; write reports/<run>/report.json and chart.png. frequency-incident: "
        "a generator trip in an ERCOT-like region posted by the grid oracle, the system state, an "
        "automated reserve activation and the operator's load shed, checked against the reference; "
        "write reports/<run>/incident_report.json and incident_chart.png.",
    )
    demo.add_argument(
        "--scenario",
        choices=SCENARIOS,
        default="dr-cycle",
        help="dr-cycle: the demand-response cycle; frequency-incident: a generator trip reaching "
        "the first UFLS stage, then recovery (docs/demo.md) (default: %(default)s)",
    )
    # dr-cycle's own options default to None, so that the incident can refuse them when given
    demo.add_argument(
        "--consumers", type=int, default=None, help="dr-cycle: simulated consumers (default: 200)"
    )
    demo.add_argument("--seed", type=int, default=7, help="simulation seed (default: %(default)s)")
    demo.add_argument(
        "--history-days",
        type=int,
        default=None,
        help="dr-cycle: days of history before the event (default: 14)",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=None,
        help="report folder (default: reports/<time>-n<consumers>, reports/<time>-incident)",
    )
    demo.add_argument("--no-progress", action="store_true", help="no progress bars")
    demo.add_argument(
        "--settlement",
        choices=("proof", "batch", "optimistic"),
        default=None,
        help="dr-cycle: proof: the keeper settles each enrollment with its meter proofs; batch: it "
        "settles up to 100 enrollments per transaction, each meter batch's records proved by one "
        "multiproof; optimistic: it proposes one bonded root of every result and pays it out after "
        "the challenge window (default: proof)",
    )
    demo.add_argument(
        "--interval",
        type=int,
        choices=(15, 30, 60),
        default=None,
        help="dr-cycle: the region's meter interval in minutes: 96, 48 or 24 readings per record; at "
        "15 or 30 the forecast decides the day and the utility creates a sub-hourly event "
        "(17:15-18:45 at 15, 17:30-19:00 at 30), since the auto-trigger creates whole hours only "
        "(default: 60)",
    )
    demo.add_argument(
        "--build-dir",
        type=Path,
        default=DEFAULT_BUILD_DIR,
        help="Brownie build artifacts (default: %(default)s)",
    )
    add_daemon_parsers(sub)
    from oracles.cli.localnet import add_localnet_parser

    add_localnet_parser(sub)
    for group in (
        utility,
        operator,
        grid,
        balancing,
        region,
        consumer,
        program,
        event,
        enroll,
        settle,
        dispute,
        roles,
        status,
        verify,
        gateway,
        bridge,
    ):  # the protocol-action commands (oracles/cli/actions.py)
        group.add_parser(sub)
    return parser


def _chain_args(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--rpc", help="JSON-RPC URL of the chain (default: the running `gridbalance localnet`)"
    )
    where.add_argument(
        "--network",
        help="a Brownie network id (its host is read from ~/.brownie/network-config.yaml)",
    )
    p.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="deployment manifest (default: deployments/<chainId>.json; the localnet's own)",
    )
    who = p.add_mutually_exclusive_group()
    who.add_argument(
        "--account",
        default=None,
        help="unlocked node account, address or index (local chains only); on the localnet also "
        "a name from its role table (keeper, utility, ...); default on a development chain: the "
        "node account holding the command's role (METER_ORACLE_ROLE, KEEPER_ROLE, ...)",
    )
    who.add_argument(
        "--keystore",
        type=Path,
        default=None,
        help="encrypted keystore (password: $GRIDBALANCE_KEYSTORE_PASSWORD or prompt)",
    )
    p.add_argument(
        "--log-level",
        choices=["debug", "info", "warning"],
        default="info",
        help="the daemon's log level (default: %(default)s; never shows key material)",
    )
    p.add_argument(
        "--retry-seconds",
        type=_positive_seconds,
        default=120.0,
        help="keep retrying an unreachable node this long, backing off up to 8 s (default: %(default)s)",
    )
    p.add_argument(
        "--replace-after",
        type=_positive_seconds,
        default=90.0,
        help="replace a transaction still unmined after this long, same nonce, fees +12.5%% "
        "(default: %(default)s)",
    )
    p.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR, help=argparse.SUPPRESS)


def _daemon_args(p: argparse.ArgumentParser) -> None:
    """Watch mode, structured logs, metrics and the shared log index."""
    p.add_argument("--watch", action="store_true",
                   help="run as a long-lived daemon: a pass every --poll-seconds until SIGTERM/SIGINT, "
                   "which end it after the pass under way (exit 0)")  # fmt: skip
    p.add_argument("--poll-seconds", type=_positive_seconds, default=12.0,
                   help="with --watch: seconds between passes (default: %(default)s)")  # fmt: skip
    p.add_argument("--log-format", choices=["text", "json"], default="text",
                   help="text, or one JSON object per line (default: %(default)s)")  # fmt: skip
    p.add_argument("--metrics-port", type=_port, default=None,
                   help="with --watch: serve Prometheus metrics on 127.0.0.1:PORT/metrics")  # fmt: skip
    p.add_argument("--index", type=Path, default=None,
                   help="the shared log index (SQLite); --watch uses gridbalance-index.sqlite without it "
                   "(in the working directory; on the running localnet, in its folder), "
                   "one pass then reads logs from the chain")  # fmt: skip
    p.add_argument("--reorg-depth", type=_bounded(1, 10_000), default=12,
                   help="blocks the index re-checks each pass for a reorg (default: %(default)s)")  # fmt: skip
    p.add_argument("--max-block-range", type=_bounded(1, 1_000_000), default=2_000,
                   help="widest eth_getLogs block range asked; halved when the node refuses it "
                   "(default: %(default)s)")  # fmt: skip


def _port(text: str) -> int:
    return _bounded(1, 65_535)(text)


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} must be {low}..{high}")
        return value

    return parse


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"{text} must be more than 0 and at most 86400 seconds")
    return value


def _hourly_csv_parser(
    kinds: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    *,
    help: str,
    description: str,
) -> None:
    """`gridbalance oracle weather|load`: a region's hourly series posted from a CSV file or folder."""
    p = kinds.add_parser(name, help=help, description=description)
    _chain_args(p)
    _daemon_args(p)
    p.add_argument("--region", type=int, required=True)
    p.add_argument("--csv", type=Path, required=True,
                   help="the CSV; with --watch a file or a folder of *.csv files")  # fmt: skip
    _outbox_arg(p)


def _outbox_arg(p: argparse.ArgumentParser) -> None:
    from oracles.cli import workfiles

    p.add_argument("--outbox", type=Path, default=None,
                   help=f"the queue of what is not yet confirmed on chain ({workfiles.WHERE % workfiles.OUTBOX})")  # fmt: skip


def add_daemon_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    oracle = sub.add_parser(
        "oracle",
        help="post meter data, weather, load, forecasts or grid measurements",
        description="The oracle daemons.",
    )
    kinds = oracle.add_subparsers(dest="kind", required=True, metavar="KIND")
    meter = kinds.add_parser("meter", help="post meter data from a CSV or Green Button file",
                             description="Validate meter readings (CSV or Green Button ESPI XML), queue them in the outbox, "
                             "and post them in batches, one channel (import or export) per batch; bad rows go to the "
                             "rejects file.")  # fmt: skip
    _chain_args(meter)
    _daemon_args(meter)
    meter.add_argument("--region", type=int, required=True)
    src = meter.add_mutually_exclusive_group(required=True)
    src.add_argument("--csv", type=Path,
                     help="CSV: meter_id,interval_start,interval_seconds,wh[,channel]; channel is "
                     "import (the default) or export, each posted as its own records")  # fmt: skip
    src.add_argument("--green-button", type=Path,
                     help="Green Button ESPI XML file; blocks of flowDirection 19 (reverse) are export")  # fmt: skip
    meter.add_argument(
        "--meter-id",
        default=None,
        help="meter id for a Green Button file without a UsagePoint title",
    )
    _outbox_arg(meter)
    meter.add_argument("--rejects", type=Path, default=None,
                       help="JSON lines of the rows not posted and why; a one-shot run starts it "
                       "afresh, --watch appends (default: gridbalance-rejects.jsonl in the working "
                       "directory; on the running localnet, in its folder)")  # fmt: skip
    meter.add_argument("--max-rejects", type=int, default=None, metavar="N",
                       help="a one-shot run exits 2 when it rejects more than N rows (default: only "
                       "when every row is rejected)")  # fmt: skip
    meter.add_argument("--batch-size", type=int, default=2_000)
    meter.add_argument(
        "--confirmations",
        type=int,
        default=1,
        help="a batch counts as posted once its block is this many deep, 1..256 (default: %(default)s)",
    )
    _hourly_csv_parser(kinds, "weather", help="post weather from a CSV",
                       description="Post weather: CSV hour_start,temperature_c,humidity_pct,irradiance_wm2.")  # fmt: skip
    _hourly_csv_parser(kinds, "load", help="post measured load (actuals) from a CSV",
                       description="Post the grid's measured load, frequency and voltage of hours that "
                       "have ended (F-3): CSV hour_start,load_kw,frequency_mhz,voltage_permille.")  # fmt: skip
    _hourly_csv_parser(kinds, "measurements", help="post grid measurements (GridStability) from a CSV",
                       description="The grid oracle's measurements (G-7): CSV time,load_kw,reserve_kw,"
                       "frequency_mhz,voltage_permille,phase_centideg, posted in time order in batches "
                       "of 96 after the region's latest on chain; --watch reads the file (or folder) "
                       "again whenever it changes.")  # fmt: skip
    forecast = kinds.add_parser("forecast", help="fit TOWT on the posted history and post forecasts",
                                description="Fit the TOWT model on the chain's weather and actual load, and post "
                                "forecasts for the next hours (their weather must be posted).")  # fmt: skip
    _chain_args(forecast)
    _daemon_args(forecast)
    forecast.add_argument("--region", type=int, required=True)
    forecast.add_argument(
        "--hours", type=int, default=24, help="hours ahead, 1..47 (default: %(default)s)"
    )
    _outbox_arg(forecast)
    keeper = sub.add_parser("keeper", help="enroll consenting consumers and settle events",
                            description="For every event: enroll consenting consumers before it starts; settle every "
                            "enrollment once the event day's data is committed, checking results against the reference.")  # fmt: skip
    _chain_args(keeper)
    _daemon_args(keeper)
    keeper.add_argument("--event", type=int, default=None, help="only this event id")
    from oracles.cli.report import add_report_parser

    add_report_parser(sub)


def _connect(args: argparse.Namespace) -> tuple[Protocol, ChainClient]:
    from oracles.chain.client import ChainClient
    from oracles.chain.signers import signer_for
    from oracles.ops.roles import RoleBook, RoleErrors

    protocol, local = _protocol(args)
    account = local.account(args.account) if local is not None else args.account
    book = RoleBook(protocol)
    if account is None and args.keystore is None:
        account = _role_holder(protocol, book, args)
    signer = signer_for(protocol.w3, account=account, keystore=args.keystore)
    client = ChainClient(protocol.w3, signer, decoder=RoleErrors(book, args.build_dir),
                         retry_seconds=args.retry_seconds, replace_after=args.replace_after)  # fmt: skip
    return protocol, client


# the role each daemon's transactions need (SPEC section 2), by command and oracle kind
DAEMON_ROLES: dict[str, tuple[str, str]] = {
    "keeper": ("ReductionRequests", "KEEPER_ROLE"),
    "meter": ("MeterData", "METER_ORACLE_ROLE"),
    "weather": ("LoadForecasting", "WEATHER_ORACLE_ROLE"),
    "load": ("LoadForecasting", "GRID_ORACLE_ROLE"),
    "forecast": ("LoadForecasting", "FORECAST_ORACLE_ROLE"),
    "measurements": ("GridStability", "GRID_ORACLE_ROLE"),
}


def _role_holder(protocol: Protocol, book: RoleBook, args: argparse.Namespace) -> str | None:
    """On a development chain without ``--account``: the first node account holding the role the
    daemon needs (issue 25 item 2); a role no node account holds is one line naming its holders.
    ``None`` (the node's first account, or a refusal off a development chain) otherwise."""
    from oracles.ops.roles import node_accounts

    need = DAEMON_ROLES.get(args.command if args.command == "keeper" else getattr(args, "kind", ""))
    node = node_accounts(protocol.w3)
    if need is None or not node:
        return None
    contract, role = need
    usable = book.node_holders(node, contract, role)
    if usable:
        return usable[0]
    raise UserError(f"no node account can send this: it needs {contract}.{role}, held by "
                    f"{book.holder_text(book.holders(contract, role))}; pass --account or --keystore")  # fmt: skip


def connect_protocol(args: argparse.Namespace) -> Protocol:
    """The protocol of ``--rpc``/``--network`` (default: the running localnet) and ``--manifest``,
    read-only (no signer), for commands that only read."""
    return _protocol(args)[0]


def _protocol(args: argparse.Namespace) -> tuple[Protocol, Endpoint | None]:
    """The protocol, and the running localnet when it is the chain connected to."""
    from oracles.chain.rpc import connect
    from oracles.cli import workfiles
    from oracles.cli.actions import deployment
    from oracles.cli.argtypes import rpc_url_problem
    from oracles.ops.localnet import localnet_rpc
    from oracles.protocol.contracts import Protocol
    from oracles.protocol.manifest import Manifest, ManifestError

    url = args.rpc or (_network_host(args.network) if args.network else None)
    local = localnet_rpc()  # the running `gridbalance localnet`, if any
    if url is None:
        if local is None:
            raise UserError(
                "no chain: pass --rpc URL or --network ID, or start one with `gridbalance localnet up`"
            )
        url = local.url
    problem = rpc_url_problem(url)
    if problem is not None:
        raise UserError(problem)
    w3 = connect(url, timeout=30)
    if not w3.is_connected():
        raise UserError(f"no JSON-RPC answer at {url}")
    on_local, manifest_path = deployment(args, local, url, w3.eth.chain_id)
    workfiles.fill(args, on_local)  # --outbox, --rejects, --index not given
    manifest = Manifest.load(manifest_path)
    try:
        return Protocol.connect(w3, manifest, args.build_dir), on_local
    except ManifestError as exc:  # name the file: the fix is often to delete or replace it
        raise ManifestError(f"{manifest_path}: {exc}") from exc


def _network_host(name: str) -> str:
    from oracles.ops.networks import network_rpc_url

    return network_rpc_url(name)


class UserError(RuntimeError):
    """A command-line mistake: reported on one line."""


def _run_daemon(args: argparse.Namespace) -> int:
    from oracles.cli import daemons
    from oracles.daemon.logformat import configure

    configure(getattr(args, "log_format", "text"), getattr(args, "log_level", "info"))
    if args.command == "report":
        from oracles.cli.report import run_report

        return run_report(args)
    protocol, client = _connect(args)
    return daemons.run(args, protocol, client)


SCENARIOS = ("dr-cycle", "frequency-incident")
# the DR cycle's options (DemoConfig's fields): the incident scenario refuses them
DR_CYCLE_OPTIONS = {"consumers": "consumers", "history_days": "history_days",
                    "settlement": "settlement", "interval": "interval_minutes"}  # fmt: skip


def _demo(args: argparse.Namespace) -> int:
    """``gridbalance demo``: the scenario's run; exit 0 if every check against the contracts passed,
    2 if one failed. Bad options raise DemoError (one line, exit 1) before any chain starts."""
    from pydantic import ValidationError

    from oracles.sim.context import DemoConfig, DemoError
    from oracles.sim.incident_context import IncidentConfig

    given = {k: getattr(args, k) for k in DR_CYCLE_OPTIONS if getattr(args, k) is not None}
    common = {"seed": args.seed, "out_dir": args.out, "build_dir": args.build_dir,
              "progress": not args.no_progress}  # fmt: skip
    incident = args.scenario == "frequency-incident"
    if incident and given:
        option = "--" + next(iter(given)).replace("_", "-")
        raise DemoError(f"{option}: applies to --scenario dr-cycle only, not frequency-incident")
    try:
        cfg: IncidentConfig | DemoConfig = (
            IncidentConfig(**common)
            if incident
            else DemoConfig(**common, **{DR_CYCLE_OPTIONS[k]: v for k, v in given.items()})
        )
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        option = next((k for k, v in DR_CYCLE_OPTIONS.items() if v == field), field)
        raise DemoError(f"--{option.replace('_', '-')}: {exc.errors()[0]['msg']}") from exc
    if isinstance(cfg, IncidentConfig):
        from oracles.sim.incident_demo import run_incident_demo

        report = run_incident_demo(cfg)
    else:
        from oracles.sim.demo import run_demo

        report = run_demo(cfg)
    return 0 if all(report["checks"].values()) else 2


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    install_sigterm_handler()
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    import sqlite3

    from oracles.chain.errors import ChainError
    from oracles.indexer.store import IndexerError
    from oracles.ops.deploy import DeploymentError
    from oracles.ops.localnet import LocalnetError
    from oracles.ops.networks import NetworkSetupError
    from oracles.protocol.manifest import ManifestError
    from oracles.sim.context import DemoError

    errors: tuple[type[BaseException], ...] = (
        *USER_ERRORS,
        ChainError,
        ManifestError,
        DemoError,
        DeploymentError,
        LocalnetError,
        NetworkSetupError,
        UserError,
        IndexerError,
        sqlite3.Error,  # an outbox or index path that is no SQLite database, or unwritable
        OSError,  # unreadable files, unreachable hosts
        ValueError,  # pydantic validation and CommandError
    )
    try:
        if hasattr(args, "handler"):  # a protocol-action command (oracles/cli/actions.py)
            return int(args.handler(args))
        if args.command == "demo":
            return _demo(args)
        handler = getattr(args, "handler", None)
        if handler is not None:  # the commands registered with set_defaults(handler=...)
            return int(handler(args))
        return _run_daemon(args)
    except BrokenPipeError:  # `gridbalance report ... | head`
        return 0
    except errors as exc:
        print(f"gridbalance: error: {error_text(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gridbalance: interrupted", file=sys.stderr)
        return 130


def error_text(exc: BaseException) -> str:
    """The one line an error prints: a file the OS could not open is named with the reason in
    plain words (``examples/x.csv: no such file``), not as ``[Errno 2] ...``."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        what = {FileNotFoundError: "no such file", IsADirectoryError: "is a folder, not a file",
                PermissionError: "not readable (permission denied)"}.get(type(exc), exc.strerror.lower())  # fmt: skip
        return f"{exc.filename}: {what}"
    return str(exc)


if __name__ == "__main__":
    sys.exit(main())
