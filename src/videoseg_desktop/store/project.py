"""A project: a folder holding ``project.vseg`` (SQLite), ``media/``, ``cache/`` and ``exports/``."""

from __future__ import annotations

import json
from pathlib import Path

from videoseg_desktop.core.errors import ProjectError
from videoseg_desktop.core.records import MediaItem
from videoseg_desktop.store.attributes import AttributeRepository
from videoseg_desktop.store.authors import check_user, default_user
from videoseg_desktop.store.database import Database
from videoseg_desktop.store.effort import ActivityTracker, EffortRepository
from videoseg_desktop.store.labels import LabelRepository
from videoseg_desktop.store.lock import ProjectLock
from videoseg_desktop.store.masks import MaskRepository
from videoseg_desktop.store.media_repository import MediaRepository
from videoseg_desktop.store.objects import ObjectRepository, PromptRepository
from videoseg_desktop.store.prelabel import PrelabelRepository
from videoseg_desktop.store.review import ReviewRepository
from videoseg_desktop.store.schema import migrate, require_current

DB_NAME = "project.vseg"
DEFAULT_SETTINGS = {"name": "", "default_model": "tiny", "image_size": "1024"}


class KeyValues:
    """A small string key/value table (project settings, window state)."""

    def __init__(self, db: Database, table: str, defaults: dict[str, str] | None = None):
        self._db, self._table, self._defaults = db, table, defaults or {}

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self._db.conn.execute(
            f"SELECT value FROM {self._table} WHERE key = ?", (key,)
        ).fetchone()
        return row[0] if row else self._defaults.get(key, default)

    def set(self, key: str, value: str) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO {self._table} (key, value) VALUES (?, ?)",
                (key, str(value)),
            )
            self._db.changed(self._table)

    def all(self) -> dict[str, str]:
        stored = dict(self._db.conn.execute(f"SELECT key, value FROM {self._table}").fetchall())
        return {**self._defaults, **stored}


class Project:
    """An open project. Use ``Project.create`` or ``Project.open``; close it (or use ``with``)."""

    def __init__(self, root: Path, read_only: bool = False, user: str | None = None):
        self.root = root
        self.read_only = read_only
        self.user = check_user(user) if user is not None else default_user()
        self._lock = None if read_only else ProjectLock(root / f"{DB_NAME}.lock")
        if self._lock:
            self._lock.acquire()
        try:
            self.db = Database(root / DB_NAME, read_only=read_only, user=self.user)
            if read_only:
                require_current(self.db.conn, self.db.path)
                self.backup = None
            else:
                self.backup = migrate(self.db.conn, self.db.path)
        except BaseException:
            if self._lock:
                self._lock.release()
            raise
        self.settings = KeyValues(self.db, "settings", DEFAULT_SETTINGS)
        self.ui_state = KeyValues(self.db, "ui_state")
        self.labels = LabelRepository(self.db)
        self.media = MediaRepository(self.db)
        self.objects = ObjectRepository(self.db)
        self.prompts = PromptRepository(self.db)
        self.masks = MaskRepository(self.db)
        self.attributes = AttributeRepository(self.db)
        self.review = ReviewRepository(self.db)
        self.effort = EffortRepository(self.db)
        self.prelabels = PrelabelRepository(self.db)

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def create(
        cls, folder: Path | str, name: str | None = None, user: str | None = None
    ) -> Project:
        root = Path(folder).expanduser().absolute()
        if (root / DB_NAME).exists():
            raise ProjectError(f"{root} already holds a project")
        if root.exists() and not root.is_dir():
            raise ProjectError(f"{root} exists and is not a folder")
        try:
            for sub in ("", "media", "cache", "exports"):
                (root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProjectError(f"cannot create a project in {root}: {exc.strerror}") from exc
        project = cls(root, user=user)
        project.settings.set("name", name or root.name)
        project.review.refresh()  # no masks yet: marks the (empty) flags as current
        return project

    @classmethod
    def open(cls, path: Path | str, read_only: bool = False, user: str | None = None) -> Project:
        """Open from the project folder or from its ``project.vseg`` file."""
        path = Path(path).expanduser().absolute()
        root = path.parent if path.name == DB_NAME or path.suffix == ".vseg" else path
        if not (root / DB_NAME).is_file():
            raise ProjectError(f"{path} is not a VideoSeg project (no {DB_NAME} in it)")
        for sub in ("media", "cache", "exports"):
            (root / sub).mkdir(exist_ok=True)
        return cls(root, read_only=read_only, user=user)

    def close(self) -> None:
        self.db.close()
        if self._lock:
            self._lock.release()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- folders and files -----------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.settings.get("name") or self.root.name

    @property
    def media_dir(self) -> Path:
        return self.root / "media"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    def transaction(self):
        """Group several repository calls into one user-level change (one commit, or none)."""
        return self.db.transaction()

    def subscribe(self, listener):
        """Call ``listener(changes)`` after each committed change; returns an unsubscribe function."""
        return self.db.subscribe(listener)

    def activity_tracker(self, **options) -> ActivityTracker:
        """Active-time accounting for this project's user (the window feeds it input events)."""
        return ActivityTracker(self.effort, read_only=self.read_only, **options)

    def media_path(self, item: MediaItem) -> Path:
        path = Path(item.path)
        return path if path.is_absolute() else self.root / path

    def frame_index_path(self, item: MediaItem) -> Path:
        return self.cache_dir / "index" / f"{item.sha256[:20]}.npz"

    def thumbnail_path(self, item: MediaItem, size: int = 160) -> Path:
        """The cached thumbnail, made on first request (the cache folder is disposable)."""
        from videoseg_desktop.media.thumbnails import make_thumbnail

        out = self.cache_dir / "thumbs" / f"{item.sha256[:20]}_{size}.jpg"
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            make_thumbnail(self.media_path(item), item.kind, out, size=size)
        return out

    def open_frames(self, item: MediaItem):
        """A frame source (``len``, ``read(i)`` -> RGB uint8) for an image or a video."""
        from videoseg_desktop.media.frames import open_frames

        path = self.media_path(item)
        if not path.exists():
            raise ProjectError(f"the file of {item.original_name!r} is missing: {path}")
        return open_frames(path, item.kind, self.frame_index_path(item))

    def import_media(self, paths, link: bool = False, skip_bad: bool = False, progress=None):
        """Import files (see ``store.importer.import_media``)."""
        from videoseg_desktop.store.importer import import_media

        return import_media(self, paths, link=link, skip_bad=skip_bad, progress=progress)

    def summary(self) -> dict:
        return {
            "name": self.name,
            "root": str(self.root),
            "settings": self.settings.all(),
            **self.media.counts(),
            **self.objects.counts(),
        }

    def __repr__(self) -> str:
        return f"Project({json.dumps(str(self.root))})"
