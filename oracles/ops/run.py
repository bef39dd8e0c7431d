"""Run a Brownie script from any folder: ``python -m oracles.ops.run scripts/deploy.py --network <net>``.

The same command line as ``brownie run <script> [<function>] [<arg>...] --network <net>``, for the
operator scripts in ``scripts/`` (README "Operators") or any other Brownie script.

Why not ``brownie run``: eth-brownie 1.22.2 imports the script by turning its *absolute* path into
a dotted module name (``brownie/project/scripts.py``, ``_import_from_path``):
``/Users/john.doe/gb/scripts/deploy.py`` becomes ``Users.john.doe.gb.scripts.deploy``, and the
import fails with ``ModuleNotFoundError: No module named 'Users.john'`` in any folder with a dot
in its path (eth-brownie PRs #1070 and #1654, both open). Brownie is compiled with mypyc, so that
function cannot be replaced at run time either (``run`` calls it directly, not through the module);
the only run-time fix would be an import hook in every Python process of the environment (a
``.pth`` file), which is far more reach than a command of our own.

This module does what ``brownie._cli.run.main`` does: load the project (compiling what changed) and
its configuration, connect to the network with ``brownie.network.connect``, put the project's
contracts in ``brownie``'s namespace, then call the script's function. Only the script is loaded
differently: from its file, under the module name ``scripts.<name>`` (what ``import scripts.<name>``
gives), not through a module name made of the absolute path. ``--interactive`` and ``--gas`` are
not offered: use ``brownie console`` or ``brownie run`` (from a folder without a dot) for those.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any


class ScriptError(Exception):
    """The script or its function cannot be found."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m oracles.ops.run",
        description="Run a Brownie script (like `brownie run`), also from a folder with a dot.",
    )
    p.add_argument("filename", help="the script: scripts/deploy.py, deploy.py or deploy")
    p.add_argument("function", nargs="?", default="main", help="the function to call (main)")
    p.add_argument("args", nargs="*", help="arguments passed to the function, as strings")
    p.add_argument("--network", help="a Brownie network id (default: the project's default)")
    p.add_argument("--silent", action="store_true", help="no console output for transactions")
    p.add_argument("--raise", "-r", dest="raise_", action="store_true", help="raise exceptions")
    p.add_argument("--tb", "-t", action="store_true", help="show the entire Python traceback")
    p.add_argument(
        "--yes",
        action="store_true",
        help="answer yes to the script's confirmation (the handover asks for one; without a "
        "terminal it is refused unless --yes)",
    )
    return p


def find_script(filename: str, project_path: Path | None, scripts_folder: str = "scripts") -> Path:
    """The script's file, found as ``brownie run`` finds it: relative to the project folder or its
    scripts folder (the ``.py`` suffix may be left out), or an absolute path."""
    path = Path(filename).with_suffix(".py")
    candidates = [path]
    if project_path is not None and not path.is_absolute():
        if path.parts[:1] == (scripts_folder,):
            candidates = [project_path / path]
        else:
            candidates = [project_path / scripts_folder / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise ScriptError(f"Cannot find {filename}")


def module_name(script: Path, project_path: Path | None) -> str:
    """``scripts.deploy`` for ``<project>/scripts/deploy.py``: the name ``import scripts.deploy``
    gives it, so a script imported both ways is one module. Elsewhere, a name nothing else uses."""
    if project_path is not None and script.is_relative_to(project_path.resolve()):
        parts = script.relative_to(project_path.resolve()).with_suffix("").parts
        if all(part.isidentifier() for part in parts):
            return ".".join(parts)
    return "_brownie_script_" + "".join(c if c.isalnum() else "_" for c in script.stem)


def load_script(script: Path, name: str) -> ModuleType:
    """Import ``script`` from its file, under ``name``, registered in ``sys.modules`` as an import
    would register it (dataclasses and pickling look the module up there)."""
    spec = importlib.util.spec_from_file_location(name, script)
    if spec is None or spec.loader is None:
        raise ScriptError(f"{script} is not a Python script")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def run(
    filename: str, function: str = "main", args: Sequence[Any] = (), network: str | None = None
) -> Any:
    """Load the project, connect to ``network`` and return ``function(*args)`` of the script."""
    from brownie.network.main import connect
    from brownie.project.main import check_for_project, load

    active = None
    if check_for_project():
        active = load()
        active.load_config()
        print(f"{active._name} is the active project.")
    connect(network)  # what `brownie run` does with --network (None: the default)

    root = Path(active._path) if active is not None and active._path is not None else None
    structure: dict[str, str] = dict(active._structure) if active is not None else {}
    script = find_script(filename, root, structure.get("scripts", "scripts"))
    if active is not None:  # before the import, so `from brownie import SomeContract` works
        active._add_to_main_namespace()
    try:
        module = load_script(script, module_name(script, root))
        func = getattr(module, function, None)
        if not isinstance(func, FunctionType):
            raise ScriptError(f"Module '{module.__name__}' has no method '{function}'")
        shown = script.relative_to(Path.cwd()) if script.is_relative_to(Path.cwd()) else script
        print(f"\nRunning '{shown}::{function}'...")
        return func(*args)
    finally:
        if active is not None:
            active._remove_from_main_namespace()


def main(argv: Sequence[str] | None = None) -> None:
    opts = _parser().parse_intermixed_args(argv)
    from brownie._config import CONFIG, __version__
    from brownie.utils import color

    print(f"Brownie v{__version__} - Python development framework for Ethereum\n")
    # the options `brownie run` records for the rest of Brownie (transaction output, tracebacks)
    CONFIG.argv.update(
        cli="run",
        network=opts.network,
        silent=opts.silent,
        tb=opts.tb,
        gas=False,
        interactive=False,
        **{"raise": opts.raise_},
    )
    if opts.yes:  # read by oracles.ops.operator.confirm (also settable for `brownie run`)
        os.environ["GRIDBALANCE_YES"] = "1"
    try:
        run(opts.filename, opts.function, opts.args, opts.network)
    except ScriptError as exc:
        sys.exit(str(exc))
    except Exception as exc:
        if opts.raise_:
            raise
        print(color.format_tb(exc))
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":
    main()
