"""Event logs: raw logs (a receipt's, or ``eth_getLogs``') decoded with a contract's ABI."""

from __future__ import annotations

from typing import Any

from hexbytes import HexBytes
from web3 import Web3


def event_topic(contract: Any, event: str) -> bytes:
    """The first topic of ``contract``'s ``event`` logs."""
    from eth_utils.abi import event_abi_to_log_topic

    abi = next(i for i in contract.abi if i.get("type") == "event" and i["name"] == event)
    return bytes(event_abi_to_log_topic(abi))


def decode_raw(contract: Any, event: str, raw: dict[str, Any]) -> dict[str, Any]:
    """One raw log (hex strings, as JSON-RPC returns it) of ``contract``'s ``event``, decoded to its
    arguments."""
    from web3.datastructures import AttributeDict

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
    return dict(getattr(contract.events, event)().process_log(entry)["args"])


def decode_events(
    contract: Any, event: str, raw_logs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The ``event`` logs of ``contract`` among a raw receipt's logs, decoded to their arguments."""
    topic = event_topic(contract, event)
    return [
        decode_raw(contract, event, raw)
        for raw in raw_logs
        if Web3.to_checksum_address(raw["address"]) == contract.address
        and HexBytes(raw["topics"][0]) == topic
    ]
