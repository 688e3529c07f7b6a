"""Lay the report's blocks out on A4 portrait pages with matplotlib (text stays text)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from geo.outputs import _charts as charts
from geo.outputs.style import PLAIN_TEXT

__all__ = ["write_pdf"]

_PAGE = (8.27, 11.69)  # inches
_MARGIN = 0.7
_MAX_CHART_H = 5.0
_WIDTH = _PAGE[0] - 2 * _MARGIN
_SIZES = {"h1": 17.0, "h2": 13.0, "p": 9.5, "note": 9.5, "list": 8.0, "table": 8.0}
_CHAR_IN = 0.56 / 72  # average DejaVu Sans character width per point of size, in inches
_BOLD_IN = 0.66 / 72  # the same for bold text, Cyrillic included, with room to spare
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


def _wrap(text: str, size: float, width: float = _WIDTH) -> list[str]:
    return textwrap.wrap(text, max(10, int(width / (size * _CHAR_IN)))) or [""]


def _paragraph(pages: _Pages, text: str, kind: str) -> None:
    size = _SIZES[kind]
    lines = _wrap(text, size)
    line_h = size * 1.45 / 72
    space = {"h1": 0.1, "h2": 0.3}.get(kind, 0.08)
    pages.need(space + line_h * (len(lines) + (1 if kind == "h2" else 0)))
    pages.y -= space
    for line in lines:
        pages.text(_MARGIN, line, size, fontweight="bold" if kind in ("h1", "h2") else "normal",
                   color="#8b4a00" if kind == "note" else "#222222")
        pages.y -= line_h
    pages.y -= 0.04


def _table(pages: _Pages, head: list[str] | None, rows: list[list[str]], size: float) -> None:
    every = [head, *rows] if head else rows
    columns = len(every[0])
    # each column at least as wide as its longest word (header words bold), the rest of the
    # width shared by how long the column's texts are
    least = [0.1 + size * max(
        [len(w) * _BOLD_IN for w in (str(head[i]).split() if head else [])] +
        [len(w) * _CHAR_IN for r in rows for w in str(r[i]).split()] + [0.0])
        for i in range(columns)]
    lengths = [min(max(len(str(r[i])) for r in every), 40) + 2 for i in range(columns)]
    spare = max(0.0, _WIDTH - sum(least))
    widths = [low + spare * n / sum(lengths) for low, n in zip(least, lengths, strict=True)]
    line_h = size * 1.4 / 72
    for index, row in enumerate(every):
        cells = [_wrap(str(c), size * (_BOLD_IN if index == 0 and head else _CHAR_IN)
                       / _CHAR_IN, w - 0.05) for c, w in zip(row, widths, strict=True)]
        height = line_h * max(len(c) for c in cells) + 0.04
        pages.need(height)
        x = _MARGIN
        for lines, w in zip(cells, widths, strict=True):
            for j, line in enumerate(lines):
                pages.fig.text(x / _PAGE[0], (pages.y - j * line_h) / _PAGE[1], line,
                               fontsize=size, va="top", family="DejaVu Sans",
                               fontweight="bold" if index == 0 and head else "normal")
            x += w
        pages.y -= height
        pages.fig.add_artist(_rule(pages.y + 0.02))
    pages.y -= 0.1


def _rule(y: float):
    from matplotlib.lines import Line2D

    return Line2D([_MARGIN / _PAGE[0], (_PAGE[0] - _MARGIN) / _PAGE[0]],
                  [y / _PAGE[1]] * 2, color="#dddddd", lw=0.6)


def _chart(pages: _Pages, fig) -> None:
    import io

    from matplotlib.image import imread

    width, height = fig.get_size_inches()
    scale = _scale(width, height)
    w, h = width * scale, height * scale
    pages.need(h + 0.1)
    image = imread(io.BytesIO(charts.to_png(fig)), format="png")
    ax = pages.fig.add_axes((_MARGIN / _PAGE[0], (pages.y - h) / _PAGE[1], w / _PAGE[0],
                             h / _PAGE[1]))
    ax.imshow(image, interpolation="lanczos")
    ax.set_axis_off()
    pages.y -= h + 0.15


def _height(block) -> float:
    """About how tall a block is, to keep a heading with what follows it."""
    if block.kind == "chart":
        width, height = block.chart.get_size_inches()
        return height * _scale(width, height) + 0.25
    if block.kind in ("p", "note"):
        return len(_wrap(block.text, _SIZES["p"])) * _SIZES["p"] * 1.45 / 72 + 0.1
    if block.kind in ("table", "figures"):
        rows = len(block.rows) + (1 if block.kind == "table" else 0)
        return max(4, rows) * _SIZES["table"] * 1.4 / 72 + 0.2
    return 0.3


def _scale(width: float, height: float) -> float:
    return min(1.0, _WIDTH / width, _MAX_CHART_H / height)


def write_pdf(blocks: list, path: Path) -> Path:
    """Write ``blocks`` (from :func:`geo.outputs.report.report_blocks`) as A4 pages to ``path``."""
    import matplotlib as mpl
    from matplotlib.backends.backend_pdf import PdfPages

    path.parent.mkdir(parents=True, exist_ok=True)
    with (mpl.rc_context({"pdf.fonttype": 42, **PLAIN_TEXT}),
          PdfPages(path, metadata=_METADATA) as pdf):
        pages = _Pages(pdf)
        for i, block in enumerate(blocks):
            if block.kind == "h2":  # keep a heading with its note and first chart or table
                extra = sum(_height(b) for b in blocks[i + 1:i + 3])
                pages.need(0.6 + min(extra, _PAGE[1] - 2 * _MARGIN - 0.6))
            if block.kind == "table" and i + 1 < len(blocks) and blocks[i + 1].kind == "chart":
                # a table and the map it numbers go on one page
                together = _height(block) + _height(blocks[i + 1])
                pages.need(min(together, _PAGE[1] - 2 * _MARGIN - 0.6))
            if block.kind in ("h1", "h2", "p", "note"):
                _paragraph(pages, block.text, block.kind)
            elif block.kind == "figures":
                _table(pages, None, [list(r) for r in block.rows], 9.5)
            elif block.kind == "table":
                _table(pages, block.head, block.rows, _SIZES["table"])
            elif block.kind == "chart":
                _chart(pages, block.chart)
            elif block.kind == "list":
                for i, (item,) in enumerate(block.rows, start=1):
                    _paragraph(pages, f"{i}. {item}", "list")
        pages.flush()
    return path
