"""Pure Python mirrors of the Solidity libraries, one module per library (no chain, no I/O)."""
