"""patrolmap: hexagon maps of incident hot spots and patrol coverage gaps."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("patrolmap")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
