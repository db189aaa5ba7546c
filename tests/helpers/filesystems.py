"""Small real file systems for read-only and disk-full tests, where the platform allows.

Linux as root (CI containers, this machine) can mount a tmpfs of a few MiB and remount it
read-only: the errors are the kernel's own (ENOSPC, EROFS). Elsewhere the tests that need one
skip, and their mocked twins (ENOSPC raised at the write calls) still run.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path


def _run(*args: str) -> bool:
    try:
        return subprocess.run(args, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextlib.contextmanager
def small_tmpfs(folder: Path, size_kib: int) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` mounted on ``folder`` (which is created); skips the test when
    mounting is not allowed here."""
    import pytest

    folder.mkdir(parents=True, exist_ok=True)
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    if not _run("mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(folder)):
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        yield folder
    finally:
        _run("umount", "-l", str(folder))


def remount_read_only(folder: Path) -> None:
    assert _run("mount", "-o", "remount,ro", str(folder)), "cannot remount read-only"


def fill_disk(folder: Path, leave_bytes: int = 0) -> Path:
    """Fill the file system holding ``folder`` up to ``leave_bytes`` free; returns the filler."""
    filler = folder / "filler.bin"
    with open(filler, "wb") as fh:
        chunk = b"\0" * 65536
        try:
            while True:
                free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
                if free <= leave_bytes:
                    break
                fh.write(chunk[: max(1, min(len(chunk), free - leave_bytes))])
                fh.flush()
        except OSError:
            pass
    return filler
