"""A ``View`` placed by ``layout`` -> one self-contained SVG document (styles inline, nothing fetched).

Every box is ``<g class="node CATEGORY [SEVERITY]" id=UNIT data-first data-last>`` with a ``<title>``
(every key, the shapes, the cost, the findings); every edge is ``<path class="edge [ref]" data-src
data-dst>``; each finding is a badge with its code on its box and a row in the legend.
"""
from __future__ import annotations

from typing import Sequence

from cfggen.draw.layout import CHAR_W, LINE_H, MARGIN, PAD_X, PAD_Y, Box, Layout
from cfggen.draw.view import Unit, View

FONT = 11.5
# estimated time share -> fill (a stated scale: the legend prints the bins)
TIME_BINS = (0.01, 0.02, 0.05, 0.10)
TIME_FILLS = ("#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913")
LEGEND_CHARS = 84

STYLE = """
text{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:11.5px;fill:#1b1b1b;white-space:pre}
.node rect.box{stroke:#5f6368;stroke-width:1}
.layer rect.box{fill:#dbe9f7}.pool rect.box{fill:#dcefd9}.tensor rect.box{fill:#ece3f5}
.shape rect.box{fill:#f6efd6}.norm rect.box{fill:#eeeeee}.data rect.box{fill:#ffffff}.other rect.box{fill:#ffffff}
.head rect.box{fill:#ffd9cf;stroke:#9c1c12;stroke-width:2.5}.head .t0{font-weight:bold}
.block rect.box{fill:#f1f3f4;stroke:#3c4043;stroke-width:1.5}.block rect.under{fill:#e0e0e0;stroke:#3c4043}
.block .t0{font-weight:bold}
.node.error rect.box{stroke:#c62828;stroke-width:3}.node.warning rect.box{stroke:#e67700;stroke-width:3}
.node.info rect.box{stroke:#1565c0;stroke-width:2}
.badge rect{stroke:none}.badge text{fill:#fff;font-weight:bold;font-size:10px}
.badge.error rect,.sw.error{fill:#c62828}.badge.warning rect,.sw.warning{fill:#e67700}.badge.info rect,.sw.info{fill:#1565c0}
.edge{fill:none;stroke:#5f6368;stroke-width:1.2}.edge.ref{stroke:#6a3d9a;stroke-width:1.4}
.edge.back{stroke-dasharray:5 3;stroke:#c62828}
.elabel{font-size:10px;fill:#5f6368;pointer-events:none}.legend .h{font-weight:bold}
.frame{fill:none;stroke:#3c4043;stroke-width:1.2;stroke-dasharray:6 4}.frame-label{fill:#3c4043;font-size:10px}
"""


def esc(text: str) -> str:
    if "&" not in text and "<" not in text and ">" not in text and '"' not in text:   # four C scans
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def time_fill(share: float) -> str:
    for limit, colour in zip(TIME_BINS, TIME_FILLS):
        if share < limit:
            return colour
    return TIME_FILLS[-1]


def _legend(view: View, profile_name: str | None, order: Sequence[int]) -> list[tuple[str, str, str]]:
    """Legend rows: (css class, text, tooltip)."""
    rows = [("h", view.title, "")]
    if profile_name is not None:
        rows.append(("h", f"fill: estimated time share on {profile_name}", ""))
        bins = ["<1%", "1-2%", "2-5%", "5-10%", ">=10%"]
        rows.append(("scale", "  ".join(bins), ""))
        rows.append(("", "most time (estimated time share · FLOP share):", ""))
        for k in order:
            u = view.units[k]
            rows.append(("", f"  {u.lines[0][:44]:<44} {u.time_share * 100:5.1f}% · {u.flop_share * 100:5.1f}%", ""))
    marks = view.marks
    rows.append(("h", f"findings: {len(marks)}" if marks else "findings: none", ""))
    for m in marks:
        where = f"layer {m.layer}" if m.layer >= 0 else "file"
        rows.append((f"sw {m.severity}", f"{m.code} {m.severity} {where}, line {m.line}", m.message))
        msg = m.message
        while msg and len(rows) < 400:
            cut = msg[:LEGEND_CHARS - 4]
            if len(msg) > len(cut):
                sp = cut.rfind(" ")
                cut = cut[:sp] if sp > 20 else cut
            rows.append(("msg", "    " + cut.strip(), m.message))
            msg = msg[len(cut):].strip()
            if len(rows) > 2 and rows[-1][0] == "msg" and rows[-2][0] == "msg" and rows[-3][0] == "msg" and msg:
                rows[-1] = ("msg", rows[-1][1][:LEGEND_CHARS - 2] + " …", m.message)
                break
    return rows


def node(u: Unit, b: Box, add) -> None:
    """One box's SVG (its ``<g>`` with tooltip, shadow, box, text, finding badge), as one piece to ``add``."""
    uid, first, last, lines, category, detail, marks, severity, time_share, _, folded, _ = u
    x, y, w, h, _, _ = b
    cls = f"{category} {severity}" if severity else category
    under = f'<rect class="under" x="{x + 4}" y="{y + 4}" width="{w}" height="{h}" rx="4"/>\n' if folded else ""
    style = f' style="fill:{time_fill(time_share)}"' if time_share is not None else ""
    tx = x + PAD_X
    text = esc("\n".join(lines)).replace("\n", f'</tspan><tspan x="{tx}" dy="{LINE_H}">')
    svg = (f'<g class="node {cls}" id="{uid}" data-first="{first}" data-last="{last}"><title>{esc(detail)}</title>\n'
           f'{under}<rect class="box" x="{x}" y="{y}" width="{w}" height="{h}" rx="4"{style}/>\n'
           f'<text x="{tx}" y="{y + PAD_Y + 11}"><tspan class="t0">{text}</tspan></text>\n')
    if marks:
        codes = list(dict.fromkeys(m.code for m in marks))
        badge = codes[0] + (f"+{len(codes) - 1}" if len(codes) > 1 else "")
        bw = len(badge) * 7 + 8
        bx, by = x + w - bw + 6, y - 8
        msg = "\n".join(f"{m.severity} {m.code} line {m.line}: {m.message}" for m in marks)
        svg += (f'<g class="badge {severity}"><title>{esc(msg)}</title><rect x="{bx}" y="{by}" width="{bw}" '
                f'height="15" rx="7"/><text x="{bx + 4}" y="{by + 11}">{esc(badge)}</text></g>\n')
    add(svg + "</g>")


def legend(view: View, profile_name: str | None, add) -> tuple[int, int]:
    """The legend's rows (title, time scale and costliest boxes, findings) as SVG pieces to ``add``, at
    the origin; returns its width and the y below its last row."""
    units = view.units
    timed = [k for k, u in enumerate(units) if u.time_share is not None]
    timed.sort(key=lambda k: (-units[k].time_share, k))
    rows = _legend(view, profile_name, timed[:8])
    y = 12
    for cls, text, tip in rows:
        if cls == "scale":
            for i, (label, fill) in enumerate(zip(text.split("  "), TIME_FILLS)):
                add(f'<rect x="{i * 64}" y="{y - 10}" width="14" height="12" style="fill:{fill};stroke:#5f6368"/>'
                    f'<text x="{i * 64 + 18}" y="{y}">{esc(label)}</text>')
        elif cls.startswith("sw"):
            add(f'<g><title>{esc(tip)}</title><rect class="{cls}" x="0" y="{y - 10}" width="12" height="12" rx="3"/>'
                f'<text x="18" y="{y}">{esc(text)}</text></g>')
        else:
            tt = f"<title>{esc(tip)}</title>" if tip else ""
            add(f'<text class="{cls}" x="0" y="{y}">{tt}{esc(text)}</text>')
        y += LINE_H + 2
    return max(len(t) for _, t, _ in rows) * CHAR_W + 2 * MARGIN, y


def head(width, height, arrow: bool = True) -> str:
    """An SVG document's opening: size, styles, the edges' arrow marker (``arrow``), a white background."""
    marker = ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
              'orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#5f6368"/></marker></defs>\n'
              if arrow else "")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">\n<style>{STYLE}</style>\n{marker}'
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>\n')


def render(view: View, placed: Layout, profile_name: str | None = None) -> str:
    """SVG text."""
    out: list[str] = []
    add = out.append
    units = view.units
    boxes = placed.boxes
    # edges first, under the boxes; their labels after the boxes (a folded box's shadow would hide them)
    add('<g class="edges">')
    labels: list[str] = []
    labelled = set()
    for (src, dst, ref, label, _, _), (u, v, pts, _, back) in zip(view.edges, placed.routes):
        d = ("M%d %d L%d %d" % (*pts[0], *pts[1]) if len(pts) == 2
             else "M" + " L".join("%d %d" % p for p in pts))
        cls = ("edge ref" if ref else "edge") + (" back" if back else "")
        # ids and labels are made of layer numbers and shapes: nothing to escape
        add(f'<path class="{cls}" d="{d}" data-src="{src}" data-dst="{dst}" marker-end="url(#arrow)">'
            f'<title>{src} → {dst}: {label}</title></path>')
        if u not in labelled:
            labelled.add(u)
            x, y, w, h, _, _ = boxes[u]
            shadow = 5 if units[u].folded else 0
            labels.append(f'<text class="elabel" x="{x + w // 2 + 4 + shadow}" y="{y + h + 11 + shadow}">'
                          f'{label.split(" ")[0]}</text>')
        if ref and " ch " in label:
            x, y, w, _, _, _ = boxes[v]
            labels.append(f'<text class="elabel" x="{x + w // 2 + 4}" y="{y - 4}">{label.split(" ", 1)[1]}</text>')
    add("</g>")
    add('<g class="nodes">')
    for u, b in zip(units, boxes):
        node(u, b, add)
    add("</g>")
    add('<g class="elabels">')
    out.extend(labels)
    add("</g>")
    # the legend, right of the graph
    lx = placed.width + MARGIN
    add(f'<g class="legend" transform="translate({lx},{MARGIN})">')
    lw, y = legend(view, profile_name, add)
    add("</g>")
    width = lx + lw
    height = max(placed.height, y + 2 * MARGIN)
    return head(width, height) + "\n".join(out) + "\n</svg>\n"
