"""Network presets registered through ``brownie networks`` (SPECIFICATION.md OP-7)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from oracles.ops.networks import PRESETS, install, profile_for_chain, registered_networks

BROWNIE = str(Path(sys.executable).with_name("brownie"))


def test_install__adds_every_preset_then_updates_it_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OP-7: four presets, hosts kept as environment variables, a second run adds no duplicate."""
    monkeypatch.setenv("HOME", str(tmp_path))  # a private ~/.brownie
    first = install(BROWNIE)
    assert [line.split()[0] for line in first] == ["added"] * 4
    second = install(BROWNIE)
    assert [line.split()[0] for line in second] == ["updated"] * 4
    nets = registered_networks(tmp_path)
    expected = {
        "gb-sepolia": (11_155_111, "$SEPOLIA_RPC_URL"),
        "gb-arbitrum-sepolia": (421_614, "$ARBITRUM_SEPOLIA_RPC_URL"),
        "gb-base-sepolia": (84_532, "$BASE_SEPOLIA_RPC_URL"),
        "gb-volta": (73_799, "$VOLTA_RPC_URL"),
    }
    for net_id, (chain_id, host) in expected.items():
        assert (nets[net_id]["chainid"], nets[net_id]["host"]) == (chain_id, host)
    text = (tmp_path / ".brownie" / "network-config.yaml").read_text()
    assert sum(text.count(f"id: {p.id}\n") for p in PRESETS) == 4


def test_profile_for_chain__energy_web_chains_get_the_london_build() -> None:
    """OP-6: Volta and EWC have no PUSH0; every other preset runs the cancun build."""
    assert profile_for_chain(73_799) == profile_for_chain(246) == "london"
    assert {profile_for_chain(p.chain_id) for p in PRESETS if p.id != "gb-volta"} == {"cancun"}
    assert all(profile_for_chain(p.chain_id) == p.profile for p in PRESETS)
