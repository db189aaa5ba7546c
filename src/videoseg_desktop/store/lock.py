"""An advisory lock on a project so that two processes never write the same database.

The OS releases the lock when the process dies, so a crash never leaves a project stuck.
"""

from __future__ import annotations

import os
from pathlib import Path

from videoseg_desktop.core.errors import ProjectLockedError, ReadOnlyAdvisedError


class ProjectLock:
    def __init__(self, path: Path):
        self.path = path
        self._fh = None

    def acquire(self) -> None:
        try:
            fh = open(self.path, "a+")  # noqa: SIM115 - held open for the life of the lock
        except OSError as exc:
            raise ReadOnlyAdvisedError(
                f"cannot lock {self.path.parent} for writing ({exc.strerror}); open it read-only"
            ) from exc
        try:
            _lock(fh)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise ProjectLockedError(
                f"{self.path.parent} is already open for writing ({holder}); close it there, "
                "or open it read-only"
            ) from None
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}")
            fh.flush()
        except OSError:  # a full disk: the lock itself holds, only the note of who holds it is lost
            pass
        self._fh = fh

    def release(self) -> None:
        if self._fh is None:
            return
        try:
            _unlock(self._fh)
        finally:
            self._fh.close()
            self._fh = None


if os.name == "nt":
    import msvcrt

    def _lock(fh) -> None:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(fh) -> None:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fh) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fh) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
