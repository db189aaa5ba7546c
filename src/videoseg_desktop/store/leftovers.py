"""Temporary files of imports, exports and tracking, named after their process, and the clean-up
of those whose process is gone.

A killed import leaves ``media/.import-p<pid>-*`` (a partial copy, possibly gigabytes), a killed
export ``exports/.<name>.partial-p<pid>-*``, a killed tracking run ``cache/tracking/p<pid>/``.
When a project is opened for writing (its lock held, so no other writer runs), the ones whose
process no longer exists are removed. Names from older versions carry no pid: they are removed
once older than an hour.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from pathlib import Path

from videoseg_desktop.core.text import plural

log = logging.getLogger(__name__)

LEGACY_AGE_S = 3600
_OWNER = re.compile(r"(?:^|[.-])p(\d+)-")


def owner_tag(pid: int | None = None) -> str:
    """``p<pid>``: put in a temporary name so a later clean-up can tell whether it is live."""
    return f"p{os.getpid() if pid is None else pid}"


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine (a process of another user counts)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if os.name == "nt":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True  # unsure: keep the files
    return True


def _windows_pid_alive(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def _owner_gone(path: Path, now: float) -> bool:
    found = _OWNER.search(path.name)
    if found:
        return not pid_alive(int(found.group(1)))
    try:
        return now - path.lstat().st_mtime > LEGACY_AGE_S
    except OSError:
        return False


def leftover_candidates(root: Path):
    """Temporary files and folders of imports, exports and tracking under project ``root``."""
    media, exports, tracking = root / "media", root / "exports", root / "cache" / "tracking"
    for folder, test in (
        (media, lambda n: n.startswith(".import-")),
        (exports, lambda n: n.startswith(".") and ".partial-" in n),
        (tracking, lambda n: n.startswith(("track-", "p"))),
    ):
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if test(entry.name):
                        yield Path(entry.path)
        except OSError:
            continue


def clean_leftovers(root: Path) -> list[Path]:
    """Remove the temporary files and folders of dead processes under project ``root``.

    Call it only with the project's write lock held. Returns what was removed.
    """
    removed, now = [], time.time()
    for path in leftover_candidates(Path(root)):
        name = path.name
        if path.parent.name == "tracking" and name.startswith("p") and not name[1:].isdigit():
            continue
        if path.parent.name == "tracking" and name.startswith("p"):
            gone = not pid_alive(int(name[1:]))
        else:
            gone = _owner_gone(path, now)
        if not gone:
            continue
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError as exc:
            log.warning("could not remove the leftover %s: %s", path, exc)
            continue
        removed.append(path)
    if removed:
        log.info("removed %s of interrupted work in %s", plural(len(removed), "leftover"), root)
    return removed
