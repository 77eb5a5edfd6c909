"""The HTML page of ``cfggen draw`` in a real browser: headless Chromium (Debian's ``chromium``), driven
over the DevTools protocol on a pipe (``--remote-debugging-pipe``: standard library only, no driver,
no websocket package). The network is off (offline emulation plus a host resolver that resolves
nothing); the page must load with no console error and no request beyond its own file, its script
must draw the folded picture exactly as the SVG does (every box's place, every edge's route), clicks
must open two blocks at once and a nested one inside the first, folding one must keep the other,
hovering a box must show its details, and a screenshot is written.

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
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import CORPUS, REPO, run_cli

NS = "{http://www.w3.org/2000/svg}"
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

# every box's place and every edge's route as the page's script drew them
_DRAWN = """(function(){var v = document.getElementById('view'), out = {nodes: {}, edges: []};
v.querySelectorAll('.node').forEach(function (n) {
  var t = n.parentNode.getAttribute('transform').match(/-?\\d+/g).map(Number);
  var r = n.querySelector('rect.box');
  out.nodes[n.id] = [t[0], t[1], +r.getAttribute('width'), +r.getAttribute('height')]; });
v.querySelectorAll('path.edge').forEach(function (p) {
  out.edges.push([p.getAttribute('data-src'), p.getAttribute('data-dst'), p.getAttribute('d'), p.getAttribute('class')]); });
return out;})()"""


def _svg_drawn(svg: str) -> dict:
    """The same, read from the SVG ``cfggen draw`` writes."""
    root = ET.fromstring(svg)
    nodes, edges = {}, []
    for g in root.iter(NS + "g"):
        if "node" in g.get("class", "").split():
            r = next(r for r in g.findall(NS + "rect") if r.get("class") == "box")
            nodes[g.get("id")] = [int(r.get(k)) for k in ("x", "y", "width", "height")]
    for p in root.iter(NS + "path"):
        if "edge" in p.get("class", "").split():
            edges.append([p.get("data-src"), p.get("data-dst"), p.get("d"), p.get("class")])
    return {"nodes": nodes, "edges": edges}


def _inside(js, first: int, last: int) -> int:
    """How many boxes show layers first..last."""
    return js("Array.from(document.querySelectorAll('#view .node')).filter(function (n) {"
              f"var f = +n.getAttribute('data-first'); return f >= {first} && f <= {last}; }}).length")


def _open(js) -> list[str]:
    return (js("document.getElementById('view').getAttribute('data-expanded')") or "").split()


@pytest.mark.parametrize("cfg", CFGS, ids=[c.stem for c in CFGS])
def test_html_in_chromium(browser, cfg, tmp_path):
    if not cfg.exists():
        pytest.skip(f"{cfg} is not here (../shared)")
    page, svg = tmp_path / f"{cfg.stem}.html", tmp_path / f"{cfg.stem}.svg"
    for out in (page, svg):
        code, _, err = run_cli("draw", cfg, "-o", out)
        assert code == 0, err
    url = page.as_uri()
    session, js = _page(browser, url)
    assert _open(js) == []
    # the script's layout is layout.py's: the folded picture is the SVG's, box for box and route for route
    assert js(_DRAWN) == _svg_drawn(svg.read_text())
    count = js("document.querySelectorAll('#view .node').length")
    blocks = js("Array.from(document.querySelectorAll('#view .node.block')).map(function (b) {"
                "return [b.id, +b.getAttribute('data-first'), +b.getAttribute('data-last')]; })")
    assert len(blocks) >= 2, "two folded blocks to click"
    (bid, first, last), (bid2, first2, last2) = blocks[0], blocks[-1]
    assert js(f"document.getElementById('L{first}')") is None      # folded: its first layer is not drawn
    _click(browser, session, js, f"#view [id='{bid}'] rect.box")
    assert _open(js) == [bid]
    inside = _inside(js, first, last)
    assert inside >= 2 and js("document.querySelectorAll('#view .node').length") == count - 1 + inside
    # a second block opens beside the first: both stay open
    _click(browser, session, js, f"#view [id='{bid2}'] rect.box")
    assert sorted(_open(js)) == sorted([bid, bid2])
    assert js(f"document.getElementById('{bid2}')") is None and js(f"document.getElementById('{bid}')") is None
    assert _inside(js, first2, last2) >= 2 and _inside(js, first, last) == inside     # both drawn open
    assert js("document.querySelectorAll('#view .frame-g').length") == 2
    # a nested block shows folded inside its open parent, and opens in turn
    nested = js("(function(){var b = Array.from(document.querySelectorAll('#view .node.block')).filter(function (n) {"
                f"var f = +n.getAttribute('data-first'); return f >= {first} && f <= {last}; }})[0];"
                "return b ? b.id : null;})()")
    assert bool(nested) == js("DATA.tree[0][0] === " + json.dumps(bid) + " && DATA.tree[0][3].length > 0")
    if nested:
        _click(browser, session, js, f"#view [id='{nested}'] rect.box")
        assert nested in _open(js) and js(f"document.getElementById('{nested}')") is None
    # hover: the details panel shows the box's text
    layer = js(f"(function(){{var n = Array.from(document.querySelectorAll('#view .node')).filter(function (n) {{"
               f"return n.id[0] === 'L' && +n.getAttribute('data-first') >= {first}; }})[0]; return n.id;}})()")
    browser.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 5, "y": 5}, session=session)
    js(f"document.getElementById('{layer}').scrollIntoView({{block: 'center'}})")
    x, y = js(f"(function(){{var r = document.getElementById('{layer}').querySelector('rect.box').getBoundingClientRect();"
              "return [r.left + 10, r.top + 10];})()")
    browser.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y}, session=session)
    detail = js("(function(){var d = document.getElementById('detail'); return [d.style.display, d.textContent];})()")
    assert detail[0] == "block" and detail[1].startswith(f"layer {layer[1:]} [")
    shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
    png = Path(tempfile.gettempdir()) / "cfggen-draw-screenshots" / f"{cfg.stem}-expanded.png"
    png.parent.mkdir(exist_ok=True)
    png.write_bytes(base64.b64decode(shot))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # folding the first block (its frame) keeps the second open
    _click(browser, session, js, f"#view .frame-g[data-block='{bid}'] text")
    assert bid not in _open(js) and js(f"document.getElementById('{bid}') !== null")
    kept = [nested] if nested else []       # a nested block keeps its state inside its folded parent
    assert sorted(_open(js)) == sorted([bid2, *kept]) and js(f"document.getElementById('{bid2}')") is None
    _click(browser, session, js, f"#view .frame-g[data-block='{bid2}'] text")
    assert _open(js) == kept
    assert js("document.querySelectorAll('#view .node').length") == count
    problems = _problems(browser.events, url)
    assert not problems, problems
