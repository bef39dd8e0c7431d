"""The gateway's web dashboard (issue 27 item 4): read-only, public pages at ``/`` served beside
the OpenADR API, from the same log index and chain view (:mod:`oracles.gateway.chain_view`).

One job per module: :mod:`models` (the pages' data, pydantic), :mod:`grid` (the regions' grid
status and load against forecast: view calls, in one batch), :mod:`pages` (each page's data from
the index, cached per indexed block), :mod:`units` (amounts and energy as shown) and
:mod:`routes` (the FastAPI routes, templates, static files and the live-update endpoint).
"""
