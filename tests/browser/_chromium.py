"""Drive headless Chromium over the DevTools protocol on a pipe: no extra Python packages.

Chromium started with `--remote-debugging-pipe` reads NUL-terminated JSON commands on fd 3
and writes replies and events on fd 4. This module opens one page, records what the page
reports (console messages, uncaught exceptions, log entries such as CSP violations or failed
loads, and every network request), evaluates expressions and takes screenshots.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """`$HOOKSIM_CHROMIUM`, else the first Chromium on PATH (Debian's is `/usr/bin/chromium`)."""
    configured = os.environ.get("HOOKSIM_CHROMIUM")
    if configured:
        return configured
    return next((path for name in CHROMIUM_CANDIDATES if (path := shutil.which(name))), None)


class ChromiumError(RuntimeError):
    pass


@dataclass
class PageReport:
    """What the page said about itself while loading."""

    console: list[dict[str, Any]] = field(default_factory=list)  # consoleAPICalled params
    exceptions: list[dict[str, Any]] = field(default_factory=list)  # exceptionThrown params
    log: list[dict[str, Any]] = field(default_factory=list)  # Log.entryAdded entries
    requests: list[str] = field(default_factory=list)  # every URL the page asked for

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error/warning log entries, as text."""
        out = [
            f"console.{c['type']}: {' '.join(str(a.get('value', a)) for a in c['args'])}"
            for c in self.console
            if c["type"] in ("error", "assert", "warning")
        ]
        out += [f"exception: {_describe(e['exceptionDetails'])}" for e in self.exceptions]
        out += [
            f"log {entry['level']} ({entry['source']}): {entry['text']}"
            for entry in self.log
            if entry["level"] in ("error", "warning")
        ]
        return out


def _describe(details: dict[str, Any]) -> str:
    exception = details.get("exception") or {}
    return str(exception.get("description") or details.get("text"))


def _high(fd: int) -> int:
    """A copy of `fd` numbered 10 or above, so that placing pipes on 3 and 4 clobbers nothing."""
    copy = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return copy


class Chromium:
    """One headless Chromium with one page. Use as a context manager."""

    def __init__(self, executable: str, *, width: int = 1280, height: int = 900) -> None:
        self.executable = executable
        self.size = (width, height)
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []
        self.session: str | None = None
        self.stderr = b""

    def __enter__(self) -> Chromium:
        self._profile = tempfile.TemporaryDirectory(prefix="hooksim-chromium-")
        to_chrome_r, to_chrome_w = (_high(fd) for fd in os.pipe())
        from_chrome_r, from_chrome_w = (_high(fd) for fd in os.pipe())

        def place_pipes() -> None:  # in the child, before exec: fd 3 in, fd 4 out
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        width, height = self.size
        self._process = subprocess.Popen(
            [
                self.executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--mute-audio",
                f"--window-size={width},{height}",
                f"--user-data-dir={self._profile.name}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(3, 4),
            preexec_fn=place_pipes,  # noqa: PLW1509 - single-threaded test helper
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._write_fd, self._read_fd = to_chrome_w, from_chrome_r
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(ChromiumError):
            self.call("Browser.close", session=False, timeout=10)
        try:
            _, self.stderr = self._process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            _, self.stderr = self._process.communicate()
        finally:
            os.close(self._write_fd)
            os.close(self._read_fd)
            self._profile.cleanup()

    # protocol ------------------------------------------------------------------------------
    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: bool = True,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session is not None:
            message["sessionId"] = self.session
        os.write(self._write_fd, json.dumps(message).encode() + b"\0")
        reply = self._read_until(lambda m: m.get("id") == self._next_id, timeout, method)
        if "error" in reply:
            raise ChromiumError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def wait_event(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        for event in self._events:
            if event["method"] == method:
                return event
        return self._read_until(lambda m: m.get("method") == method, timeout, method)

    def _read_until(self, wanted: Any, timeout: float, what: str) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "method" in message:
                    self._events.append(message)
                if wanted(message):
                    return dict(message)
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._read_fd], [], [], max(left, 0))
            if not ready:
                raise ChromiumError(f"no answer to {what} within {timeout} s")
            chunk = os.read(self._read_fd, 1 << 16)
            if not chunk:
                raise ChromiumError(f"Chromium closed the pipe while waiting for {what}")
            self._buffer += chunk

    # what tests use ------------------------------------------------------------------------
    def load(self, url: str, timeout: float = 30.0) -> PageReport:
        """Open `url`, wait for its load event, and report what the page said meanwhile."""
        self._events.clear()
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired", timeout)
        self.evaluate("new Promise(r => setTimeout(r, 200))")  # let late log entries arrive
        report = PageReport()
        for event in self._events:
            params = event.get("params", {})
            if event["method"] == "Runtime.consoleAPICalled":
                report.console.append(params)
            elif event["method"] == "Runtime.exceptionThrown":
                report.exceptions.append(params)
            elif event["method"] == "Log.entryAdded":
                report.log.append(params["entry"])
            elif event["method"] == "Network.requestWillBeSent":
                report.requests.append(params["request"]["url"])
        return report

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (DevTools is not bound by CSP)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise ChromiumError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, *, selector: str | None = None) -> Path:
        """A PNG of the page, or of the element `selector` matches, beyond the viewport too."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
        if selector is not None:
            box = self.evaluate(
                f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                ".getBoundingClientRect(); return [r.x + scrollX, r.y + scrollY, r.width,"
                " r.height]; })()"
            )
            x, y, width, height = box
            params["clip"] = {"x": x, "y": y, "width": width, "height": height, "scale": 1}
        data = self.call("Page.captureScreenshot", params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path
