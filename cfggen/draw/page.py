"""One self-contained HTML file (inline script and styles, nothing fetched): the folded picture and,
for every folded block, the picture with that block expanded. A click on a folded block shows its
layers (outlined by a dashed frame; a click on the frame folds it again); hovering a box shows its
details in a panel (the same text as the SVG tooltip)."""
from __future__ import annotations

import json

from cfggen.draw.svg import esc

SCRIPT = r"""
(function () {
  var view = document.getElementById('view');
  var detail = document.getElementById('detail');
  var state = document.getElementById('state');
  function show(id, focus) {
    if (!(id in VIEWS)) { return; }
    view.innerHTML = VIEWS[id];
    view.setAttribute('data-expanded', id);
    state.textContent = id ? ('expanded ' + id) : 'all blocks folded';
    var el = focus ? document.getElementById(focus) : null;
    if (el && el.scrollIntoView) { el.scrollIntoView({block: 'center'}); }
  }
  view.addEventListener('click', function (ev) {
    var node = ev.target.closest('.node.block');
    if (node) { show(node.id, 'L' + node.getAttribute('data-first')); return; }
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


def page(pic, collapse: str = "auto") -> str:
    views = {"": pic.svg(collapse)}
    if collapse == "auto":
        for b in pic.blocks:
            views[b.id] = pic.svg(collapse, frozenset({b.id}))
    data = json.dumps(views, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(pic.title)}</title><style>{STYLE}</style></head>\n<body>\n"
            f"<div id=\"bar\">{esc(pic.title)} · <span id=\"state\"></span> · click a stacked box to expand "
            "it, its dashed frame to fold it; hover a box for its details</div>\n"
            "<div id=\"view\"></div><pre id=\"detail\"></pre>\n"
            f"<script>var VIEWS = {data};\n{SCRIPT}</script>\n</body></html>\n")
