"""Lay the report's blocks out on A4 portrait pages with matplotlib (text stays text)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from geo.outputs import _charts as charts
from geo.outputs.style import PLAIN_TEXT

__all__ = ["write_pdf"]

_PAGE = (8.27, 11.69)  # inches
_MARGIN = 0.7
_MAX_CHART_H = 5.0
_MIN_MAP_H = 3.5
"""A table's map may be drawn down to this height to stay on the table's page."""
_WIDTH = _PAGE[0] - 2 * _MARGIN
_SIZES = {"h1": 17.0, "h2": 13.0, "p": 9.5, "note": 9.5, "caption": 8.5, "list": 8.0,
          "table": 8.0}
_BODY = _PAGE[1] - 2 * _MARGIN
"""The height of a page's text block: nothing is kept together beyond it."""
_LEAD_ROWS = 3
"""Rows a table brings with its head (and its heading) to a page."""
_SOLID = ("table", "chart", "figures")
_WHOLE_ROWS = 12
"""A table of up to this many rows is not split across pages."""
_CHAR_IN = 0.6 / 72  # average DejaVu Sans character width per point of size, in inches
_BOLD_IN = 0.74 / 72  # the same for bold text, with room to spare
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_CYRILLIC_WIDER = 1.12  # Cyrillic letters run wider than Latin ones
_METADATA = {"Creator": "patrolmap", "Producer": None, "CreationDate": None}


class _Pages:
    """A cursor over A4 pages: ``need`` starts a new page when a block does not fit."""

    def __init__(self, pdf) -> None:
        self.pdf = pdf
        self.fig = None
        self.y = 0.0

    def need(self, height: float) -> None:
        if self.fig is None or self.y - height < _MARGIN:
            self.flush()
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure

            self.fig = Figure(figsize=_PAGE, dpi=100, facecolor="white")
            FigureCanvasAgg(self.fig)
            self.y = _PAGE[1] - _MARGIN

    def text(self, x: float, text: str, size: float, **kwargs) -> None:
        self.fig.text(x / _PAGE[0], self.y / _PAGE[1], text, fontsize=size, va="top",
                      family="DejaVu Sans", **kwargs)

    def flush(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None


def _wide(text: str) -> float:
    """How much wider than the average character ``text`` runs (Cyrillic does)."""
    return _CYRILLIC_WIDER if _CYRILLIC.search(text) else 1.0


def _wrap(text: str, size: float, width: float = _WIDTH) -> list[str]:
    per_line = width / (size * _CHAR_IN * _wide(text))
    return textwrap.wrap(text, max(10, int(per_line))) or [""]


def _line_height(kind: str) -> float:
    return _SIZES[kind] * 1.45 / 72


def _space(kind: str) -> float:
    return {"h1": 0.1, "h2": 0.3}.get(kind, 0.08)


def _paragraph_height(text: str, kind: str) -> float:
    """What :func:`_paragraph` takes of a page: the space above, the lines (a heading keeps one
    line more below it) and the gap after."""
    lines = len(_wrap(text, _SIZES[kind])) + (1 if kind == "h2" else 0)
    return _space(kind) + _line_height(kind) * lines + 0.04


def _paragraph(pages: _Pages, text: str, kind: str) -> None:
    size = _SIZES[kind]
    pages.need(_paragraph_height(text, kind) - 0.04)
    pages.y -= _space(kind)
    for line in _wrap(text, size):
        pages.text(_MARGIN, line, size, fontweight="bold" if kind in ("h1", "h2") else "normal",
                   color="#8b4a00" if kind == "note" else "#555555" if kind == "caption"
                   else "#222222")
        pages.y -= _line_height(kind)
    pages.y -= 0.04


class _Grid:
    """A table laid out: column widths, and each row's wrapped cells and height."""

    def __init__(self, head: list[str] | None, rows: list[list[str]], size: float) -> None:
        every = [head, *rows] if head else rows
        columns = len(every[0])
        # each column at least as wide as its longest word (header words bold), the rest of
        # the width shared by how long the column's texts are
        least = [0.1 + size * max(
            [len(w) * _BOLD_IN * _wide(w) for w in (str(head[i]).split() if head else [])] +
            [len(w) * _CHAR_IN * _wide(w) for r in rows for w in str(r[i]).split()] + [0.0])
            for i in range(columns)]
        lengths = [min(max(len(str(r[i])) for r in every), 40) + 2 for i in range(columns)]
        spare = max(0.0, _WIDTH - sum(least))
        self.widths = [low + spare * n / sum(lengths)
                       for low, n in zip(least, lengths, strict=True)]
        self.size, self.line_h, self.has_head = size, size * 1.4 / 72, bool(head)
        self.cells = [[_wrap(str(c), size * (_BOLD_IN if index == 0 and head else _CHAR_IN)
                             / _CHAR_IN, w - 0.05) for c, w in zip(row, self.widths, strict=True)]
                      for index, row in enumerate(every)]
        self.heights = [self.line_h * max(len(c) for c in row) + 0.04 for row in self.cells]

    def height(self, rows: int | None = None) -> float:
        """The height of the head and the first ``rows`` rows (all rows when None)."""
        n = len(self.heights) if rows is None else min(len(self.heights),
                                                        rows + int(self.has_head))
        return sum(self.heights[:n]) + 0.1


def _table(pages: _Pages, head: list[str] | None, rows: list[list[str]], size: float) -> None:
    """Draw a table; when it runs on to a new page, its head is drawn again there."""
    grid = _Grid(head, rows, size)
    pages.need(grid.height(_LEAD_ROWS))  # the head never stands alone at a page foot
    for index in range(len(grid.cells)):
        page = pages.fig
        pages.need(grid.heights[index])
        if head and index > 0 and pages.fig is not page:
            _row(pages, grid, 0)
        _row(pages, grid, index)
    pages.y -= 0.1


def _row(pages: _Pages, grid: _Grid, index: int) -> None:
    bold = index == 0 and grid.has_head
    x = _MARGIN
    for lines, w in zip(grid.cells[index], grid.widths, strict=True):
        for j, line in enumerate(lines):
            pages.fig.text(x / _PAGE[0], (pages.y - j * grid.line_h) / _PAGE[1], line,
                           fontsize=grid.size, va="top", family="DejaVu Sans",
                           fontweight="bold" if bold else "normal")
        x += w
    pages.y -= grid.heights[index]
    pages.fig.add_artist(_rule(pages.y + 0.02))


def _rule(y: float):
    from matplotlib.lines import Line2D

    return Line2D([_MARGIN / _PAGE[0], (_PAGE[0] - _MARGIN) / _PAGE[0]],
                  [y / _PAGE[1]] * 2, color="#dddddd", lw=0.6)


def _chart(pages: _Pages, fig, max_h: float = _MAX_CHART_H) -> None:
    import io

    from matplotlib.image import imread

    width, height = fig.get_size_inches()
    scale = _scale(width, height, max_h)
    w, h = width * scale, height * scale
    pages.need(h + 0.1)
    image = imread(io.BytesIO(charts.to_png(fig)), format="png")
    ax = pages.fig.add_axes((_MARGIN / _PAGE[0], (pages.y - h) / _PAGE[1], w / _PAGE[0],
                             h / _PAGE[1]))
    ax.imshow(image, interpolation="lanczos")
    ax.set_axis_off()
    pages.y -= h + 0.15


def _scale(width: float, height: float, max_h: float = _MAX_CHART_H) -> float:
    return min(1.0, _WIDTH / width, max_h / height)


def _chart_height(fig, max_h: float = _MAX_CHART_H) -> float:
    """What :func:`_chart` takes of a page, the chart at most ``max_h`` tall."""
    width, height = fig.get_size_inches()
    return height * _scale(width, height, max_h) + 0.15


def _caption_height(blocks: list, i: int) -> float:
    """The height of the caption under the chart at ``i``, if it has one."""
    after = blocks[i + 1] if i + 1 < len(blocks) else None
    return _height(after) if after is not None and after.kind == "caption" else 0.0


def _height(block) -> float:
    """How much of a page a block takes, drawn whole."""
    if block.kind == "chart":
        return _chart_height(block.chart)
    if block.kind == "table":
        return _Grid(block.head, block.rows, _SIZES["table"]).height()
    if block.kind == "figures":
        return _Grid(None, [list(r) for r in block.rows], 9.5).height()
    if block.kind == "list":
        return sum(_paragraph_height(f"{i}. {item}", "list")
                   for i, (item,) in enumerate(block.rows, start=1))
    return _paragraph_height(block.text, block.kind)


def _keep(blocks: list, i: int, *, lead_in: bool = False) -> float:
    """The height that must fit on the page before block ``i`` is drawn, so that nothing is
    left alone at a page foot: a heading (and the words under it) stays with the start of
    what follows, a chart with its caption, a table with the map it numbers, a short table
    whole and a long one with its head and first rows."""
    block = blocks[i]
    after = blocks[i + 1] if i + 1 < len(blocks) else None
    own = _height(block)
    if block.kind in ("h1", "h2"):
        if after is not None:
            own += _keep(blocks, i + 1, lead_in=True)
    elif block.kind in ("p", "note"):
        # words that lead into a table or chart stay with it (under a heading, all of them)
        if after is not None and (after.kind in _SOLID or (
                lead_in and after.kind in ("p", "note") and _leads_to_solid(blocks, i + 1))):
            own += _keep(blocks, i + 1, lead_in=lead_in)
    elif block.kind == "chart":
        own += _caption_height(blocks, i)
    elif block.kind == "table":
        # a table and the map it numbers on one page under the words leading in, the map
        # drawn smaller if need be
        caption = _caption_height(blocks, i + 1) if after is not None else 0.0
        room = _BODY - _lead_height(blocks, i) - own - caption
        if after is not None and after.kind == "chart" and \
                room >= _chart_height(after.chart, _MIN_MAP_H):
            own += min(_chart_height(after.chart), room) + caption
        elif len(block.rows) > _WHOLE_ROWS:
            own = _Grid(block.head, block.rows, _SIZES["table"]).height(_LEAD_ROWS)
    elif block.kind == "list" and block.rows:
        own = _paragraph_height(f"1. {block.rows[0][0]}", "list")
    return min(own, _BODY)


def _map_room(pages: _Pages, blocks: list, i: int) -> float:
    """How tall the chart at ``i`` may be: a table's map shrinks to the room left on the
    table's page (down to :data:`_MIN_MAP_H`); any other chart keeps its size."""
    if i == 0 or blocks[i - 1].kind != "table" or pages.fig is None:
        return _MAX_CHART_H
    room = pages.y - _MARGIN - _caption_height(blocks, i) - 0.15 - 1e-6
    return min(_MAX_CHART_H, room) if room >= _MIN_MAP_H else _MAX_CHART_H


def _lead_height(blocks: list, i: int) -> float:
    """The height of the words and headings that lead into block ``i``: what goes to a new
    page with it, back to its own heading (and the headings right above that one); the
    words of an earlier section stay where they are."""
    height, j, headed = 0.0, i - 1, False
    while j >= 0 and blocks[j].kind in ("p", "note", "h1", "h2"):
        heading = blocks[j].kind in ("h1", "h2")
        if headed and not heading:
            break
        height += _height(blocks[j])
        headed |= heading
        j -= 1
    return height


def _leads_to_solid(blocks: list, i: int) -> bool:
    """Whether the paragraphs from block ``i`` on end in a table, chart or figures."""
    while i < len(blocks) and blocks[i].kind in ("p", "note"):
        i += 1
    return i < len(blocks) and blocks[i].kind in _SOLID


def write_pdf(blocks: list, path: Path) -> Path:
    """Write ``blocks`` (from :func:`geo.outputs.report.report_blocks`) as A4 pages to ``path``."""
    import matplotlib as mpl
    from matplotlib.backends.backend_pdf import PdfPages

    path.parent.mkdir(parents=True, exist_ok=True)
    with (mpl.rc_context({"pdf.fonttype": 42, **PLAIN_TEXT}),
          PdfPages(path, metadata=_METADATA) as pdf):
        pages = _Pages(pdf)
        for i, block in enumerate(blocks):
            room = _map_room(pages, blocks, i) if block.kind == "chart" else _MAX_CHART_H
            pages.need(_keep(blocks, i) if block.kind != "chart" else
                       _chart_height(block.chart, room) + _caption_height(blocks, i))
            if block.kind in _SIZES and block.kind not in ("list", "table"):
                _paragraph(pages, block.text, block.kind)
            elif block.kind == "figures":
                _table(pages, None, [list(r) for r in block.rows], 9.5)
            elif block.kind == "table":
                _table(pages, block.head, block.rows, _SIZES["table"])
            elif block.kind == "chart":
                _chart(pages, block.chart, room)
            elif block.kind == "list":
                for n, (item,) in enumerate(block.rows, start=1):
                    _paragraph(pages, f"{n}. {item}", "list")
        pages.flush()
    return path
