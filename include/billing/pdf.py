"""Print many HTML files to PDF with ONE headless Chromium, over the DevTools protocol.

`chromium --print-to-pdf` starts a browser per file (about 1.5 s each); a batch of appeal
letters would spend a minute starting browsers. Here one browser is started, and each file
is loaded into the same tab and printed with `Page.printToPDF` (tens of milliseconds). The
protocol is spoken with the `websockets` client already installed with Airflow; there is no
maintained Python package for CDP printing that doesn't download its own browser.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from websockets.sync.client import connect

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0", "--remote-allow-origins=*"]


class ChromiumPrinter:
    """`with ChromiumPrinter(binary) as printer: printer.print(html, pdf)`."""

    def __init__(self, binary: str, timeout: float = 60):
        self.binary = binary
        self.timeout = timeout
        self._ids = 0

    def __enter__(self) -> ChromiumPrinter:
        # a browser that is slow to exit may still write its profile while it is removed
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-cdp-", ignore_cleanup_errors=True)
        self._process = subprocess.Popen([self.binary, *FLAGS, f"--user-data-dir={self._profile.name}",
                                          "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = self._devtools_url()
        self._ws = connect(url, max_size=None, open_timeout=self.timeout)
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self._call("Page.enable", session=True)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._ws.close()
        finally:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._profile.cleanup()

    def _devtools_url(self) -> str:
        deadline = time.monotonic() + self.timeout
        seen = b""
        while time.monotonic() < deadline:
            line = self._process.stderr.readline()
            if not line and self._process.poll() is not None:
                break
            seen += line
            found = re.search(rb"DevTools listening on (ws://\S+)", line)
            if found:
                return found.group(1).decode()
        raise RuntimeError(f"Chromium did not open its DevTools endpoint: {seen[-300:].decode(errors='replace')}")

    def _call(self, method: str, params: dict | None = None, *, session: bool = False,
              wait_event: str | None = None) -> dict:
        self._ids += 1
        message = {"id": self._ids, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        self._ws.send(json.dumps(message))
        result, event_seen = None, wait_event is None
        deadline = time.monotonic() + self.timeout
        while result is None or not event_seen:
            raw = self._ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            reply = json.loads(raw)
            if reply.get("id") == self._ids:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error'].get('message')}")
                result = reply.get("result", {})
            elif wait_event and reply.get("method") == wait_event:
                event_seen = True
        return result

    def print(self, html_path: Path, pdf_path: Path) -> None:
        navigated = self._call("Page.navigate", {"url": Path(html_path).resolve().as_uri()}, session=True,
                               wait_event="Page.loadEventFired")
        if navigated.get("errorText"):
            raise RuntimeError(f"{Path(html_path).name}: {navigated['errorText']}")
        data = self._call("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True,
                                              "displayHeaderFooter": False}, session=True)["data"]
        fd = os.open(pdf_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)   # letters hold PHI
        with os.fdopen(fd, "wb") as out:
            out.write(base64.b64decode(data))
