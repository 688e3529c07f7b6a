"""Shared fixtures: small inputs made in code, and a headless Chromium for map tests."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# in CI the property tests draw the same examples on every run, so a failure there is one
# anyone reproduces and no run passes or fails by the luck of the draw; elsewhere they draw
# new ones each time
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")

# release ledgers of module- and session-scoped fixtures stay out of the user's data directory
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="patrolmap-test-data-")

# points inside the bundled North Mitrovica area (lat, lng)
INSIDE_LATLNG = [(42.8938, 20.8652), (42.8950, 20.8600), (42.9000, 20.8700),
                 (42.8930, 20.8710), (42.8985, 20.8640), (42.8900, 20.8560)]
SOUTH_OF_RIVER = (42.8800, 20.8650)


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def incidents_csv(tmp_path: Path) -> Path:
    """A clean semicolon CSV of six incidents, Serbian Latin headers and decimal commas."""
    lines = ["id;datum;vreme;kategorija;geografska širina;geografska dužina;beleška"]
    for i, (lat, lng) in enumerate(INSIDE_LATLNG, start=1):
        lines.append(f"{i};0{i}.06.2025;21:3{i};fight;{str(lat).replace('.', ',')};"
                     f"{str(lng).replace('.', ',')};napomena {i}")
    return write_text(tmp_path / "incidents.csv", "\n".join(lines) + "\n")


def _chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright; missing in CI is a failure, not a skip."""
    executable = _chromium_path()
    if executable is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is not installed; the browser tests must run in CI")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=executable, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"],
        )
        yield chromium
        chromium.close()


_RENDERERS = (("geo.outputs.maps", "render_map"), ("geo.pipeline", "render_map"),
              ("geo.outputs.picture", "render_picture"), ("geo.pipeline", "render_picture"),
              ("geo.outputs.gis", "write_published"), ("geo.pipeline", "write_published"),
              ("geo.outputs.report", "render_report"), ("geo.pipeline", "render_report"),
              ("geo.outputs.report", "render_report_pdf"), ("geo.pipeline", "render_report_pdf"))


@pytest.fixture(autouse=True, scope="module")
def module_ledgers(tmp_path_factory):
    """Each test module has its own data directory too, so the release ledgers of its
    module-scoped builds never meet another module's (one worker runs many modules)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-module")))
        yield


@pytest.fixture(autouse=True)
def own_ledgers(monkeypatch, tmp_path_factory):
    """Each test has its own data directory (outside its ``tmp_path``), so release ledgers
    never cross tests."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


@pytest.fixture(autouse=True)
def audit_every_output(monkeypatch):
    """Every community file a test makes passes ``patrolmap audit`` as soon as it is written."""
    import importlib

    from geo.privacy.audit import audit_file

    def audited(render):
        def wrapper(published, path, *args, **kwargs):
            written = render(published, path, *args, **kwargs)
            if getattr(published, "audience", "community") == "community":
                result = audit_file(written)
                assert result.ok, result.report()
            return written
        return wrapper

    for module_name, name in _RENDERERS:
        module = importlib.import_module(module_name)
        monkeypatch.setattr(module, name, audited(getattr(module, name)))
    yield


KOSOVO_MUNICIPALITIES = (
    "Deçan", "Dragash", "Ferizaj", "Fushë Kosovë", "Gjakovë", "Gjilan", "Drenas", "Graçanicë",
    "Hani i Elezit", "Istog", "Junik", "Kaçanik", "Kamenicë", "Klinë", "Kllokot", "Leposaviq",
    "Lipjan", "Malishevë", "Mamushë", "Mitrovicë e Jugut", "Mitrovicë e Veriut", "Novobërdë",
    "Obiliq", "Partesh", "Pejë", "Podujevë", "Prishtinë", "Prizren", "Rahovec", "Ranillug",
    "Shtërpcë", "Shtime", "Skënderaj", "Suharekë", "Viti", "Vushtrri", "Zubin Potok", "Zveçan")


def national_boundaries(path: Path) -> Path:
    """A national boundary file in the shape agencies publish: 38 municipalities (a grid of
    boxes over Kosovo, North Mitrovica its bundled outline) in KOSOVAREF01, with name and
    code columns."""
    import geopandas as gpd
    from shapely.geometry import box

    from geo.inputs.area import default_area

    shapes = []
    for i, name in enumerate(KOSOVO_MUNICIPALITIES):
        row, col = divmod(i, 7)
        west, south = 20.0 + col * 0.26, 41.85 + row * 0.24
        shapes.append(default_area().geometry if name == "Mitrovicë e Veriut"
                      else box(west, south, west + 0.25, south + 0.23))
    frame = gpd.GeoDataFrame({"shapeISO": [f"XK-{i:02d}" for i in range(len(shapes))],
                              "shapeName": list(KOSOVO_MUNICIPALITIES)},
                             geometry=shapes, crs=4326).to_crs(9141)
    frame.to_file(path, layer="municipalities", driver="GPKG")
    return path


@pytest.fixture(scope="module")
def published():
    """A few hundred incidents around the centre, published at k=5."""
    import numpy as np
    import pandas as pd

    from geo.analysis.steps import Settings, analyse
    from geo.inputs.area import default_area
    from geo.privacy.gate import publish

    area = default_area()
    rng = np.random.default_rng(4)
    n = 600
    inc = pd.DataFrame({
        "lat": 42.8938 + rng.normal(0, 0.003, n), "lng": 20.8652 + rng.normal(0, 0.004, n),
        "time": pd.Timestamp("2025-03-01", tz="UTC") + pd.to_timedelta(
            rng.integers(0, 90 * 86400, n), unit="s"),
        "category": rng.choice(["fight", "theft"], n)})
    inc = inc[area.contains_latlng(inc["lat"].to_numpy(), inc["lng"].to_numpy())]
    pings = pd.DataFrame({"unit": "V1", "lat": inc["lat"].to_numpy()[:200],
                          "lng": inc["lng"].to_numpy()[:200],
                          "time": pd.date_range("2025-03-01", periods=200, freq="30s",
                                                tz="UTC")})
    return publish(analyse(inc.reset_index(drop=True), area, pings=pings,
                           settings=Settings(permutations=999)).table, k=5)
