"""Split a project into work packages, one self-contained project per annotator.

Each package starts as a copy of the source database (SQLite's online backup: labels, attribute
schemas, settings and every annotation with its provenance come along with their ids), cut down
to its media; the media files are copied, or linked to where the source keeps them. The source
records each package and the fingerprint of every item it handed out, so ``team_merge`` can
tell later who changed what.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.text import plural
from videoseg_desktop.store.authors import check_user
from videoseg_desktop.store.database import Database
from videoseg_desktop.store.project import DB_NAME, Project
from videoseg_desktop.store.team_package import (
    PROJECT_ID_KEY,
    Manifest,
    ensure_project_id,
    media_fingerprint,
    object_fingerprint,
    write_manifest,
)
from videoseg_desktop.store.timeutil import now_iso

Progress = Callable[[int, int, str], None]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class PackageInfo:
    annotator: str
    folder: Path
    package_id: str
    media: int
    objects: int
    frames: int


@dataclass
class Detached:
    """A second connection to an open project, for a split or merge on a background thread.

    Make it on the window's thread (it reads the project's name there); the connection opens
    on first use, on the job's thread (SQLite connections stay on the thread that made them),
    while the window's own connection stays idle. It takes no lock: the process holding the
    project's lock is the one using it."""

    root: Path
    name: str
    db_path: Path
    user: str
    media_path: Callable[[Any], Path]
    read_only: bool = False
    frame_index_path: Callable[[Any], Path] | None = None  # where a merge saves imported media's
    _db: Database | None = None

    @classmethod
    def of(cls, project: Project) -> Detached:
        return cls(
            project.root,
            project.name,
            project.db.path,
            project.user,
            project.media_path,
            project.read_only,
            project.frame_index_path,
        )

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.db_path, user=self.user)
            # The window may be writing a moment (its activity counter): wait, do not fail.
            self._db.conn.execute("PRAGMA busy_timeout = 10000")
        return self._db

    def transaction(self):
        return self.db.transaction()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


def annotator_names(into: int | None = None, names: list[str] | None = None) -> list[str]:
    """The annotators of a split: given names (checked, distinct), or ``annotator-1``..N."""
    if names:
        checked = [check_user(n) for n in names]
        if len({n.lower() for n in checked}) != len(checked):
            raise VideoSegError("each annotator of a split needs a different name")
        return checked
    if into is None or into < 1 or into > 1000:
        raise VideoSegError("split into 1 to 1000 packages")
    return [f"annotator-{i + 1}" for i in range(into)]


def assign(media: list[tuple[int, int]], n: int, by_frames: bool = False) -> list[list[int]]:
    """Share ``(media id, frames)`` among ``n`` packages: equal numbers of media items in import
    order, or (``by_frames``) equal numbers of frames, longest first onto the lightest package."""
    groups: list[list[int]] = [[] for _ in range(n)]
    if not by_frames:
        size, extra = divmod(len(media), n)
        start = 0
        for i in range(n):
            stop = start + size + (1 if i < extra else 0)
            groups[i] = [m for m, _ in media[start:stop]]
            start = stop
        return groups
    loads = [0] * n
    for media_id, frames in sorted(media, key=lambda m: (-m[1], m[0])):
        i = min(range(n), key=lambda k: (loads[k], k))
        groups[i].append(media_id)
        loads[i] += frames
    return [sorted(g) for g in groups]


def folder_name(project_name: str, annotator: str) -> str:
    base = _UNSAFE.sub("-", f"{project_name}-{annotator}").strip("-.") or "package"
    return base[:120]


def split_project(
    project: Project | Detached,
    out: Path,
    annotators: list[str],
    by_frames: bool = False,
    link: bool = False,
    progress: Progress | None = None,
) -> list[PackageInfo]:
    """Write one package per annotator under ``out``; nothing is left half-made on failure."""
    if project.read_only:
        raise VideoSegError(f"{project.root} is read-only: a split records its packages there")
    out = Path(out).expanduser().absolute()
    if out.resolve().is_relative_to(project.root.resolve()):
        raise VideoSegError("write the packages outside the project folder")
    rows = project.db.conn.execute("SELECT id, frame_count FROM media ORDER BY id").fetchall()
    if not rows:
        raise VideoSegError(f"{project.root} has no media to split")
    if len(annotators) > len(rows):
        raise VideoSegError(
            f"{plural(len(rows), 'media item')} cannot be shared among "
            f"{plural(len(annotators), 'annotator')}"
        )
    groups = assign([(r[0], r[1]) for r in rows], len(annotators), by_frames)
    folders = [out / folder_name(project.name, a) for a in annotators]
    for folder in folders:
        if folder.exists() and any(folder.iterdir()):
            raise VideoSegError(f"{folder} exists and is not empty; choose another folder")
    with project.transaction() as conn:
        source_id = ensure_project_id(conn)
    total = sum(len(g) for g in groups)
    done, made, infos, baselines = 0, [], [], []
    try:
        for annotator, folder, group in zip(annotators, folders, groups, strict=True):
            made.append(folder)
            info, manifest = _write_package(project, folder, annotator, group, source_id, link)
            done += len(group)
            if progress:
                progress(done, total, f"{annotator}: {info.media} media")
            infos.append(info)
            baselines.append(manifest)
        _record(project, infos, baselines)
    except BaseException:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return infos


def _write_package(
    project: Project | Detached,
    folder: Path,
    annotator: str,
    group: list[int],
    source_id: str,
    link: bool,
) -> tuple[PackageInfo, Manifest]:
    for sub in ("media", "cache", "exports"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    target = folder / DB_NAME
    dest = sqlite3.connect(target, isolation_level=None)
    try:
        project.db.conn.backup(dest)
        package_id = uuid.uuid4().hex
        _cut_down(dest, group)
        paths = _place_media(project, dest, folder, link)
        settings = {
            "name": f"{project.name} ({annotator})"[:200],
            PROJECT_ID_KEY: package_id,
            "team.package_id": package_id,
            "team.source_id": source_id,
            "team.annotator": annotator,
        }
        dest.executemany(
            "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", settings.items()
        )
        dest.execute("VACUUM")
        objects = [r[0] for r in dest.execute("SELECT id FROM objects ORDER BY id")]
        manifest = Manifest(
            package_id=package_id,
            annotator=annotator,
            created_at=now_iso(),
            source_id=source_id,
            source_name=project.name,
            media={m: m for m in group},
            sha256=paths,
            baseline_objects={o: object_fingerprint(dest, o) for o in objects},
            baseline_media={m: media_fingerprint(dest, m) for m in group},
        )
        frames = dest.execute("SELECT coalesce(sum(frame_count), 0) FROM media").fetchone()[0]
    finally:
        dest.close()
    write_manifest(folder, manifest, str(project.root), project.db.user)
    info = PackageInfo(annotator, folder, package_id, len(group), len(objects), frames)
    return info, manifest


def _cut_down(dest: sqlite3.Connection, group: list[int]) -> None:
    """Keep only the package's media (cascades take their objects, masks, flags, effort...)."""
    dest.execute("PRAGMA foreign_keys = ON")
    dest.execute("BEGIN")
    dest.execute("CREATE TEMP TABLE keep (id INTEGER PRIMARY KEY)")
    dest.executemany("INSERT INTO keep (id) VALUES (?)", [(m,) for m in group])
    dest.execute("DELETE FROM media WHERE id NOT IN (SELECT id FROM keep)")
    for table in ("team_items", "team_packages", "ui_state"):
        dest.execute(f"DELETE FROM {table}")
    dest.execute("COMMIT")
    dest.execute("DROP TABLE keep")


def _place_media(
    project: Project | Detached, dest: sqlite3.Connection, folder: Path, link: bool
) -> dict:
    """Copy each media file into the package (same relative path), or link it to the source's
    file; returns media id -> sha256 for the manifest."""
    from videoseg_desktop.store.media_repository import _media

    rows = dest.execute("SELECT * FROM media ORDER BY id")
    rows.row_factory = sqlite3.Row
    hashes, relinks = {}, []
    for row in rows.fetchall():
        item = _media(row)
        hashes[item.id] = item.sha256
        source = project.media_path(item)
        if item.linked:
            continue  # already an absolute path the package can use as it is
        if link:
            relinks.append((str(source), item.id))
            continue
        target = folder.joinpath(*Path(item.path.replace("\\", "/")).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.exists():
            shutil.copy2(source, target)
    if relinks:
        dest.executemany("UPDATE media SET path = ?, linked = 1 WHERE id = ?", relinks)
    return hashes


def _record(
    project: Project | Detached, infos: list[PackageInfo], manifests: list[Manifest]
) -> None:
    """The source remembers what it handed out: the baseline of every item of every package."""
    stamp = now_iso()
    with project.transaction() as conn:
        for info, m in zip(infos, manifests, strict=True):
            conn.execute(
                "INSERT INTO team_packages (id, annotator, folder, created_at, created_by)"
                " VALUES (?, ?, ?, ?, ?)",
                (info.package_id, info.annotator, str(info.folder), stamp, project.db.user),
            )
            conn.executemany(
                "INSERT INTO team_items (package_id, kind, package_item, source_item,"
                " package_fp, source_fp) VALUES (?, ?, ?, ?, ?, ?)",
                [(info.package_id, "object", o, o, fp, fp) for o, fp in m.baseline_objects.items()]
                + [(info.package_id, "media", i, i, fp, fp) for i, fp in m.baseline_media.items()],
            )
        project.db.changed("settings")
