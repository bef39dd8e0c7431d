"""GridBalance off-chain: everything that is not a contract (references, chain client, protocol bindings,
daemons, operator tooling, simulator and the command line), in subpackages by concern.

Imports point one way: reference <- chain <- protocol <- agents/ops <- sim <- cli (tests/python/test_layers.py).
"""
