"""Errors that patrolmap raises for problems a user can fix."""


class PatrolmapError(Exception):
    """Base class of every error patrolmap raises on purpose."""


class InputError(PatrolmapError, ValueError):
    """An input file or option cannot be used; the message names the file, row or column, and
    the fix."""


class UsageError(PatrolmapError, ValueError):
    """Options that contradict each other or name something that does not exist."""
