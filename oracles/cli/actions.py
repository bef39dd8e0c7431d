"""What every protocol-action command shares: the chain arguments, who signs, the dry run and the
summary.

A command builds :class:`Tx` objects (a contract call, what it does, and what the sender must be:
a role holder, a given account, or the user's own account) and hands them to
:meth:`Session.run`. With ``--dry-run`` each transaction is shown with its gas estimate and its cost
at the current fee, and nothing is sent; otherwise they are sent in order and the command's
summary of the receipts is printed. Without ``--account``/``--keystore`` on a development chain,
the sender is a node account that holds the role the call needs. Reverts are decoded by name,
AccessControl ones with the role's name and its holders (:mod:`oracles.ops.roles`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from web3 import Web3
from web3.contract.contract import ContractFunction

from oracles.chain.client import ChainClient, calldata
from oracles.chain.errors import TxReverted
from oracles.chain.rpc import connect
from oracles.chain.signers import DEV_CHAIN_IDS, NodeSigner, Signer, signer_for
from oracles.cli.argtypes import rpc_url_problem
from oracles.ops.roles import RoleBook, RoleErrors, node_accounts
from oracles.protocol.artifacts import DEFAULT_BUILD_DIR
from oracles.protocol.contracts import Protocol
from oracles.protocol.manifest import Manifest, default_manifest_path

if TYPE_CHECKING:
    from oracles.ops.localnet import Endpoint

Handler = Callable[[argparse.Namespace], int]
Summary = Callable[[list[dict[str, Any]]], str]


class CliError(ValueError):
    """A command cannot proceed: one line, non-zero exit."""


class OneLineParser(argparse.ArgumentParser):
    """argparse with a one-line error (``prog: error: message``, exit 2) instead of the usage
    block: the usage is one ``--help`` away."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


# ---------------------------------------------------------------------- parsers


def add_chain_args(p: argparse.ArgumentParser, *, sends: bool = True) -> None:
    """Where the chain is, the manifest, and (for commands that send) who signs and ``--dry-run``."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--rpc", help="JSON-RPC URL of the chain "
                       "(default: $GRIDBALANCE_RPC, else the running `gridbalance localnet`)")  # fmt: skip
    where.add_argument("--network", help="a Brownie network id (~/.brownie/network-config.yaml)")
    p.add_argument("--manifest", type=Path, default=None,
                   help="deployment manifest (default: deployments/<chainId>.json)")  # fmt: skip
    p.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR, help=argparse.SUPPRESS)
    if not sends:
        return
    who = p.add_mutually_exclusive_group()
    who.add_argument("--account", default=None,
                     help="sender: an unlocked node account, address, index or localnet name "
                     "(keeper, utility, consumer1; local chains only); "
                     "default on a development chain: a node account holding the role the call needs")  # fmt: skip
    who.add_argument("--keystore", type=Path, default=None,
                     help="sender: an encrypted keystore (password: $GRIDBALANCE_KEYSTORE_PASSWORD or prompt)")  # fmt: skip
    p.add_argument("--dry-run", action="store_true",
                   help="show the transaction, its gas estimate and its cost at the current fee; send nothing")  # fmt: skip


def command(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    help_text: str,
    handler: Handler,
    *,
    sends: bool = True,
    description: str | None = None,
) -> argparse.ArgumentParser:
    """A subcommand with the chain arguments, dispatched to ``handler(args)``."""
    p: argparse.ArgumentParser = sub.add_parser(
        name, help=help_text, description=description or help_text
    )
    add_chain_args(p, sends=sends)
    p.set_defaults(handler=handler)
    return p


def group(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    help_text: str,
) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    """A command group (``gridbalance utility ...``) and its subcommands' action."""
    p = sub.add_parser(name, help=help_text, description=help_text)
    actions: argparse._SubParsersAction = p.add_subparsers(  # type: ignore[type-arg]
        dest=f"{name}_action", required=True, metavar="ACTION"
    )
    return actions


# ---------------------------------------------------------------------- who signs


@dataclass(frozen=True)
class Role:
    """The sender must hold ``contract``'s ``role``; ``skip`` drops holders that cannot act
    (a verifier who approved already)."""

    contract: str
    role: str
    skip: Callable[[str], bool] | None = None

    def describe(self) -> str:
        return f"{self.contract}.{self.role}"


@dataclass(frozen=True)
class Account:
    """The sender must be ``address`` (a program's utility, an account's own action)."""

    address: str
    what: str

    def describe(self) -> str:
        return f"{self.what} {self.address}"


@dataclass(frozen=True)
class Own:
    """The sender acts for itself (a consumer, an applying utility): it must be named."""

    what: str

    def describe(self) -> str:
        return self.what


@dataclass(frozen=True)
class Anyone:
    """Anyone may send (the first node account by default)."""

    def describe(self) -> str:
        return "any account"


Need = Role | Account | Own | Anyone


@dataclass(frozen=True)
class Tx:
    """One contract call to send: ``contract`` names it (for role names in reverts); ``after``
    means it can only be estimated once the transactions before it are mined."""

    fn: ContractFunction
    what: str
    contract: str
    after: bool = False
    value: int = 0


# ---------------------------------------------------------------------- the session


@dataclass
class Session:
    args: argparse.Namespace
    w3: Web3
    p: Protocol
    book: RoleBook
    decoder: RoleErrors
    out: TextIO = field(default_factory=lambda: sys.stdout)
    local: Endpoint | None = None  # the running localnet, when it is the chain connected to
    _client: ChainClient | None = None
    _named: Signer | None = None

    @classmethod
    def open(cls, args: argparse.Namespace) -> Session:
        """Connect to ``--rpc``/``--network``/$GRIDBALANCE_RPC or, without any of them, to the
        running ``gridbalance localnet`` (its manifest, and its role-table names for
        ``--account``)."""
        from oracles.ops.localnet import localnet_rpc

        local = localnet_rpc()
        url = rpc_url(args, local.url if local is not None else None)
        w3 = connect(url, timeout=30)
        try:
            chain_id = w3.eth.chain_id
        except Exception as exc:  # refused, unreachable, not JSON-RPC
            raise CliError(f"no JSON-RPC answer at {url} ({type(exc).__name__})") from exc
        on_local, manifest_path = deployment(args, local, url, chain_id)
        if on_local is not None and getattr(args, "account", None) is not None:
            args.account = on_local.account(args.account)
        resolve_names(args, on_local)
        manifest = Manifest.load(manifest_path)
        p = Protocol.connect(w3, manifest, args.build_dir)
        names = {a: n for n, a in on_local.info.accounts.items()} if on_local is not None else {}
        book = RoleBook(p, names=names)
        return cls(args, w3, p, book, RoleErrors(book, args.build_dir), local=on_local)

    @property
    def dev(self) -> bool:
        if self.w3.eth.chain_id in DEV_CHAIN_IDS:
            return True
        try:
            return "anvil" in str(self.w3.client_version).lower()
        except Exception:
            return False

    @property
    def dry_run(self) -> bool:
        return bool(getattr(self.args, "dry_run", False))

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def say(self, text: str) -> None:
        print(text, file=self.out)

    def label(self, account: str) -> str:
        return self.book.label(account)

    # ------------------------------------------------------------------ signer

    def named_signer(self) -> Signer | None:
        """The sender the user named (``--account``/``--keystore``), if any (a keystore is
        unlocked once per command)."""
        a = self.args
        if getattr(a, "account", None) is None and getattr(a, "keystore", None) is None:
            return None
        if self._named is None:
            self._named = signer_for(self.w3, account=a.account, keystore=a.keystore)
        return self._named

    def signer(self, need: Need) -> Signer:
        named = self.named_signer()
        if named is not None:
            if isinstance(need, Account) and named.address != need.address:
                raise CliError(
                    f"the sender must be {need.describe()}, not {self.label(named.address)}"
                )
            return named
        if not self.dev:
            raise CliError(f"the sender must be {need.describe()}: pass --keystore FILE")
        node = node_accounts(self.w3)
        if isinstance(need, Anyone):
            return NodeSigner(node[0])
        if isinstance(need, Own):
            raise CliError(f"the sender must be {need.what}: pass --account ADDRESS|INDEX")
        if isinstance(need, Account):
            if need.address in node:
                return NodeSigner(need.address)
            raise CliError(
                f"the sender must be {need.describe()}, not a node account: pass --account or --keystore"
            )
        usable = self.book.node_holders(node, need.contract, need.role, need.skip)
        if usable:
            return NodeSigner(usable[0])
        held = self.book.holder_text(self.book.holders(need.contract, need.role))
        raise CliError(f"no node account can send this: it needs {need.describe()}, held by {held}")

    def client(self, signer: Signer) -> ChainClient:
        if self._client is None or self._client.address != signer.address:
            self._client = ChainClient(self.w3, signer, decoder=self.decoder, retry_seconds=10)
        return self._client

    # ------------------------------------------------------------------ send or show

    def run(self, txs: Sequence[Tx], need: Need, summary: Summary) -> int:
        """Send ``txs`` in order as the sender ``need`` calls for and print ``summary`` of their
        receipts, or, with ``--dry-run``, show each one and send nothing."""
        client = self.client(self.signer(need))
        if self.dry_run:
            self.say(f"dry run: {len(txs)} transaction{'s' * (len(txs) != 1)} from "
                     f"{self.label(client.address)}, nothing sent")  # fmt: skip
            for tx in txs:
                self._show(client, tx)
            return 0
        receipts = []
        for tx in txs:
            self.decoder.contract = tx.contract
            receipts.append(client.transact(tx.fn, tx.what, value=tx.value))
        self.say(summary(receipts))
        for tx, r in zip(txs, receipts, strict=True):
            self.say(f"  {tx.what}: tx {tx_hash_text(r['transactionHash'])}"
                     f" in block {r['blockNumber']}, gas {r['gasUsed']:,}")  # fmt: skip
        return 0

    def _show(self, client: ChainClient, tx: Tx) -> None:
        self.decoder.contract = tx.contract
        data = calldata(tx.fn)
        self.say(f"- {tx.what}")
        self.say(f"    to    {tx.fn.address} ({tx.contract})")
        self.say(f"    call  {call_text(tx.fn)}")
        self.say(
            f"    data  {data[:74]}{'...' if len(data) > 74 else ''} ({(len(data) - 2) // 2} bytes)"
        )
        try:
            gas = client.estimate(tx.fn.address, data, tx.what, tx.value)
        except TxReverted as exc:
            if not tx.after:
                raise
            self.say(
                f"    gas   estimated once the transactions before it are mined (now: {exc.reason})"
            )
            return
        block = self.w3.eth.get_block("latest")
        base = int(block.get("baseFeePerGas", 0))
        fees = client.fee_fields()
        price = base + fees["maxPriorityFeePerGas"]
        self.say(
            f"    gas   {gas:,} estimated (limit {int(gas * client.gas_margin):,} with the margin)"
        )
        self.say(f"    cost  {eth(gas * price)} ETH at the current fee of {gwei(price)} gwei "
                 f"(at most {eth(int(gas * client.gas_margin) * fees['maxFeePerGas'])} ETH "
                 f"at the max fee {gwei(fees['maxFeePerGas'])} gwei)")  # fmt: skip


def deployment(
    args: argparse.Namespace, local: Endpoint | None, url: str, chain_id: int
) -> tuple[Endpoint | None, Path]:
    """The running localnet when it is the chain at ``url``, and the manifest to load:
    ``--manifest``, else the localnet's, else ``deployments/<chainId>.json``."""
    on_local = local if local is not None and local.url == url.rstrip("/") else None
    path: Path = args.manifest or (
        on_local.manifest if on_local is not None else default_manifest_path(chain_id)
    )
    return on_local, path


def resolve_names(args: argparse.Namespace, local: Endpoint | None) -> None:
    """Every account argument given as a role-table name (``consumer1``, :class:`AccountName`)
    becomes the running localnet's address of it; elsewhere such a name is refused in one line."""
    from oracles.cli.argtypes import AccountName

    for key, value in vars(args).items():
        if not isinstance(value, AccountName):
            continue
        if local is None:
            raise CliError(f"{value!r} is not an address (0x and 40 hex digits); names such as "
                           "consumer1 are the running `gridbalance localnet`'s")  # fmt: skip
        if value not in local.info.accounts:
            raise CliError(f"{value!r} is neither an address nor a name of the localnet's role "
                           f"table ({', '.join(local.info.accounts)})")  # fmt: skip
        setattr(args, key, local.info.accounts[value])


def tx_hash_text(value: Any) -> str:
    if isinstance(value, str):
        return value if value.startswith("0x") else "0x" + value
    return "0x" + bytes(value).hex()


def call_text(fn: ContractFunction) -> str:
    names = [str(i.get("name") or f"arg{n}") for n, i in enumerate(fn.abi.get("inputs", []))]
    shown = ", ".join(f"{n}={value_text(v)}" for n, v in zip(names, fn.args, strict=False))
    return f"{fn.fn_name}({shown})"


def value_text(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple | list):
        inner = ", ".join(value_text(v) for v in value)
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    return str(value)


def eth(wei: int) -> str:
    return f"{wei / 10**18:.9f}".rstrip("0").rstrip(".") or "0"


def gwei(wei: int) -> str:
    return f"{wei / 10**9:.3f}"


def rpc_url(args: argparse.Namespace, localnet: str | None = None) -> str:
    """The RPC URL of ``--rpc``, ``--network``, $GRIDBALANCE_RPC or else the running localnet's;
    one without a scheme is refused with the ``http://`` hint."""
    url = args.rpc
    if url is None and args.network is not None:
        from oracles.cli.main import _network_host

        url = str(_network_host(args.network))
    if url is None:
        url = os.environ.get("GRIDBALANCE_RPC") or localnet
    if not url:
        raise CliError(
            "no chain given: pass --rpc URL or --network NAME (or set $GRIDBALANCE_RPC), "
            "or start one with `gridbalance localnet up`"
        )
    problem = rpc_url_problem(url)
    if problem is not None:
        raise CliError(problem)
    return str(url)


def one_event(receipts: list[dict[str, Any]], contract: Any, event: str) -> dict[str, Any]:
    """The first ``event`` log of ``contract`` among the receipts, decoded."""
    from oracles.chain.logs import decode_events

    for r in receipts:
        found = decode_events(contract, event, r["logs"])
        if found:
            return found[0]
    raise CliError(f"the receipt holds no {event} event")


def events(receipts: list[dict[str, Any]], contract: Any, event: str) -> list[dict[str, Any]]:
    from oracles.chain.logs import decode_events

    return [e for r in receipts for e in decode_events(contract, event, r["logs"])]
