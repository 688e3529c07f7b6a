"""``patrolmap audit``: check produced files before they are shown to anyone, from the files
alone.

Each file is held to what its renderer writes (:mod:`geo.privacy._audit_files`): an allowlist
of structure, words and metadata, no small count, no position but cells, declared posts and
cell-centre sites, no path. Then the files of a folder are read together, as an attacker
would: every count that a map, report or GIS file of any release in the folder publishes
goes into one disclosure model (:mod:`geo.privacy.model`), and the audit fails with every
hidden count of 1..k-1 the joint system pins (:mod:`geo.privacy.attack`), within one release
or across releases (last month's map beside this month's). A restricted file (analyst output,
rejects, a ledger) in a folder meant for a meeting is a problem too.

Exit code 0 when every file is clean, 1 when any has a problem, 2 when a file cannot be read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from geo.privacy._audit_files import (
    Finding,
    audit_gis,
    audit_map,
    audit_pdf,
    audit_png,
    audit_report,
)
from geo.privacy.release import (
    COMPLEMENT,
    SHOWN,
    SMALL,
    ReleaseSpec,
    cell_rows,
    expand_spec,
    spec_cells,
)

__all__ = ["AuditResult", "audit_file", "audit_paths", "OUTPUT_SUFFIXES"]

OUTPUT_SUFFIXES = (".html", ".htm", ".png", ".pdf", ".gpkg", ".parquet", ".geoparquet")
_RESTRICTED_SUFFIXES = (".sqlite", ".db", ".csv", ".xlsx", ".gpx")


@dataclass
class AuditResult:
    """Problems found in one file (or a folder's joint model); ``ok`` when there are none."""

    path: Path
    kind: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    finding: Finding | None = None
    unreadable: bool = False

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems

    def report(self) -> str:
        """Lines for a person: the verdict, then each problem."""
        head = f"{self.path}: {self.kind}: {'ok' if self.ok else 'PROBLEMS'}"
        return "\n".join([head, *(f"  problem: {p}" for p in self.problems),
                          *(f"  note: {n}" for n in self.notes)])


def audit_file(path: str | Path) -> AuditResult:
    """Audit one produced file (HTML, PNG, PDF, GeoPackage, GeoParquet)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        text = path.read_text(encoding="utf-8", errors="replace")
        finding = audit_report(text) if 'id="pm-report"' in text else audit_map(text)
    elif suffix == ".png":
        finding = audit_png(path.read_bytes())
    elif suffix == ".pdf":
        finding = audit_pdf(path)
    elif suffix in (".gpkg", ".parquet", ".geoparquet"):
        finding = audit_gis(path)
    elif suffix in _RESTRICTED_SUFFIXES:
        finding = Finding("restricted file", restricted=True)
        finding.problems.append("input data, rejects or a ledger: restricted, never for a "
                                "community folder")
    else:
        finding = Finding("unknown")
        finding.problems.append(f"not a patrolmap output format ({suffix or 'no extension'})")
    return AuditResult(path, finding.kind, finding.problems, finding.notes, finding)


def _files(paths: Iterable[str | Path]) -> list[Path]:
    out = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and not any(
                part.startswith(".") for part in f.relative_to(p).parts)))
        else:
            out.append(p)
    return out


def audit_paths(paths: Iterable[str | Path]) -> list[AuditResult]:
    """Audit files and folders (recursively), then every release they hold, jointly."""
    results = []
    for path in _files(paths):
        try:
            results.append(audit_file(path))
        except Exception as err:  # noqa: BLE001 - a broken file is a finding, not a crash
            result = AuditResult(path, "unreadable", unreadable=True)
            result.problems.append(f"cannot be read ({type(err).__name__})")
            results.append(result)
    joint = _joint(results)
    return results + ([joint] if joint is not None else [])


def _releases(results: list[AuditResult]) -> dict[str, dict]:
    """Per release fingerprint: its spec, cells, cell values and published rows."""
    out: dict[str, dict] = {}
    for r in results:
        f = r.finding
        if f is None or not f.release or f.restricted or "fingerprint" not in f.release:
            continue
        entry = out.setdefault(f.release["fingerprint"], {"files": [], "rows": {}})
        entry["files"].append(r)
        if "spec" in f.release:
            try:  # all of a file's release block is read before any of it is used
                spec = _file_spec(f)
                triples = list(zip(f.release["rows"], f.release["labels"], f.release["shown"],
                                   strict=True))
                keys = [repr(sorted(row.items())) for row, _, _ in triples]
            except Exception as err:  # noqa: BLE001 - a broken block is a finding, not a crash
                r.problems.append(f"its release block is not the renderer's ({err})")
                continue
            if spec is None:
                r.problems.append("its release lists no cells, so it cannot be read beside "
                                  "the other files")
            else:
                entry["spec"] = spec
            entry["epsilon"] = f.release.get("epsilon")
            for key, (row, label, shown) in zip(keys, triples, strict=True):
                seen = entry["rows"].get(key)
                if seen is not None and seen[1:] != (label, shown):
                    r.problems.append(f"a count differs from another file of the same "
                                      f"release: {row}")
                entry["rows"][key] = (row, label, shown)
        if f.cell_values is not None and f.cells:
            previous = entry.get("cell_values")
            if previous is not None and previous != (f.cells, f.cell_values):
                r.problems.append("cell counts differ from another file of the same release")
            entry["cell_values"] = (f.cells, f.cell_values)
        if f.month_values and f.cells:
            entry["month_values"] = (f.cells, f.month_values)
    return out


def _file_spec(f) -> dict | None:
    """A file's release definition with its cells (listed, packed, or the file's geometry),
    or None when it has none; ValueError when they are not cells the renderer writes."""
    listed = spec_cells(f.release["spec"])
    if not f.cells and listed is None:
        return None
    if f.cells and listed is not None and set(listed) != set(f.cells):
        msg = "its cells are not the cells it draws"
        raise ValueError(msg)
    spec = expand_spec(f.release["spec"], f.cells or listed)
    if not isinstance(spec.get("areas"), dict):
        msg = "its cell sets are not the renderer's"
        raise ValueError(msg)
    return spec


def _add_code(code: int, labels: list, values: list) -> None:
    """A cell count as a page codes it (-1 "fewer than k", -2 "not shown", else the count)
    as a label and a value of the joint model."""
    labels.append(SMALL if code == -1 else COMPLEMENT if code == -2 else SHOWN)
    values.append(np.nan if code < 0 else float(code))


def _release_rows(fingerprint: str, entry: dict):
    """A release's definition, rows, labels and values as its files publish them."""
    spec = ReleaseSpec.from_dict(entry["spec"])
    if spec.fingerprint() != fingerprint:
        entry["files"][0].problems.append("the release's definition does not match its "
                                          "fingerprint")
    r, lab, val = [], [], []
    if "cell_values" in entry:
        cells, cell_values = entry["cell_values"]
        position: dict[str, int] = {}
        for i, cell in enumerate(cells):
            position.setdefault(cell, i)  # a cell's first place, as list.index finds it
        if set(spec.cells) - set(position):
            msg = "its definition lists cells its map does not draw"
            raise ValueError(msg)
        for row in cell_rows(spec):
            r.append(row)
            _add_code(cell_values.get(row["band"], [])[position[row["cell"]]], lab, val)
    if "month_values" in entry:  # the month slider's counts: rows of the same model
        cells, month_values = entry["month_values"]
        for (band, part), codes in month_values.items():
            for cell, code in zip(cells, codes, strict=True):
                r.append({"t": "cell", "cell": cell, "band": band, "part": part})
                _add_code(code, lab, val)
    for row, label, shown in entry["rows"].values():
        r.append(row)
        lab.append(int(label))
        val.append(np.nan if shown is None else float(shown))
    return spec, r, lab, val


def _joint(results: list[AuditResult]) -> AuditResult | None:
    """The joint model of every release the files hold: what the attacker can pin."""
    from geo.privacy.attack import attack
    from geo.privacy.model import build_model

    releases = _releases(results)
    specs, rows, labels, values = [], [], [], []
    for fingerprint, entry in releases.items():
        if "spec" not in entry or entry.get("epsilon") is not None:
            continue
        try:
            spec, r, lab, val = _release_rows(fingerprint, entry)
        except Exception as err:  # noqa: BLE001 - a broken release is a finding, not a crash
            entry["files"][0].problems.append(f"its release cannot be read beside its other "
                                              f"files ({type(err).__name__}: {err})")
            continue
        specs.append(spec)
        rows.append(r)
        labels.append(np.asarray(lab))
        values.append(np.asarray(val, float))
    if not specs:
        return None
    model = build_model(specs, rows, labels=labels, values=values)
    pins, examined = attack(model)
    result = AuditResult(Path(f"{len(specs)} release(s) read together"), "disclosure model")
    result.problems += [f"the published numbers give back {p.describe()}" for p in pins[:20]]
    if len(pins) > 20:
        result.problems.append(f"... and {len(pins) - 20} more counts")
    result.notes.append(f"{examined:,} hidden counts examined over {sum(len(r) for r in rows):,} "
                        "published counts")
    return result
