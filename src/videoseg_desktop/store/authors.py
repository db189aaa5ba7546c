"""Who is working: the name recorded with every object, prompt and mask a person or run makes."""

from __future__ import annotations

import getpass
import os

from videoseg_desktop.core.errors import VideoSegError

MAX_USER_LENGTH = 64


def default_user() -> str:
    """``VIDEOSEG_USER`` if set, else the login name (a team's names are their logins)."""
    name = os.environ.get("VIDEOSEG_USER", "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (containers) and no LOGNAME
            name = "unknown"
    return check_user(name)


def check_user(name: str) -> str:
    """A user name is a short printable string: it ends up in exports, stats and CSV files."""
    name = name.strip()
    if not name or len(name) > MAX_USER_LENGTH or not name.isprintable():
        raise VideoSegError(
            f"a user name must be 1 to {MAX_USER_LENGTH} printable characters, not {name!r}"
        )
    return name
