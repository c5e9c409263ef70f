"""Headless Chromium driven through the DevTools protocol over a pipe
(``--remote-debugging-pipe``: JSON messages separated by NUL bytes on file
descriptors 3 and 4), so that no WebSocket library is needed.

``Chromium`` is one browser process; ``Chromium.tab()`` opens a page in it
(a ``Tab``: navigate, evaluate JavaScript, wait for a condition, take a
screenshot, collect console errors). Debian's package is ``chromium``.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import TbDashError
from ..prometheus import lifetime

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PROFILE_PREFIX = "tb-dash-chromium-"  # its profile, a directory of the temporary directory


class ChromiumError(TbDashError):
    """Chromium is missing, did not start or did not answer."""


def find_chromium() -> str | None:
    """The Chromium binary: $TB_DASH_CHROMIUM, else the first of ``NAMES`` on PATH."""
    explicit = os.environ.get("TB_DASH_CHROMIUM")
    if explicit:
        return shutil.which(explicit)
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _flags(profile: str, width: int, height: int) -> list[str]:
    flags = ["--headless", "--remote-debugging-pipe", f"--user-data-dir={profile}",
             f"--window-size={width},{height}", "--hide-scrollbars", "--no-first-run",
             "--no-default-browser-check", "--disable-gpu", "--disable-dev-shm-usage",
             "--disable-extensions", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--mute-audio", "--force-color-profile=srgb", "--font-render-hinting=none",
             "--disable-features=Translate,MediaRouter,OptimizationHints", "--lang=en-US"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return flags


class Chromium:
    """Context manager: one headless Chromium process."""

    def __init__(self, width: int = 1600, height: int = 1000, timeout: float = 30.0) -> None:
        binary = find_chromium()
        if binary is None:
            raise ChromiumError("chromium not found on PATH: install Debian's package 'chromium' "
                                "(apt-get install chromium) or set TB_DASH_CHROMIUM")
        self.binary, self.width, self.height, self.timeout = binary, width, height, timeout
        self._next = 0
        self._lock = threading.Lock()
        self._answers: dict[int, dict] = {}
        self._events: list[dict] = []
        self._cond = threading.Condition()
        self._closed = False

    def __enter__(self) -> "Chromium":
        # However a run ends, no Chromium outlives it (killed with this thread, even
        # by SIGKILL) and no profile outlives the next run (the orphans' are removed).
        lifetime.remove_orphans(Path(tempfile.gettempdir()), PROFILE_PREFIX)
        self.profile = tempfile.mkdtemp(prefix=PROFILE_PREFIX)
        self.process: subprocess.Popen | None = None
        self._to_browser = self._from_browser = -1
        try:
            lifetime.claim(Path(self.profile))
            self._start()
            self.send("Browser.getVersion")
        except BaseException:  # a failure, or a signal while it starts
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        die = lifetime.die_with_parent()

        def wire() -> None:  # in the child: its fd 3 reads, fd 4 writes
            a, b = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
            if die is not None:
                die()

        try:
            self.process = subprocess.Popen([self.binary, *_flags(self.profile, self.width, self.height)],
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, preexec_fn=wire, pass_fds=(3, 4))
        except OSError as e:
            raise ChromiumError(f"cannot start {self.binary}: {e.strerror or e}") from None
        finally:
            os.close(to_browser_r)
            os.close(from_browser_w)
        lifetime.record_child(Path(self.profile), self.process.pid)
        self._reader = threading.Thread(target=self._read, name="tb-dash-chromium", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                with self._cond:
                    if "id" in message:
                        self._answers[message["id"]] = message
                    else:
                        self._events.append(message)
                    self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float | None = None) -> dict:
        """One DevTools command; its result, or ``ChromiumError``."""
        with self._lock:
            self._next += 1
            number = self._next
            message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
            if session:
                message["sessionId"] = session
            try:
                os.write(self._to_browser, json.dumps(message).encode() + b"\0")
            except OSError:
                raise ChromiumError("chromium exited unexpectedly") from None
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._cond:
            while number not in self._answers:
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    raise ChromiumError(f"chromium did not answer {method}"
                                        + (" (it exited)" if self._closed else f" within {timeout or self.timeout:g}s"))
                self._cond.wait(left)
            answer = self._answers.pop(number)
        if "error" in answer:
            raise ChromiumError(f"chromium refused {method}: {answer['error'].get('message', answer['error'])}")
        return answer.get("result", {})

    def events(self, session: str) -> list[dict]:
        """The events of one session so far (taken: each is returned once)."""
        with self._cond:
            mine = [e for e in self._events if e.get("sessionId") == session]
            self._events = [e for e in self._events if e.get("sessionId") != session]
        return mine

    def tab(self) -> "Tab":
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        t = Tab(self, target, session)
        for domain in ("Page", "Runtime", "Log"):
            t.send(f"{domain}.enable")
        t.resize(self.width, self.height)
        return t

    def __exit__(self, *exc) -> None:
        process = self.process
        try:
            if process is not None and process.poll() is None:
                try:
                    self.send("Browser.close", timeout=5)
                    process.wait(timeout=10)
                except (ChromiumError, subprocess.TimeoutExpired):
                    pass
        finally:  # also when a signal cut the polite close short
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            for fd in (self._to_browser, self._from_browser):
                if fd >= 0:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            self._to_browser = self._from_browser = -1
            shutil.rmtree(self.profile, ignore_errors=True)


class Tab:
    """One page of the browser."""

    def __init__(self, browser: Chromium, target: str, session: str) -> None:
        self.browser, self.target, self.session = browser, target, session

    def send(self, method: str, params: dict | None = None, timeout: float | None = None) -> dict:
        return self.browser.send(method, params, self.session, timeout)

    def resize(self, width: int, height: int) -> None:
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def navigate(self, url: str) -> None:
        self.browser.events(self.session)  # forget the previous page's
        answer = self.send("Page.navigate", {"url": url})
        if answer.get("errorText"):
            raise ChromiumError(f"chromium could not open {url}: {answer['errorText']}")

    def evaluate(self, expression: str, timeout: float | None = None) -> Any:
        """The value of a JavaScript expression (promises awaited)."""
        answer = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, timeout)
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "")
            raise ChromiumError(f"JavaScript error: {text.splitlines()[0] if text else 'unknown'}")
        return answer.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float, what: str) -> Any:
        """Poll ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise ChromiumError(f"{what} did not happen within {timeout:g}s")
            time.sleep(0.05)

    def screenshot(self, width: int, height: int) -> bytes:
        """A PNG of the page at ``width`` x ``height`` CSS pixels."""
        self.resize(width, height)
        answer = self.send("Page.captureScreenshot", {"format": "png", "fromSurface": True}, timeout=60)
        return base64.b64decode(answer["data"])

    def console_errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads since the last navigation."""
        out = []
        for e in self.browser.events(self.session):
            p = e.get("params", {})
            if e.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif e.get("method") == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append(d.get("exception", {}).get("description") or d.get("text", "exception"))
            elif e.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(p["entry"].get("text", ""))
        return out

    def close(self) -> None:
        try:
            self.browser.send("Target.closeTarget", {"targetId": self.target})
        except ChromiumError:
            pass
