"""Talking to any EVM node: the transaction client, signers, fees, batched reads, logs, a local Anvil."""
