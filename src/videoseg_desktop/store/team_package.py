"""Work packages: the manifest tying a package to its source project, and item fingerprints.

A package is an ordinary project (a copy of the source's database cut down to some media) plus
``team-package.json``. Items are compared by fingerprints of their content, never by times or
ids alone: an object's fingerprint covers its label (by name), name, state, masks (with source,
model, score, author and acceptance), prompts and attribute values; a media item's covers its
workflow status. The manifest comes from a colleague like any project: it is checked field by
field and anything unexpected is one line (TeamPackageError), never a crash.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from videoseg_desktop.core.errors import ProjectError, StorageError
from videoseg_desktop.core.text import plural
from videoseg_desktop.store.database import connect, copy_for_reading

MANIFEST_NAME = "team-package.json"
MANIFEST_FORMAT = "videoseg-team-package"
MANIFEST_VERSION = 1
MAX_MANIFEST_BYTES = 128 * 1024**2  # 200,000 media and 1,000,000 objects: 86 MB
PROJECT_ID_KEY = "team.project_id"  # this project's own id (a package gets its own, too)
PACKAGE_KEYS = ("team.package_id", "team.source_id", "team.annotator")


class TeamPackageError(ProjectError):
    """A folder that is not a usable work package of this project (one line for the user)."""


@contextmanager
def open_package_db(path: Path) -> Iterator[sqlite3.Connection]:
    """The package database at ``path``, read-only, closed on leaving.

    SQLite reads a WAL database only where it can create the ``-shm`` file beside it, so a
    package on a read-only disk or share is read from a private copy of its database and its
    ``-wal`` (work an annotator's app had not yet checkpointed comes along; ``immutable=1`` would
    silently skip it)."""
    conn = connect(path, read_only=True)
    if os.access(path.parent, os.W_OK) or _readable(conn):
        try:
            yield conn
        finally:
            conn.close()
        return
    conn.close()
    try:
        copy = copy_for_reading(path)
    except StorageError as exc:
        raise TeamPackageError(f"{exc}; nothing was merged") from None
    try:
        conn = connect(Path(copy.name) / path.name, read_only=True)
        try:
            yield conn
        finally:
            conn.close()
    finally:
        copy.cleanup()


def _readable(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except (sqlite3.Error, ProjectError):  # the guarded connection turns errors into ours
        return False


def project_id(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (PROJECT_ID_KEY,)).fetchone()
    return row[0] if row and isinstance(row[0], str) else None


def ensure_project_id(conn: sqlite3.Connection) -> str:
    """The project's id, made on first use (inside the caller's transaction)."""
    found = project_id(conn)
    if found:
        return found
    new = uuid.uuid4().hex
    conn.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (PROJECT_ID_KEY, new)
    )
    return new


# -- fingerprints ----------------------------------------------------------------------------
def object_fingerprint(conn: sqlite3.Connection, object_id: int) -> str | None:
    """The content of one object, hashed; None when it does not exist."""
    row = conn.execute(
        "SELECT o.name, o.state, l.name FROM objects o LEFT JOIN labels l ON l.id = o.label_id"
        " WHERE o.id = ?",
        (object_id,),
    ).fetchone()
    if row is None:
        return None
    h = hashlib.sha256(repr(tuple(row)).encode("utf-8", "surrogateescape"))
    for query in (
        "SELECT frame, height, width, counts, source, model, score, author, accepted_by"
        " FROM masks WHERE object_id = ? ORDER BY frame",
        "SELECT frame, kind, x0, y0, x1, y1, positive, sort_order FROM prompts"
        " WHERE object_id = ? ORDER BY frame, sort_order, id",
        "SELECT s.name, v.frame_start, v.frame_end, v.value FROM attribute_values v"
        " JOIN attribute_specs s ON s.id = v.spec_id WHERE v.object_id = ?"
        " ORDER BY s.name, v.frame_start",
    ):
        h.update(b"|")
        for r in conn.execute(query, (object_id,)):
            h.update(repr(tuple(r)).encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:32]


def media_fingerprint(conn: sqlite3.Connection, media_id: int) -> str | None:
    row = conn.execute(
        "SELECT status, status_comment FROM media WHERE id = ?", (media_id,)
    ).fetchone()
    if row is None:
        return None
    return hashlib.sha256(repr(tuple(row)).encode("utf-8", "surrogateescape")).hexdigest()[:32]


# -- the manifest ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Manifest:
    package_id: str
    annotator: str
    created_at: str
    source_id: str
    source_name: str
    media: dict[int, int]  # package media id -> source media id
    sha256: dict[int, str]  # package media id -> content hash
    baseline_objects: dict[int, str]
    baseline_media: dict[int, str]

    def to_json(self, source_root: str, created_by: str) -> dict:
        return {
            "format": MANIFEST_FORMAT,
            "version": MANIFEST_VERSION,
            "package_id": self.package_id,
            "annotator": self.annotator,
            "created_at": self.created_at,
            "created_by": created_by,
            "source": {"id": self.source_id, "name": self.source_name, "root": source_root},
            "media": [
                {"package_id": p, "source_id": s, "sha256": self.sha256.get(p, "")}
                for p, s in sorted(self.media.items())
            ],
            "baseline": {
                "objects": {str(k): v for k, v in sorted(self.baseline_objects.items())},
                "media": {str(k): v for k, v in sorted(self.baseline_media.items())},
            },
        }


def write_manifest(folder: Path, manifest: Manifest, source_root: str, created_by: str) -> None:
    text = json.dumps(manifest.to_json(source_root, created_by), indent=1)
    tmp = folder / (MANIFEST_NAME + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(folder / MANIFEST_NAME)


def read_manifest(folder: Path) -> Manifest:
    """The package's manifest, checked; TeamPackageError (one line) for anything else."""
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        raise TeamPackageError(f"{folder} is not a work package (no {MANIFEST_NAME} in it)")
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise ValueError("the file is too large")
        with open(path, "rb") as f:  # bounded again: a size of 0 proves nothing for some files
            text = f.read(MAX_MANIFEST_BYTES + 1).decode("utf-8")
        if len(text) > MAX_MANIFEST_BYTES:
            raise ValueError("the file is too large")
        _sparse_enough(text)
        return _parse(json.loads(text))
    except (OSError, UnicodeDecodeError, RecursionError) as exc:
        raise TeamPackageError(f"cannot read the manifest of {folder}: {exc}") from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        why = " ".join(str(exc).split())[:120]
        raise TeamPackageError(
            f"{folder} is not a usable work package: its manifest is damaged ({why}); "
            "nothing was merged"
        ) from None


def _sparse_enough(text: str) -> None:
    """Python's objects for JSON's values weigh up to 20 times their text ('{},' is a 64-byte
    dict): a manifest as written holds at most one container per 75 characters, a quote per
    9 and a comma per 40, so a text far denser than that is refused before it is parsed."""
    n = len(text) + 1024
    if (
        text.count("{") + text.count("[") > n // 32
        or text.count('"') > n // 6
        or text.count(",") > n // 16
    ):
        raise ValueError("it holds far more values than a manifest has")


def _text(value, what: str, limit: int = 200) -> str:
    # printable: the annotator names conflict copies and report lines (a newline would forge one)
    if not isinstance(value, str) or not value or len(value) > limit or not value.isprintable():
        raise ValueError(
            f"{what} must be printable text, not empty, at most {plural(limit, 'character')}"
        )
    return value


def _ident(value, what: str) -> int:
    if type(value) is not int or not 1 <= value < 2**62:  # SQLite's integers end at 2**63
        raise ValueError(f"{what} must be a positive whole number")
    return value


def _fp_map(value, what: str) -> dict[int, str]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be an object")
    return {_ident(int(k), what): _text(v, what, 64) for k, v in value.items()}


def _parse(data) -> Manifest:
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ValueError("not a VideoSeg work package manifest")
    if data.get("version") != MANIFEST_VERSION:
        raise ValueError(f"version {data.get('version')!r}, this version reads {MANIFEST_VERSION}")
    source, baseline = data["source"], data["baseline"]
    if not isinstance(source, dict) or not isinstance(baseline, dict):
        raise ValueError("source and baseline must be objects")
    media, sha = {}, {}
    if not isinstance(data["media"], list):
        raise ValueError("media must be a list")
    for entry in data["media"]:
        p = _ident(entry["package_id"], "a media id")
        media[p] = _ident(entry["source_id"], "a media id")
        sha[p] = str(entry.get("sha256", ""))
    return Manifest(
        package_id=_text(data["package_id"], "package_id", 64),
        annotator=_text(data["annotator"], "annotator", 64),
        created_at=_text(data["created_at"], "created_at", 64),
        source_id=_text(source["id"], "the source id", 64),
        source_name=str(source.get("name", ""))[:200],
        media=media,
        sha256=sha,
        baseline_objects=_fp_map(baseline["objects"], "a baseline fingerprint"),
        baseline_media=_fp_map(baseline["media"], "a baseline fingerprint"),
    )


@dataclass(frozen=True)
class PackageRecord:
    """A package this project handed out (``team_packages``)."""

    id: str
    annotator: str
    folder: str
    created_at: str
    merged_at: str | None
    merges: int


def known_packages(conn: sqlite3.Connection) -> list[PackageRecord]:
    rows = conn.execute(
        "SELECT id, annotator, folder, created_at, merged_at, merges FROM team_packages"
        " ORDER BY created_at, annotator"
    ).fetchall()
    return [
        PackageRecord(str(r[0]), str(r[1]), str(r[2] or ""), str(r[3]), r[4], int(r[5] or 0))
        for r in rows
    ]
