"""An ASGI application served by uvicorn on a free local port, in a thread, for as long as a block
runs: the gateway in its tests and its benchmark (benchmarks/gateway.py), beside other servers of
the same process (a subscriber's callback, a stand-in VTN)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from oracles.chain.anvil import free_port


@contextmanager
def serving(app: Any, *, start_seconds: float = 10.0) -> Iterator[str]:
    """``app`` served on 127.0.0.1 until the block ends; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True, name=f"uvicorn-{port}")
    thread.start()
    deadline = time.monotonic() + start_seconds
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"uvicorn on port {port} ended before it started")
        if time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn on port {port} did not start in {start_seconds} s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
