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


_THREAD_PROBE = """
import ctypes, threading
from geo._memory import keep_freed_memory
keep_freed_memory()
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.sbrk.restype, libc.sbrk.argtypes = ctypes.c_void_p, [ctypes.c_long]
found = []
worker = threading.Thread(target=lambda: found.append(libc.malloc(80 << 20)))
worker.start()
worker.join()
print(found[0] < libc.sbrk(0))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_thread_takes_its_large_blocks_from_the_same_heap():
    """A worker thread's column of ten million floats comes from the heap the main thread
    frees into, not from an arena of the thread's own."""
    out = subprocess.run([sys.executable, "-c", _THREAD_PROBE], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["True"]


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


def test_sorted_by_key_and_time_is_read_a_chunk_at_a_time_and_whole():
    """Rows out of order are found wherever they are: in the first chunk, across the
    border between two chunks, in the last row."""
    import numpy as np

    from geo._arrays import _CHUNK, sorted_by_key_time

    key = np.repeat(np.arange(3), _CHUNK)  # each key's times start again: still in order
    time = np.tile(np.arange(_CHUNK), 3)
    assert sorted_by_key_time(key, time)
    for at in (5, _CHUNK // 2, 2 * _CHUNK - 1):  # a time earlier than the one before it
        late = time.copy()
        late[at] = late[at - 1] - 1
        assert not sorted_by_key_time(key, late)
    same = np.zeros(3 * _CHUNK, dtype=np.int64)
    across = np.arange(3 * _CHUNK)
    across[_CHUNK] = across[_CHUNK - 1] - 1  # the pair the two chunks share
    assert not sorted_by_key_time(same, across)
    back = key.copy()
    back[-1] = 1  # the last row's key goes back
    assert not sorted_by_key_time(back, time)
    assert sorted_by_key_time(key[:1], time[:1]) and sorted_by_key_time(key[:0], time[:0])
