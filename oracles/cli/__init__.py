"""The `gridbalance` command line."""
