"""`gridbalance`: the command-line entry point."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oracles.artifacts import DEFAULT_BUILD_DIR, ArtifactError
from oracles.deploy import DeploymentError
from oracles.devchain import DevChainError, install_sigterm_handler

USER_ERRORS = (ArtifactError, DeploymentError, DevChainError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gridbalance",
        description="GridBalance: verifiable demand response on EVM chains.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="start a fresh local Anvil, deploy the contracts, print their addresses, stop",
        description="Start a fresh local Anvil on a free port, deploy the GridBalance contracts "
        "from build/contracts (run `make compile` first), print their addresses and stop the chain.",
    )
    demo.add_argument(
        "--build-dir",
        type=Path,
        default=DEFAULT_BUILD_DIR,
        help="folder of Brownie build artifacts (default: %(default)s)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    install_sigterm_handler()
    try:
        if args.command == "demo":
            from oracles.demo import run_demo

            run_demo(build_dir=args.build_dir)
        return 0
    except USER_ERRORS as exc:
        print(f"gridbalance: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gridbalance: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
