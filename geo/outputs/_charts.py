"""The planner's report's charts, drawn with matplotlib from published values only.

Each ``*_chart`` function returns a matplotlib Figure; :func:`to_svg` makes inline SVG of it
for the HTML report and :func:`to_png` a picture for the PDF, so both show the same chart.
"""

from __future__ import annotations

import functools
import io
import re

import numpy as np
from scipy.stats import chi2

from geo.i18n import number, t
from geo.outputs.picture import draw_map, project_shapes
from geo.outputs.style import (
    INCIDENT_COLOURS,
    PLAIN_TEXT,
    PRESENCE_COLOURS,
    SUGGESTED_COLOUR,
    SUPPRESSED_COLOUR,
)

__all__ = ["week_chart", "hours_chart", "lorenz_chart", "rates_chart", "locator_chart",
           "overview_chart", "coverage_chart",
           "to_svg", "to_png", "poisson_interval"]

_FONT = {"font.family": "DejaVu Sans", "font.size": 13, "svg.fonttype": "none",
         "axes.spines.top": False, "axes.spines.right": False, **PLAIN_TEXT}
_INK, _GAP = "#333333", "#c85a5a"


def _styled(draw):
    """Run a chart function with the report's fonts and spines."""

    @functools.wraps(draw)
    def styled(*args, **kwargs):
        import matplotlib as mpl

        with mpl.rc_context(_FONT):
            return draw(*args, **kwargs)

    return styled


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _ramp(colours: tuple[str, ...]):
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("ramp", list(colours))


def _heat(ax, values: np.ndarray, hidden: np.ndarray, colours, lang: str, label: str,
          fig) -> None:
    grid = np.ma.masked_invalid(values.reshape(7, 24))
    image = ax.pcolormesh(np.arange(25) - 0.5, np.arange(8) - 0.5, grid, cmap=_ramp(colours),
                          vmin=0, edgecolors="face", linewidth=0.3)
    ax.set(xlim=(-0.5, 23.5), ylim=(6.5, -0.5))
    from matplotlib.patches import Rectangle

    for slot in np.flatnonzero(hidden):
        ax.add_patch(Rectangle((slot % 24 - 0.5, slot // 24 - 0.5), 1, 1, facecolor="white",
                               edgecolor=SUPPRESSED_COLOUR, hatch="///", lw=0))
    ax.set_yticks(range(7), [t(f"day_{d}", lang) for d in range(7)])
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_title(label, loc="left", fontsize=14, fontweight="bold")
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    bar = fig.colorbar(image, ax=ax, fraction=0.025, pad=0.01)
    bar.outline.set_visible(False)
    bar.solids.set_rasterized(False)  # vector, so the page holds no embedded picture


@_styled
def week_chart(facts, lang: str):
    """Incidents and patrol hours per week by weekday and hour, one heat grid each."""
    with_patrol = facts.week_patrol_hours is not None
    fig = _figure(12, 6.4 if with_patrol else 3.4)
    axes = fig.subplots(2 if with_patrol else 1, 1, squeeze=False)[:, 0]
    _heat(axes[0], facts.week_incidents, facts.week_reason != 0, INCIDENT_COLOURS, lang,
          t("chart_incidents", lang), fig)
    if with_patrol:
        per_week = facts.week_patrol_hours / max(facts.weeks, 1e-9)
        _heat(axes[1], per_week, np.zeros(np.shape(per_week), bool), PRESENCE_COLOURS, lang,
              t("chart_patrol", lang), fig)
    axes[-1].set_xlabel(t("hour", lang))
    fig.tight_layout()
    return fig


@_styled
def hours_chart(facts, total: int | None, lang: str):
    """Share of incidents and of patrol time per hour of the day; night hours shaded."""
    fig = _figure(12, 4.2)
    ax = fig.subplots()
    hours = np.arange(24)
    ax.axvspan(-0.5, 5.5, color="#f0f0f0", lw=0)
    ax.axvspan(21.5, 23.5, color="#f0f0f0", lw=0)
    if total:
        ax.plot(hours, facts.hour_incidents / total * 100, color=INCIDENT_COLOURS[3], lw=3,
                marker="o", label=t("share_incidents", lang))
    if facts.week_patrol_hours is not None and facts.week_patrol_hours.sum() > 0:
        per_hour = facts.week_patrol_hours.reshape(7, 24).sum(axis=0)
        ax.plot(hours, per_hour / per_hour.sum() * 100, color=PRESENCE_COLOURS[3], lw=3,
                marker="s", label=t("share_patrol", lang))
    ax.set_xticks(range(24), [f"{h:02d}" for h in range(24)])
    ax.set_xlim(-0.5, 23.5)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(t("hour", lang))
    ax.yaxis.set_major_formatter(lambda v, _: f"{number(v, lang)} %")
    ax.set_title(t("chart_hours", lang), loc="left", fontsize=13)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, loc="upper left")
    fig.tight_layout()
    return fig


@_styled
def lorenz_chart(facts, bands: list[str], labels: list[str], lang: str):
    """Lorenz curves of the given bands against the even-spread diagonal."""
    fig = _figure(6.5, 5.5)
    ax = fig.subplots()
    ax.plot([0, 100], [0, 100], color="#999999", ls="--", lw=1.5, label=t("even_line", lang))
    # curves that lie on top of each other stay apart: a wide pale line under narrower ones,
    # each with its own dash and marker
    styles = [(INCIDENT_COLOURS[4], "-", 6, None, 0.55), (PRESENCE_COLOURS[4], "--", 2.5, "o", 1),
              ("#333333", ":", 2, "s", 1)]
    for (colour, dash, width, marker, alpha), band, label in zip(styles, bands, labels,
                                                                 strict=False):
        x, y = facts.lorenz.get(band, (np.zeros(0), np.zeros(0)))
        if len(x):
            ax.plot(x * 100, y * 100, color=colour, ls=dash, lw=width, alpha=alpha,
                    marker=marker, markevery=0.12, markersize=6, label=label)
    ax.set(xlim=(0, 100), ylim=(0, 100.5), aspect="equal")
    ax.set_xlabel(t("share_cells", lang))
    ax.set_ylabel(t("share_incidents", lang))
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(lambda v, _: f"{v:.0f} %")
    ax.legend(frameon=False, loc="lower right")
    fig.tight_layout()
    return fig


def poisson_interval(count: int, days: float, *, per_days: float = 30.0,
                     level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval of a Poisson rate, as incidents per ``per_days``.

    >>> [round(v, 2) for v in poisson_interval(10, 30)]
    [4.8, 18.39]
    """
    alpha = 1 - level
    low = chi2.ppf(alpha / 2, 2 * count) / 2 if count > 0 else 0.0
    high = chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    return float(low / days * per_days), float(high / days * per_days)


@_styled
def rates_chart(rows: list[dict], period: dict, labels: list[str], lang: str):
    """Before and after rates per band with exact 95 % intervals."""
    fig = _figure(10, 0.55 * len(rows) + 1.6)
    ax = fig.subplots()
    for i, row in enumerate(rows):
        y = len(rows) - 1 - i
        for shift, key, days, colour in ((0.14, "before", period["days_before"], "#777777"),
                                         (-0.14, "after", period["days_after"], _GAP)):
            low, high = poisson_interval(row[key], days)
            ax.plot([low, high], [y + shift] * 2, color=colour, lw=3, solid_capstyle="butt")
            ax.plot(row[key] / days * 30, y + shift, "o", color=colour, ms=8,
                    label=t(f"col_{key}", lang) if i == 0 else None)
    ax.set_yticks(range(len(rows)), labels[::-1])
    ax.set_xlim(left=0)
    ax.set_title(t("chart_rates", lang), loc="left", fontsize=13)
    ax.legend(frameon=False, loc="lower right", ncols=2)
    fig.tight_layout()
    return fig


@_styled
def coverage_chart(labels: list[str], shares: list[tuple[float | None, float | None]],
                   texts: list[list[str]], legend: list[str], lang: str):
    """Per band, two bars: the share of incidents covered at all and the share covered in a
    language; a share that is not shown has no bar, only its words (``texts``)."""
    fig = _figure(7, 0.75 * len(labels) + 2.2)
    ax = fig.subplots()
    colours = (PRESENCE_COLOURS[2], PRESENCE_COLOURS[4])
    hatches = (None, "//")
    for i, (pair, words) in enumerate(zip(shares, texts, strict=True)):
        y = len(labels) - 1 - i
        for j, (share, word) in enumerate(zip(pair, words, strict=True)):
            at = y + (0.19 if j == 0 else -0.19)
            if share is None:
                ax.text(1, at, word, va="center", fontsize=11, color="#666666")
                continue
            ax.barh(at, share * 100, height=0.36, color=colours[j], hatch=hatches[j],
                    edgecolor="white", label=legend[j] if i == 0 else None)
            ax.text(share * 100 + 1, at, word, va="center", fontsize=11)
    for j, colour in enumerate(colours):  # every bar in the legend, even one never drawn
        if not any(pair[j] is not None for pair in shares):
            ax.barh(0, 0, color=colour, hatch=hatches[j], label=legend[j])
    ax.set_yticks(range(len(labels)), labels[::-1])
    ax.set_xlim(0, 112)
    ax.set_xticks(range(0, 101, 20), [f"{v} %" for v in range(0, 101, 20)])
    ax.tick_params(axis="y", length=0)
    ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=1)
    ax.set_title(t("chart_coverage", lang), loc="left", fontsize=13, pad=52)
    fig.tight_layout()
    return fig


@_styled
def overview_chart(published, lang: str, context=None):
    """A small map of incidents per cell (all hours) with the river, landmarks and posts."""
    from geo.outputs.picture import cell_colours

    shapes = project_shapes(published)
    fig = _figure(7.5, 5.2)
    ax = fig.add_axes((0, 0, 1, 1))
    draw_map(ax, shapes, cell_colours(published, "incidents", "all", lang), published.posts,
             s=0.55, lang=lang, context=context, crs=published.metric_crs())
    return fig


def locator_chart(published, gaps: tuple[dict, ...], suggested: list[dict], lang: str,
                  context=None):
    """The area with the top gap cells numbered and the suggested posts marked."""
    shapes = project_shapes(published)
    fig = _figure(7.5, 6.5)
    ax = fig.add_axes((0, 0, 1, 1))
    faces = ["#ffffff"] * len(published.cells)
    for row in gaps:
        faces[row["row"]] = _GAP
    import pyproj

    to_m = pyproj.Transformer.from_crs(4326, published.metric_crs(), always_xy=True)
    hexes = shapes[0]
    numbers = [(*hexes[row["row"]][:-1].mean(axis=0), row) for row in gaps]
    stars = [(*to_m.transform(s["lng"], s["lat"]), s) for s in suggested]
    draw_map(ax, shapes, faces, published.posts, s=0.55, lang=lang, context=context,
             crs=published.metric_crs(),
             keep_clear_xy=[(x, y) for x, y, _ in numbers]
             + [(x, y - d) for x, y, _ in stars for d in (0, 110, 220)])
    for x, y, row in numbers:
        ax.text(x, y, str(row["rank"]), ha="center", va="center", fontsize=10,
                fontweight="bold", color="white")
    for x, y, s in stars:
        ax.plot(x, y, marker="*", ms=22, color=SUGGESTED_COLOUR, mec="white", zorder=6)
        ax.text(x, y - 110, f"P{s['rank']}", ha="center", va="top", fontsize=11,
                fontweight="bold", color=SUGGESTED_COLOUR, zorder=6)
    return fig


_LONG_NUMBER = re.compile(r"(\d+\.\d)\d+")


def to_svg(fig, name: str) -> str:
    """Inline SVG of a chart: no XML header or metadata, numbers to one decimal, ids unique
    to ``name``."""
    import matplotlib as mpl

    buffer = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": name, "svg.fonttype": "none", **PLAIN_TEXT}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None,
                                                    "Format": None, "Type": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    text = _LONG_NUMBER.sub(r"\1", text)
    text = re.sub(r'\bid="', f'id="{name}-', text)
    text = re.sub(r"url\(#", f"url(#{name}-", text)
    return re.sub(r'xlink:href="#', f'xlink:href="#{name}-', text)


def to_png(fig, *, dpi: int = 200) -> bytes:
    """The chart as PNG bytes with no metadata but the tool's name."""
    import matplotlib as mpl

    buffer = io.BytesIO()
    with mpl.rc_context(PLAIN_TEXT):
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": "patrolmap"})
    return buffer.getvalue()
