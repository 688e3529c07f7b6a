"""Clusters, rates, reported visits and coverage in a language, as a community release shows them.

Each is recomputed here from the published GIS file alone (hidden counts at their stand-ins),
the way anyone holding the files could: what the release shows must be exactly that, so it
says nothing the published counts do not.
"""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest

from geo.analysis.cells import area_to_cells, cells_to_str, str_to_cells
from geo.analysis.clusters import local_moran
from geo.analysis.rates import incident_rates
from geo.analysis.steps import Settings
from geo.inputs.area import default_area
from geo.pipeline import build, load_inputs
from geo.privacy.audit import audit_paths
from geo.sample import write_sample

K = 5


def _stand_ins(gis: gpd.GeoDataFrame, band: str) -> np.ndarray:
    shown_as = gis[f"incidents_{band}_shown_as"].fillna("")
    values = gis[f"incidents_{band}"].fillna(0).to_numpy(float)
    values = np.where(shown_as == f"fewer than {K}", K // 2, values)
    return np.where(shown_as == "not shown", K, values).astype(np.int64)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """A community build of two months of the sample with residents, a language and
    reported patrol visits."""
    tmp = tmp_path_factory.mktemp("layers")
    files = write_sample(tmp / "s", days=61, start="2025-05-01")
    parents = sorted({h3.cell_to_parent(c, 8)
                      for c in cells_to_str(area_to_cells(default_area(), res=9))})
    rng = np.random.default_rng(4)
    population = tmp / "kontur_population.csv"
    pd.DataFrame({"h3": parents, "population": rng.integers(0, 2500, len(parents))}).to_csv(
        population, index=False)
    area = default_area().geometry.representative_point()
    visits = tmp / "reported_visits.csv"
    pd.DataFrame({"unit": ["P1", "P2", "P1"], "lat": [area.y] * 3, "lon": [area.x] * 3,
                  "time": ["2025-05-03 21:10", "2025-05-10 23:40", "2025-06-02 13:00"],
                  "duration": [20, 15, 30]}).to_csv(visits, index=False)
    inputs = load_inputs(files["incidents"], patrols=[files["patrols"]],
                         posts=[files["posts"]], population=population,
                         patrol_points=[visits])
    out = tmp / "maps" / "m.html"
    result = build(inputs, out, synthetic=True, report_pdf=False,
                   gis=out.with_name("cells.gpkg"),
                   settings=Settings(language="sr", new_posts=0))
    return out.parent, gpd.read_file(out.with_name("cells.gpkg")), result


def test_clusters_are_local_moran_of_the_published_counts(release):
    _, gis, _ = release
    cells = str_to_cells(gis["cell"].tolist())
    for band in ("all", "night"):
        expected = local_moran(_stand_ins(gis, band), cells).frame["cls"].to_numpy(dtype=str)
        assert (gis[f"cluster_{band}"].to_numpy(dtype=str) == expected).all()
    assert set(gis["cluster_all"]) <= {"high-high", "low-low", "high-low", "low-high",
                                       "not significant"}


def test_rates_are_smoothed_from_the_published_counts_and_public_residents(release):
    _, gis, _ = release
    residents = gis["residents"].to_numpy(float)
    assert (residents >= 0).all() and (residents > 0).any()
    for band in ("all", "night"):
        _, eb = incident_rates(_stand_ins(gis, band), residents)
        np.testing.assert_allclose(gis[f"rate_eb_{band}"].to_numpy(float), np.round(eb, 2),
                                   equal_nan=True)
        assert np.isnan(gis[f"rate_eb_{band}"].to_numpy(float)[residents == 0]).all()
    assert not any(c.startswith("rate_") and "eb" not in c for c in gis.columns)


def test_reported_visits_are_by_cell_and_in_their_bands(release):
    _, gis, _ = release
    assert int(gis["reported_visits_all"].sum()) == 3
    for band, visits in (("day", 1), ("evening", 1), ("night", 1)):  # 13:00, 21:10, 23:40
        assert int(gis[f"reported_visits_{band}"].sum()) == visits
    assert int((gis["reported_visits_all"] > 0).sum()) == 1
    assert not {"lat", "lon", "lng", "unit"} & set(gis.columns)


def test_the_folder_with_every_layer_passes_the_audit(release, capfd):
    folder, _, _ = release
    capfd.readouterr()
    results = audit_paths([folder])
    assert results and all(r.ok for r in results), [r.report() for r in results if not r.ok]
    printed = capfd.readouterr()
    assert "HiGHS" not in printed.out + printed.err  # the solver's banner stays quiet


def test_coverage_in_a_language_is_a_published_area_count(release):
    """The share of incidents within reach of posts speaking the language is the share the
    analysis finds, where the covered count (an area row of the release) is shown; the row is
    in the release record, so the audit's joint model holds it with every other count."""
    _, _, result = release
    published, analysis = result.published, result.analysis
    assert published.language == "sr"
    rows = published.release["rows"]
    assert {r["area"] for r in rows if r["t"] == "area"} >= {"covered_lang_all",
                                                            "covered_lang_night"}
    exact = analysis.language_coverage
    shown = 0
    for band in published.bands:
        figure = published.report.figures[band]
        assert figure["cells_covered_lang"] == int(exact.loc[band, "cells_covered"])
        if figure["coverage_lang"] is not None:
            shown += 1
            assert figure["coverage_lang"] == round(exact.loc[band, "covered"]
                                                    / exact.loc[band, "incidents"], 3)
    assert shown >= 1
