"""The OpenADR 3 gateway (issue 27): a chain-backed VTN that serves the protocol's programs and
events as OpenADR 3.0.1 objects (``openadr3-3.0.1.yaml``, the document it conforms to).

One job per module: :mod:`ids` (object ids), :mod:`objects` (the OpenADR schemas the gateway
answers with), :mod:`problems` (the problem object and the error handlers), :mod:`clients` and
:mod:`tokens` (OAuth2 client credentials), :mod:`chain_view` (what the log index knows),
:mod:`mapping` (protocol -> OpenADR, field by field, docs/openadr.md), :mod:`queries` (the search
parameters) and :mod:`app` (the FastAPI application). VENs, resources and reports:
:mod:`ven_objects` (their schemas), :mod:`registry` (the gateway's SQLite records), :mod:`desk`
(the files behind the writes), :mod:`vens` (their routes), :mod:`usage` (a USAGE report as meter
readings) and :mod:`reports` (reports into the meter oracle's outbox, and their status on chain).
``gridbalance gateway`` runs it.
"""
