"""The outcome of checking one input file: what was accepted, rejected or left outside the
period, with the counts a person reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from geo.inputs._judge import Judge

__all__ = ["Checked", "KIND_WORDS"]

KIND_WORDS = {"incidents": "incidents", "pings": "pings", "posts": "posts",
              "patrol_points": "reported patrol visits"}


@dataclass
class Checked:
    """The outcome of checking one file: accepted rows, rejects with reasons, and counts.

    Rows read always equal rows accepted plus rows rejected plus rows ``outside`` the period
    (``--from``/``--to``), which are neither rejected nor used.
    """

    kind: str
    path: Path
    accepted: pd.DataFrame
    judged: Judge
    rows_read: int
    used: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    row_word: str = "row"
    period: str = ""
    """The period rows were kept for, as text (empty when none was asked)."""

    def __post_init__(self) -> None:
        if len(self.accepted) + self.judged.rejected + self.outside != self.rows_read:
            msg = "rows read must equal accepted plus rejected plus outside the period"
            raise AssertionError(msg)

    @property
    def outside(self) -> int:
        """Rows that pass every check but fall outside the period asked for."""
        return self.judged.outside

    @property
    def weighted_total(self) -> int | None:
        """Incidents the accepted rows stand for by their count column; None without one."""
        if "count" not in self.used:
            return None
        return int(self.accepted["count"].sum())

    @cached_property
    def rejects(self) -> pd.DataFrame:
        """Every rejected row: ``row``, ``column``, ``reason`` and the offending ``value``."""
        return self.judged.rejects()

    @cached_property
    def _plain_rejects(self) -> pd.DataFrame:
        return self.judged.rejects(values=False)

    def reasons(self) -> pd.Series:
        """Rejected rows counted by reason, most common first."""
        return self._plain_rejects["reason"].value_counts()

    def summary(self) -> str:
        """A few lines a person reads: counts, columns used, and why rows were rejected."""
        head = (f"{self.path.name}: {KIND_WORDS.get(self.kind, self.kind)}: "
                f"{self.rows_read:,} rows read, {len(self.accepted):,} accepted")
        if self.weighted_total is not None:
            head += f" ({self.weighted_total:,} incidents by count)"
        head += f", {self.judged.rejected:,} rejected"
        if self.outside:
            head += f", {self.outside:,} outside the period {self.period}"
        lines = [head]
        used = ", ".join(f"{k} <- {v!r}" for k, v in self.used.items())
        if used:
            lines.append(f"  columns used: {used}")
        for reason, count in self.reasons().items():
            plain = self._plain_rejects
            first = plain.loc[plain["reason"] == reason, "row"].head(5).tolist()
            rows = ", ".join(str(r) for r in first) + (" ..." if count > 5 else "")
            lines.append(f"  rejected {count:,}: {reason} ({self.row_word}s {rows})")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def quality(self) -> dict:
        """Counts for a data quality table: file name (no folder), kind, rows read, accepted,
        rejected, outside the period, and (reason, rows) pairs, most common first. No row
        numbers, no values."""
        return {"file": self.path.name, "kind": self.kind, "rows_read": self.rows_read,
                "accepted": len(self.accepted), "rejected": self.judged.rejected,
                "outside": self.outside,
                "reasons": tuple((str(r), int(n)) for r, n in self.reasons().items())}

    def write_rejects(self, folder: str | Path, *, name: str | None = None) -> Path | None:
        """Write the rejects as CSV (row, column, reason, value) into ``folder``; None if none.

        The file is ``name`` (see :func:`geo.inputs.validate.rejects_names`), by default
        ``<safe stem>_rejects.csv``; every cell is spreadsheet-safe.
        """
        from geo._csv import write_csv
        from geo.inputs.validate import rejects_names

        if self.judged.rejected == 0:
            return None
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        return write_csv(self.rejects, folder / (name or rejects_names([self.path])[0]))
