"""The map page's number and outline encoding: round trips, known answers, hostile strings."""

from __future__ import annotations

import json

import h3
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.analysis.cells import str_to_cells
from geo.outputs.maps import encode_cells, map_payload, render_map
from geo.privacy import _page_numbers
from geo.privacy._audit_files import _decode_rings, audit_map
from geo.privacy._page_numbers import (
    DIGITS,
    NONE,
    REPEAT,
    decode_ints,
    encode_ints,
    pack_deviations,
    unpack_deviations,
)

WHOLE = st.integers(min_value=-(2 ** 50) + 1, max_value=2 ** 50 - 1)


@given(st.lists(st.one_of(st.none(), WHOLE, st.integers(-3, 40)), max_size=60))
def test_whole_numbers_and_none_come_back_as_they_went(values):
    packed = encode_ints(values, compact_from=0)
    assert isinstance(packed, str) and set(packed) <= set(DIGITS + NONE + REPEAT)
    assert decode_ints(packed) == values


@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(-3, 3)), st.integers(1, 40)),
                max_size=12))
def test_runs_of_equal_values_come_back_whole(runs):
    values = [value for value, length in runs for _ in range(length)]
    packed = encode_ints(values, compact_from=0)
    assert decode_ints(packed) == values
    assert len(packed) <= 1 + 3 * sum(min(length, 4) for _, length in runs)


@given(st.lists(st.integers(0, 31), min_size=1, max_size=50))
def test_counts_below_32_above_the_smallest_take_one_character_each(values):
    packed = encode_ints([0, *values], compact_from=0)  # a head, then one character each
    assert len(packed) <= 2 + len(values)
    assert "~" in packed or len(packed) == 2 + len(values)


def test_known_strings_and_the_list_form_below_the_threshold():
    assert encode_ints([3, -2, None, 40], compact_from=0) == "GFA.qB"  # above -2: 5, 0, none, 42
    assert encode_ints([0, 1, 31, 32, 1023, 1024], compact_from=0) == "AABfgB_fggB"
    assert encode_ints([7] * 40 + [None] * 5, compact_from=0) == "cA~nB.~E"  # 40 sevens, 5 none
    assert encode_ints(np.array([1, 2, 3])) == [1, 2, 3]  # short: a plain JSON list
    assert isinstance(encode_ints(range(_page_numbers.COMPACT_FROM)), str)
    assert decode_ints([1, None]) == [1, None]
    jumps = encode_ints([-10 ** 6, 5, -5, 5, -5, 5], compact_from=0)  # signed: one jump
    assert jumps == "B" + "_jh9B" + "KJKJK" and decode_ints(jumps)[0] == -10 ** 6
    with pytest.raises(ValueError, match="2\\*\\*50"):
        encode_ints([2 ** 51], compact_from=0)


@pytest.mark.parametrize("packed", ["", "A<", "Ag", "A!", "AAé", ".A", "Ag.", "A" + "g" * 12 + "A",
                                    "A~B", "AB~", "AB~.", "AB~C~D"])
def test_strings_the_encoder_never_writes_are_refused(packed):
    with pytest.raises(ValueError, match="number string"):
        decode_ints(packed)


@given(st.lists(st.lists(st.integers(-1, 1), min_size=12, max_size=12), max_size=20))
def test_deviations_pack_into_one_base_3_number_per_cell(rows):
    deviations = np.array(rows, dtype=np.int64).reshape(-1, 12)
    codes = pack_deviations(deviations)
    assert (codes >= 0).all() and (codes < 3 ** 12).all()
    np.testing.assert_array_equal(unpack_deviations(codes), deviations)


def _square(lat: float, lng: float, half_km: float, res: int) -> np.ndarray:
    dlat, dlng = half_km / 111.0, half_km / (111.0 * np.cos(np.radians(lat)))
    poly = h3.LatLngPoly([(lat - dlat, lng - dlng), (lat - dlat, lng + dlng),
                          (lat + dlat, lng + dlng), (lat + dlat, lng - dlng)])
    return np.sort(str_to_cells(h3.h3shape_to_cells(poly, res)))


@pytest.mark.parametrize(("where", "half_km", "res", "compact_from", "whole_share"), [
    ((42.6, 20.9), 52.0, 7, 0, 0.2),  # coarse cells over Kosovo: some written whole
    ((42.6, 20.9), 20.0, 8, 0, 0.0),  # a region, packed
    ((42.89, 20.86), 1.5, 9, 0, 0.0),  # a town, packed
    ((42.89, 20.86), 0.3, 11, None, 0.0),  # a few streets, as plain lists
    ((-33.9, 151.2), 2.0, 9, 0, 0.0),  # south and east
    ((40.7, -74.0), 2.0, 10, 0, 0.0),  # north and west
    ((64.7, 10.5), 2.0, 9, 0, 1.0),  # across an icosahedron's edge: cells of 7-10 vertices
])
def test_outlines_decode_to_the_rounded_h3_vertices_exactly(monkeypatch, where, half_km, res,
                                                            compact_from, whole_share):
    if compact_from is not None:
        monkeypatch.setattr(_page_numbers, "COMPACT_FROM", compact_from)
    cells = _square(*where, half_km, res)
    geom = encode_cells(cells)
    assert len(geom["x"]) <= whole_share * len(cells)  # hexagons the template misses
    assert isinstance(geom["v"], list) == (compact_from is None)
    for cell, ring in zip(cells, _decode_rings(geom), strict=True):
        expected = np.round(np.array(h3.cell_to_boundary(format(int(cell), "x"))) * 1e6)
        np.testing.assert_array_equal(np.round(ring * 1e6), expected)


def test_a_pentagon_is_stored_whole_and_decodes_exactly(monkeypatch):
    monkeypatch.setattr(_page_numbers, "COMPACT_FROM", 0)
    pentagon = h3.get_pentagons(9)[3]
    cells = np.sort(str_to_cells(list(h3.grid_disk(pentagon, 2))))
    geom = encode_cells(cells)
    at = int(np.flatnonzero(cells == str_to_cells([pentagon])[0])[0])
    assert len(geom["x"][at]) == 2 * len(h3.cell_to_boundary(pentagon))  # not a hexagon
    for cell, ring in zip(cells, _decode_rings(geom), strict=True):
        expected = np.round(np.array(h3.cell_to_boundary(format(int(cell), "x"))) * 1e6)
        np.testing.assert_array_equal(np.round(ring * 1e6), expected)


def test_a_packed_page_publishes_what_the_plain_page_does(published, monkeypatch, tmp_path):
    plain = render_map(published, tmp_path / "plain.html")  # audited as it is written
    monkeypatch.setattr(_page_numbers, "COMPACT_FROM", 0)
    packed = render_map(published, tmp_path / "packed.html")
    payload = map_payload(published)
    assert isinstance(payload["geom"]["c"], str) and isinstance(payload["geom"]["v"], str)
    assert all(isinstance(v, str) for v in payload["layers"]["incidents"]["values"].values())
    a, b = (audit_map(p.read_text(encoding="utf-8")) for p in (plain, packed))
    assert a.problems == b.problems == []
    assert a.cells == b.cells and a.cell_values == b.cell_values
    assert packed.stat().st_size < plain.stat().st_size


def test_a_packed_page_with_a_small_count_is_refused(published, monkeypatch, tmp_path):
    import json

    from geo._page import MAP_DATA

    monkeypatch.setattr(_page_numbers, "COMPACT_FROM", 0)
    text = render_map(published, tmp_path / "m.html").read_text(encoding="utf-8")
    block = MAP_DATA.findall(text)[0]
    data = json.loads(block)
    values = decode_ints(data["layers"]["incidents"]["values"]["all"])
    values[values.index(0)] = 2
    data["layers"]["incidents"]["values"]["all"] = encode_ints(values)
    forged = text.replace(block, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    assert any("below k=5 in band all" in p for p in audit_map(forged).problems)
    data["layers"]["incidents"]["values"]["all"] = "A!"
    broken = text.replace(block, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    assert any("cannot have written" in p for p in audit_map(broken).problems)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(5, 10), st.booleans())
def test_packed_cells_read_back_exactly(seed, res, shuffle):
    """Many cells of one resolution, sorted or not, read back as written."""
    from geo.privacy.release import pack_cells, unpack_cells

    rng = np.random.default_rng(seed)
    centre = h3.latlng_to_cell(float(rng.uniform(-60, 60)), float(rng.uniform(-170, 170)), res)
    cells = sorted(h3.grid_disk(centre, 3))
    if shuffle:
        cells = list(rng.permutation(cells))
    packed = pack_cells(cells)
    assert unpack_cells(packed) == cells
    assert pack_cells([*cells, h3.cell_to_parent(centre, res - 1)]) is None  # mixed


def test_a_many_cell_spec_carries_its_cells_packed():
    from geo.privacy.release import compact_spec, expand_spec

    cells = sorted(h3.grid_disk(h3.latlng_to_cell(42.89, 20.86, 9), 30))  # 2,791 cells
    spec = {"cells": cells, "areas": {"near": cells[:10]}, "k": 5}
    compact = compact_spec(spec, with_cells=True)
    assert "cells" not in compact and len(json.dumps(compact)) < 19 * len(cells) / 4
    assert expand_spec(compact, []) == {**spec}
