"""Fixtures shared by the daemon tests (see :mod:`tests.python.meter_chain`)."""

from tests.python.meter_chain import chain, fresh

__all__ = ["chain", "fresh"]
