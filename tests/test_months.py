"""The month slider: presence and incidents per calendar month, and what they give back.

Presence per month is patrol data and must add up to the whole period exactly; incident
counts per cell and month are more rows of the one disclosure model, so the gate protects
them beside every other count and the attacker reads them with everything else.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from test_disclosure import CELLS4, make_events, oracle_pins, published, spec_of

from geo._page import MAP_DATA
from geo.analysis.cells import points_to_cells
from geo.analysis.presence import pings_to_presence
from geo.cli import main
from geo.privacy._audit_files import audit_map
from geo.privacy._spec import _month_windows, month_rows
from geo.privacy.attack import attack
from geo.privacy.audit import audit_paths
from geo.privacy.disclosure import protect
from geo.privacy.model import build_model
from geo.privacy.release import SHOWN, SMALL, ReleaseSpec, area_rows, cell_rows


def _pings(rng, n: int, days: int) -> pd.DataFrame:
    start = pd.Timestamp("2025-01-20", tz="UTC")
    return pd.DataFrame({
        "unit": rng.integers(0, 4, n),
        "time": start + pd.to_timedelta(np.sort(rng.integers(0, days * 86400, n)), unit="s"),
        "lat": 42.89 + rng.normal(0, 0.002, n), "lng": 20.86 + rng.normal(0, 0.002, n),
    }).sort_values(["unit", "time"], kind="stable")


@pytest.mark.parametrize("chunk", [1_000, 2_000_000])
def test_presence_per_month_adds_up_to_the_whole_period(chunk):
    rng = np.random.default_rng(4)
    pings = _pings(rng, 20_000, 70)  # 20 January to the end of March, local time
    cells = np.unique(points_to_cells(pings["lat"].to_numpy(), pings["lng"].to_numpy(), res=9))
    first = (2025 - 1970) * 12  # January 2025
    monthly = pings_to_presence(pings, cells, res=9, months=(first, 3), chunk=chunk)
    whole = pings_to_presence(pings, cells, res=9)
    assert monthly.month_minutes.shape == (3, len(whole.minutes.columns), len(cells))
    np.testing.assert_allclose(monthly.month_minutes.sum(axis=0), whole.minutes.to_numpy().T,
                               rtol=0, atol=1e-9)
    assert (monthly.minutes.to_numpy() == whole.minutes.to_numpy()).all()


def test_a_pings_dwell_counts_in_its_own_local_month():
    # 23:59 local on 31 January (22:59 UTC), then 00:00:30 and 00:01:30 on 1 February
    times = pd.to_datetime(["2025-01-31 22:59:00", "2025-01-31 23:00:30",
                            "2025-01-31 23:01:30"], utc=True)
    pings = pd.DataFrame({"unit": [1, 1, 1], "time": times, "lat": [42.8895] * 3,
                          "lng": [20.8665] * 3})
    cells = points_to_cells(np.array([42.8895]), np.array([20.8665]), res=9)
    monthly = pings_to_presence(pings, cells, res=9, months=((2025 - 1970) * 12, 2))
    all_band = monthly.month_minutes[:, 0, 0]
    assert all_band.tolist() == [1.5, 1.0]  # 90 s in January, 60 s in February


def test_month_windows_tile_the_period():
    windows = _month_windows(dt.date(2025, 1, 15), dt.date(2025, 4, 2))
    assert list(windows) == ["m2025-01", "m2025-02", "m2025-03", "m2025-04"]
    assert windows["m2025-01"] == (dt.date(2025, 1, 15), dt.date(2025, 1, 31))
    assert windows["m2025-04"] == (dt.date(2025, 4, 1), dt.date(2025, 4, 2))


def _month_spec(days: int = 59) -> ReleaseSpec:
    spec = spec_of(CELLS4, days=days)
    windows = _month_windows(spec.first_day, spec.last_day)
    return ReleaseSpec(**{**spec.__dict__, "windows": windows})


def _core(spec: ReleaseSpec) -> list[dict]:
    months = tuple(name[1:] for name in spec.windows)
    return cell_rows(spec) + area_rows(spec, week=False) + month_rows(spec, months)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 5, 9])
def test_the_gate_leaves_no_month_to_an_independent_attacker(seed):
    rng = np.random.default_rng(seed)
    spec = _month_spec()
    core = _core(spec)
    assert sum("part" in r for r in core) == 2 * len(CELLS4)  # March and April, whole day
    events = make_events(rng, CELLS4, 45, days=59)
    p = protect(spec, core, events)
    lab, vals = published(p, len(core))
    assert oracle_pins([spec], [core], [lab], [vals]) == []
    ours, _ = attack(build_model([spec], [core], labels=[lab], values=[vals]))
    assert ours == []


def test_a_month_left_alone_is_given_back_by_its_cell_and_the_other_month():
    spec = _month_spec()
    core = _core(spec)
    march, april = spec.first_day.toordinal(), spec.first_day.toordinal() + 40
    events = pd.DataFrame({"cell": [CELLS4[0]] * 8 + [CELLS4[1]] * 6,
                           "minute": [600] * 14,
                           "day": [march] * 6 + [april] * 2 + [march] * 6,
                           "category": ["fight"] * 14, "count": 1})
    model = build_model([spec], [core], events=events)
    true = model.true
    lab = np.where((true >= 1) & (true <= 4), SMALL, SHOWN).astype(np.int8)  # primary only
    vals = np.where(lab == SHOWN, true, np.nan)
    pins, _ = attack(build_model([spec], [core], labels=[lab], values=[vals]))
    months = {(p.row["cell"], p.row["part"], p.value) for p in pins
              if p.row.get("part", "").startswith("m")}
    assert (CELLS4[0], "m2025-04", 2) in months  # 8 in the cell, 6 shown in March


@pytest.fixture(scope="module")
def month_map(tmp_path_factory):
    out = tmp_path_factory.mktemp("months")
    assert main(["-q", "demo", "--days", "60", "--months", "--no-report",
                 "--out", str(out)]) == 0
    return out / "north_mitrovica.html"


def _data(text: str) -> dict:
    return json.loads(MAP_DATA.search(text).group(1))


def test_the_map_holds_months_of_presence_and_protected_incidents(month_map):
    text = month_map.read_text(encoding="utf-8")
    data = _data(text)
    keys = data["months"]["keys"]
    assert len(keys) >= 2 and data["months"]["labels"]["sr-Cyrl"][0].split()[-1].isdigit()
    incidents = data["layers"]["incidents"]["months"]
    assert set(incidents["values"]) == {"all"}
    k = data["meta"]["k"]
    for codes in incidents["values"]["all"]:
        assert len(codes) == data["geom"]["n"]
        assert not any(1 <= c <= k - 1 for c in codes)
    # where every month of a cell is shown, the months add up to the cell's count
    whole = data["layers"]["incidents"]["values"]["all"]
    per_month = np.array(incidents["values"]["all"])
    shown = (per_month >= 0).all(axis=0) & (np.array(whole) >= 0)
    assert shown.any()
    assert (per_month[:, shown].sum(axis=0) == np.array(whole)[shown]).all()
    presence = data["layers"]["presence"]["months"]["values"]
    for band, months in presence.items():
        total = np.array(months).sum(axis=0) / 10
        np.testing.assert_allclose(total, np.array(data["layers"]["presence"]["values"][band])
                                   / 10, atol=0.05 * len(months) + 1e-9)
    assert audit_map(text).problems == []
    joint = audit_paths([month_map])[-1]
    assert joint.ok, joint.report()


def test_the_audit_refuses_a_small_month_count_and_months_it_does_not_name(month_map):
    text = month_map.read_text(encoding="utf-8")
    data = _data(text)
    block = data["layers"]["incidents"]["months"]["values"]["all"]
    block[0][block[0].index(0)] = 2

    def page(d):
        raw = json.dumps(d, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
        block = MAP_DATA.search(text)
        return text[:block.start(1)] + raw + text[block.end(1):]

    found = audit_map(page(data))
    assert any("below k" in p and keys_month in p for p in found.problems
               for keys_month in [data["months"]["keys"][0]])
    data = _data(text)
    data["months"]["labels"]["sq"][0] = "Rruga e Dëshmorëve 12"
    assert any("month slider" in p for p in audit_map(page(data)).problems)


def test_months_need_times_of_day(tmp_path, incidents_csv, capsys):
    code = main(["-q", "build", "--incidents", str(incidents_csv), "--no-times", "--months",
                 "--out", str(tmp_path / "m.html")])
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--months" in err[0]


def test_packed_month_values_read_back_the_same(month_map, monkeypatch):
    """Past a few thousand cells a page packs its number lists; the months go the same way,
    and the audit reads the same counts from both."""
    import geo.outputs.maps as maps
    import geo.privacy._page_numbers as numbers

    text = month_map.read_text(encoding="utf-8")
    plain = audit_map(text)
    data = _data(text)
    monkeypatch.setattr(numbers, "COMPACT_FROM", 0)
    for name in ("incidents", "presence"):
        block = data["layers"][name]["months"]["values"]
        for band in block:
            block[band] = [numbers.encode_ints(v) for v in block[band]]
            assert all(isinstance(v, str) for v in block[band])
    for name in ("incidents", "presence", "visits", "rates"):
        if name in data["layers"]:
            layer = data["layers"][name]
            layer["values"] = {b: numbers.encode_ints(v) for b, v in layer["values"].items()}
    raw = maps._json_for_script(data)
    found = MAP_DATA.search(text)
    packed = audit_map(text[:found.start(1)] + raw + text[found.end(1):])
    assert packed.problems == [] and packed.month_values == plain.month_values
