"""`gridbalance gateway`: the OpenADR 3.0.1 gateway (:mod:`oracles.gateway`) over the chain, its
programs and events read from a log index it keeps, OAuth2 clients from ``--clients``."""

from __future__ import annotations

import argparse
from pathlib import Path

from oracles.cli import workfiles
from oracles.cli.actions import Session, command

GATEWAY_INDEX = "gridbalance-gateway-index.sqlite"
GATEWAY_VENS = "gridbalance-gateway-vens.sqlite"


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65_535:
        raise argparse.ArgumentTypeError(f"{text} must be 1..65535")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 86_400:
        raise argparse.ArgumentTypeError(f"{text} must be 0..86400 seconds")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command(
        sub,
        "gateway",
        "serve the chain's programs and events as an OpenADR 3.0.1 VTN (HTTP, OAuth2, subscriptions); "
        "take VENs' usage reports as meter data; a dashboard at /",
        _gateway,
        sends=False,
        description="Serve GET /programs, /programs/{id}, /events and /events/{id} of OpenADR 3.0.1 "
        "as views of the chain (docs/openadr.md has the mapping), read from a log index the gateway "
        "keeps up to the chain's head; POST /auth/token issues bearer tokens to the clients of "
        "--clients (OAuth2 client credentials); /subscriptions call a client's callback URL when a "
        "program or event appears on chain (or an event is cancelled). Writes of programs and events "
        "are refused: the chain owns them. /vens and /vens/{id}/resources tie VEN clients to registered "
        "consumers and their meters (--vens); POST /reports puts a VEN's USAGE readings in the meter "
        "oracle's outbox (--outbox), which `gridbalance oracle meter --watch` on the same file "
        "posts; GET /reports says where each day is on chain. A read-only web dashboard is at / "
        "(docs/dashboard.md). Runs until SIGTERM/SIGINT.",
    )
    p.add_argument("--clients", type=Path, required=True,
                   help="the OAuth2 clients: a .json or .toml file of client_id, client_secret "
                   "(16+ characters) and role (VEN or BL) per client; keep it private")  # fmt: skip
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    p.add_argument(
        "--port", type=_port, default=8080, help="port to listen on (default: %(default)s)"
    )
    p.add_argument("--index", type=Path, default=None,
                   help=f"the gateway's log index (SQLite; default: {GATEWAY_INDEX} in the working "
                   "directory; on the running localnet, in its folder); a daemon's index held by that "
                   "daemon is read as it keeps it")  # fmt: skip
    p.add_argument("--vens", type=Path, default=None,
                   help="the gateway's VENs, resources and accepted reports (SQLite; default: "
                   f"{GATEWAY_VENS} beside the index)")  # fmt: skip
    p.add_argument("--outbox", type=Path, default=None,
                   help="the meter oracle's outbox the reports' readings go to; the meter daemon "
                   "(`oracle meter --watch`) on the same file posts them (default: "
                   f"{workfiles.OUTBOX} beside the index)")  # fmt: skip
    p.add_argument("--rejects", type=Path, default=None,
                   help=f"where refused readings are appended (default: {workfiles.REJECTS} beside "
                   "the index)")  # fmt: skip
    p.add_argument("--sync-seconds", type=_seconds, default=2.0,
                   help="bring the index to the chain's head before a read at most this often "
                   "(default: %(default)s)")  # fmt: skip
    p.add_argument("--token-seconds", type=int, default=3_600,
                   help="lifetime of a bearer token (default: %(default)s)")  # fmt: skip


def _gateway(args: argparse.Namespace) -> int:
    import uvicorn

    from oracles.gateway.app import Backend, create_app
    from oracles.gateway.chain_view import ChainView
    from oracles.gateway.clients import Role, load_clients
    from oracles.gateway.desk import Desk
    from oracles.gateway.notifier import extension as subscriptions
    from oracles.gateway.tokens import TokenIssuer

    if not 60 <= args.token_seconds <= 86_400:
        raise ValueError(f"--token-seconds: {args.token_seconds} must be 60..86400")
    clients = load_clients(args.clients)
    s = Session.open(args)
    index: Path = args.index or workfiles.folder(s.local) / GATEWAY_INDEX
    p, sync = s.p, args.sync_seconds
    backend = Backend(lambda: ChainView(p, index, sync_seconds=sync))
    here = index.parent
    desk = Desk(
        registry_path=args.vens or here / GATEWAY_VENS,
        outbox_path=args.outbox or here / workfiles.OUTBOX,
        rejects_path=args.rejects or here / workfiles.REJECTS,
        ven_clients=frozenset(c.client_id for c in clients.clients if c.role == Role.VEN),
    )
    backend.at_close(desk.close)
    try:
        catalog = backend.catalog_now()  # an unusable index fails here, before serving
        s.say(f"OpenADR 3.0.1 gateway on http://{args.host}:{args.port}: {len(catalog.programs)} "
              f"programs, {len(catalog.events)} events (index {index}, block {catalog.last_block}); "
              f"{len(clients.clients)} clients")  # fmt: skip
        s.say(f"reports' readings go to {desk.outbox_path} (posted by `gridbalance oracle meter "
              f"--watch --outbox {desk.outbox_path}`); VENs in {desk.registry_path}")  # fmt: skip
        # subscriptions: callbacks polled from the index as often as it syncs (at least each second)
        notify, _ = subscriptions(backend, poll_seconds=max(sync, 1.0))
        app = create_app(backend, TokenIssuer(clients, seconds=args.token_seconds), desk, [notify])
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        backend.close()
    return 0
