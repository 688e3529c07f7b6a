"""The planner's report as HTML: its style sheet and one block at a time (no script)."""

from __future__ import annotations

import html
import re

from geo._page import report_css
from geo.outputs import _charts as charts

__all__ = ["CSS", "html_block"]

CSS = report_css()
"""The report's style sheet (a package file, so that the audit can hold a page to it)."""


_CELL_ID = re.compile(r"[0-9a-f]{15}")
"""An H3 cell as the tables write it: small on a phone, and broken anywhere if need be."""


def _numeric(cell: str) -> bool:
    stripped = cell.replace(" ", "").replace("%", "").replace("\u202f", "")
    return any(ch.isdigit() for ch in stripped) and all(ch in "0123456789.,-–→±<"
                                                         for ch in stripped)


def html_block(block) -> str:
    """One report block as HTML; every text escaped."""
    esc = html.escape
    if block.kind in ("h1", "h2", "p"):
        return f"<{block.kind}>{esc(block.text)}</{block.kind}>"
    if block.kind in ("note", "caption"):
        return f'<p class="{block.kind}">{esc(block.text)}</p>'
    if block.kind == "figures":
        items = "".join(f"<div><dt>{esc(a)}</dt><dd>{esc(b)}</dd></div>" for a, b in block.rows)
        return f'<dl class="figures">{items}</dl>'
    if block.kind == "table":
        head = "".join(f"<th>{esc(h)}</th>" for h in block.head)
        body = "".join(
            "<tr>" + "".join(f'<td class="n">{esc(c)}</td>' if _numeric(c) else
                             f'<td class="id">{esc(c)}</td>' if _CELL_ID.fullmatch(c) else
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
