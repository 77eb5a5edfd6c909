"""The HTML page of ``cfggen draw`` in a real browser: headless Chromium (Debian's ``chromium``), driven
over the DevTools protocol on a pipe (``--remote-debugging-pipe``: standard library only, no driver,
no websocket package). The network is off (offline emulation plus a host resolver that resolves
nothing); the page must load with no console error and no request beyond its own file, a click on a
folded block must expand it, hovering a box must show its details, and a screenshot is written.

Without chromium the test skips, except in CI (``CI`` set), where it fails: .ci/run installs it.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import CORPUS, REPO, run_cli

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND", "--remote-debugging-pipe"]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; CI must run `apt-get install -y chromium` (Debian)")
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="cfggen-chromium-") as profile:
        b = Browser([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"])
        try:
            yield b
        finally:
            b.close()


class Browser:
    """A minimal DevTools client: JSON messages separated by NUL on fds 3 (to chromium) and 4 (from it)."""

    def __init__(self, argv: list[str]):
        to_r, self._to = os.pipe()
        self._from, from_w = os.pipe()

        def fds():
            a, b = os.dup(to_r), os.dup(from_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.proc = subprocess.Popen(argv, preexec_fn=fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     close_fds=False)
        os.close(to_r)
        os.close(from_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:   # noqa: BLE001 - the process is ended below either way
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to)
        os.close(self._from)

    def _read(self, deadline: float) -> dict:
        import select
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from], [], [], left)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._from, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        msg, _, self._buf = self._buf.partition(b"\0")
        return json.loads(msg)

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while True:
            e = self._read(deadline)
            if e.get("method") == method:
                return e
            self.events.append(e)


def _page(browser: Browser, url: str) -> tuple[str, callable]:
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable", session=session)
    browser.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": -1}, session=session)
    browser.send("Emulation.setDeviceMetricsOverride", {"width": 1400, "height": 1000, "deviceScaleFactor": 1,
                                                        "mobile": False}, session=session)
    browser.events.clear()
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_for("Page.loadEventFired")

    def js(expr: str):
        r = browser.send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=session)
        if "exceptionDetails" in r:
            raise AssertionError(f"{expr}: {r['exceptionDetails']}")
        return r["result"].get("value")
    return session, js


def _problems(events: list[dict], own_url: str) -> list[str]:
    out = []
    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.exceptionThrown":
            out.append(f"exception: {p['exceptionDetails'].get('text')}")
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append(f"console.{p['type']}: {p.get('args')}")
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            out.append(f"log: {p['entry'].get('text')}")
        elif m == "Network.requestWillBeSent" and p["request"]["url"] not in (own_url, "about:blank") \
                and not p["request"]["url"].startswith("data:"):
            out.append(f"request: {p['request']['url']}")
    return out


def _click(browser: Browser, session: str, js, selector: str) -> None:
    """A real mouse click (press + release) at the middle of the element."""
    js(f"document.querySelector({json.dumps(selector)}).scrollIntoView({{block: 'center'}})")
    x, y = js(f"(function(){{var r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
              "return [r.left + r.width / 2, r.top + r.height / 2];})()")
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
                     session=session)


CFGS = [REPO / "tests" / "data" / "draw" / "small.cfg", CORPUS / "yolov4-tiny.cfg", CORPUS / "enet-coco.cfg",
        REPO / "generated_cfgs" / "efficientnet-b0-yolo.cfg"]


@pytest.mark.parametrize("cfg, budget", [(c, None) for c in CFGS] + [(CFGS[0], 0)],
                         ids=[c.stem for c in CFGS] + ["small-one-expanded-view"])
def test_html_in_chromium(browser, cfg, budget, tmp_path, monkeypatch):
    """``budget`` 0: the page of a network too large for one view per block (one expanded view)."""
    if not cfg.exists():
        pytest.skip(f"{cfg} is not here (../shared)")
    if budget is not None:
        monkeypatch.setattr("cfggen.draw.page.BUDGET", budget)
    page = tmp_path / f"{cfg.stem}.html"
    code, _, err = run_cli("draw", cfg, "-o", page)
    assert code == 0, err
    assert ('"*":' in page.read_text()) == (budget == 0)
    url = page.as_uri()
    session, js = _page(browser, url)
    assert js("document.getElementById('view').getAttribute('data-expanded')") == ""
    count = js("document.querySelectorAll('#view .node').length")
    assert count > 5
    block = js("(function(){var b = document.querySelector('#view .node.block'); return b && "
               "[b.id, b.getAttribute('data-first')];})()")
    assert block, "a folded block to click"
    bid, first = block
    assert js(f"document.getElementById('L{first}')") is None      # folded: its first layer is not drawn
    # hover: the details panel shows the box's text
    _click_target = f"#view [id='{bid}'] rect.box"
    _click(browser, session, js, _click_target)
    assert js("document.getElementById('view').getAttribute('data-expanded')") == bid
    assert js(f"document.getElementById('L{first}') !== null")      # expanded: every layer of the block
    assert js("document.querySelectorAll('#view .node').length") > count
    browser.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 5, "y": 5}, session=session)
    js(f"document.getElementById('L{first}').scrollIntoView({{block: 'center'}})")
    x, y = js(f"(function(){{var r = document.getElementById('L{first}').getBoundingClientRect();"
              "return [r.left + 10, r.top + 10];})()")
    browser.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y}, session=session)
    detail = js("(function(){var d = document.getElementById('detail'); return [d.style.display, d.textContent];})()")
    assert detail[0] == "block" and detail[1].startswith(f"layer {first} [")
    shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
    png = Path(tempfile.gettempdir()) / "cfggen-draw-screenshots" / f"{cfg.stem}-expanded.png"
    png.parent.mkdir(exist_ok=True)
    png.write_bytes(base64.b64decode(shot))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the frame folds it again
    _click(browser, session, js, "#view .frame-g text")
    assert js("document.getElementById('view').getAttribute('data-expanded')") == ""
    problems = _problems(browser.events, url)
    assert not problems, problems
