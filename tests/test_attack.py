"""The attacker's shortcuts against the whole linear program.

Transfers and rotations (:class:`geo.privacy._attack_moves.Transfers`) move an amount between two
cells from one feasible point, found by arithmetic on the rows' slack; each must be a point
that gives every published number, so the value it gives a count lies within that count's
range over the whole program. Where they start from whole atoms they stay whole.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from test_disclosure import make_events, protected_thirty_cells, spec_of

from geo.privacy._attack_moves import Moved, Transfers, as_whole
from geo.privacy.attack import _Lp, attack
from geo.privacy.model import build_model
from geo.privacy.release import COMPLEMENT, SHOWN, SMALL, UNKNOWN, area_rows, cell_rows

CELLS = [f"89{i:013x}" for i in range(10)]


def _published_model(seed: int, n: int, extra_hidden: float):
    """A release with its small counts hidden and some shown counts of k or more hidden
    too, read back as an attacker reads it (labels and shown values only)."""
    rng = np.random.default_rng(seed)
    spec = spec_of(CELLS)
    core = cell_rows(spec) + area_rows(spec, week=True)
    truth = build_model([spec], [core], events=make_events(rng, CELLS, n))
    true = truth.true
    lab = np.where((true >= 1) & (true <= 4), SMALL, SHOWN).astype(np.int8)
    cell = np.array([r["t"] == "cell" for r in core])
    lab[cell & (true >= 5) & (rng.random(len(core)) < extra_hidden)] = COMPLEMENT
    vals = np.where(lab == SHOWN, true, np.nan)
    return build_model([spec], [core], labels=[lab], values=[vals]), truth.x


def _key(row: dict) -> str:
    return repr(sorted(row.items()))


def _pieces(model):
    published = np.flatnonzero(model.label != UNKNOWN)
    lo, hi = model.lower_upper()
    lay = model.layout
    block = lay.n_parts * lay.n_cal * lay.n_filters
    hidden = published[model.label[published] == SMALL]
    return published, lo[published], hi[published], model.A[published], block, hidden


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(20, 90),
       extra=st.sampled_from([0.0, 0.3, 0.7]))
def test_every_move_gives_every_published_number(seed, n, extra):
    """Each move is a point of the whole program: every atom non-negative, every published
    row within its label's bounds, every link kept; each target's value at it lies within
    the target's range over the whole linear program."""
    model, _ = _published_model(seed, n, extra)
    published, lo, hi, A, block, hidden = _pieces(model)
    if not len(hidden):
        return
    lp = _Lp(sp.vstack([A, model.L]).tocsr(), np.r_[lo, np.zeros(model.L.shape[0])],
             np.r_[hi, np.zeros(model.L.shape[0])])
    targets = model.A[hidden]
    point = lp.minimise(targets.T @ np.random.default_rng(seed).choice([-1.0, 1.0],
                                                                       len(hidden)))
    moves = Transfers(A, model.L, lo, hi, point, model.layout.n_y, block).moves(
        targets, np.arange(len(hidden)))
    changes = (targets @ moves).toarray()
    for m in range(moves.shape[1]):
        x = point + moves[:, m].toarray().ravel()
        values = A @ x
        assert (x >= -1e-7).all()
        assert (values >= lo - 1e-6).all() and (values <= hi + 1e-6).all()
        assert np.abs(model.L @ x).max(initial=0) < 1e-6
        assert np.abs(changes[:, m]).max() > 1e-9  # a move changes the target it was for
    eq = {"A_eq": model.L.toarray(), "b_eq": np.zeros(model.L.shape[0])}
    ub = sp.vstack([A[np.isfinite(hi)], -A]).toarray()
    b_ub = np.r_[hi[np.isfinite(hi)], -lo]
    base = targets @ point
    for i in np.flatnonzero(np.abs(changes).max(axis=1, initial=0) > 0)[:6]:
        row = targets[i].toarray().ravel()
        low = linprog(row, A_ub=ub, b_ub=b_ub, **eq, method="highs").fun
        high = -linprog(-row, A_ub=ub, b_ub=b_ub, **eq, method="highs").fun
        seen = base[i] + changes[i]
        assert (seen >= low - 1e-6).all() and (seen <= high + 1e-6).all()


def test_moves_settle_most_counts_and_stay_whole_from_a_whole_point():
    """From a whole point the moves are whole, and they show two whole values for most
    hidden counts of a protected release (so few are left for integer programs)."""
    spec, core, protection = protected_thirty_cells()
    lab = protection.core
    model = build_model([spec], [core], labels=[lab],
                        values=[np.where(lab == SHOWN, protection.model.true[:len(core)],
                                         np.nan)])
    published, lo, hi, A, block, hidden = _pieces(model)
    truth = as_whole(A, model.L, lo, hi, protection.model.x.astype(float))
    assert truth is not None  # the true atoms give every published number
    targets = model.A[hidden]
    moved = Moved(A, model, lo, hi, targets)
    k = len(hidden)
    lows, highs, two = moved.settle(truth, np.ones(k, bool), np.full(k, np.inf),
                                    np.full(k, -np.inf), np.zeros(k, bool))
    of_cells = np.array([model.rows[r]["t"] == "cell" for r in hidden])
    assert of_cells.sum() >= 20 and two[of_cells].mean() > 0.8
    moves = Transfers(A, model.L, lo, hi, truth, model.layout.n_y, block,
                       whole=True).moves(targets, np.arange(k))
    assert np.array_equal(moves.data, np.round(moves.data))


def test_a_rounded_point_is_used_only_when_it_gives_every_number():
    """Atoms near whole numbers are rounded and kept when the rounded point gives every
    published number; a point that rounds to a broken shown sum is refused."""
    model, x = _published_model(2, 60, 0.3)
    published, lo, hi, A, block, hidden = _pieces(model)
    x = x.astype(float)
    shown = model.label[published] == SHOWN
    j = int(A[shown][:, :model.layout.n_y].tocsc().indices.size and
            np.flatnonzero(np.asarray(A[shown][:, :model.layout.n_y].sum(axis=0)).ravel())[0])
    near = x.copy()
    near[j] += 0.3
    np.testing.assert_array_equal(as_whole(A, model.L, lo, hi, near), x)
    off = x.copy()
    off[j] += 0.7  # rounds to one more incident in a shown count
    assert as_whole(A, model.L, lo, hi, off) is None


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(20, 90),
       extra=st.sampled_from([0.0, 0.3]))
def test_moves_leave_the_attacker_s_pins_as_the_whole_program_finds_them(seed, n, extra):
    """The attacker with its shortcuts pins exactly the counts whose range over the whole
    linear program holds a single whole number of 1..k-1 (as checked one by one here)."""
    model, _ = _published_model(seed, n, extra)
    published, lo, hi, A, block, hidden = _pieces(model)
    pins, _ = attack(model)
    ours = {(_key(p.row), p.value) for p in pins if not p.refined}
    eq = {"A_eq": model.L.toarray(), "b_eq": np.zeros(model.L.shape[0])}
    ub = sp.vstack([A[np.isfinite(hi)], -A]).toarray()
    b_ub = np.r_[hi[np.isfinite(hi)], -lo]
    expected, possible = set(), set()
    for r in hidden:
        row = model.A[r].toarray().ravel()
        low = linprog(row, A_ub=ub, b_ub=b_ub, **eq, method="highs").fun
        high = -linprog(-row, A_ub=ub, b_ub=b_ub, **eq, method="highs").fun
        key = _key(model.rows[r])
        if high - low < 1e-6 and 1 <= round(low) <= model.k[r] - 1:
            expected.add((key, round(low)))
        if high - low < 2 - 1e-6:  # at most two whole values: an integer check decides
            possible |= {(key, v) for v in range(int(np.ceil(low - 1e-6)),
                                                  int(np.floor(high + 1e-6)) + 1)}
    assert expected <= ours <= possible


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(20, 90),
       extra=st.sampled_from([0.0, 0.3]))
def test_the_large_release_path_pins_what_the_small_one_pins(seed, n, extra):
    """Past a size the attacker starts from any feasible vertex instead of random
    directions and leaves out most whole solves; on the same published numbers it must
    name exactly the counts the small-release path names."""
    import geo.privacy.attack as attack_module

    model, _ = _published_model(seed, n, extra)
    small, examined = attack(model)
    saved = attack_module.LARGE
    attack_module.LARGE = 10
    try:
        large, examined_large = attack(model)
    finally:
        attack_module.LARGE = saved
    assert examined == examined_large
    assert sorted((_key(p.row), p.value) for p in large) == \
        sorted((_key(p.row), p.value) for p in small)
