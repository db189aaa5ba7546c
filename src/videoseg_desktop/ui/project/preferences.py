"""Per-user preferences of the window: recent projects, the chosen model settings and the
checkpoint file chosen for each model.

A small JSON file in the user's config folder ($VIDEOSEG_CONFIG_DIR overrides it, which the
tests use); a damaged file is ignored, never an error.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)
CONFIG_DIR_ENV = "VIDEOSEG_CONFIG_DIR"
MAX_RECENT = 10


def config_dir() -> Path:
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("videoseg-desktop"))


def data_dir() -> Path:
    """Where the demo project is made ($VIDEOSEG_CONFIG_DIR/data when overridden)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser() / "data"
    from platformdirs import user_data_dir

    return Path(user_data_dir("videoseg-desktop"))


class Preferences:
    def __init__(self, path: Path | None = None):
        self.path = path or config_dir() / "preferences.json"
        self._data: dict = {}
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self._data = loaded
        except (OSError, ValueError, RecursionError):  # a damaged file: start afresh
            pass

    def get(self, key: str, default=None):
        return self._data.get(key, default)

    def set(self, key: str, value) -> None:
        self._data[key] = value
        self._save()

    def checkpoint_for(self, model: str) -> str | None:
        """The checkpoint file the user chose for ``model``, if it is still there."""
        chosen = self._data.get("checkpoints", {})
        path = chosen.get(model) if isinstance(chosen, dict) else None
        if isinstance(path, str) and path and Path(path).is_file():
            return path
        return None

    def remember_checkpoint(self, model: str, path: str | None) -> None:
        chosen = self._data.get("checkpoints")
        chosen = dict(chosen) if isinstance(chosen, dict) else {}
        if path:
            chosen[model] = str(path)
        else:
            chosen.pop(model, None)
        self._data["checkpoints"] = chosen
        self._save()

    def recent_projects(self) -> list[str]:
        recent = self._data.get("recent_projects", [])
        return [p for p in recent if isinstance(p, str)]

    def add_recent(self, root: Path | str) -> None:
        root = str(Path(root).absolute())
        recent = [p for p in self.recent_projects() if p != root]
        self._data["recent_projects"] = [root, *recent][:MAX_RECENT]
        self._save()

    def remove_recent(self, root: Path | str) -> None:
        root = str(Path(root).absolute())
        self._data["recent_projects"] = [p for p in self.recent_projects() if p != root]
        self._save()

    def _save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".json.part")
            tmp.write_text(json.dumps(self._data, indent=2), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:  # preferences are a convenience: never block on them
            log.warning("could not save preferences to %s: %s", self.path, exc)
