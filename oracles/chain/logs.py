"""Event logs: a receipt's raw logs decoded with a contract's ABI."""

from __future__ import annotations

from typing import Any

from hexbytes import HexBytes
from web3 import Web3


def decode_events(
    contract: Any, event: str, raw_logs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The ``event`` logs of ``contract`` among a raw receipt's logs, decoded to their arguments."""
    from eth_utils.abi import event_abi_to_log_topic
    from web3.datastructures import AttributeDict

    abi = next(i for i in contract.abi if i.get("type") == "event" and i["name"] == event)
    topic = event_abi_to_log_topic(abi)
    out = []
    for raw in raw_logs:
        if Web3.to_checksum_address(raw["address"]) != contract.address:
            continue
        if HexBytes(raw["topics"][0]) != topic:
            continue
        entry = AttributeDict(
            {
                "address": Web3.to_checksum_address(raw["address"]),
                "topics": [HexBytes(t) for t in raw["topics"]],
                "data": HexBytes(raw["data"]),
                "logIndex": int(raw["logIndex"], 16),
                "transactionIndex": int(raw["transactionIndex"], 16),
                "transactionHash": HexBytes(raw["transactionHash"]),
                "blockHash": HexBytes(raw["blockHash"]),
                "blockNumber": int(raw["blockNumber"], 16),
            }
        )
        out.append(dict(getattr(contract.events, event)().process_log(entry)["args"]))
    return out
