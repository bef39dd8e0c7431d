"""Take the README's dashboard screenshots against a demo chain: the demo's cycle
(:mod:`oracles.sim.demo`, ``--consumers`` simulated consumers, its seed) on a local Anvil, then
the gateway's dashboard on that chain in Debian's headless chromium (selenium).

    .venv/bin/python scripts/dashboard_screenshot.py            # docs/dashboard.png, docs/dashboard-event.png
    .venv/bin/python scripts/dashboard_screenshot.py --consumers 60 --out /tmp/shots

Needs the build (``make compile``), chromium and chromedriver (``make setup``)."""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from oracles.chain.anvil import PROJECT_ROOT, free_port, start_anvil
from oracles.chain.rpc import connect
from oracles.gateway.app import Backend, create_app
from oracles.gateway.chain_view import ChainView
from oracles.gateway.clients import load_clients
from oracles.gateway.tokens import TokenIssuer
from oracles.ops.localnet import GENESIS_TIMESTAMP
from oracles.protocol.contracts import Protocol
from oracles.protocol.manifest import Manifest
from oracles.sim.context import DemoConfig
from oracles.sim.demo import PIPELINE, _cycle

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")  # fmt: skip


def shoot(url: str, pages: dict[str, Path], profile: Path) -> None:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (*FLAGS, f"--user-data-dir={profile}", "--window-size=1500,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        for path, out in pages.items():
            driver.get(url + path)
            WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "live-root"))
            time.sleep(0.5)  # the charts draw without animation; one frame to paint
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(1500, min(int(height) + 160, 1600))
            time.sleep(0.3)  # the charts resize with the window
            out.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(out))
            print(f"wrote {out}")
    finally:
        driver.quit()


def timings(url: str, paths: list[str]) -> None:
    """Each page's answer time: the first (the index synced from the deployment, the page built)
    and the next (from the page cache, the same indexed block)."""
    with httpx.Client(base_url=url, timeout=120) as http:
        for path in paths:
            took = []
            for _ in range(2):
                t0 = time.perf_counter()
                assert http.get(path).status_code == 200, path
                took.append((time.perf_counter() - t0) * 1000)
            print(f"GET {path}: {took[0]:.0f} ms first, {took[1]:.1f} ms cached")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--consumers", type=int, default=80)
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cfg = DemoConfig(consumers=args.consumers, out_dir=tmp, progress=False)
        with start_anvil(accounts=10, gas_limit=PIPELINE * 2**24, base_fee=0,
                         extra_args=["--timestamp", str(GENESIS_TIMESTAMP)]) as chain:  # fmt: skip
            w3 = connect(chain.url)
            print(f"running the demo's cycle ({args.consumers} consumers) on {chain.url}")
            _cycle(cfg, w3, chain.url, tmp, io.StringIO())
            p = Protocol.connect(w3, Manifest.load(tmp / "deployment.json"))
            clients = tmp / "clients.json"
            clients.write_text(json.dumps({"clients": [
                {"client_id": "shots", "client_secret": "screenshot-secret-0123", "role": "VEN"}]}))  # fmt: skip
            backend = Backend(lambda: ChainView(p, tmp / "index.sqlite", sync_seconds=0))
            app = create_app(backend, TokenIssuer(load_clients(clients)))
            port = free_port()
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                                   log_level="warning"))  # fmt: skip
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            while not server.started:
                time.sleep(0.05)
            try:
                count = int(p.requests.functions.eventCount().call())
                timings(f"http://127.0.0.1:{port}", ["/", f"/dashboard/events/{count}"])
                shoot(f"http://127.0.0.1:{port}", {
                    "/": args.out / "dashboard.png",
                    f"/dashboard/events/{count}": args.out / "dashboard-event.png",
                }, tmp / "profile")  # fmt: skip
            finally:
                server.should_exit = True
                thread.join(10)
                backend.close()


if __name__ == "__main__":
    main()
