"""Check a deployment on chain against its manifest:
``python -m oracles.ops.run scripts/verify_deployment.py --network <net>`` (or ``brownie run``).

Bytecode (immutables included), constructor wiring, the forecasting link, every role holder (and
that no one else holds a role) and the configured regions and tokens; see ``oracles/ops/verify.py``.
Prints one line per check and exits non-zero on any mismatch.
"""

from __future__ import annotations

from oracles.ops.operator import Operator, run_script
from oracles.ops.verify import verify_deployment
from oracles.protocol.manifest import Manifest
from oracles.protocol.profiles import profile


def verify(op: Operator) -> None:
    manifest = Manifest.load(op.manifest_path)
    findings = verify_deployment(op.w3, manifest, profile(manifest.profile).build_dir)
    for finding in findings:
        print(finding.line())
    failed = sum(not f.ok for f in findings)
    print(f"{len(findings) - failed} of {len(findings)} checks passed for {op.manifest_path}")
    if failed:
        raise SystemExit(f"error: {failed} check(s) failed")


def main() -> None:
    run_script(verify)
