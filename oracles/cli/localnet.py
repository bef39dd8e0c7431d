"""``gridbalance localnet up | down | reset | warp | status``: the persistent local network
(:mod:`oracles.ops.localnet`)."""

from __future__ import annotations

import argparse
import re
import sys
from typing import TextIO

from oracles.cli import localnet_gateway as gw
from oracles.ops import localnet as ln

_WHERE = f"files in ${ln.DIR_ENV} (default: .localnet/ in the project)"


def _port(text: str) -> int:
    if not text.isdigit() or not 1024 <= int(text) <= 65_535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number 1024..65535")
    return int(text)


def add_localnet_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "localnet",
        help="a persistent local chain with the protocol deployed (up, down, reset, warp, status)",
        description=f"A local Anvil that keeps its state between runs: genesis {ln.GENESIS:%Y-%m-%d %H:%M} UTC, "
        f"chain id {ln.CHAIN_ID}, the protocol deployed from deploy/development.json, a verified utility "
        f"and region 1. Its clock moves only with blocks (+{ln.BLOCK_SECONDS} s each) and `warp`. "
        f"The other commands use it when given no --rpc/--network. {_WHERE}.",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    start = actions.add_parser(
        "up",
        help="start it (resume the saved state, or deploy a fresh one); print the accounts and roles",
        description="Start the local network: resume its saved state (same contracts, block height "
        "and clock), or, the first time, start at the genesis date, deploy, verify the utility and "
        "add region 1. Prints a table of the accounts and their roles.",
    )
    start.add_argument("--port", type=_port, default=None,
                       help="listen on this port (default: the port it used last, else a free one)")  # fmt: skip
    _gateway_options(start)
    actions.add_parser("down", help="stop it (and its gateway) and keep its state",
                       description="Stop the local network, and the gateway `up --gateway` started; "
                       "`localnet up` resumes it.")  # fmt: skip
    again = actions.add_parser("reset", help="delete its state and start a fresh one",
                               description="Stop the local network, delete its state and manifest, and start "
                               "a fresh one at the genesis date (as the first `up`).")  # fmt: skip
    again.add_argument("--port", type=_port, default=None, help="as for `up`")
    _gateway_options(again)
    w = actions.add_parser("warp", help="move its clock forward: +3d, +6h, +1d12h or a date",
                           description="Mine one block at a later time: +<n>d/h/m/s from the chain's clock "
                           "(+3d, +6h, +1d12h), a date (2026-06-20, 00:00 UTC) or a time with its offset "
                           "(2026-06-20T08:00-07:00). The clock never goes back.")  # fmt: skip
    w.add_argument("when", help="+3d, +6h, +1d12h, +90m, 2026-06-20 or 2026-06-20T08:00-07:00")
    # `warp -1d` is a value (refused by warp_target in one line), not an unknown option: argparse
    # takes an argument for a positional when it looks like a negative number and the parser has
    # no option that does
    w._negative_number_matcher = re.compile(r"^-\d+[dhms]*$")
    actions.add_parser("status", help="whether it runs, its URL, block, clock and files",
                       description="Print whether the local network runs, its URL, block, clock and files.")  # fmt: skip
    p.set_defaults(handler=run)


def _gateway_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gateway", action="store_true",
                   help="also start `gridbalance gateway` on it: the OpenADR 3.0.1 API and the web "
                   "dashboard at its URL (its clients in gateway-clients.json; `down` stops it)")  # fmt: skip
    p.add_argument("--gateway-port", type=_port, default=None,
                   help="the gateway's port (default: the one it had, else 8080 if free, else a "
                   "free one); implies --gateway")  # fmt: skip


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout  # the caller's stdout now, not the one this module was imported under
    action: str = args.action
    if action in ("up", "reset"):
        if action == "reset":
            _print_gateway_stopped(gw.stop(ln.localnet_dir()), out)
            gw.forget(ln.localnet_dir())
            had = ln.reset()
            print(f"deleted the local network's state in {ln.localnet_dir()}" if had
                  else "no saved state to delete", file=out)  # fmt: skip
        started = ln.up(port=args.port, log=lambda line: print(line, file=out))
        _print_started(started, out)
        if args.gateway or args.gateway_port is not None:
            _start_gateway(args.gateway_port, out)
        return 0
    if action == "down":
        _print_gateway_stopped(gw.stop(ln.localnet_dir()), out)
        info = ln.down()
        if info is None:
            print("the local network is not running (nothing to stop)", file=out)
        else:
            print(
                f"stopped the local network (pid {info.pid}); its state is kept in {ln.localnet_dir()}",
                file=out,
            )
        return 0
    if action == "warp":
        moved = ln.warp(args.when)
        print(
            f"clock {ln.fmt_time(moved.before)} -> {ln.fmt_time(moved.after)} (block {moved.block})",
            file=out,
        )
        return 0
    st = ln.status()
    files = ln.LocalnetFiles(st.root)
    if st.running is not None and st.block is not None and st.timestamp is not None:
        print(
            f"running at {st.running.url} (pid {st.running.info.pid}), chain id {st.running.chain_id}",
            file=out,
        )
        print(f"block {st.block}, clock {ln.fmt_time(st.timestamp)}", file=out)
    else:
        print("not running" + (" (state saved: `gridbalance localnet up` resumes it)" if st.saved
              else " (no state: `gridbalance localnet up` starts a fresh one)"), file=out)  # fmt: skip
    gateway = gw.running(st.root)
    if gateway is not None:
        print(f"gateway at {gateway.url}/ (pid {gateway.pid}): the dashboard and the OpenADR "
              "3.0.1 API", file=out)  # fmt: skip
    print(f"genesis {ln.fmt_time(ln.GENESIS_TIMESTAMP)}; files in {st.root}:", file=out)
    for label, path in (
        ("state", files.state),
        ("manifest", files.manifest),
        ("node", files.info),
        ("log", files.log),
    ):
        print(f"  {label:<9} {path}{'' if path.exists() else ' (not written yet)'}", file=out)
    return 0


def _start_gateway(port: int | None, out: TextIO) -> None:
    info, now = gw.start(ln.localnet_dir(), port)
    how = "started the gateway" if now else "the gateway is already running"
    print(f"{how} at {info.url}/ (pid {info.pid}): the dashboard there, the OpenADR 3.0.1 API "
          f"beside it (its OAuth2 clients in {info.clients}); `gridbalance localnet down` stops it",
          file=out)  # fmt: skip


def _print_gateway_stopped(info: gw.GatewayInfo | None, out: TextIO) -> None:
    if info is not None:
        print(f"stopped the gateway at {info.url} (pid {info.pid})", file=out)


def _print_started(s: ln.Started, out: TextIO) -> None:
    ep = s.endpoint
    if s.how == "started":
        head = f"started a fresh local network at {ep.url} (anvil pid {ep.info.pid}), chain id {ep.chain_id}"
        tail = f"deployed and set up in {s.transactions} transactions"
    elif s.how == "resumed":
        head = f"resumed the local network at {ep.url} (anvil pid {ep.info.pid}), chain id {ep.chain_id}"
        tail = "no transaction sent"
    else:
        head = f"the local network is already running at {ep.url} (anvil pid {ep.info.pid})"
        tail = "nothing to do"
    print(head, file=out)
    print(
        f"block {s.block}, clock {ln.fmt_time(s.timestamp)}; {tail}; manifest {ep.manifest}",
        file=out,
    )
    from oracles.chain.rpc import connect
    from oracles.protocol.manifest import Manifest

    rows = ln.role_table(connect(ep.url), Manifest.load(ep.manifest), ep.info.accounts)
    print("", file=out)
    for line in ln.format_role_table(rows):
        print(line, file=out)
    print("", file=out)
    print("the other commands use this network when given no --rpc/--network; "
          "stop it with `gridbalance localnet down`", file=out)  # fmt: skip
