"""The README for newcomers (issue 25 item 7): no stale figures, no dead links.

The sample of ``make demo``'s output in README.md is generated (``python -m oracles.sim.readme_sample``)
and must equal a fresh run of the default demo: the demo's chain starts at the local network's
genesis, so the same seed gives the same report on any date.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oracles.chain.anvil import PROJECT_ROOT
from oracles.sim import readme_sample

DOCS = [PROJECT_ROOT / "README.md", PROJECT_ROOT / "DEVELOPERS.md",
        *sorted((PROJECT_ROOT / "docs").glob("*.md")), PROJECT_ROOT / "examples" / "README.md"]  # fmt: skip
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_readme__demo_output__equals_a_fresh_run_of_make_demo() -> None:
    committed = readme_sample.current((PROJECT_ROOT / "README.md").read_text())
    fresh = readme_sample.generate()
    assert committed == fresh, (
        "README.md's sample is stale: run `python -m oracles.sim.readme_sample`"
    )
    assert "Checks against the contracts: all passed" in fresh


def test_readme_sample__markers__replaced_in_place_and_refused_when_missing() -> None:
    text = f"intro\n{readme_sample.BEGIN}\nold\n{readme_sample.END}\noutro\n"
    new = readme_sample.replace(text, "```\nnew\n```")
    assert new == f"intro\n{readme_sample.BEGIN}\n```\nnew\n```\n{readme_sample.END}\noutro\n"
    assert readme_sample.current(new) == "```\nnew\n```"
    with pytest.raises(readme_sample.SampleError, match="expected one"):
        readme_sample.current("no markers here")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_docs__every_relative_link__points_at_a_file(doc: Path) -> None:
    assert doc.exists(), doc
    dead = [
        target
        for target in LINK.findall(doc.read_text())
        if "://" not in target and not (doc.parent / target).exists()
    ]
    assert dead == [], f"{doc.name}: dead links {dead}"
