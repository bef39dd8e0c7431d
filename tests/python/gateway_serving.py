"""HTTP servers for the gateway's tests: any ASGI application served by uvicorn on a free port in a
thread (:func:`oracles.gateway.serving.serving`: the gateway, a subscriber's callback, a stand-in
VTN), and a callback server that records what it receives and can refuse the first requests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from oracles.gateway.serving import serving

__all__ = ["Received", "Subscriber", "serving", "wait_for"]


@dataclass
class Received:
    path: str
    authorization: str | None
    body: Any


@dataclass
class Subscriber:
    """A subscriber's callback server: ``POST /<anything>`` is recorded and answered 200, but the
    next ``refuse[path]`` requests to a path are answered 503."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{path:path}")
        async def callback(request: Request, path: str) -> JSONResponse:
            body = await request.json()
            with self.lock:
                self.attempts[path] = self.attempts.get(path, 0) + 1
                if self.refuse.get(path, 0) > 0:
                    self.refuse[path] -= 1
                    return JSONResponse({"busy": True}, status_code=503)
                self.received.append(Received(path, request.headers.get("authorization"), body))
            return JSONResponse({})

        return app

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]


def wait_for(check: Callable[[], bool], seconds: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
