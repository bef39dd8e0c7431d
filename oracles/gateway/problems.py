"""Errors as the document answers them: its ``problem`` object (RFC 7807) with the status codes it
lists for each operation, never the framework's own bodies (FastAPI's 422 ``{"detail": [...]}``,
Starlette's plain-text 404/405).

Status codes (openadr3-3.0.1.yaml lists 200, 400, 403, 404 (by id), 409 (writes) and 500 for the
programs' and events' operations, and no 401):

* 400 a bad query or path parameter, a body that is not what the operation takes;
* 403 no bearer token, an unknown or expired one, a token without the operation's scope, and every
  write of a program or event (the chain owns them: they are created with ``gridbalance program
  create`` and ``gridbalance event create``, or by the forecast's trigger);
* 404 an id no live program, event, VEN, resource or report has, and a path the document does
  not define;
* 409 a write that conflicts with what is held (a name or meter taken, a posted day, M-4);
* 405 a method the document does not define on a path it defines (with ``Allow``);
* 501 an operation the document defines that this gateway does not serve yet
  (subscriptions);
* 500 anything else, with no internals in the body (they go to the log).
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from oracles.gateway.objects import Problem

log = logging.getLogger("gridbalance.gateway")


class ProblemError(Exception):
    """Answer with a problem object (raised by the routes, turned into a response here)."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def bad_request(detail: str) -> ProblemError:
    return ProblemError(400, detail)


def forbidden(detail: str) -> ProblemError:
    # RFC 6750 3: a bearer-protected resource names its scheme on a refusal
    return ProblemError(403, detail, {"WWW-Authenticate": 'Bearer realm="openadr3"'})


def not_found(detail: str) -> ProblemError:
    return ProblemError(404, detail)


def not_implemented(detail: str) -> ProblemError:
    return ProblemError(501, detail)


def problem_response(
    status: int,
    detail: str | None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(title=HTTPStatus(status).phrase, status=status, detail=detail, instance=instance)
    return JSONResponse(body.dump(), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Every error the application can meet answers with a problem object."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.status, exc.detail, request.url.path, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ())) or "request"
        return problem_response(400, f"{where}: {first.get('msg', 'invalid')}", request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = {
            404: f"no such path: {request.url.path}",
            405: f"{request.method} is not an operation of {request.url.path}",
        }.get(exc.status_code, str(exc.detail))
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only its first route's
            headers["Allow"] = ", ".join(_allowed(app, request))
        return problem_response(exc.status_code, detail, request.url.path, headers)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return problem_response(500, "the gateway failed to answer; see its log", request.url.path)


def _allowed(app: FastAPI, request: Request) -> list[str]:
    """The methods the application's routes take on the request's path."""
    methods: set[str] = set()
    for route in app.router.routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches(request.scope)
            if match is not Match.NONE:
                methods |= route.methods
    return sorted(methods)
