"""How a map page writes its per-cell numbers and its cell outlines, and how they are read back.

The renderer (:mod:`geo.outputs.maps`) writes with these functions, the audit
(:mod:`geo.privacy._audit_files`) reads back with them, and the page's script
(``geo/outputs/static/map.js``: ``ints`` and ``decodeCells``) is their twin: one encoder and one
decoder for each kind, so a new per-cell array (a layer's values per month, say) needs no
format of its own.

**Whole numbers** (``encode_ints``): a list shorter than ``COMPACT_FROM`` stays a plain JSON
list, which a reader can check by eye in a small page. A longer one is one string: a head, then
each value as its distance above the head's base (counts, codes of -1 and -2) or as a signed
distance from it (centre deltas, which jump now and then), whichever is shorter; each number in
base-64 digits of five value bits and a "more follows" bit, lowest first (0..31 take one
character, up to 1,023 two, up to 32,767 three), and ``.`` for None. The head is twice the
base's signed form (0, -1, 1, -2 ... as 0, 1, 2, 3 ...) plus 1 for signed distances. A run of
four or more equal values is written once, then ``~`` and how many more (a country's many empty
cells in a row). The digits are those of base64url, which JSON and a script element carry as
they are. On the 100,000-cell map of ``scripts/bench_map.py`` the incidents of one band take
65 kB instead of 245 kB as a list.

**Cell outlines** (``predicted_offsets``, ``pack_deviations``): a hexagon's six vertices are
offsets from its centre, in integers of 1e-6 degrees. Across an area they change slowly with
the centre's position (cells are wider in degrees of longitude further north), so each offset is
predicted by a template plus a slope in latitude and longitude, in integer arithmetic that a
browser reproduces exactly; the twelve deviations from it are -1, 0 or 1 (the rounding of vertex
and centre) for all but a handful of the 94,000 res-9 hexagons of an area the size of Kosovo,
and are packed as one base-3 number per cell. A cell the prediction misses by more, and a
pentagon, is written whole: coarse cells over a large area (res 7 over Kosovo: one in six)
cost more bytes, never exactness.
"""

from __future__ import annotations

import numpy as np

__all__ = ["COMPACT_FROM", "SLOPE_SHIFT", "VERTEX_OFFSETS", "encode_ints", "decode_ints",
           "predicted_offsets", "fit_offsets", "pack_deviations", "unpack_deviations"]

COMPACT_FROM = 2_000
"""Lists at least this long are written as one compact string."""
DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
NONE = "."
REPEAT = "~"
_NONE_TOKEN, _REPEAT_TOKEN = -1, -2
_MORE = 32
_LARGEST = 2 ** 52
"""Whole numbers a browser's doubles hold exactly, with room to add two of them."""
_ALPHABET = np.frombuffer((DIGITS + NONE + REPEAT).encode("ascii"), dtype=np.uint8)
_DIGIT_OF = np.full(128, -1, dtype=np.int64)
_DIGIT_OF[np.frombuffer(DIGITS.encode("ascii"), dtype=np.uint8)] = np.arange(64)
_DIGIT_OF[ord(NONE)] = 64
_DIGIT_OF[ord(REPEAT)] = 65
SLOPE_SHIFT = 30
"""Slopes are integers of 2**-30 offset units per unit of centre position."""
VERTEX_OFFSETS = 12
"""A hexagon's (lat, lng) offsets of its six vertices."""


def encode_ints(values, *, compact_from: int | None = None) -> list | str:
    """Whole numbers (and None) for the page: a plain list when short, else one string.

    Examples
    --------
    >>> encode_ints([3, -2, None, 40, 0, 0, 0, 0, 0], compact_from=0)
    'GFA.qBC~E'
    >>> decode_ints('GFA.qBC~E')
    [3, -2, None, 40, 0, 0, 0, 0, 0]
    """
    items = [None if v is None else int(v) for v in values]
    if len(items) < (COMPACT_FROM if compact_from is None else compact_from):
        return items
    present = np.array([v for v in items if v is not None], dtype=np.int64)
    if len(present) and (np.abs(present) >= _LARGEST // 4).any():
        msg = f"whole numbers for the page must lie within +-2**50, not {present.max()}"
        raise ValueError(msg)
    none = np.array([v is None for v in items], dtype=bool)
    full = np.array([0 if v is None else v for v in items], dtype=np.int64)
    written = []
    for signed, base in ((0, int(present.min()) if len(present) else 0),
                         (1, int(np.median(present)) if len(present) else 0)):
        above = full - base
        numbers = np.where(above >= 0, 2 * above, -2 * above - 1) if signed else above
        header = 2 * _zigzag(base) + signed
        written.append(_digits(np.r_[header, _runs(np.where(none, _NONE_TOKEN, numbers))]))
    return min(written, key=len)


def _runs(tokens: np.ndarray) -> np.ndarray:
    """Runs of four or more equal tokens as the token, ``REPEAT`` and how many more."""
    if not len(tokens):
        return tokens
    starts = np.flatnonzero(np.r_[True, tokens[1:] != tokens[:-1]])
    length = np.diff(np.r_[starts, len(tokens)])
    folded = length >= 4
    kept = np.where(folded, 1, length)
    size = kept + 2 * folded
    run = np.repeat(np.arange(len(starts)), size)
    at = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
    return np.where(at < kept[run], tokens[starts][run],
                    np.where(at == kept[run], _REPEAT_TOKEN, length[run] - 1))


def _zigzag(value: int) -> int:
    """A signed number as an unsigned one: 0, -1, 1, -2 ... as 0, 1, 2, 3 ..."""
    return 2 * value if value >= 0 else -2 * value - 1


def _digits(tokens: np.ndarray) -> str:
    """Non-negative numbers as five-bit digits, lowest first, a "more" bit on all but the last
    digit of each; the None and repeat tokens as their own characters."""
    if not len(tokens):
        return ""
    values = np.maximum(tokens, 0)
    width = np.maximum(1, -(-np.maximum(_bit_length(values), 1) // 5))
    places = np.arange(width.max())
    groups = (values[:, None] >> (5 * places[None, :])) & 31
    groups = groups + _MORE * (places[None, :] < width[:, None] - 1)
    groups[tokens == _NONE_TOKEN, 0] = 64
    groups[tokens == _REPEAT_TOKEN, 0] = 65
    used = places[None, :] < width[:, None]
    return _ALPHABET[groups[used]].tobytes().decode("ascii")


def _bit_length(values: np.ndarray) -> np.ndarray:
    bits = np.zeros(len(values), dtype=np.int64)
    rest = values.copy()
    while (rest > 0).any():
        bits += rest > 0
        rest >>= 1
    return bits


def decode_ints(packed: object) -> object:
    """The numbers ``encode_ints`` wrote; a list (or anything not a string) as it is.

    Raises ``ValueError`` for a string ``encode_ints`` cannot have written.
    """
    if not isinstance(packed, str):
        return packed
    raw = np.frombuffer(packed.encode("utf-8"), dtype=np.uint8)
    codes = _DIGIT_OF[np.minimum(raw, 127)]
    if (raw > 127).any() or (codes < 0).any() or not len(codes) or codes[-1] & _MORE:
        msg = "a number string with a character or an ending the page's encoding never writes"
        raise ValueError(msg)
    special = codes >= 64
    end = special | (codes < _MORE)
    starts = np.r_[0, np.flatnonzero(end)[:-1] + 1]
    place = np.arange(len(codes)) - np.repeat(starts, np.diff(np.r_[starts, len(codes)]))
    kind = np.where(special[starts], codes[starts], 0)  # 0 number, 64 None, 65 repeat
    if place.max() * 5 >= 53 or special[starts].sum() != special.sum() or kind[0]:
        msg = "a number string with a number too long or a broken None"
        raise ValueError(msg)
    numbers = np.add.reduceat(np.where(special, 0, codes & 31) << (5 * place), starts)
    signed, base = int(numbers[0]) % 2, _unzigzag(int(numbers[0]) // 2)
    repeat = np.flatnonzero(kind == 65)
    if len(repeat) and (repeat[0] < 2 or repeat[-1] + 1 >= len(kind)
                        or (kind[repeat + 1] != 0).any() or np.isin(repeat - 1, repeat + 1).any()):
        msg = "a number string with a repeat of nothing or of no count"
        raise ValueError(msg)
    times = np.ones(len(kind), dtype=np.int64)
    times[repeat - 1] += numbers[repeat + 1]
    keep = np.ones(len(kind), dtype=bool)
    keep[0] = False
    keep[repeat] = keep[repeat + 1] = False
    above, none = np.repeat(numbers[keep], times[keep]), np.repeat(kind[keep] == 64, times[keep])
    if signed:
        above = np.where(above % 2 == 0, above // 2, -(above + 1) // 2)
    values = (above + base).tolist()
    for i in np.flatnonzero(none):
        values[i] = None
    return values


def _unzigzag(number: int) -> int:
    return number // 2 if number % 2 == 0 else -(number + 1) // 2


def predicted_offsets(lat: np.ndarray, lng: np.ndarray, tpl, slope, ref) -> np.ndarray:
    """Each cell's predicted vertex offsets (n x 12 integers) from its centre (integers).

    Offset j is ``tpl[j] + floor((slope[2j] * (lat - ref[0]) + slope[2j + 1] * (lng - ref[1])
    + 2**29) / 2**30)``: whole numbers throughout, so the page computes the same.
    """
    tpl = np.asarray(tpl, dtype=np.int64)
    slope = np.asarray(slope, dtype=np.int64).reshape(-1, 2)
    dlat = np.asarray(lat, dtype=np.int64)[:, None] - int(ref[0])
    dlng = np.asarray(lng, dtype=np.int64)[:, None] - int(ref[1])
    scaled = slope[None, :, 0] * dlat + slope[None, :, 1] * dlng + (1 << (SLOPE_SHIFT - 1))
    return tpl[None, :] + (scaled >> SLOPE_SHIFT)


def fit_offsets(lat: np.ndarray, lng: np.ndarray, offsets: np.ndarray
                ) -> tuple[list[int], list[int], list[int]]:
    """Template, slopes and reference point that predict hexagons' offsets (n x 12) from
    their centres; slopes are left at zero where the page could not compute them exactly."""
    ref = [int(np.median(lat)), int(np.median(lng))]
    tpl = np.median(offsets, axis=0).round().astype(np.int64)
    slope = np.zeros((VERTEX_OFFSETS, 2), dtype=np.int64)
    span = np.column_stack([lat - ref[0], lng - ref[1]]).astype(float)
    if len(offsets) >= 3 and np.ptp(span, axis=0).min() > 0:
        design = np.column_stack([np.ones(len(span)), span])
        coef = np.linalg.lstsq(design, offsets.astype(float), rcond=None)[0]
        fitted = np.round(coef[1:].T * 2.0 ** SLOPE_SHIFT)
        if (np.abs(fitted).sum(axis=1).max() * np.abs(span).max() * 2) < _LARGEST:
            slope = fitted.astype(np.int64)
            tpl = np.round(coef[0]).astype(np.int64)
    return tpl.tolist(), slope.ravel().tolist(), ref


def pack_deviations(deviations: np.ndarray) -> np.ndarray:
    """Rows of twelve deviations of -1, 0 or 1 as one base-3 number each (lowest first)."""
    return ((np.asarray(deviations, dtype=np.int64) + 1)
            * 3 ** np.arange(VERTEX_OFFSETS, dtype=np.int64)).sum(axis=1)


def unpack_deviations(codes) -> np.ndarray:
    """The rows of deviations ``pack_deviations`` packed."""
    codes = np.asarray(codes, dtype=np.int64)
    return (codes[:, None] // 3 ** np.arange(VERTEX_OFFSETS, dtype=np.int64)) % 3 - 1
