"""The gateway's FastAPI application: the OpenADR 3.0.1 operations on programs and events as views
of the chain, the token endpoint, and problem objects for everything refused
(:mod:`oracles.gateway.problems`).

Every program and event operation checks the request's bearer token (``Authorization: Bearer``,
RFC 6750) against the tokens POST /auth/token issued and the operation's scope in the document
(``read_all`` for reads, ``write_programs``/``write_events`` for writes, which the chain refuses
anyway). GET /auth/server (the 3.1 discovery of the token endpoint, which client libraries such as
``openadr3`` call first) and GET /openapi.yaml (the document itself) need no token.

The chain side runs on one worker thread (:class:`Backend`): the log index's SQLite connection and
the node's HTTP connection are used by that thread only, and the event loop never waits on them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs

import yaml  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from oracles.gateway import ids
from oracles.gateway.catalog import Catalog
from oracles.gateway.chain_view import ChainView
from oracles.gateway.desk import Desk
from oracles.gateway.objects import AuthError, AuthErrorCode, ClientCredentialResponse
from oracles.gateway.problems import (
    ProblemError,
    bad_request,
    forbidden,
    install,
    not_found,
    not_implemented,
)
from oracles.gateway.queries import parse_search
from oracles.gateway.reports import install_reports
from oracles.gateway.tokens import Grant, TokenIssuer, TokenRefused
from oracles.gateway.vens import install_vens

SPEC = Path(__file__).with_name("openadr3-3.0.1.yaml")
SERVED = {"/programs", "/programs/{programID}", "/events", "/events/{eventID}", "/auth/token"}
VENS_SERVED = {"/vens", "/vens/{venID}", "/vens/{venID}/resources",
               "/vens/{venID}/resources/{resourceID}"}  # fmt: skip
REPORTS_SERVED = {"/reports", "/reports/{reportID}"}
T = TypeVar("T")
CHAIN_OWNED = (
    "{what} are created on chain, never through this API: `gridbalance {cmd} create` sends the "
    "transaction{extra}; the gateway shows what the chain holds"
)


Authorize = Callable[[Request, str], Grant]  # the request's grant if it holds the scope, else 403


@dataclass(frozen=True)
class Extension:
    """Operations of the document served by another module (subscriptions): the paths it serves
    (no longer 501), how it adds its routes (given the bearer-token check) and what runs while the
    application does (background tasks)."""

    paths: frozenset[str]
    install: Callable[[FastAPI, Authorize], None]
    lifespan: Callable[[], AbstractAsyncContextManager[None]] | None = None


class Backend:
    """The chain view and the catalog built from it, on one worker thread."""

    def __init__(self, make_view: Callable[[], ChainView]) -> None:
        self._make_view = make_view
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-chain")
        self._view: ChainView | None = None
        self._catalog: Catalog | None = None
        self._on_close: list[Callable[[], None]] = []

    def at_close(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the worker thread when the backend closes (files it opened there)."""
        self._on_close.append(fn)

    async def catalog(self) -> Catalog:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._build)

    async def call(self, fn: Callable[[ChainView], T]) -> T:
        """``fn(view)`` on the worker thread (the only thread that uses the view, the outbox and
        the VEN registry), after the catalog is current."""

        def work() -> T:
            self._build()
            assert self._view is not None
            return fn(self._view)

        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    async def call_with_catalog(self, fn: Callable[[ChainView, Catalog], T]) -> T:
        """``fn(view, catalog)`` on the chain thread, the catalog brought up to date first (the
        dashboard's reads, :mod:`oracles.gateway.dashboard`)."""

        def job() -> T:
            catalog = self._build()
            assert self._view is not None
            return fn(self._view, catalog)

        return await asyncio.get_running_loop().run_in_executor(self._executor, job)

    def catalog_now(self) -> Catalog:
        """The catalog from a thread that is not the event loop's (tests, the command's warm-up)."""
        return self._executor.submit(self._build).result()

    def close(self) -> None:
        def shut() -> None:
            for fn in self._on_close:
                fn()
            if self._view is not None:
                self._view.close()
                self._view = None

        self._executor.submit(shut).result()
        self._executor.shutdown()

    def _build(self) -> Catalog:
        if self._view is None:
            self._view = self._make_view()
        v = self._view
        s = v.snapshot()
        if self._catalog is None or self._catalog.last_block != s.last_block:
            self._catalog = Catalog.of(s, v.chain_id, v.programs_address, v.events_address)
        return self._catalog


def create_app(
    backend: Backend,
    issuer: TokenIssuer,
    desk: Desk | None = None,
    extensions: Sequence[Extension] = (),
) -> FastAPI:
    """The application; with ``desk`` it serves VENs, resources and reports too, and each of
    ``extensions`` adds its operations (subscriptions: oracles/gateway/subscriptions.py)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for e in extensions:
                if e.lifespan is not None:
                    await stack.enter_async_context(e.lifespan())
            yield

    app = FastAPI(
        lifespan=lifespan,
        title="GridBalance OpenADR 3 gateway",
        version="3.0.1",
        openapi_url=None,  # the document served is the specification's own (GET /openapi.yaml)
        docs_url=None,
        redoc_url=None,
    )
    install(app)
    document = SPEC.read_text()

    def grant(request: Request, scope: str) -> Grant:
        header = request.headers.get("authorization")
        if not header:
            raise forbidden("no bearer token: POST /auth/token with client credentials first")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise forbidden("the Authorization header is not 'Bearer <token>'")
        found = issuer.check(token.strip())
        if found is None:
            raise forbidden("unknown or expired bearer token: ask POST /auth/token for a new one")
        if scope not in found.scopes:
            raise forbidden(
                f"the token of {found.role.value} client {found.client_id!r} lacks scope {scope}"
            )
        return found

    # ------------------------------------------------------------------ auth

    @app.post("/auth/token", name="token")
    async def token(request: Request) -> JSONResponse:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            return _auth_error("invalid_request",
                               "the body must be application/x-www-form-urlencoded (RFC 6749 4.4.2)")  # fmt: skip
        form = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
        repeated = sorted(k for k, v in form.items() if len(v) > 1)
        if repeated:
            return _auth_error("invalid_request", f"{repeated[0]} given more than once")
        fields = {k: v[0] for k, v in form.items()}
        missing = [k for k in ("grant_type", "client_id", "client_secret") if not fields.get(k)]
        if missing:
            return _auth_error("invalid_request", f"missing {', '.join(missing)}")
        if fields["grant_type"] != "client_credentials":
            return _auth_error("unsupported_grant_type",
                               f"grant_type {fields['grant_type']!r}: only client_credentials")  # fmt: skip
        try:
            issued, g = issuer.issue(
                fields["client_id"], fields["client_secret"], fields.get("scope")
            )
        except TokenRefused as refused:
            return _auth_error(refused.error, refused.description)
        body = ClientCredentialResponse(
            access_token=issued, expires_in=issuer.seconds, scope=" ".join(sorted(g.scopes))
        )
        return JSONResponse(
            body.dump(), headers={"Cache-Control": "no-store", "Pragma": "no-cache"}
        )

    @app.get("/auth/server")
    async def auth_server(request: Request) -> JSONResponse:
        return JSONResponse({"tokenURL": str(request.url_for("token"))})

    @app.get("/openapi.yaml")
    async def openapi_document() -> Response:
        return Response(document, media_type="application/yaml")

    # ------------------------------------------------------------------ programs

    @app.get("/programs")
    async def search_programs(request: Request) -> JSONResponse:
        grant(request, "read_all")
        q = parse_search(request.query_params, with_program=False)
        return JSONResponse((await backend.catalog()).search_programs(q))

    @app.get("/programs/{programID}")
    async def program_by_id(request: Request, programID: str) -> JSONResponse:
        grant(request, "read_all")
        _check_id("programID", programID)
        found = (await backend.catalog()).program_json.get(programID)
        if found is None:
            raise not_found(f"no program has id {programID!r}")
        return JSONResponse(found)

    # ------------------------------------------------------------------ events

    @app.get("/events")
    async def search_events(request: Request) -> JSONResponse:
        grant(request, "read_all")
        q = parse_search(request.query_params, with_program=True)
        return JSONResponse((await backend.catalog()).search_events(q))

    @app.get("/events/{eventID}")
    async def event_by_id(request: Request, eventID: str) -> JSONResponse:
        grant(request, "read_all")
        _check_id("eventID", eventID)
        c = await backend.catalog()
        found = c.event_json.get(eventID)
        if found is None:
            block = c.cancelled.get(eventID)
            raise not_found(f"no event has id {eventID!r}" if block is None else
                            f"event {eventID!r} was cancelled on chain (block {block})")  # fmt: skip
        return JSONResponse(found)

    # ------------------------------------------------------------------ writes the chain owns

    def refuse(
        scope: str, what: str, cmd: str, extra: str = ""
    ) -> Callable[[Request], Awaitable[JSONResponse]]:
        async def refused(request: Request) -> JSONResponse:
            grant(request, scope)
            raise forbidden(CHAIN_OWNED.format(what=what, cmd=cmd, extra=extra))

        return refused

    programs_refused = refuse("write_programs", "programs", "program")
    events_refused = refuse("write_events", "events", "event",
                            " (or the forecast's auto-trigger creates them)")  # fmt: skip
    app.add_api_route("/programs", programs_refused, methods=["POST"])
    app.add_api_route("/programs/{programID}", programs_refused, methods=["PUT", "DELETE"])
    app.add_api_route("/events", events_refused, methods=["POST"])
    app.add_api_route("/events/{eventID}", events_refused, methods=["PUT", "DELETE"])

    served = set(SERVED)
    if desk is not None:  # VENs, resources, reports (oracles/gateway/vens.py, reports.py)
        install_vens(app, grant, backend.call, desk)
        install_reports(app, grant, backend.call, desk)
        served |= VENS_SERVED | REPORTS_SERVED
    for e in extensions:
        e.install(app, grant)
    served = served.union(*(e.paths for e in extensions))

    # ------------------------------------------------------------------ the web dashboard at /

    from oracles.gateway.dashboard.routes import mount

    mount(app, backend)

    # ------------------------------------------------------------------ the rest of the document

    for path, methods in _document_paths(document).items():
        if path in served:
            continue
        app.add_api_route(path, _not_served(path), methods=methods)
    return app


def _not_served(path: str) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def later(request: Request) -> JSONResponse:
        raise not_implemented(
            f"{request.method} {path} is an operation of OpenADR 3.0.1 this gateway does not serve "
            "yet (it serves programs and events)"
        )

    return later


def _document_paths(document: str) -> dict[str, list[str]]:
    """Each path of the document and its operations' methods (upper case)."""
    spec = yaml.safe_load(document)
    verbs = {"get", "put", "post", "delete", "patch"}
    return {path: sorted(m.upper() for m in item if m in verbs)
            for path, item in spec["paths"].items()}  # fmt: skip


def _check_id(name: str, value: str) -> None:
    if not ids.is_object_id(value):
        raise bad_request(f"{name}: {value!r} is no objectID (1..128 of A-Z a-z 0-9 _ -)")


def _auth_error(error: str, description: str) -> JSONResponse:
    code: AuthErrorCode = error  # type: ignore[assignment]
    body = AuthError(error=code, error_description=description)
    return JSONResponse(body.dump(), status_code=400, headers={"Cache-Control": "no-store"})


__all__ = ["SPEC", "Authorize", "Backend", "Extension", "ProblemError", "create_app"]
