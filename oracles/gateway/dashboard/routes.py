"""The dashboard's routes on the gateway's app: ``/`` (regions and events), ``/dashboard/events/{n}``,
``/dashboard/consumers/{address}`` (the header's form: ``/dashboard/consumer?address=``),
``/dashboard/tx/{hash}``, the live-update probe
``/dashboard/head.json`` and the static files (``/dashboard/static/``, the charting library from
``node_modules/chart.js``, never a CDN).

Pages are server-rendered (Jinja2). Each one's changing part is one fragment: with
``?fragment=1`` a page answers that fragment alone, which the page's script fetches when
``head.json`` says the index moved (polled every :data:`POLL_MS`), and swaps in without a reload.
No page needs a token: the dashboard is read-only and public; the OpenADR API keeps its tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic_core import to_jsonable_python
from web3 import Web3

from oracles.chain.anvil import PROJECT_ROOT
from oracles.gateway.dashboard.pages import Dashboard

if TYPE_CHECKING:
    from oracles.gateway.app import Backend

HERE = Path(__file__).parent
CHART_JS = PROJECT_ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"
POLL_MS = 2_000
NO_CHARTS = (
    'window.GRIDBALANCE_NO_CHARTS = "the charts need node_modules/chart.js: run make setup";\n'
)


def mount(app: FastAPI, backend: Backend, poll_ms: int = POLL_MS) -> Dashboard:
    """Add the dashboard's routes to ``app``; its pages read through ``backend``."""
    board = Dashboard()
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["jsonable"] = to_jsonable_python  # models for |tojson (chart data)
    app.mount("/dashboard/static", StaticFiles(directory=HERE / "static"), name="dashboard-static")

    def page(request: Request, name: str, data: Any, status: int = 200) -> Response:
        fragment = request.query_params.get("fragment") == "1"
        context = {"page": data, "live": f"{name}.html", "poll_ms": poll_ms, "title": _title(data)}
        return templates.TemplateResponse(
            request, f"{name}.html" if fragment else "base.html", context, status_code=status,
            headers={"Cache-Control": "no-store"},
        )  # fmt: skip

    def missing(request: Request, text: str, status: int = 404) -> Response:
        return templates.TemplateResponse(request, "missing.html",
                                          {"text": text, "title": "not found"}, status_code=status)  # fmt: skip

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(request: Request) -> Response:
        return page(request, "home", await backend.call_with_catalog(board.home))

    @app.get("/dashboard/events/{event_id}", response_class=HTMLResponse, include_in_schema=False)
    async def event(request: Request, event_id: str) -> Response:
        if not event_id.isdigit() or len(event_id) > 20:
            return missing(request, f"{event_id!r} is not an event number", 400)
        n = int(event_id)
        found = await backend.call_with_catalog(lambda v, c: board.event(v, c, n))
        if found is None:
            return missing(request, f"no event {n} is indexed")
        return page(request, "event", found)

    @app.get("/dashboard/consumers/{address}", response_class=HTMLResponse, include_in_schema=False)
    async def consumer(request: Request, address: str) -> Response:
        if not Web3.is_address(address):
            return missing(request, f"{address!r} is not an address", 400)
        account = Web3.to_checksum_address(address)
        return page(
            request,
            "consumer",
            await backend.call_with_catalog(lambda v, c: board.consumer(v, c, account)),
        )

    @app.get("/dashboard/consumer", include_in_schema=False)
    async def find_consumer(request: Request, address: str = "") -> Response:
        """The header's form: to the consumer's page."""
        text = address.strip()
        if not Web3.is_address(text):
            return missing(request, f"{text!r} is not an address", 400)
        return RedirectResponse(f"/dashboard/consumers/{Web3.to_checksum_address(text)}", 303)

    @app.get("/dashboard/tx/{tx_hash}", response_class=HTMLResponse, include_in_schema=False)
    async def tx(request: Request, tx_hash: str) -> Response:
        h = tx_hash.lower()
        if (
            len(h) != 66
            or not h.startswith("0x")
            or any(ch not in "0123456789abcdef" for ch in h[2:])
        ):
            return missing(request, f"{tx_hash!r} is not a transaction hash", 400)
        found = await backend.call_with_catalog(lambda v, c: board.tx(v, c, h))
        if found is None:
            return missing(request, f"the chain has no transaction {h}")
        return page(request, "tx", found)

    @app.get("/dashboard/head.json", include_in_schema=False)
    async def head() -> JSONResponse:
        h = await backend.call_with_catalog(board.head)
        return JSONResponse(h.model_dump(), headers={"Cache-Control": "no-store"})

    @app.get("/dashboard/vendor/chart.umd.js", include_in_schema=False)
    async def chart_js() -> Response:
        if CHART_JS.is_file():
            return FileResponse(CHART_JS, media_type="text/javascript")
        return Response(NO_CHARTS, media_type="text/javascript")

    return board


def _title(data: Any) -> str:
    name = type(data).__name__
    if name == "EventPage":
        return f"event {data.event.event_id}"
    if name == "ConsumerPage":
        return f"consumer {data.account}"
    if name == "TxPage":
        return f"transaction {data.tx_hash[:10]}…"
    return "regions and events"
