"""Where the daemons and ``report`` keep their working files when not told (``--outbox``,
``--rejects``, ``--index``): in the working directory, or, against the running
``gridbalance localnet``, in the local network's folder beside its chain state.

The outbox and the index describe one chain: an outbox that says a consumer-day is posted is only
true of the chain it was posted to. Kept beside the local network's state, they start and end with
it (``localnet reset`` deletes them), so a second walkthrough on a fresh network is not told that
its data is posted already, and no run leaves files in the project.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from oracles.ops.localnet import WORK_FILES, Endpoint

OUTBOX, REJECTS, INDEX = WORK_FILES
WHERE = "default: %s in the working directory; on the running localnet, in its folder"


def folder(local: Endpoint | None) -> Path:
    """The folder of the files: the local network's, else the working directory."""
    return local.manifest.parent if local is not None else Path()


def fill(args: argparse.Namespace, local: Endpoint | None) -> None:
    """Set each working-file argument the user did not give: ``--outbox`` and ``--rejects``
    always, ``--index`` for ``report`` and ``--watch`` (a one-shot daemon pass reads logs from the
    chain without one)."""
    where = folder(local)
    for attr, name in (("outbox", OUTBOX), ("rejects", REJECTS)):
        if hasattr(args, attr) and getattr(args, attr) is None:
            setattr(args, attr, where / name)
    wants_index = getattr(args, "command", None) == "report" or getattr(args, "watch", False)
    if hasattr(args, "index") and args.index is None and wants_index:
        args.index = where / INDEX
