"""The command's allocator settings: large freed arrays reused, Arrow on the same heap."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

_PROBE = """
import ctypes, sys
{before}
from geo._memory import keep_freed_memory
took = keep_freed_memory()
assert keep_freed_memory() == took  # once: a second call changes nothing
import pyarrow as pa
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.sbrk.restype, libc.sbrk.argtypes = ctypes.c_void_p, [ctypes.c_long]
block = libc.malloc(80 << 20)  # a column of ten million floats
print(took, pa.default_memory_pool().backend_name, block < libc.sbrk(0))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
@pytest.mark.parametrize("before", ["", "import pyarrow"])
def test_large_blocks_come_from_the_heap_and_arrow_uses_it(before):
    out = subprocess.run([sys.executable, "-c", _PROBE.format(before=before)],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "system", "True"]


def test_without_the_settings_large_blocks_are_mapped_apart():
    """The control: a fresh process maps an 80 MB block on its own (so the test above can
    fail)."""
    probe = _PROBE.replace("took = keep_freed_memory()", "took = False").replace(
        "assert keep_freed_memory() == took", "")
    out = subprocess.run([sys.executable, "-c", probe.format(before="")], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[2] == "False"


def test_the_command_takes_the_settings(monkeypatch):
    import geo.__main__ as entry
    import geo._memory as memory
    import geo.cli

    called = []
    monkeypatch.setattr(memory, "keep_freed_memory", lambda: called.append(True))
    monkeypatch.setattr(geo.cli, "main", lambda: 0)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back afterwards
    handler = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(SystemExit):
            entry.console()
    finally:
        signal.signal(signal.SIGINT, handler)
    assert called == [True]
