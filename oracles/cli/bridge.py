"""`gridbalance gateway-bridge`: push the events created on chain for some programs to a utility's
existing OpenADR 3 VTN (:mod:`oracles.gateway.bridge`), as a BL client of that VTN. A command of
its own beside `gridbalance gateway` (which serves the chain as a VTN): the bridge serves nothing,
it needs no clients file, and it runs where the utility's VTN is reachable."""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

from pydantic import SecretStr

from oracles.cli import workfiles
from oracles.cli.actions import CliError, Session, command

BRIDGE_INDEX = "gridbalance-bridge-index.sqlite"
SECRET_ENV = "GRIDBALANCE_VTN_CLIENT_SECRET"

log = logging.getLogger("gridbalance.bridge")


def _link(text: str) -> object:
    from oracles.gateway.bridge import ProgramLink

    try:
        return ProgramLink.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).split("\n")[0]) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0.1 <= value <= 86_400:
        raise argparse.ArgumentTypeError(f"{text} must be 0.1..86400 seconds")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command(
        sub,
        "gateway-bridge",
        "push the chain's events of some programs to a utility's OpenADR 3 VTN (as a BL client)",
        _bridge,
        sends=False,
        description="Read the events of the programs of --program from a log index the bridge "
        "keeps, map them as `gridbalance gateway` serves them (docs/openadr.md) and POST each one "
        "the VTN does not hold yet to the VTN at --vtn, with python-oa3-client's BL client "
        "(OAuth2 client credentials). Each event carries its stable id at the end of its eventName, "
        "so a restarted bridge never pushes one twice. Runs until SIGTERM/SIGINT (--once: one pass).",
    )
    p.add_argument("--vtn", required=True, help="the VTN's base URL (its /programs, /events)")
    p.add_argument(
        "--client-id", required=True, help="the bridge's client id on that VTN (a BL client)"
    )
    p.add_argument("--client-secret", default=None,
                   help=f"its secret (default: ${SECRET_ENV}; prefer the variable: a command line "
                   "is visible to other users)")  # fmt: skip
    p.add_argument("--token-url", default=None,
                   help="the VTN's token endpoint (default: what its GET /auth/server names, else "
                   "<vtn>/auth/token)")  # fmt: skip
    p.add_argument("--program", dest="programs", type=_link, action="append", required=True,
                   metavar="N[=NAME]",
                   help="a chain program to bridge (repeat for more); its VTN program is NAME, "
                   "which must exist there, or gridbalance-program-N, created when missing")  # fmt: skip
    p.add_argument("--index", type=Path, default=None,
                   help=f"the bridge's log index (default: {BRIDGE_INDEX} in the working directory; "
                   "on the running localnet, in its folder)")  # fmt: skip
    p.add_argument("--poll-seconds", type=_seconds, default=5.0,
                   help="seconds between passes (default: %(default)s)")  # fmt: skip
    p.add_argument("--once", action="store_true", help="one pass, then exit")


def _bridge(args: argparse.Namespace) -> int:
    from oracles.gateway.app import Backend
    from oracles.gateway.bridge import Bridge, Vtn, VtnConfig, VtnError
    from oracles.gateway.chain_view import ChainView

    secret = args.client_secret or os.environ.get(SECRET_ENV)
    if not secret:
        raise CliError(f"no client secret: set ${SECRET_ENV} or give --client-secret")
    s = Session.open(args)
    index: Path = args.index or workfiles.folder(s.local) / BRIDGE_INDEX
    p = s.p
    backend = Backend(lambda: ChainView(p, index, sync_seconds=0))
    cfg = VtnConfig(url=args.vtn, client_id=args.client_id, client_secret=SecretStr(secret),
                    token_url=args.token_url)  # fmt: skip
    vtn = Vtn(cfg)
    try:
        vtn.start()
        bridge = Bridge(backend.catalog_now, vtn, list(args.programs))
        names = ", ".join(str(link.program) for link in args.programs)
        s.say(f"OpenADR 3 bridge to {args.vtn}: programs {names} (index {index})")
        while True:
            try:
                stats = bridge.run_pass()
            except VtnError as exc:  # a VTN down or refusing: the next pass tries again
                if args.once:
                    raise
                log.warning("bridge: pass failed (%s); next in %.1f s", exc, args.poll_seconds)
            else:
                if stats.pushed or args.once:
                    s.say(f"pushed {len(stats.pushed)} events, {stats.on_vtn} already on the VTN")
            if args.once:
                return 0
            time.sleep(args.poll_seconds)
    except KeyboardInterrupt:  # SIGTERM/SIGINT (oracles.chain.anvil.install_sigterm_handler)
        s.say("bridge stopped")
        return 0
    finally:
        vtn.close()
        backend.close()
