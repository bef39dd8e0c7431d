"""Load forecasting models and their accuracy measures (pure; no chain)."""
