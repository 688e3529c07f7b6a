#!/usr/bin/env python3
"""Benchmark the HTML map: file size and opening time in headless Chromium.

In one run, with the network cut off:

- the default North Mitrovica map (synthetic year, all layers, self-contained) against an
  empty Leaflet page (the same inlined Leaflet, nothing else);
- a 50,000-cell map (a region at fine resolution, all layers and bands) against a
  1,000-cell map made the same way.

"Opening" is from navigation until the map has drawn its cells. Each page is opened several
times and the median kept. Targets (exit 1 when one is missed):

- default map at most 2 MB and within 2x the empty Leaflet page;
- 50,000-cell map at most 200 bytes per cell and within 5x the 1,000-cell map.

Usage: python scripts/bench_map.py [--repeat N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

READY = "() => window.patrolmap !== undefined || window.__empty_ready === true"


def empty_leaflet_page(path: Path) -> Path:
    """The same inlined Leaflet, one map, nothing drawn: the baseline."""
    from geo._page import _assets

    assets = _assets()
    script, style = assets["@@LEAFLET_JS@@"], assets["@@LEAFLET_CSS@@"]
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<style>{style}</style><script>{script}</script>"
        "<style>html,body,#m{height:100%;margin:0}</style></head><body><div id='m'></div>"
        "<script>window.addEventListener('load',function(){var m=L.map('m',"
        "{preferCanvas:true}).setView([42.89,20.86],14);window.__empty_ready=true;});</script>"
        "</body></html>", encoding="utf-8")
    return path


def default_map(folder: Path) -> Path:
    from geo.cli import main

    assert main(["-q", "demo", "--out", str(folder)]) == 0
    return folder / "north_mitrovica.html"


def region_map(folder: Path, cells_wanted: int, name: str) -> tuple[Path, int]:
    """A map of about ``cells_wanted`` res-11 cells with every layer and band filled (drawn as
    the restricted analyst view: community output never uses res 11, and this measures the
    page, not the privacy gate, which scripts/bench_privacy.py times)."""
    from geo.analysis.steps import Settings, add_gaps, add_hot_spots
    from geo.analysis.table import count_cells
    from geo.inputs.area import extent_area
    from geo.outputs.maps import render_map
    from geo.privacy.gate import publish

    side_km = np.sqrt(cells_wanted * 1.08 * 0.00215)  # res-11 cell ~0.00215 km², + edge loss
    dlat = side_km / 111.0 / 2
    dlng = side_km / (111.0 * np.cos(np.radians(42.89))) / 2
    area = extent_area(np.array([42.89 - dlat, 42.89 + dlat]),
                       np.array([20.86 - dlng, 20.86 + dlng]), pad_m=0)
    rng = np.random.default_rng(5)
    n = cells_wanted * 2
    centres = rng.uniform([42.89 - dlat, 20.86 - dlng], [42.89 + dlat, 20.86 + dlng], (40, 2))
    pick = rng.integers(0, 40, n)
    lat = np.clip(centres[pick, 0] + rng.normal(0, dlat / 8, n), 42.89 - dlat, 42.89 + dlat)
    lng = np.clip(centres[pick, 1] + rng.normal(0, dlng / 8, n), 20.86 - dlng, 20.86 + dlng)
    inside = area.contains_latlng(lat, lng)
    incidents = pd.DataFrame({
        "lat": lat[inside], "lng": lng[inside],
        "time": pd.Timestamp("2025-01-01", tz="UTC")
        + pd.to_timedelta(rng.integers(0, 365 * 86400, inside.sum()), unit="s"),
        "category": rng.choice(["fight", "theft", "narcotics"], inside.sum()),
    })
    table = count_cells(incidents, area, res=11)
    for band in table.band_names:
        table.frame[f"presence_min_{band}"] = np.round(rng.gamma(0.6, 300, len(table.frame)))
    add_hot_spots(table, settings=Settings(permutations=99))
    add_gaps(table)
    published = publish(table, k=5, audience="analyst")
    path = render_map(published, folder / f"{name}.html")
    return path, len(table.frame)


def open_time(browser, path: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.route(lambda url: not url.startswith(("file:", "data:")),
                   lambda route: route.abort())
        start = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_function(READY, timeout=120_000)
        times.append(time.perf_counter() - start)
        page.close()
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="keep the maps in DIR")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="patrolmap-bench-map-"))
    folder.mkdir(parents=True, exist_ok=True)

    empty = empty_leaflet_page(folder / "empty.html")
    default = default_map(folder)
    big, big_cells = region_map(folder, 50_000, "cells_50k")
    small, small_cells = region_map(folder, 1_000, "cells_1k")

    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        print("chromium is not installed (apt-get install chromium)")
        return 2
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        t_empty = open_time(browser, empty, args.repeat)
        t_default = open_time(browser, default, args.repeat)
        t_small = open_time(browser, small, args.repeat)
        t_big = open_time(browser, big, args.repeat)
        browser.close()

    size_default = default.stat().st_size
    per_cell = (big.stat().st_size - small.stat().st_size) / (big_cells - small_cells)
    print(f"empty Leaflet page        {empty.stat().st_size / 1e6:6.2f} MB  {t_empty:6.2f} s")
    print(f"North Mitrovica map       {size_default / 1e6:6.2f} MB  {t_default:6.2f} s")
    print(f"{small_cells:,}-cell map {'':<11}{small.stat().st_size / 1e6:6.2f} MB  "
          f"{t_small:6.2f} s")
    print(f"{big_cells:,}-cell map {'':<10}{big.stat().st_size / 1e6:6.2f} MB  {t_big:6.2f} s")
    results = [
        (f"default map size {size_default / 1e6:.2f} MB (at most 2 MB)",
         size_default <= 2_000_000),
        (f"default map opens in {t_default / t_empty:.2f}x the empty page (at most 2x)",
         t_default <= 2 * t_empty),
        (f"{per_cell:.0f} bytes per cell at {big_cells:,} cells (at most 200)", per_cell <= 200),
        (f"{big_cells:,} cells open in {t_big / t_small:.2f}x the {small_cells:,}-cell map "
         "(at most 5x)", t_big <= 5 * t_small),
    ]
    missed = 0
    for text, ok in results:
        print(f"{'PASS' if ok else 'MISS'}  {text}")
        missed += not ok
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
