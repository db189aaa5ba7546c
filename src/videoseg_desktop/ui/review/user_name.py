"""Who is working in this window: the name recorded with every write the window makes.

``VIDEOSEG_USER`` wins (as in the CLI, an override for one run), then the name saved in the
preferences, then the login name. Changing it applies to the open project at once.
"""

from __future__ import annotations

import os

from PySide6.QtWidgets import QInputDialog, QWidget

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.store.authors import check_user, default_user

PREFERENCE = "user_name"


def resolve_user(preferences) -> str:
    if os.environ.get("VIDEOSEG_USER", "").strip():
        return default_user()
    saved = preferences.get(PREFERENCE)
    if isinstance(saved, str):
        try:
            return check_user(saved)
        except VideoSegError:  # a hand-edited preferences file: fall back to the login
            pass
    return default_user()


def apply_user(project, name: str) -> None:
    """Record ``name`` as the author of everything written through ``project`` from now on."""
    project.user = project.db.user = name


def ask_user_name(parent: QWidget, preferences, project=None) -> str | None:
    """The preferences dialog for the name; returns the new name, or None if unchanged."""
    current = resolve_user(preferences)
    note = ""
    if os.environ.get("VIDEOSEG_USER", "").strip():
        note = "\n(VIDEOSEG_USER is set: it wins over this preference while it is.)"
    text, ok = QInputDialog.getText(
        parent,
        "User name",
        f"Your name, recorded with everything you annotate or review:{note}",
        text=current,
    )
    if not ok:
        return None
    return set_user_name(preferences, text, project)


def set_user_name(preferences, text: str, project=None) -> str:
    """Save the preference (checked: it ends up in exports and statistics) and apply it."""
    name = check_user(text)
    preferences.set(PREFERENCE, name)
    name = resolve_user(preferences)
    if project is not None:
        apply_user(project, name)
    return name
