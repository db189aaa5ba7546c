"""Project settings, validated like user input: a project comes from anyone.

A stored value drives what the application does (which model to load, at what size), so a
crafted or damaged ``settings`` row must never reach the code that acts on it. Known keys are
checked when written and again when read; a bad stored value is refused with one line naming
the key (``get``), or replaced by the safe default with a warning where the caller can go on
(``get_or_default``, the window).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from videoseg_desktop.core.errors import ProjectError

log = logging.getLogger(__name__)

# "auto": the input size follows the device when the model loads (512 on a CPU, 1024 on a GPU).
DEFAULT_SETTINGS = {"name": "", "default_model": "tiny", "image_size": "auto"}
IMAGE_SIZES = ("auto", "256", "512", "1024")
MAX_PROJECT_NAME = 200
# A model is named, never located: no path separators, no leading dot (see inference/registry).
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _project_name(value: str) -> str:
    if len(value) > MAX_PROJECT_NAME or not value.isprintable():
        raise ValueError(f"at most {MAX_PROJECT_NAME} printable characters")
    return value


def _model_name(value: str) -> str:
    if not _MODEL_NAME.match(value) or value.lower().endswith((".yaml", ".yml")):
        raise ValueError("a model name (letters, digits, '_', '-', '.'), never a file or path")
    return value


def _image_size(value: str) -> str:
    if value not in IMAGE_SIZES:
        raise ValueError(f"one of {', '.join(IMAGE_SIZES)}")
    return value


CHECKS: dict[str, Callable[[str], str]] = {
    "name": _project_name,
    "default_model": _model_name,
    "image_size": _image_size,
}


def check_setting(key: str, value: object) -> str:
    """``value`` as stored for ``key``, or ProjectError saying what the key accepts."""
    if not isinstance(value, str):
        raise ProjectError(f"the project setting {key!r} must be text, not {type(value).__name__}")
    check = CHECKS.get(key)
    if check is None:
        return value
    try:
        return check(value)
    except ValueError as exc:
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise ProjectError(
            f"the project setting {key} = {shown!r} is not valid (expected {exc})"
        ) from None


class ProjectSettings:
    """The ``settings`` table: string values, known keys checked on the way in and out."""

    def __init__(self, db, defaults: dict[str, str] | None = None):
        self._db = db
        self._defaults = dict(DEFAULT_SETTINGS if defaults is None else defaults)

    def _stored(self, key: str):
        row = self._db.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def get(self, key: str, default: str | None = None) -> str | None:
        """The stored value (checked), else the default; ProjectError for a bad stored value."""
        stored = self._stored(key)
        if stored is None:
            return self._defaults.get(key, default)
        return check_setting(key, stored)

    def get_or_default(self, key: str, default: str | None = None) -> str | None:
        """Like ``get``, but a bad stored value is logged and the safe default returned."""
        try:
            return self.get(key, default)
        except ProjectError as exc:
            log.warning("%s; using %r", exc, self._defaults.get(key, default))
            return self._defaults.get(key, default)

    def set(self, key: str, value: str) -> None:
        value = check_setting(key, str(value))
        with self._db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))
            self._db.changed("settings")

    def all(self) -> dict[str, str]:
        """Every setting; a bad stored value shows as its safe default."""
        keys = dict.fromkeys(self._defaults)
        keys.update(dict.fromkeys(r[0] for r in self._db.conn.execute("SELECT key FROM settings")))
        return {str(k): self.get_or_default(str(k)) for k in keys}
