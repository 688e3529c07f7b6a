"""The ``patrolmap`` console command (also ``python -m geo``).

Ctrl-C at any point, while the libraries load, during a build or while the interpreter shuts
down, prints one line and exits with 130: this module imports nothing heavy before it has
taken charge of the interrupt.
"""

from __future__ import annotations

import os
import signal
import sys

from geo._errors import interrupted

__all__ = ["console"]


def _leave_now(*_args) -> None:
    os._exit(interrupted())


def _first_interrupt(*_args) -> None:
    # the first Ctrl-C unwinds the run (so its temporary files go); a second one leaves at once
    signal.signal(signal.SIGINT, _leave_now)
    raise KeyboardInterrupt


def _hook(kind, value, traceback) -> None:
    if issubclass(kind, KeyboardInterrupt):
        _leave_now()
    sys.__excepthook__(kind, value, traceback)


def console() -> None:
    """Run the command line as the console script does; never returns."""
    sys.excepthook = _hook
    signal.signal(signal.SIGINT, _first_interrupt)
    try:
        from geo._memory import keep_freed_memory
        from geo.cli import main

        keep_freed_memory()  # millions of rows: freed arrays reused, not faulted in afresh
        code = main()
    except KeyboardInterrupt:
        code = interrupted()
    signal.signal(signal.SIGINT, _leave_now)  # shutting down: no traceback from exit handlers
    sys.exit(code)


if __name__ == "__main__":
    console()
