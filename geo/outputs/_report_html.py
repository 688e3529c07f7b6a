"""The planner's report as HTML: its style sheet and one block at a time (no script)."""

from __future__ import annotations

import html

from geo.outputs import _charts as charts

__all__ = ["CSS", "html_block"]

CSS = """
:root { color-scheme: light; }
body { font: 17px/1.5 "DejaVu Sans", "Segoe UI", Arial, sans-serif; color: #222; margin: 0;
       background: #fff; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem 1.2rem 4rem; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 .3rem; }
h2 { font-size: 1.35rem; margin: 2.4rem 0 .6rem; border-bottom: 2px solid #ddd;
     padding-bottom: .2rem; }
.note { background: #fff4e5; border-left: 5px solid #d9822b; padding: .4rem .8rem; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(9.5rem, 1fr));
           gap: .8rem; margin: 1rem 0; }
.figures div { border: 1px solid #ddd; border-radius: 6px; padding: .6rem .8rem; }
.figures dt { font-size: .85rem; color: #555; }
.figures dd { margin: .2rem 0 0; font-size: 1.7rem; font-weight: bold; }
.scroll { overflow-x: auto; margin: .8rem 0; }
table { border-collapse: collapse; min-width: 100%; font-size: .95rem; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid #e3e3e3; text-align: left;
         vertical-align: top; }
th { background: #f4f4f4; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1rem 0; overflow-x: auto; }
figure.wide svg { min-width: 40rem; }
figure svg { max-width: 100%; height: auto; display: block; }
ol.refs { font-size: .9rem; color: #444; }
@media (max-width: 40rem) { body { font-size: 15px; } .figures dd { font-size: 1.35rem; } }
@media print { h2 { break-after: avoid; } figure, table { break-inside: avoid; }
               main { max-width: none; } }
"""


def _numeric(cell: str) -> bool:
    stripped = cell.replace(" ", "").replace("%", "").replace("\u202f", "")
    return any(ch.isdigit() for ch in stripped) and all(ch in "0123456789.,-–→±<"
                                                         for ch in stripped)


def html_block(block) -> str:
    """One report block as HTML; every text escaped."""
    esc = html.escape
    if block.kind in ("h1", "h2", "p"):
        return f"<{block.kind}>{esc(block.text)}</{block.kind}>"
    if block.kind == "note":
        return f'<p class="note">{esc(block.text)}</p>'
    if block.kind == "figures":
        items = "".join(f"<div><dt>{esc(a)}</dt><dd>{esc(b)}</dd></div>" for a, b in block.rows)
        return f'<dl class="figures">{items}</dl>'
    if block.kind == "table":
        head = "".join(f"<th>{esc(h)}</th>" for h in block.head)
        body = "".join(
            "<tr>" + "".join(f'<td class="n">{esc(c)}</td>' if _numeric(c) else
                             f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in block.rows)
        return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table></div>")
    if block.kind == "chart":
        wide = ' class="wide"' if block.chart.get_size_inches()[0] > 8 else ""
        return f"<figure{wide}>{charts.to_svg(block.chart, block.name)}</figure>"
    if block.kind == "list":
        return '<ol class="refs">' + "".join(f"<li>{esc(r[0])}</li>" for r in block.rows) + \
            "</ol>"
    msg = f"unknown report block {block.kind!r}"
    raise ValueError(msg)
