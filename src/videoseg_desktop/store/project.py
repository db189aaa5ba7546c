"""A project: a folder holding ``project.vseg`` (SQLite), ``media/``, ``cache/`` and ``exports/``."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import tempfile
from pathlib import Path, PurePosixPath, PureWindowsPath

from videoseg_desktop.core.errors import ProjectError, StorageError
from videoseg_desktop.core.records import MediaItem
from videoseg_desktop.store.attributes import AttributeRepository
from videoseg_desktop.store.authors import check_user, default_user
from videoseg_desktop.store.batch_runs import BatchRunRepository
from videoseg_desktop.store.database import Database
from videoseg_desktop.store.effort import ActivityTracker, EffortRepository
from videoseg_desktop.store.labels import LabelRepository
from videoseg_desktop.store.leftovers import clean_leftovers, owner_tag
from videoseg_desktop.store.lock import ProjectLock
from videoseg_desktop.store.masks import MaskRepository
from videoseg_desktop.store.media_guard import MediaGuard
from videoseg_desktop.store.media_repository import MediaRepository
from videoseg_desktop.store.objects import ObjectRepository, PromptRepository
from videoseg_desktop.store.prelabel import PrelabelRepository
from videoseg_desktop.store.review import ReviewRepository
from videoseg_desktop.store.schema import migrate, require_current
from videoseg_desktop.store.settings import DEFAULT_SETTINGS, ProjectSettings

log = logging.getLogger(__name__)

DB_NAME = "project.vseg"
__all__ = ["DB_NAME", "DEFAULT_SETTINGS", "KeyValues", "Project", "writable"]


def writable(root: Path) -> bool:
    """Whether the project folder and its database can be written (False on a read-only disk
    or share, or a folder without write permission)."""
    db = root / DB_NAME
    return os.access(root, os.W_OK) and (not db.exists() or os.access(db, os.W_OK))


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
    """An open project. Use ``Project.create`` or ``Project.open``; close it (or use ``with``).

    ``read_only`` projects refuse every change (ProjectReadOnlyError). A project whose folder
    cannot be written is always opened read-only, without any file being created in it
    (``read_only_reason`` says why).
    """

    def __init__(self, root: Path, read_only: bool = False, user: str | None = None):
        self.root = root
        on_disk_ro = not writable(root)
        self.read_only = read_only or on_disk_ro
        self.read_only_reason: str | None = None
        if on_disk_ro:
            self.read_only_reason = "the folder cannot be written"
        elif read_only:
            self.read_only_reason = "opened read-only"
        self.user = check_user(user) if user is not None else default_user()
        self._lock = None if self.read_only else ProjectLock(root / f"{DB_NAME}.lock")
        if self._lock:
            self._lock.acquire()
        try:
            self.db = self._connect(on_disk_ro)
            if self.read_only:
                require_current(self.db.conn, self.db.path)
                self.backup = None
            else:
                self.backup = migrate(self.db.conn, self.db.path)
        except BaseException:
            if self._lock:
                self._lock.release()
            raise
        # With the lock held no other writer runs: what dead processes left can go.
        self.leftovers_removed = [] if self.read_only else clean_leftovers(root)
        self._cache_dir = self._choose_cache_dir()
        self._media_dir_plain: bool | None = None
        self.settings = ProjectSettings(self.db)
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
        self.batch_runs = BatchRunRepository(self.db)
        self.media_guard = MediaGuard(self)

    def _connect(self, immutable: bool) -> Database:
        path = self.root / DB_NAME
        try:
            return Database(path, read_only=self.read_only, user=self.user, immutable=immutable)
        except StorageError as exc:
            if not self.read_only or immutable or "disk error" not in str(exc):
                raise
            # SQLite's read-only mode still needs its -shm file, which a full disk cannot hold:
            # read the file as it is (a writer cannot have committed more on a full disk).
            log.warning("opening %s without shared memory (the disk is full?)", path)
            return Database(path, read_only=True, user=self.user, immutable=True)

    def _choose_cache_dir(self) -> Path:
        """``cache/`` in the project, or (read-only folder) a private one in the temp folder."""
        own = self.root / "cache"
        if not self.read_only or (own.is_dir() and os.access(own, os.W_OK)):
            return own
        key = hashlib.sha256(str(self.root).encode("utf-8", "surrogateescape")).hexdigest()
        return Path(tempfile.gettempdir()) / "videoseg-cache" / key[:16]

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
        if not read_only and writable(root):
            for sub in ("media", "cache", "exports"):
                try:
                    (root / sub).mkdir(exist_ok=True)
                except OSError as exc:
                    raise ProjectError(f"cannot create {root / sub}: {exc.strerror}") from exc
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
        return self.settings.get_or_default("name") or self.root.name

    @property
    def media_dir(self) -> Path:
        return self.root / "media"

    @property
    def cache_dir(self) -> Path:
        return self._cache_dir

    @property
    def tracking_dir(self) -> Path:
        """Where this process's tracking memory spills (removed on open once the process is
        gone, if it was killed)."""
        return self.cache_dir / "tracking" / owner_tag()

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
        """The media's file: a linked file where it was, a copy inside ``media/``.

        A copy's path comes from the database, which anyone may have written: it must stay
        inside ``media/`` (no ``..``, no absolute path, no symbolic link out), else ProjectError.
        """
        if item.linked:
            path = Path(item.path)
            if not path.is_absolute():
                raise ProjectError(
                    f"media {item.id} is linked to a relative path {item.path!r}; re-link it"
                )
            return path
        text = item.path.replace("\\", "/")
        parts = PurePosixPath(text).parts
        if (
            PurePosixPath(text).is_absolute()
            or PureWindowsPath(item.path).drive
            or len(parts) < 2
            or parts[0] != "media"
            or any(p in ("..", ".", "") for p in parts)
        ):
            raise _outside(item)
        path = self.root.joinpath(*parts)
        if len(parts) == 2 and self._plain_entry(path):
            return path  # an entry of media/ that is no symbolic link: inside (one lstat)
        try:
            inside = path.resolve().is_relative_to(self.media_dir.resolve())
        except (OSError, RuntimeError):  # a symbolic link loop
            inside = False
        if not inside:
            raise _outside(item)
        return path

    def media_dir_plain(self) -> bool:
        """Whether media/ is the project's own folder (no symbolic link to elsewhere)."""
        if self._media_dir_plain is None:
            try:
                self._media_dir_plain = not self.media_dir.is_symlink() and (
                    self.media_dir.resolve().parent == self.root.resolve()
                )
            except (OSError, RuntimeError):
                self._media_dir_plain = False
        return self._media_dir_plain

    def _plain_entry(self, path: Path) -> bool:
        """Whether ``path`` (directly in media/) is absent or no symbolic link, and media/
        itself is the project's own folder: then it cannot lead outside (a project of 200,000
        images opens with one lstat per file, not a full path resolution)."""
        if not self.media_dir_plain():
            return False
        try:
            return not stat.S_ISLNK(os.lstat(path).st_mode)
        except FileNotFoundError:
            return True
        except (OSError, ValueError):  # (a NUL in a crafted path: the full check decides)
            return False

    def frame_index_path(self, item: MediaItem) -> Path:
        return self.cache_dir / "index" / f"{_cache_key(item)}.npz"

    def thumbnail_path(self, item: MediaItem, size: int = 160) -> Path:
        """The cached thumbnail, made on first request (the cache folder is disposable)."""
        from videoseg_desktop.media.thumbnails import make_thumbnail

        out = self.cache_dir / "thumbs" / f"{_cache_key(item)}_{int(size)}.jpg"
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

    def import_media(
        self, paths, link: bool = False, skip_bad: bool = False, progress=None, verify=False
    ):
        """Import files (see ``store.importer.import_media``)."""
        from videoseg_desktop.store.importer import import_media

        return import_media(
            self, paths, link=link, skip_bad=skip_bad, progress=progress, verify=verify
        )

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


def _outside(item: MediaItem) -> ProjectError:
    return ProjectError(
        f"media {item.id} ({item.original_name!r}) points outside the project's media/ folder "
        f"({item.path!r}): the project may have been tampered with; the file is not used"
    )


def _cache_key(item: MediaItem) -> str:
    """A file name for the media's cache entries: its hash, or (a damaged row) a hash of it."""
    sha = item.sha256
    if not (isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)):
        sha = hashlib.sha256(str(sha).encode("utf-8", "surrogateescape")).hexdigest()
    return sha[:20]
