#!/usr/bin/env python3
"""Benchmark the HTML map: file size and opening time in headless Chromium.

In one run, with the network cut off:

- the default North Mitrovica map (synthetic year, all layers, self-contained) against an
  empty Leaflet page (the same inlined Leaflet, nothing else);
- a 100,000-cell map (a country at res 9, about the size of Kosovo, with every layer and band:
  incidents, hot spots, clusters, patrol hours, gaps, reported visits and rates) against a
  1,000-cell map made the same way. Both are drawn as the restricted analyst view, whose
  layers are a community map's (its counts exact, so this measures the page, not the privacy
  gate, which scripts/bench_privacy.py times); the analyst's emerging hot spots, which a
  community map never holds, are left out.

"Opening" is from navigation until the map has drawn its cells and the browser has painted
that frame (two animation frames after the page's script ends: the canvases are rasterised in
the first). Each page is opened several times and the median kept, with the part of it spent
before the page's script starts (reading and parsing the file: the load event). The bytes
per cell of the large map are also broken down into its geometry and each layer. Targets
(exit 1 when one is missed):

- default map at most 2 MB and within 2x the empty Leaflet page;
- 100,000-cell map at most 60 bytes per cell (what it holds beyond the 1,000-cell map, per
  cell beyond) and within 5x the 1,000-cell map.

Usage: python scripts/bench_map.py [--repeat N] [--keep DIR] [--no-default]
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
PAINTED = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
LOADED = "() => performance.timing.loadEventStart - performance.timing.navigationStart"


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
    """A map of about ``cells_wanted`` res-9 cells with every layer and band filled."""
    from geo.analysis.steps import Settings, add_gaps, add_hot_spots
    from geo.analysis.table import count_cells
    from geo.inputs.area import extent_area
    from geo.outputs.maps import render_map
    from geo.privacy.gate import publish

    lat0, lng0 = 42.6, 20.9
    side_km = np.sqrt(cells_wanted * 0.1146)  # res-9 cells here ~0.115 km² (0.105 on average)
    dlat = side_km / 111.0 / 2
    dlng = side_km / (111.0 * np.cos(np.radians(lat0))) / 2
    area = extent_area(np.array([lat0 - dlat, lat0 + dlat]),
                       np.array([lng0 - dlng, lng0 + dlng]), pad_m=0, limit_km2=None)
    rng = np.random.default_rng(5)
    n = cells_wanted * 2
    centres = rng.uniform([lat0 - dlat, lng0 - dlng], [lat0 + dlat, lng0 + dlng], (40, 2))
    pick = rng.integers(0, 40, n)
    lat = np.clip(centres[pick, 0] + rng.normal(0, dlat / 8, n), lat0 - dlat, lat0 + dlat)
    lng = np.clip(centres[pick, 1] + rng.normal(0, dlng / 8, n), lng0 - dlng, lng0 + dlng)
    inside = area.contains_latlng(lat, lng)
    incidents = pd.DataFrame({
        "lat": lat[inside], "lng": lng[inside],
        "time": pd.Timestamp("2025-01-01", tz="UTC")
        + pd.to_timedelta(rng.integers(0, 365 * 86400, inside.sum()), unit="s"),
        "category": rng.choice(["fight", "theft", "narcotics"], inside.sum()),
    })
    table = count_cells(incidents, area, res=9)
    frame = table.frame
    for band in table.band_names:
        frame[f"presence_min_{band}"] = np.round(rng.gamma(0.6, 300, len(frame)))
        frame[f"report_visits_{band}"] = rng.poisson(0.5, len(frame)).astype(np.int64)
    frame["population"] = np.round(rng.gamma(0.8, 300, len(frame)) * (rng.random(len(frame))
                                                                       < 0.8))
    add_hot_spots(table, settings=Settings(permutations=99))
    add_gaps(table)
    published = publish(table, k=5, audience="analyst")
    path = render_map(published, folder / f"{name}.html")
    return path, len(table.frame)


def bytes_per_cell(path: Path, cells: int) -> dict[str, float]:
    """What the page's data block spends per cell: the geometry, and each layer."""
    import json

    from geo._page import MAP_DATA

    data = json.loads(MAP_DATA.findall(path.read_text(encoding="utf-8"))[0])
    size = {"geometry": len(json.dumps(data["geom"], separators=(",", ":")))}
    for name, layer in data["layers"].items():
        size[name] = len(json.dumps(layer, separators=(",", ":")))
    size["everything else"] = path.stat().st_size - sum(size.values())
    return {k: v / cells for k, v in size.items()}


def open_time(browser, path: Path, repeat: int) -> tuple[float, float]:
    """Median seconds to open ``path`` and, of those, until its load event."""
    times, loaded = [], []
    for _ in range(repeat):
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.route(lambda url: not url.startswith(("file:", "data:")),
                   lambda route: route.abort())
        start = time.perf_counter()
        page.goto(path.as_uri(), timeout=120_000)
        page.wait_for_function(READY, timeout=120_000)
        page.evaluate(PAINTED)
        times.append(time.perf_counter() - start)
        loaded.append(page.evaluate(LOADED) / 1000)
        page.close()
    return statistics.median(times), statistics.median(loaded)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="keep the maps in DIR")
    parser.add_argument("--no-default", action="store_true",
                        help="leave out the default map (the demo's year of pings takes minutes)")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="patrolmap-bench-map-"))
    folder.mkdir(parents=True, exist_ok=True)

    empty = empty_leaflet_page(folder / "empty.html")
    default = None if args.no_default else default_map(folder)
    big, big_cells = region_map(folder, 100_000, "cells_100k")
    small, small_cells = region_map(folder, 1_000, "cells_1k")

    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        print("chromium is not installed (apt-get install chromium)")
        return 2
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        t_empty, _ = open_time(browser, empty, args.repeat)
        t_default = open_time(browser, default, args.repeat)[0] if default else None
        t_small, load_small = open_time(browser, small, args.repeat)
        t_big, load_big = open_time(browser, big, args.repeat)
        browser.close()

    # the page's cost per cell, over what any page holds (Leaflet, the words of four languages)
    per_cell = (big.stat().st_size - small.stat().st_size) / (big_cells - small_cells)
    print(f"empty Leaflet page        {empty.stat().st_size / 1e6:6.2f} MB  {t_empty:6.2f} s")
    results = []
    if default:
        size_default = default.stat().st_size
        print(f"North Mitrovica map       {size_default / 1e6:6.2f} MB  {t_default:6.2f} s")
        results += [
            (f"default map size {size_default / 1e6:.2f} MB (at most 2 MB)",
             size_default <= 2_000_000),
            (f"default map opens in {t_default / t_empty:.2f}x the empty page (at most 2x)",
             t_default <= 2 * t_empty)]
    print(f"{small_cells:,}-cell map {'':<11}{small.stat().st_size / 1e6:6.2f} MB  "
          f"{t_small:6.2f} s  (file read by {load_small:.2f} s)")
    print(f"{big_cells:,}-cell map {'':<9}{big.stat().st_size / 1e6:6.2f} MB  {t_big:6.2f} s  "
          f"(file read by {load_big:.2f} s)")
    for part, size in bytes_per_cell(big, big_cells).items():
        print(f"  {part:<22}{size:7.1f} bytes per cell")
    results += [
        (f"{per_cell:.0f} bytes per cell at {big_cells:,} cells (at most 60)", per_cell <= 60),
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
