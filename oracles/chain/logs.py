"""Event logs: raw logs (a receipt's, or ``eth_getLogs``') decoded with a contract's ABI."""

from __future__ import annotations

from typing import Any

from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import Web3Exception


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


LOG_SPAN = (
    2_000  # blocks per eth_getLogs call at first: what public nodes accept (many cap at 10,000)
)


def ranged_logs(
    event: Any,
    *,
    from_block: int,
    to_block: int | None = None,
    argument_filters: dict[str, Any] | None = None,
    span: int = LOG_SPAN,
) -> list[Any]:
    """``event.get_logs`` (a web3 contract event, e.g. ``contract.events.Settled``) over blocks
    ``from_block..to_block`` (the latest block when None) in spans a node accepts: nodes cap the block
    span or the size of one ``eth_getLogs`` reply, each with its own message, so a refused span wider
    than one block is halved and tried again (and grows back after a success). Logs in chain order."""
    if span < 1:
        raise ValueError("the block span must be at least 1")
    last = int(event.w3.eth.block_number) if to_block is None else to_block
    out: list[Any] = []
    start, width = from_block, span
    while start <= last:
        end = min(last, start + width - 1)
        try:
            found = event.get_logs(
                from_block=start, to_block=end, argument_filters=argument_filters or {}
            )
        except (Web3Exception, ValueError):
            if end == start:
                raise
            width = max(1, (end - start + 1) // 2)
            continue
        out += found
        start = end + 1
        width = min(span, width * 2)
    return out
