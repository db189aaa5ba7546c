"""File modes that follow the user's umask.

Temporary files and folders (``tempfile.mkstemp``/``mkdtemp``) are private (0600/0700) by design;
once one becomes a media copy or an export it must get the mode any new file would get, or a
project shared on a team drive is unreadable to colleagues.
"""

from __future__ import annotations

import os
from pathlib import Path


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: read by setting (briefly) and restoring
    os.umask(mask)
    return mask


def apply_default_mode(path: Path | str, is_dir: bool | None = None) -> None:
    """Give ``path`` the mode a newly created file (0666) or folder (0777) gets under the umask."""
    path = Path(path)
    if os.name == "nt":
        return
    if is_dir is None:
        is_dir = path.is_dir()
    os.chmod(path, (0o777 if is_dir else 0o666) & ~current_umask())
