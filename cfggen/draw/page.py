"""One self-contained HTML file (inline script and styles, nothing fetched) where any set of blocks is
open at once: a click on a folded block opens it (its nested blocks show folded, and open in turn), a
click on an open block's dashed frame folds it again.

The page does not hold one picture per open set (there are 2^blocks of them): it holds the pieces and
lays them out in the browser. Python gives every box's SVG (every layer's and every block's, nested
ones included) drawn at the origin with its size, each layer's wiring and edge-label text, and the block
tree; the page's script cuts the view for the open set (the rules of ``view``), places it with a line
for line port of ``layout`` (same passes, same integer arithmetic: the folded picture it draws is the
SVG's, which ``tests/test_draw_browser.py`` checks box by box and edge by edge) and draws boxes, edges
and frames. Hovering a box shows its details in a panel (the same text as the SVG tooltip)."""
from __future__ import annotations

import json

from cfggen.draw.layout import LANESEP, MARGIN, NODESEP, RANKSEP, Box, measure
from cfggen.draw.svg import esc, head, legend, node
from cfggen.draw.view import _slice, block_units

LAYOUT = r"""
function bisectRight(a, x) {
  var lo = 0, hi = a.length;
  while (lo < hi) { var m = (lo + hi) >> 1; if (x < a[m]) { hi = m; } else { lo = m + 1; } }
  return lo;
}
function pairLess(a, b) { return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]); }
function layout(sizes, edges) {   // cfggen/draw/layout.py, pass for pass
  var n = sizes.length, v, u, k, i, preds = [];
  for (v = 0; v < n; v++) { preds.push([]); }
  edges.forEach(function (e) { preds[e[1]].push(e[0]); });
  var ranks = [];                                              // rank
  for (v = 0; v < n; v++) {
    var r = 0;
    preds[v].forEach(function (u) { if (u < v && ranks[u] + 1 > r) { r = ranks[u] + 1; } });
    ranks.push(r);
  }
  var main = {};                                               // spine
  if (n) {
    var top = ranks.reduce(function (a, b) { return Math.max(a, b); }, 0);
    for (v = n - 1; ranks[v] !== top; v--) {}
    main[v] = true;
    while (ranks[v] > 0) {
      var best = -1;
      preds[v].forEach(function (u) { if (u < v && ranks[u] === ranks[v] - 1 && u > best) { best = u; } });
      v = best; main[v] = true;
    }
  }
  var succMin = new Array(n).fill(null), out = ranks.slice();  // settle
  for (v = n - 1; v >= 0; v--) {
    var low = succMin[v];
    if (!main[v] && low !== null && low - 1 > out[v]) { out[v] = low - 1; }
    preds[v].forEach(function (u) { if (u < v && (succMin[u] === null || out[v] < succMin[u])) { succMin[u] = out[v]; } });
  }
  ranks = out;
  var cols = new Array(n).fill(0), taken = {0: {}};            // order
  for (v = 0; v < n; v++) { if (main[v]) { taken[0][ranks[v]] = true; } }
  for (v = 0; v < n; v++) {
    if (main[v]) { continue; }
    var first = null;
    for (k = 0; k < preds[v].length; k++) { if (preds[v][k] < v) { first = preds[v][k]; break; } }
    var c = first === null || main[first] ? 1 : cols[first];
    while (true) { if (!taken[c]) { taken[c] = {}; } if (!taken[c][ranks[v]]) { break; } c++; }
    taken[c][ranks[v]] = true; cols[v] = c;
  }
  var colRanks = {};                                           // lanes
  for (v = 0; v < n; v++) { (colRanks[cols[v]] = colRanks[cols[v]] || []).push(ranks[v]); }
  Object.keys(colRanks).forEach(function (c) { colRanks[c].sort(function (a, b) { return a - b; }); });
  function freeBetween(col, r0, r1) {
    var rs = colRanks[col] || [], j = bisectRight(rs, r0);
    return j >= rs.length || rs[j] >= r1;
  }
  var need = [];
  edges.forEach(function (e, k) {
    var u = e[0], v = e[1], ru = ranks[u], rv = ranks[v];
    if (u < v && (rv === ru + 1 || (cols[u] === cols[v] && freeBetween(cols[u], ru, rv)))) { return; }
    var lo = Math.min(ru, rv), hi = Math.max(ru, rv);
    need.push([hi - lo, lo, hi, k]);
  });
  need.sort(function (a, b) { for (var i = 0; i < 4; i++) { if (a[i] !== b[i]) { return a[i] - b[i]; } } return 0; });
  var used = [], laneOf = {};
  need.forEach(function (q) {
    var lo = q[1], hi = q[2], key = [lo, hi];
    for (var lane = 0; lane < used.length; lane++) {
      var spans = used[lane], j = 0, a = 0, b = spans.length;
      while (a < b) { var m = (a + b) >> 1; if (pairLess(spans[m], key)) { a = m + 1; } else { b = m; } }
      j = a;
      if ((j === 0 || spans[j - 1][1] < lo) && (j === spans.length || spans[j][0] > hi)) {
        spans.splice(j, 0, key); laneOf[q[3]] = lane; return;
      }
    }
    used.push([key]); laneOf[q[3]] = used.length - 1;
  });
  var nlanes = used.length, ncols = cols.reduce(function (a, b) { return Math.max(a, b); }, 0) + 1,
      nranks = ranks.reduce(function (a, b) { return Math.max(a, b); }, 0) + 1;
  var colW = new Array(ncols).fill(0), rankH = new Array(nranks).fill(0);
  sizes.forEach(function (s, v) {
    colW[cols[v]] = Math.max(colW[cols[v]], s[0]); rankH[ranks[v]] = Math.max(rankH[ranks[v]], s[1]);
  });
  var left = MARGIN + nlanes * LANESEP + (nlanes ? 12 : 0), colX = [], x = left, rankY = [], y = MARGIN;
  colW.forEach(function (w) { colX.push(x); x += w + NODESEP; });
  rankH.forEach(function (h) { rankY.push(y); y += h + RANKSEP; });
  var boxes = sizes.map(function (s, v) {
    return {x: colX[cols[v]] + ((colW[cols[v]] - s[0]) >> 1), y: rankY[ranks[v]], w: s[0], h: s[1],
            rank: ranks[v], col: cols[v]};
  });
  var routes = edges.map(function (e, k) {
    var u = e[0], v = e[1], a = boxes[u], b = boxes[v], lane = k in laneOf ? laneOf[k] : -1;
    if (lane < 0) {
      var ax = a.x + (a.w >> 1), bx = b.x + (b.w >> 1);
      if (ax === bx || a.col === b.col) { return {points: [[ax, a.y + a.h], [ax, b.y]], back: false}; }
      var mid = rankY[b.rank] - (RANKSEP >> 1);
      return {points: [[ax, a.y + a.h], [ax, mid], [bx, mid], [bx, b.y]], back: false};
    }
    var lx = MARGIN + (nlanes - 1 - lane) * LANESEP, jog = 5 + (lane % 4) * 4, pts, gy;
    if (a.col === 0) { var sy = a.y + (a.h >> 1) + 6; pts = [[a.x, sy], [lx, sy]]; }
    else { gy = rankY[a.rank] + rankH[a.rank] + jog; pts = [[a.x + 12, a.y + a.h], [a.x + 12, gy], [lx, gy]]; }
    if (b.col === 0) { var ty = b.y + (b.h >> 1) - 6; pts.push([lx, ty], [b.x, ty]); }
    else { gy = rankY[b.rank] - RANKSEP + jog; pts.push([lx, gy], [b.x + 12, gy], [b.x + 12, b.y]); }
    return {points: pts, back: u >= v};
  });
  var width = (colX.length ? colX[colX.length - 1] + colW[colW.length - 1] : left) + MARGIN;
  return {width: width, height: n ? y - RANKSEP + MARGIN : 2 * MARGIN, boxes: boxes, routes: routes};
}
"""

SCRIPT = r"""
(function () {
  var view = document.getElementById('view'), detail = document.getElementById('detail');
  var state = document.getElementById('state'), NS = 'http://www.w3.org/2000/svg';
  var U = DATA.units, LAYERS = DATA.layers, n = LAYERS.length, open = {};
  var parent = {};     // block id -> the block holding it (or null)
  (function index(blocks, up) { blocks.forEach(function (b) { parent[b[0]] = up; index(b[3], b[0]); }); })(DATA.tree, null);
  function cut() {     // cfggen/draw/view.py: the visible units (open blocks show their children) and edges
    var ids = ['input'], owner = new Array(n);
    (function walk(blocks, i, end) {
      var k = 0;
      while (i <= end) {
        while (k < blocks.length && blocks[k][1] < i) { k++; }
        var b = k < blocks.length && blocks[k][1] === i ? blocks[k] : null;
        if (b && open[b[0]]) { walk(b[3], b[1], b[2]); i = b[2] + 1; continue; }
        var id = b ? b[0] : 'L' + i, last = b ? b[2] : i;
        ids.push(id);
        for (var j = i; j <= last; j++) { owner[j] = id; }
        i = last + 1;
      }
    })(DATA.tree, 0, n - 1);
    var starts = {};
    ids.forEach(function (id) { if (U[id][0] >= 0) { starts[U[id][0]] = true; } });
    LAYERS.forEach(function (l, v) { if (l[1].length || l[4]) { starts[v] = true; } });
    var entries = Object.keys(starts).map(Number).sort(function (a, b) { return a - b; });
    var edges = new Map();
    entries.forEach(function (v) {
      var l = LAYERS[v], dst = owner[v], src, key;
      if (!l[0]) {
        src = v ? owner[v - 1] : 'input'; key = src + ' ' + dst;
        if (src !== dst && !edges.has(key)) {
          edges.set(key, {src: src, dst: dst, ref: false, label: v ? LAYERS[v - 1][2] : DATA.input});
        }
      }
      l[1].forEach(function (r) {
        src = owner[r]; key = src + ' ' + dst;
        if (src === dst) { return; }
        var old = edges.get(key);
        if (old && old.ref) { return; }
        edges.set(key, {src: src, dst: dst, ref: true, label: LAYERS[r][2] + l[3]});
      });
    });
    return {ids: ids, edges: Array.from(edges.values())};
  }
  function draw() {
    var v = cut(), at = {};
    v.ids.forEach(function (id, k) { at[id] = k; });
    var placed = layout(v.ids.map(function (id) { return [U[id][2], U[id][3]]; }),
                        v.edges.map(function (e) { return [at[e.src], at[e.dst]]; }));
    var out = [], labels = [], labelled = {};
    out.push('<g class="edges">');
    v.edges.forEach(function (e, k) {
      var r = placed.routes[k], cls = 'edge' + (e.ref ? ' ref' : '') + (r.back ? ' back' : '');
      var d = 'M' + r.points.map(function (p) { return p[0] + ' ' + p[1]; }).join(' L');
      out.push('<path class="' + cls + '" d="' + d + '" data-src="' + e.src + '" data-dst="' + e.dst +
               '" marker-end="url(#arrow)"><title>' + e.src + ' → ' + e.dst + ': ' + e.label + '</title></path>');
      var s = at[e.src], b;
      if (!labelled[s]) {
        labelled[s] = true; b = placed.boxes[s];
        var shadow = U[e.src][4] ? 5 : 0;
        labels.push('<text class="elabel" x="' + (b.x + (b.w >> 1) + 4 + shadow) + '" y="' + (b.y + b.h + 11 + shadow) +
                    '">' + e.label.split(' ')[0] + '</text>');
      }
      if (e.ref && e.label.indexOf(' ch ') >= 0) {
        b = placed.boxes[at[e.dst]];
        labels.push('<text class="elabel" x="' + (b.x + (b.w >> 1) + 4) + '" y="' + (b.y - 4) + '">' +
                    e.label.slice(e.label.indexOf(' ') + 1) + '</text>');
      }
    });
    out.push('</g><g class="nodes">');
    v.ids.forEach(function (id, k) {
      var b = placed.boxes[k];
      out.push('<g transform="translate(' + b.x + ',' + b.y + ')">' + U[id][5] + '</g>');
    });
    out.push('</g><g class="elabels">' + labels.join('') + '</g><g class="frames">');
    var w = placed.width, h = placed.height;
    Object.keys(open).forEach(function (id) {     // a dashed frame round every open block that shows
      for (var up = parent[id]; up; up = parent[up]) { if (!open[up]) { return; } }
      var f = U[id][0], l = U[id][1], x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      v.ids.forEach(function (uid, k) {
        if (U[uid][0] < f || U[uid][1] > l || U[uid][0] < 0) { return; }
        var b = placed.boxes[k];
        x0 = Math.min(x0, b.x); y0 = Math.min(y0, b.y); x1 = Math.max(x1, b.x + b.w); y1 = Math.max(y1, b.y + b.h);
      });
      x0 -= 6; y0 -= 16; x1 += 6; y1 += 6; w = Math.max(w, x1 + 8 + 7 * (id.length + 15));
      out.push('<g class="frame-g" data-block="' + id + '"><rect class="frame" x="' + x0 + '" y="' + y0 + '" width="' +
               (x1 - x0) + '" height="' + (y1 - y0) + '" rx="6"/><text class="frame-label" x="' + (x1 + 4) + '" y="' +
               (y0 + 10) + '">' + id + ': click to fold</text></g>');
    });
    out.push('</g>');
    view.innerHTML = HEAD_TEXT.split('@W').join(w).split('@H').join(h) + out.join('\n') + '\n</svg>';
    var names = Object.keys(open).sort();
    view.setAttribute('data-expanded', names.join(' '));
    state.textContent = names.length ? 'open: ' + names.join(', ') : 'all blocks folded';
  }
  function focus(id) {
    var el = document.getElementById(id) || view.querySelector('.frame-g[data-block="' + id + '"]');
    if (el && el.scrollIntoView) { el.scrollIntoView({block: 'center'}); }
  }
  view.addEventListener('click', function (ev) {
    var node = ev.target.closest('.node.block');
    if (node) { open[node.id] = true; draw(); focus(node.id); return; }
    var frame = ev.target.closest('.frame-g');
    if (frame) { var id = frame.getAttribute('data-block'); delete open[id]; draw(); focus(id); }
  });
  view.addEventListener('mouseover', function (ev) {
    var node = ev.target.closest('.node');
    if (!node) { detail.style.display = 'none'; return; }
    var title = node.querySelector('title');
    detail.textContent = title ? title.textContent : node.id;
    detail.style.display = 'block';
  });
  draw();
})();
"""

STYLE = """
body{margin:0;font:13px 'DejaVu Sans Mono',Menlo,Consolas,monospace;background:#fff}
#bar{position:sticky;top:0;background:#f1f3f4;border-bottom:1px solid #ccc;padding:4px 8px;z-index:2}
#detail{position:fixed;right:8px;bottom:8px;max-width:560px;white-space:pre-wrap;background:#fffde7;
 border:1px solid #999;padding:6px;margin:0;display:none;z-index:3}
#main{display:flex;align-items:flex-start}
.node.block,.frame-g{cursor:pointer}
"""

def _fragment(u) -> str:
    w, h = measure(u.lines)
    out: list[str] = []
    node(u, Box(0, 0, w, h, 0, 0), out.append)
    return "\n".join(out)


def _tree(blocks) -> list:
    return [[b.id, b.first, b.last, _tree(b.children)] for b in blocks]


def page(pic, collapse: str = "auto") -> str:
    """The HTML text: the folded picture (``collapse`` auto) or every layer (none), blocks opening on click."""
    every = pic.view("none")
    layers = pic.layers
    n = len(layers)
    folded = pic.view(collapse)
    units = {u.id: u for u in every.units}
    blocks = pic.blocks if collapse == "auto" else ()
    if blocks:
        units.update(block_units(layers, blocks, pic.findings, pic.shares))
    # unit id -> [first, last, width, height, folded, SVG at the origin]
    data_units = {uid: [u.first, u.last, *measure(u.lines), u.folded, _fragment(u)] for uid, u in units.items()}
    shapes = [("?" if layer.broken else "%dx%dx%d" % layer.output) for layer in layers]
    # per layer: [is a route, references inside the network, its output shape, a grouped route's slice,
    # whether a reference outside the network makes it start an edge search (as view does)]
    data_layers = [[layer.type == "route", [r for r in layer.refs if 0 <= r < n], shapes[layer.index],
                    _slice(layer, layers), bool(layer.refs)] for layer in layers]
    w, h, c = pic.shape
    legend_out: list[str] = []
    lw, ly = legend(folded, pic.device, legend_out.append)
    legend_svg = (head(lw, ly + 2 * MARGIN, arrow=False) + f'<g class="legend" transform="translate(0,{MARGIN})">'
                  + "\n".join(legend_out) + "</g>\n</svg>\n")
    data = {"units": data_units, "layers": data_layers, "tree": _tree(blocks), "input": f"{w}x{h}x{c}"}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    consts = {"MARGIN": MARGIN, "LANESEP": LANESEP, "NODESEP": NODESEP, "RANKSEP": RANKSEP}
    head_js = f"var HEAD_TEXT = {json.dumps(head('@W', '@H'))};\n"   # the SVG opening, size to fill in
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(pic.title)}</title><style>{STYLE}</style></head>\n<body>\n"
            f"<div id=\"bar\">{esc(pic.title)} · <span id=\"state\"></span> · click a stacked box to open "
            "it, its dashed frame to fold it (any number open at once); hover a box for its details</div>\n"
            f"<div id=\"main\"><div id=\"view\"></div><div id=\"legend\">{legend_svg}</div></div>"
            "<pre id=\"detail\"></pre>\n"
            f"<script>var DATA = {text};\n"
            + "".join(f"var {k} = {v};\n" for k, v in consts.items()) + head_js + LAYOUT + SCRIPT
            + "</script>\n</body></html>\n")
