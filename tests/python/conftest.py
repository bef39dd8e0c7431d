"""Fixtures shared by the daemon tests (see :mod:`oracles.tests.meter_chain`)."""

from oracles.tests.meter_chain import chain, fresh

__all__ = ["chain", "fresh"]
