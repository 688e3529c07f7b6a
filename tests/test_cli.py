"""The command line as a user meets it: exit codes, one-line errors, demo, check, sample, build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import INSIDE_LATLNG, write_text

from geo.cli import main


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``patrolmap`` console command."""
    exe = Path(sys.executable).with_name("patrolmap")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_help_for_the_command_and_each_subcommand():
    assert run("--help").returncode == 0
    for sub in ("demo", "check", "sample", "build"):
        done = run(sub, "--help")
        assert done.returncode == 0 and "usage: patrolmap " + sub in done.stdout


def test_bad_usage_exits_2_without_traceback():
    for args in (["build"], ["frobnicate"], ["build", "--res", "x"], []):
        done = run(*args)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    assert main(["-q", "sample", "--out", str(out), "--days", "21"]) == 0
    return out


def test_sample_writes_every_format_and_a_recipe(sample_dir):
    names = {p.name for p in sample_dir.iterdir()}
    assert {"incidents.csv", "patrols.parquet", "patrols_sample.gpx", "patrols_week.csv",
            "posts.csv", "README.md", "recipe.toml"} <= names
    assert "synthetic" in (sample_dir / "README.md").read_text().lower()


def test_check_reports_and_reconciles_each_sample_file(sample_dir, tmp_path):
    files = [sample_dir / n for n in ("incidents.csv", "patrols_week.csv",
                                      "patrols_sample.gpx", "posts.csv")]
    done = run("check", *map(str, files), "--rejects-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "incidents.csv: incidents:" in out and "patrols_week.csv: pings:" in out
    assert "patrols_sample.gpx: pings:" in out and "posts.csv: posts:" in out
    for line in out.splitlines():
        if " rows read, " in line:
            read, accepted, rejected = (int(x.split()[0].replace(",", ""))
                                        for x in line.split(": ")[-1].split(", "))
            assert read == accepted + rejected
    rejects = pd.read_csv(tmp_path / "incidents_rejects.csv")
    assert set(rejects.columns) == {"row", "column", "reason", "value"}
    assert len(rejects) > 0


def test_build_from_the_sample_recipe_in_another_folder(sample_dir, tmp_path):
    done = run("build", "--recipe", str(sample_dir / "recipe.toml"),
               "--out", str(tmp_path / "monthly.html"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "monthly.html").read_text()
    assert "Synthetic sample" in html
    restricted = tmp_path.with_name(f"{tmp_path.name}-restricted")
    assert (restricted / "rejects" / "incidents_rejects.csv").exists()
    assert not (tmp_path / "rejects").exists()  # never beside the community files


def test_demo_from_any_folder_writes_the_map(tmp_path):
    done = run("demo", "--days", "14", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "maps" / "north_mitrovica.html").read_text()
    assert "North Mitrovica" in page and "synthetic" in page.lower()


def test_incidents_alone_make_a_map(tmp_path, incidents_csv):
    out = tmp_path / "m.html"
    assert main(["-q", "build", "--incidents", str(incidents_csv), "--out", str(out)]) == 0
    assert out.exists()


def test_file_errors_are_one_line_naming_the_file(tmp_path, capsys):
    empty = write_text(tmp_path / "empty.csv", "")
    assert main(["build", "--incidents", str(empty)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(empty) in err and "empty" in err


def test_data_from_another_city_suggests_area_options(tmp_path, capsys):
    rows = "\n".join(f"44.81{i},20.46{i},2025-06-01 21:00" for i in range(9))
    path = write_text(tmp_path / "belgrade.csv", "lat,lon,time\n" + rows + "\n")
    assert main(["build", "--incidents", str(path), "--out", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert "outside the study area" in err and "--area extent" in err
    assert main(["-q", "build", "--incidents", str(path), "--area", "extent",
                 "--out", str(tmp_path / "belgrade.html")]) == 0


def test_area_name_not_found_lists_names(tmp_path, capsys, incidents_csv):
    import geopandas as gpd
    from shapely.geometry import box

    gpd.GeoDataFrame({"name": ["Zvečan"]}, geometry=[box(20.8, 42.9, 20.83, 42.93)],
                     crs=4326).to_file(tmp_path / "b.geojson")
    code = main(["build", "--incidents", str(incidents_csv), "--area",
                 str(tmp_path / "b.geojson"), "--area-name", "Nowhere"])
    assert code == 2
    assert "no feature named 'Nowhere'; column 'name' has, closest first: 'Zvečan'" in \
        capsys.readouterr().err


def test_bad_recipe_is_a_clear_error(tmp_path, capsys):
    recipe = write_text(tmp_path / "r.toml", "[inputs\nincidents = 'x.csv'\n")
    assert main(["build", "--recipe", str(recipe)]) == 2
    assert "not a valid TOML recipe" in capsys.readouterr().err


def test_hostile_text_in_title_and_categories_is_escaped(tmp_path):
    lat, lng = INSIDE_LATLNG[0]
    rows = "\n".join(f'{lat},{lng},2025-06-0{i} 21:00,"<script>alert(1)</script>"'
                     for i in range(1, 8))
    path = write_text(tmp_path / "h.csv", "lat,lon,time,category\n" + rows + "\n")
    out = tmp_path / "h.html"
    assert main(["-q", "build", "--incidents", str(path), "--out", str(out), "--title",
                 '"><img src=x onerror=alert(1)>']) == 0
    page = out.read_text()
    assert "<img src=x" not in page and "<script>alert(1)" not in page


def test_progress_only_for_a_watching_person_and_large_inputs(tmp_path, monkeypatch, capsys):
    from geo import _progress

    big = tmp_path / "big.parquet"
    big.write_bytes(b"0" * (_progress.LARGE_BYTES + 1))
    small = write_text(tmp_path / "small.csv", "a,b\n")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert _progress.wanted([big]) and not _progress.wanted([small])
    assert not _progress.wanted([big], quiet=True)
    with _progress.Steps(2, enabled=True) as steps:
        steps.next("reading big.parquet")
        steps.next("patrol presence")
    assert "patrol presence" in capsys.readouterr().err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert not _progress.wanted([big])


def test_pictures_and_language_from_the_command_line(sample_dir, tmp_path, capsys):
    out = tmp_path / "m.html"
    assert main(["-q", "build", "--recipe", str(sample_dir / "recipe.toml"), "--out", str(out),
                 "--png", "--pdf", str(tmp_path / "print.pdf"), "--picture", "gaps:night",
                 "--lang", "sr-Latn"]) == 0
    assert (tmp_path / "m.png").stat().st_size > 10_000
    assert (tmp_path / "print.pdf").read_bytes().startswith(b"%PDF")
    assert '"lang":"sr-Latn"' in out.read_text(encoding="utf-8")
    assert main(["build", "--recipe", str(sample_dir / "recipe.toml"), "--out", str(out),
                 "--png", "--picture", "heat"]) == 2
    assert "--picture heat: choose one of incidents, presence, hotspots, gaps" in (
        capsys.readouterr().err)
    with pytest.raises(SystemExit) as stop:
        main(["build", "--recipe", str(sample_dir / "recipe.toml"), "--lang", "de"])
    assert stop.value.code == 2


def test_the_readme_recipe_is_a_valid_recipe(tmp_path):
    from geo.recipe import load_recipe

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    settings = load_recipe(write_text(tmp_path / "r.toml", block))
    assert settings["incidents"].endswith("incidents_2025_10.xlsx")
    assert settings["picture"] == "gaps:night" and settings["lang"] == "sr-Latn"


def test_public_api_names_resolve():
    import geo

    for name in geo.__all__:
        assert getattr(geo, name) is not None, name
    with pytest.raises(AttributeError):
        geo.nothing_here  # noqa: B018


@pytest.mark.parametrize("extra, message", [
    (["--tz", "Mars/Base"], "not a known time zone"),
    (["--area", "INCIDENTS"], "holds no geometry"),
    (["--k-ring", "0"], "--k-ring must be at least 1"),
    (["--bands", "night=22-06,night=1-2"], "given twice"),
    (["--epsilon", "-1"], "privacy budget must be a number from 0.01"),
])
def test_odd_options_get_one_line_errors(sample_dir, tmp_path, capsys, extra, message):
    extra = [str(sample_dir / "incidents.csv") if e == "INCIDENTS" else e for e in extra]
    code = main(["build", "--recipe", str(sample_dir / "recipe.toml"), "--out",
                 str(tmp_path / "m.html"), *extra])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


def test_zero_is_an_answer_not_a_missing_option(sample_dir, tmp_path, capsys):
    assert main(["build", "--recipe", str(sample_dir / "recipe.toml"), "--out",
                 str(tmp_path / "m.html"), "--new-posts", "0"]) == 0
    assert "new posts for" not in capsys.readouterr().out


@pytest.mark.slow
def test_build_with_population_language_and_evaluation(tmp_path, capsys):
    import h3
    import pandas as pd

    from geo.analysis.cells import area_to_cells, cells_to_str
    from geo.inputs.area import default_area
    from geo.sample import write_sample

    files = write_sample(tmp_path / "s", days=60, start="2025-05-01")
    parents = sorted({h3.cell_to_parent(c, 8)
                      for c in cells_to_str(area_to_cells(default_area(), res=9))})
    population = tmp_path / "kontur_population.csv"
    pd.DataFrame({"h3": parents, "population": 800}).to_csv(population, index=False)
    out = tmp_path / "m.html"
    gis = tmp_path / "cells.gpkg"
    assert main(["build", "--recipe", str(files["recipe"]), "--out", str(out),
                 "--population", str(population), "--language", "sq",
                 "--evaluate-from", "2025-06-01", "--new-posts", "0", "--no-report-pdf",
                 "--audience", "analyst", "--gis", str(gis)]) == 0
    text = capsys.readouterr().out
    assert "incidents per 1,000 residents" in text
    assert "incidents within reach of a post speaking 'sq': all " in text
    assert "hot spots before 2025-06-01 as predictions" in text
    assert "clusters and outliers (Local Moran" in text
    assert "wrong denominator" in text
    import geopandas as gpd

    cells = gpd.read_file(gis)
    for column in ("inside_share", "population", "rate_eb_night", "lisa_night",
                   "lisa_q_night", "covered_lang_night", "gi_p_night"):
        assert column in cells.columns
    assert main(["build", "--recipe", str(files["recipe"]), "--out", str(out),
                 "--population", str(tmp_path / "nope.csv")]) == 2
    assert "population file not found" in capsys.readouterr().err


def test_a_missing_library_says_to_install_again(monkeypatch, capsys):
    """An install older than its code (a library added since) is one line that says what to
    do, not an internal error."""
    import geo.cli

    def demo(_args):
        msg = "No module named 'babel'"
        raise ModuleNotFoundError(msg, name="babel")

    monkeypatch.setitem(geo.cli._COMMANDS, "demo", demo)
    assert main(["demo"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'babel' is not installed" in err
    assert "pip install ." in err and "internal error" not in err
