"""Meter data file formats (CSV, Green Button), validated at the boundary (no chain)."""
