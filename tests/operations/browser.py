"""Headless Debian Chromium driven over the DevTools protocol: navigate, read text, screenshot.

A few dozen lines over `websockets` (installed with dagster-webserver, via uvicorn[standard])
instead of a browser-automation package, because those download their own browser; this drives
the system's /usr/bin/chromium.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = Path(os.environ.get("TIMESYNC_CHROMIUM", "/usr/bin/chromium"))
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1600,1000")


class Chromium:
    def __init__(self, log: Path) -> None:
        from websockets.sync.client import connect

        self.profile = tempfile.mkdtemp(prefix="timesync-chromium-")
        self.log = log
        self._exit = ExitStack()
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(CHROMIUM), *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
                 "--remote-debugging-address=127.0.0.1", "about:blank"],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            port = self._devtools_port(timeout=60)
            page = next(t for t in httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
                        if t["type"] == "page")
            self.ws = self._exit.enter_context(connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=30))
        except BaseException:
            self.close()
            raise
        self._ids = itertools.count(1)
        self.call("Page.enable")
        self.call("Runtime.enable")

    def _devtools_port(self, timeout: float) -> int:
        # Chromium writes the port it picked to DevToolsActivePort in the profile directory.
        marker = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.log.read_text(errors="replace")[-2000:]
                raise AssertionError(f"chromium exited with {self.proc.returncode}: {err}")
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            time.sleep(0.2)
        raise AssertionError(f"chromium did not open its DevTools port within {timeout:.0f}s")

    def call(self, method: str, params: dict[str, Any] | None = None, timeout: float = 60) -> dict[str, Any]:
        msg_id = next(self._ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no DevTools answer to {method} within {timeout:.0f}s")
            message = json.loads(self.ws.recv(timeout=remaining))
            if message.get("id") == msg_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def goto(self, url: str) -> None:
        self.call("Page.navigate", {"url": url})

    def text(self) -> str:
        result = self.call("Runtime.evaluate", {
            "expression": "document.body ? document.body.innerText : ''", "returnByValue": True})
        return result.get("result", {}).get("value") or ""

    def wait_for_text(self, ready: Callable[[str], bool], timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.text()
            if ready(text):
                return text
            time.sleep(1)
        compact = re.sub(r"\s+", " ", text)[:1500]
        raise AssertionError(f"the page never showed {what} within {timeout:.0f}s; it showed: {compact!r}")

    def click_button(self, label: str) -> bool:
        """Click the first button whose text is `label`; False when there is none."""
        expression = ("(() => { const b = [...document.querySelectorAll('button')]"
                      f".find(e => e.innerText.trim() === {json.dumps(label)}); if (b) b.click(); return !!b; }})()")
        return bool(self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
                    .get("result", {}).get("value"))

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        self._exit.close()
        if self.proc.poll() is None:
            os.killpg(os.getpgid(self.proc.pid), signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(os.getpgid(self.proc.pid), signal.SIGKILL)
                self.proc.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)
