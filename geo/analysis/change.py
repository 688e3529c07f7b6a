"""Before/after: what changed per cell, and in a target area, around a local date.

Per cell, :func:`rate_test` compares rates with the exact conditional binomial test
(Przyborowski & Wilenski 1940). For a target area, :func:`wdd` gives the weighted displacement
difference (Wheeler & Ratcliffe 2018): the change in the target and in a buffer around it,
each less the change in a control area.

References
----------
Przyborowski, J. & Wilenski, H. (1940). Homogeneity of results in testing samples from
Poisson series. Biometrika 31(3/4), 313-323.
Wheeler, A. P. & Ratcliffe, J. H. (2018). A simple weighted displacement difference test to
evaluate place based crime interventions. Crime Science 7, 11.
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. Journal of the Royal
Statistical Society B 57(1), 289-300.
"""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
from scipy.stats import binomtest, norm

from geo._errors import UsageError
from geo.analysis._stats import bh_adjust
from geo.analysis.cells import cells_to_str, str_to_cells
from geo.inputs._times import parse_day

__all__ = ["RATE_DAYS", "rate_test", "wdd", "split_periods", "split_period_bounds",
           "areas_from_cells"]

RATE_DAYS = 30.0
"""Rates are incidents per this many days."""

_ALPHA = 0.05


def rate_test(before: np.ndarray, after: np.ndarray, t_before: float, t_after: float
              ) -> pd.DataFrame:
    """Exact two-sided test per cell of whether the incident rate changed.

    Given ``n = before + after``, the after-count is Binomial(n, p0) with
    ``p0 = t_after / (t_before + t_after)`` when the rate is the same in both periods. The
    two-sided p sums the probabilities of every count no more likely than the one observed
    (the "minimum likelihood" method of ``scipy.stats.binomtest`` and R's ``binom.test``).
    Cells with ``n = 0`` are not tests: p = q = 1.

    ``before`` and ``after`` are counts per cell, ``t_before`` and ``t_after`` the periods'
    lengths in days. Returns one row per cell in the input order: the counts, ``rate_before``
    and ``rate_after`` per 30 days, ``ratio`` (after / before rate, NaN when the before rate
    is 0), ``p``, ``q`` (Benjamini-Hochberg over cells with n > 0), ``direction`` (``up``,
    ``down``, ``same``) and ``significant`` (q <= 0.05).

    Examples
    --------
    >>> rate_test(np.array([10, 0]), np.array([2, 0]), 30, 30)[["p", "direction"]].round(4)
            p direction
    0  0.0386      down
    1  1.0000      same
    """
    before = _counts(before, "before")
    after = _counts(after, "after")
    if before.shape != after.shape:
        msg = f"before and after differ in length: {before.shape} and {after.shape}"
        raise ValueError(msg)
    for name, t in (("t_before", t_before), ("t_after", t_after)):
        if not (np.isfinite(t) and t > 0):
            msg = f"{name} must be a positive number of days, not {t!r}"
            raise ValueError(msg)
    n = before + after
    p0 = t_after / (t_before + t_after)
    p = np.ones(len(n))
    tested = n > 0
    if tested.any():  # one exact test per distinct (after, n) pair, not per cell
        pairs, inverse = np.unique(np.stack([after[tested], n[tested]], axis=1), axis=0,
                                   return_inverse=True)
        pair_p = np.array([binomtest(int(k), int(m), p0).pvalue for k, m in pairs])
        p[tested] = pair_p[inverse.ravel()]
    q = np.where(tested, bh_adjust(np.where(tested, p, np.nan)), 1.0)
    rate_before = before / t_before * RATE_DAYS
    rate_after = after / t_after * RATE_DAYS
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(before > 0, rate_after / rate_before, np.nan)
    # compare after/t_after with before/t_before without dividing
    diff = after * float(t_before) - before * float(t_after)
    same = np.isclose(diff, 0.0, rtol=0, atol=1e-9 * max(t_before, t_after))
    direction = np.where(same, "same", np.where(diff > 0, "up", "down"))
    return pd.DataFrame({"before": before, "after": after, "rate_before": rate_before,
                         "rate_after": rate_after, "ratio": ratio, "p": p, "q": q,
                         "direction": direction, "significant": q <= _ALPHA})


def _counts(values: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1 or (arr.size and (not np.all(np.isfinite(arr)) or (arr < 0).any()
                                       or (arr != np.round(arr)).any())):
        msg = f"{name} must be a 1-d array of counts (whole numbers >= 0)"
        raise ValueError(msg)
    return arr.astype(np.int64)


def wdd(target_before: float, target_after: float, buffer_before: float | None,
        buffer_after: float | None, control_before: float, control_after: float, *,
        scale_after: float = 1.0, buffer_control_before: float | None = None,
        buffer_control_after: float | None = None, control_weight: float = 1.0,
        buffer_control_weight: float | None = None) -> dict:
    """Weighted displacement difference (Wheeler & Ratcliffe 2018) with a normal test.

    ``WDD = dT - dCt + dD - dCd``, each ``d`` an after-minus-before count in the target
    ``T``, the target's control ``Ct``, the buffer (displacement area) ``D`` and the buffer's
    control ``Cd``. Negative means fewer incidents than the controls predict. Under
    independent Poisson counts ``Var(WDD)`` is the sum of the eight counts. Without a
    separate buffer control the one control stands for both: ``WDD = dT + dD - 2 dC``, and
    its counts enter the variance four times. With ``buffer_before = buffer_after = None``
    there is no buffer: ``WDD = dT - dC``.

    After-period counts are multiplied by ``scale_after`` (use ``t_before / t_after`` when
    the periods differ in length), so changes are in before-period units; the variance of a
    scaled count ``a X`` is ``a**2 X`` (Wheeler 2021, "The WDD test with different pre/post
    time periods"). Counts should be of similar size in each area and its control.

    When a control is much larger than its area (the rest of a town against a few streets),
    ``control_weight`` (and ``buffer_control_weight``, by default the same) scales the control's
    change to the area's size, e.g. ``target_before / control_before``: the control then says
    how the target would have changed, not how many incidents changed elsewhere. The weights
    are taken as fixed, so a weighted control enters the variance times the weight squared;
    weights of 1 give the paper's test.

    Returns
    -------
    ``wdd``, ``se``, ``z``, ``p`` (two-sided, normal), ``local`` (``dT - dCt``),
    ``displacement`` (``dD - dCd``, 0 without a buffer), ``target_change``,
    ``buffer_change``, ``control_change`` and ``interpretation``, a sentence in English.

    Examples
    --------
    >>> r = wdd(207, 110, 178, 157, 308, 318, buffer_control_before=150,
    ...         buffer_control_after=140)
    >>> r["wdd"], round(r["se"] ** 2), round(r["z"], 2)
    (-118.0, 1568, -2.98)
    """
    a = float(scale_after)
    if not (np.isfinite(a) and a > 0):
        msg = f"scale_after must be a positive number, not {scale_after!r}"
        raise ValueError(msg)
    pairs = ((buffer_before, buffer_after), (buffer_control_before, buffer_control_after))
    if any((b is None) != (c is None) for b, c in pairs) or (
            buffer_before is None and buffer_control_before is not None):
        msg = "give both buffer counts (before, after) or neither; a buffer control needs a buffer"
        raise ValueError(msg)
    counts = [target_before, target_after, control_before, control_after, *pairs[0], *pairs[1]]
    if any(c is not None and not (np.isfinite(c) and c >= 0) for c in counts):
        msg = f"counts must be numbers >= 0, not {counts}"
        raise ValueError(msg)

    def change(before: float, after: float) -> tuple[float, float]:
        """Scaled change and its Poisson variance."""
        return a * after - before, before + a * a * after

    w_t = float(control_weight)
    w_d = w_t if buffer_control_weight is None else float(buffer_control_weight)
    if not all(np.isfinite(w) and w > 0 for w in (w_t, w_d)):
        msg = f"control weights must be positive numbers, not {(w_t, w_d)}"
        raise ValueError(msg)
    d_t, v_t = change(target_before, target_after)
    d_c, v_c = change(control_before, control_after)
    local = d_t - w_t * d_c
    if buffer_before is None or buffer_after is None:
        d_d, displacement, variance = 0.0, 0.0, v_t + w_t**2 * v_c
    elif buffer_control_before is None or buffer_control_after is None:
        d_d, v_d = change(buffer_before, buffer_after)
        displacement = d_d - w_d * d_c
        variance = v_t + v_d + (w_t + w_d) ** 2 * v_c  # Var(dT + dD - (w_t + w_d) dC)
    else:
        d_d, v_d = change(buffer_before, buffer_after)
        d_cd, v_cd = change(buffer_control_before, buffer_control_after)
        displacement = d_d - w_d * d_cd
        variance = v_t + w_t**2 * v_c + v_d + w_d**2 * v_cd
    total = local + displacement
    se = float(np.sqrt(variance))
    z = total / se if se > 0 else float("nan")
    p = float(2 * norm.sf(abs(z))) if se > 0 else 1.0
    result = {"wdd": float(total), "se": se, "z": float(z), "p": p, "local": float(local),
              "displacement": float(displacement), "target_change": float(d_t),
              "buffer_change": float(d_d), "control_change": float(d_c),
              "expected_change": float(w_t * d_c)}
    result["interpretation"] = _interpret(result, has_buffer=buffer_before is not None)
    return result


def _interpret(r: dict, *, has_buffer: bool) -> str:
    if r["se"] == 0:
        return "No incidents in any area in either period: there is nothing to compare."
    eps = 1e-9
    local = 0 if abs(r["local"]) < eps else int(np.sign(r["local"]))
    moved = 0 if abs(r["displacement"]) < eps else int(np.sign(r["displacement"]))
    text = {-1: "Incidents fell in the target area relative to the control",
            1: "Incidents rose in the target area relative to the control",
            0: "Incidents in the target area changed as much as in the control"}[local]
    if has_buffer:
        text += {(-1, 1): ", but rose in the buffer (possible displacement)",
                 (-1, -1): ", and fell in the buffer too (diffusion of benefits)",
                 (1, 1): ", and rose in the buffer too",
                 (1, -1): ", while falling in the buffer",
                 (0, 1): ", and rose in the buffer",
                 (0, -1): ", and fell in the buffer",
                 }.get((local, moved), ", and did not move into the buffer")
    net = f"{r['wdd']:.0f}" if float(r["wdd"]).is_integer() else f"{r['wdd']:.1f}"
    chance = "more than" if r["p"] <= _ALPHA else "within what"
    return (f"{text}; the net change of {net} incidents is {chance} chance alone would give "
            f"(z = {r['z']:.2f}, p = {r['p']:.3f}).")


def split_periods(times_utc: pd.Series, *, change_date: str, tz: str = "Europe/Belgrade",
                  before: tuple[str, str] | None = None, after: tuple[str, str] | None = None
                  ) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Which incidents fall before and after a local change date, and each period's days.

    :func:`split_period_bounds` with each period's length in whole calendar days (a day of
    a clock change counts as one).

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2025-05-28 21:30", "2025-05-28 22:30"], utc=True))
    >>> b, a, t_b, t_a = split_periods(t, change_date="2025-05-29")
    >>> b.tolist(), a.tolist(), t_b, t_a
    ([True, False], [False, True], 1.0, 1.0)
    """
    in_before, in_after, (b0, b1), (a0, a1) = split_period_bounds(
        times_utc, change_date=change_date, tz=tz, before=before, after=after)
    one_day = np.timedelta64(1, "D")
    return in_before, in_after, float((b1 - b0) / one_day) + 1, float((a1 - a0) / one_day) + 1


def split_period_bounds(times_utc: pd.Series, *, change_date: str,
                        tz: str = "Europe/Belgrade", before: tuple[str, str] | None = None,
                        after: tuple[str, str] | None = None) -> tuple:
    """Which incidents fall before and after a local change date, and each period's days.

    By default the before period runs from the first incident's local day to the day before
    ``change_date`` and the after period from ``change_date`` to the last incident's local
    day. ``before`` and ``after`` give either period explicitly as inclusive local dates
    (``("2025-03-01", "2025-04-30")``); they must end before, and start on or after, the
    change date. Returns the two masks and each period's (first, last) local day.
    """
    change = _day(change_date, "change_date")
    index = pd.DatetimeIndex(times_utc)
    if index.tz is None:
        index = index.tz_localize("UTC")
    try:
        local = index.tz_convert(tz)
    except Exception as err:  # zoneinfo and pytz raise different errors
        msg = f"time zone {tz!r} is not known; use a name such as 'Europe/Belgrade'"
        raise UsageError(msg) from err
    days = local.tz_localize(None).normalize().to_numpy()
    seen = days[~np.isnat(days)]
    one_day = np.timedelta64(1, "D")
    first, last = (seen.min(), seen.max()) if len(seen) else (change, change - one_day)
    b0, b1 = _period(before, "before") if before is not None else (first, change - one_day)
    a0, a1 = _period(after, "after") if after is not None else (change, last)
    if b0 > b1 or a0 > a1:
        side = "before" if b0 > b1 else "on or after"
        msg = (f"no incidents {side} the change date {change_date}; give the period as "
               f"{'before' if b0 > b1 else 'after'}=(first_day, last_day)")
        raise UsageError(msg)
    if b1 >= change or a0 < change:
        msg = (f"the before period must end before, and the after period start on or after, "
               f"the change date {change_date}; got before={before}, after={after}")
        raise UsageError(msg)
    in_before, in_after = (days >= b0) & (days <= b1), (days >= a0) & (days <= a1)
    return in_before, in_after, (b0, b1), (a0, a1)


def _day(text: str, name: str) -> np.datetime64:
    parsed, bad = parse_day(pd.Series([text], dtype=object))
    if bad.any() or pd.isna(parsed.iloc[0]):
        msg = f"{name} {text!r} is not a date; write it like 2025-05-29 or 29.05.2025"
        raise UsageError(msg)
    return np.datetime64(parsed.iloc[0], "ns")


def _period(period: tuple[str, str], name: str) -> tuple[np.datetime64, np.datetime64]:
    if isinstance(period, str) or len(period) != 2:
        msg = f"{name} must be two dates (first day, last day), not {period!r}"
        raise UsageError(msg)
    start, end = _day(period[0], f"{name} start"), _day(period[1], f"{name} end")
    if end < start:
        msg = f"the {name} period {period!r} ends before it starts"
        raise UsageError(msg)
    return start, end


def areas_from_cells(cells: np.ndarray, target: np.ndarray, *, buffer_k: int = 1,
                     control: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Target, buffer and control masks over ``cells`` (sorted ``uint64``).

    The buffer is every cell of ``cells`` within ``buffer_k`` grid steps of a target cell
    and not in the target (cells outside ``cells`` are left out). The control is the given
    mask, or every cell in neither the target nor the buffer. Wheeler & Ratcliffe (2018)
    advise a control with counts like the target's; the whole rest of the area rarely is.
    """
    cells = np.asarray(cells, dtype=np.uint64)
    target = np.asarray(target, dtype=bool)
    if target.shape != cells.shape:
        msg = f"target mask has shape {target.shape}, cells {cells.shape}"
        raise ValueError(msg)
    if buffer_k < 0:
        msg = f"buffer_k must be 0 or more grid steps, not {buffer_k}"
        raise UsageError(msg)
    near: set[str] = set()
    for cell in cells_to_str(cells[target]):
        near.update(h3.grid_disk(cell, buffer_k))
    buffer = np.isin(cells, str_to_cells(list(near))) & ~target
    if control is None:
        control = ~(target | buffer)
    else:
        control = np.asarray(control, dtype=bool)
        if control.shape != cells.shape:
            msg = f"control mask has shape {control.shape}, cells {cells.shape}"
            raise ValueError(msg)
        overlap = int((control & (target | buffer)).sum())
        if overlap:
            msg = (f"{overlap} control cells lie in the target or its buffer; choose control "
                   "cells at least buffer_k + 1 steps from the target")
            raise UsageError(msg)
    return target, buffer, control
