"""Names on a still map, placed so that none covers another name or a marker.

Each name takes the first free place among the eight classic positions around its point
(right, left, above, below, then the corners). A name that must be shown (a post, a
suggested post) then tries rings farther out and is joined to its point by a thin leader
line; a landmark or a river name with no free place near its point is left out, since a
name far from what it names misleads more than it helps.

Written here because matplotlib places no labels, and the library for it (adjustText) pushes
names apart by repulsion: it neither promises that no two names overlap nor keeps a name
beside its point. A greedy search over fixed positions, most important names first, is the
cartographers' usual rule and can be checked name by name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Labeller"]

_NEAR = ((1, 0, "left", "center"), (-1, 0, "right", "center"), (0, 1, "center", "bottom"),
         (0, -1, "center", "top"), (1.1, 1.1, "left", "bottom"), (-1.1, 1.1, "right", "bottom"),
         (1.1, -1.1, "left", "top"), (-1.1, -1.1, "right", "top"))
"""The eight places beside a point, in units of the gap; a corner stands off on both axes so
that its name's box clears the point's own marker."""
_RINGS = 9  # farther rings a name that must be shown tries
_DIRECTIONS = 16


def _anchor(dx: float, dy: float) -> tuple[str, str]:
    """Which corner or edge of the name sits at an offset in direction (dx, dy)."""
    ha = "left" if dx > 0.3 else "right" if dx < -0.3 else "center"
    va = "bottom" if dy > 0.3 else "top" if dy < -0.3 else "center"
    return ha, va


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@dataclass
class Labeller:
    """Places names on one matplotlib axes whose limits and aspect are final.

    ``taken`` holds the display boxes (x0, y0, x1, y1) of everything placed or blocked.
    """

    ax: object
    pad: float = 3.0
    """Pixels kept clear around each name."""
    taken: list[tuple[float, float, float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.renderer = self.ax.figure.canvas.get_renderer()
        box = self.ax.get_window_extent(self.renderer)
        self.frame = (box.x0, box.y0, box.x1, box.y1)

    def _pixels(self, x: float, y: float) -> tuple[float, float]:
        px, py = self.ax.transData.transform((x, y))
        return float(px), float(py)

    def block_point(self, x: float, y: float, radius: float) -> None:
        """Keep a marker of ``radius`` pixels at data point (x, y) uncovered."""
        px, py = self._pixels(x, y)
        self.taken.append((px - radius, py - radius, px + radius, py + radius))

    def block_artist(self, artist) -> None:
        """Keep an artist already drawn (a scale bar, the north arrow) uncovered."""
        box = artist.get_window_extent(self.renderer)
        self.taken.append((box.x0, box.y0, box.x1, box.y1))

    def free(self, box: tuple[float, float, float, float]) -> bool:
        """Whether a display box lies inside the map and clear of everything taken."""
        x0, y0, x1, y1 = box
        fx0, fy0, fx1, fy1 = self.frame
        if x0 < fx0 or y0 < fy0 or x1 > fx1 or y1 > fy1:
            return False
        return not any(_overlap(box, b) for b in self.taken)

    def point_is_free(self, x: float, y: float, radius: float) -> bool:
        px, py = self._pixels(x, y)
        return self.free((px - radius, py - radius, px + radius, py + radius))

    def _box(self, text) -> tuple[float, float, float, float]:
        box = text.get_window_extent(self.renderer)
        return (box.x0 - self.pad, box.y0 - self.pad, box.x1 + self.pad, box.y1 + self.pad)

    def place(self, x: float, y: float, name: str, *, gap: float, must: bool,
              halo: float = 0.0, leader: str = "#444444", **style):
        """Write ``name`` beside data point (x, y), ``gap`` pixels from it, at the first free
        place; returns the text, or None when the name was left out. A name that ``must`` be
        shown and finds no free place at all goes where it covers the fewest others.

        ``halo`` (points) draws a white outline behind the name as a separate shape, so that
        the name itself stays text a PDF reader can find and copy."""
        px, py = self._pixels(x, y)
        text = self.ax.text(x, y, name, **style)
        tries = [(gap * dx, gap * dy, ha, va) for dx, dy, ha, va in _NEAR]
        if must:
            height = self._box(text)[3] - self._box(text)[1]
            for ring in range(1, _RINGS + 1):
                for step in range(_DIRECTIONS):
                    turn = 2 * math.pi * (step + 0.5 * (ring % 2)) / _DIRECTIONS
                    dx, dy = math.cos(turn), math.sin(turn)
                    far = gap + ring * 0.9 * height
                    tries.append((far * dx, far * dy, *_anchor(dx, dy)))
        best, fewest = None, None
        for dx, dy, ha, va in tries:
            text.set(position=self.ax.transData.inverted().transform((px + dx, py + dy)),
                     ha=ha, va=va)
            box = self._box(text)
            if self.free(box):
                best = (dx, dy, ha, va)
                break
            if must:
                score = (not self._inside(box), sum(_overlap(box, b) for b in self.taken))
                if fewest is None or score < fewest:
                    best, fewest = (dx, dy, ha, va), score
        if best is None:
            text.remove()
            return None
        dx, dy, ha, va = best
        text.set(position=self.ax.transData.inverted().transform((px + dx, py + dy)),
                 ha=ha, va=va)
        box = self._box(text)
        self.taken.append(box)
        if halo:
            from matplotlib import patheffects

            outline = self.ax.text(*text.get_position(), name, **{**style, "gid": None})
            outline.set(ha=ha, va=va, color="white", zorder=style.get("zorder", 7) - 0.1,
                        path_effects=[patheffects.Stroke(linewidth=halo, foreground="white")])
        if math.hypot(dx, dy) > 1.5 * gap:
            self._leader(px, py, box, leader, style.get("zorder", 7))
        return text

    def _inside(self, box) -> bool:
        fx0, fy0, fx1, fy1 = self.frame
        return box[0] >= fx0 and box[1] >= fy0 and box[2] <= fx1 and box[3] <= fy1

    def _leader(self, px: float, py: float, box, colour: str, zorder: float) -> None:
        """A thin dark line in a white casing from the point to the nearest edge of its
        name's box, so it shows on dark cells too."""
        ex = float(np.clip(px, box[0] + self.pad, box[2] - self.pad))
        ey = float(np.clip(py, box[1] + self.pad, box[3] - self.pad))
        (x0, y0), (x1, y1) = self.ax.transData.inverted().transform([(px, py), (ex, ey)])
        for width, shade, gid in ((3.5, "white", None), (1.3, colour, "leader")):  # cased
            self.ax.plot([x0, x1], [y0, y1], color=shade, lw=width, zorder=zorder - 0.5,
                         solid_capstyle="round", gid=gid)
