"""`gridbalance demo` (Foundation version): deploys to a chain it starts, prints the addresses."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

from oracles.demo import DEMO_REGION_NAME, run_demo

ROOT = Path(__file__).resolve().parents[2]


def test_run_demo__deploys_and_prints_every_address() -> None:
    out = io.StringIO()
    addresses = run_demo(out)
    text = out.getvalue()
    assert set(addresses) == {"RegionRegistry", "MockStablecoin"}
    for name, address in addresses.items():
        assert re.search(rf"^  {name}\s+{address}\s+\d+\s+[\d,]+$", text, re.M), text
    assert DEMO_REGION_NAME in text
    assert "holds 1,000,000.00 mUSD" in text
    started = re.search(r"Started Anvil \(pid (\d+)\) at http://127\.0\.0\.1:(\d+)", text)
    assert started and f"Stopped Anvil (pid {started.group(1)})" in text


def test_cli_demo__missing_artifacts__one_line_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "oracles.cli", "demo", "--build-dir", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr == (
        f"gridbalance: error: {tmp_path}/RegionRegistry.json: not found "
        "(run 'make compile' / 'brownie compile')\n"
    )
    assert proc.stdout == ""  # checked before any chain was started
