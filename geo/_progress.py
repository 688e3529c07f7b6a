"""A progress bar over the steps of a long run, shown only where a person is watching."""

from __future__ import annotations

import sys
from pathlib import Path

LARGE_BYTES = 20_000_000
"""Inputs over this many bytes in total count as large enough to show progress."""


def wanted(files, *, quiet: bool = False) -> bool:
    """Show progress: not quiet, a terminal on stderr, and large input files."""
    if quiet or not sys.stderr.isatty():
        return False
    total = 0
    for file in files:
        try:
            total += Path(file).stat().st_size
        except OSError:
            continue
    return total >= LARGE_BYTES


class Steps:
    """``with Steps(5, enabled) as steps: steps.next("reading")`` advances a bar by steps."""

    def __init__(self, total: int, enabled: bool) -> None:
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="step", file=sys.stderr, leave=False,
                             bar_format="{desc:<40} {bar} {n_fmt}/{total_fmt} [{elapsed}]")

    def next(self, label: str) -> None:
        """Start the step called ``label``."""
        if self._bar is not None:
            if self._bar.desc:
                self._bar.update(1)
            self._bar.set_description_str(label)

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.update(self._bar.total - self._bar.n)
            self._bar.close()
