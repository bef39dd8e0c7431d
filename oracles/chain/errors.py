"""What can go wrong talking to a chain: the errors the client raises (one-line messages)."""

from __future__ import annotations


class ChainError(RuntimeError):
    """The chain could not be reached, or a transaction did not succeed."""


class TxReverted(ChainError):
    """A transaction (or its gas estimate) reverted; ``reason`` is the decoded custom error."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{what} reverted: {reason}")
        self.what = what
        self.reason = reason


class TxReplaced(ChainError):
    """Another transaction took this one's nonce: this one will never mine."""

    def __init__(self, what: str, nonce: int) -> None:
        super().__init__(f"{what}: nonce {nonce} was taken by another transaction")
        self.what = what
        self.nonce = nonce


class AccountError(ChainError):
    """An account could not be loaded (missing keystore, wrong password, plaintext key)."""
