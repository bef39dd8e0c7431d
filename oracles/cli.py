"""`gridbalance`: the command-line entry point."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from oracles.artifacts import DEFAULT_BUILD_DIR, ArtifactError
from oracles.devchain import DevChainError, install_sigterm_handler

USER_ERRORS: tuple[type[BaseException], ...] = (ArtifactError, DevChainError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gridbalance", description="GridBalance: verifiable demand response on EVM chains."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="a full simulated DR cycle on a local Anvil it starts and stops",
        description="Start a fresh local Anvil, deploy, simulate 14 days of history and a heat-wave event day, "
        "let the forecast trigger the event, enroll, settle and pay; write reports/<run>/report.json and chart.png.",
    )
    demo.add_argument(
        "--consumers", type=int, default=200, help="simulated consumers (default: %(default)s)"
    )
    demo.add_argument("--seed", type=int, default=7, help="simulation seed (default: %(default)s)")
    demo.add_argument(
        "--history-days",
        type=int,
        default=14,
        help="days of history before the event (default: %(default)s)",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=None,
        help="report folder (default: reports/<time>-n<consumers>)",
    )
    demo.add_argument("--no-progress", action="store_true", help="no progress bars")
    demo.add_argument(
        "--build-dir",
        type=Path,
        default=DEFAULT_BUILD_DIR,
        help="Brownie build artifacts (default: %(default)s)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    install_sigterm_handler()
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    from pydantic import ValidationError

    from oracles.chain import ChainError
    from oracles.contracts import ManifestError
    from oracles.demo import DemoError
    from oracles.deploy import DeploymentError

    errors: tuple[type[BaseException], ...] = (
        *USER_ERRORS,
        ChainError,
        ManifestError,
        DemoError,
        DeploymentError,
    )
    try:
        if args.command == "demo":
            from oracles.demo import DemoConfig, run_demo

            try:
                cfg = DemoConfig(consumers=args.consumers, seed=args.seed, history_days=args.history_days,
                                 out_dir=args.out, build_dir=args.build_dir, progress=not args.no_progress)  # fmt: skip
            except ValidationError as exc:
                first = exc.errors()[0]
                raise DemoError(
                    f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg']}"
                ) from exc
            report = run_demo(cfg)
            return 0 if all(report["checks"].values()) else 2
        return 0
    except errors as exc:
        print(f"gridbalance: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gridbalance: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
