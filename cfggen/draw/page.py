"""One self-contained HTML file (inline script and styles, nothing fetched): the folded picture and,
for every folded block, the picture with that block expanded (its layers outlined by a dashed frame;
a click on the frame folds it again). Where one picture per block would make the file too large
(``BUDGET``: a long network with many blocks), the page holds the folded and the fully expanded
picture instead, and a click on a block shows the expanded one at that block, framed. Hovering a
box shows its details in a panel (the same text as the SVG tooltip)."""
from __future__ import annotations

import json

from cfggen.draw.svg import esc

SCRIPT = r"""
(function () {
  var view = document.getElementById('view');
  var detail = document.getElementById('detail');
  var state = document.getElementById('state');
  var NS = 'http://www.w3.org/2000/svg';
  function frame(id, first, last) {
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    view.querySelectorAll('.node').forEach(function (n) {
      var f = +n.getAttribute('data-first'), l = +n.getAttribute('data-last');
      if (f < first || l > last || f < 0) { return; }
      var r = n.querySelector('rect.box');
      var x = +r.getAttribute('x'), y = +r.getAttribute('y');
      x0 = Math.min(x0, x); y0 = Math.min(y0, y);
      x1 = Math.max(x1, x + (+r.getAttribute('width'))); y1 = Math.max(y1, y + (+r.getAttribute('height')));
    });
    if (x0 > x1) { return; }
    x0 -= 6; y0 -= 16; x1 += 6; y1 += 6;
    var g = document.createElementNS(NS, 'g');
    g.setAttribute('class', 'frame-g'); g.setAttribute('data-block', id);
    var rect = document.createElementNS(NS, 'rect');
    [['class', 'frame'], ['x', x0], ['y', y0], ['width', x1 - x0], ['height', y1 - y0], ['rx', 6]].forEach(
      function (kv) { rect.setAttribute(kv[0], kv[1]); });
    var text = document.createElementNS(NS, 'text');
    [['class', 'frame-label'], ['x', x1 + 4], ['y', y0 + 10]].forEach(
      function (kv) { text.setAttribute(kv[0], kv[1]); });
    text.textContent = id + ': click to fold';
    g.appendChild(rect); g.appendChild(text);
    var nodes = view.querySelector('svg .nodes');
    nodes.parentNode.insertBefore(g, nodes.nextSibling);
  }
  function show(id, focus, first, last) {
    var key = id in VIEWS ? id : (id && ('*' in VIEWS) ? '*' : null);
    if (key === null) { return; }
    view.innerHTML = VIEWS[key];
    if (id) { frame(id, first, last); }
    view.setAttribute('data-expanded', id);
    state.textContent = id ? ('expanded ' + id) : 'all blocks folded';
    var el = focus ? document.getElementById(focus) : null;
    if (el && el.scrollIntoView) { el.scrollIntoView({block: 'center'}); }
  }
  view.addEventListener('click', function (ev) {
    var node = ev.target.closest('.node.block');
    if (node) {
      var first = +node.getAttribute('data-first'), last = +node.getAttribute('data-last');
      show(node.id, 'L' + first, first, last);
      return;
    }
    var frame = ev.target.closest('.frame-g');
    if (frame) { show('', frame.getAttribute('data-block')); }
  });
  view.addEventListener('mouseover', function (ev) {
    var node = ev.target.closest('.node');
    if (!node) { detail.style.display = 'none'; return; }
    var title = node.querySelector('title');
    detail.textContent = title ? title.textContent : node.id;
    detail.style.display = 'block';
  });
  show('', null);
})();
"""

STYLE = """
body{margin:0;font:13px 'DejaVu Sans Mono',Menlo,Consolas,monospace;background:#fff}
#bar{position:sticky;top:0;background:#f1f3f4;border-bottom:1px solid #ccc;padding:4px 8px;z-index:2}
#detail{position:fixed;right:8px;bottom:8px;max-width:560px;white-space:pre-wrap;background:#fffde7;
 border:1px solid #999;padding:6px;margin:0;display:none;z-index:3}
.node.block,.frame-g{cursor:pointer}
"""


BUDGET = 12_000_000    # characters: above it, one expanded picture for every block instead of one each


def page(pic, collapse: str = "auto") -> str:
    views = {"": pic.svg(collapse)}
    if collapse == "auto" and pic.blocks:
        if len(views[""]) * len(pic.blocks) <= BUDGET:
            for b in pic.blocks:
                views[b.id] = pic.svg(collapse, frozenset({b.id}))
        else:
            views["*"] = pic.svg("none")
    data = json.dumps(views, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(pic.title)}</title><style>{STYLE}</style></head>\n<body>\n"
            f"<div id=\"bar\">{esc(pic.title)} · <span id=\"state\"></span> · click a stacked box to expand "
            "it, its dashed frame to fold it; hover a box for its details</div>\n"
            "<div id=\"view\"></div><pre id=\"detail\"></pre>\n"
            f"<script>var VIEWS = {data};\n{SCRIPT}</script>\n</body></html>\n")
