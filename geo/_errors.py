"""Errors that patrolmap raises for problems a user can fix."""


class PatrolmapError(Exception):
    """Base class of every error patrolmap raises on purpose."""


class InputError(PatrolmapError, ValueError):
    """An input file or option cannot be used; the message names the file, row or column, and
    the fix."""


class UsageError(PatrolmapError, ValueError):
    """Options that contradict each other or name something that does not exist."""


INTERRUPTED = "patrolmap: interrupted"
_said: list[bool] = []


def interrupted() -> int:
    """Say once per run that Ctrl-C stopped it (stderr), and give the exit code 130."""
    import sys

    if not _said:
        _said.append(True)
        try:
            sys.stderr.write(INTERRUPTED + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):  # stderr closed: the exit code still says it
            pass
    return 130
