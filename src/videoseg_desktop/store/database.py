"""The SQLite connection: WAL, foreign keys, nested transactions and change events.

Every user-level change runs in one ``transaction()``; nested calls are savepoints inside the outer
one, so a repository method can be used alone or as part of a larger edit. Listeners hear about changes
only after the outermost transaction commits.

Every SQLite failure (disk full, a damaged page, a read-only file, an I/O error) surfaces as a
``StorageError`` naming the project and what to do, whichever statement or row it happened on;
integrity errors stay ``sqlite3.IntegrityError`` for the repositories to explain.

Read-only opening uses SQLite's ``mode=ro``; where the folder cannot be written (a read-only
disk or share) it adds ``immutable=1``, which needs no lock and creates no ``-wal``/``-shm`` files.
``immutable=1`` reads the database file alone, so where a ``-wal`` still holds committed work (a
project copied while open, an app that died) a private copy of both is read instead.
"""

from __future__ import annotations

import functools
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from videoseg_desktop.core.errors import ProjectError, ProjectReadOnlyError, StorageError
from videoseg_desktop.core.text import size_text


@dataclass(frozen=True)
class Change:
    """What changed: ``table`` is labels, media, objects, prompts, masks or settings."""

    table: str
    ids: tuple[int, ...] = ()


Listener = Callable[[list[Change]], None]


def row_reader(table: str):
    """Decorate a row -> record function: a row no version of ours wrote (a wrong type, an
    unknown enum value; the project may come from anyone) is a ProjectError, not a crash."""

    def wrap(read):
        @functools.wraps(read)
        def checked(row):
            try:
                return read(row)
            except (ValueError, TypeError, KeyError, IndexError) as exc:
                ident = row["id"] if "id" in row.keys() else row[0]  # noqa: SIM118 (a Row)
                why = " ".join(str(exc).split())[:120]
                raise ProjectError(
                    f"a row of {table} ({ident!r:.40}) is damaged ({why}); run `videoseg check`"
                ) from None

        return checked

    return wrap


def storage_error(exc: sqlite3.Error, path: Path) -> ProjectError:
    """One line for the user: what failed with the database at ``path`` and what to do."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = " ".join(str(exc).split())  # SQLite quotes a damaged schema, newlines and all
    if len(text) > 160:
        text = text[:157] + "..."
    root = path.parent
    if name == "SQLITE_FULL" or "disk is full" in text:
        return StorageError(
            f"the disk holding {root} is full: nothing was saved; free some space and try again"
        )
    if name.startswith("SQLITE_NOTADB") or "not a database" in text:
        return StorageError(f"{path} is not a readable project database ({text})")
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return StorageError(
            f"{path} is damaged ({text}); run `videoseg check {root}` to see what is wrong"
        )
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return ProjectReadOnlyError(f"{root} cannot be written here ({text}): nothing was saved")
    if name.startswith("SQLITE_IOERR") or "I/O error" in text:
        return StorageError(
            f"a disk error stopped reading or writing {path} ({text}); nothing was saved "
            f"half-way; check the disk, then run `videoseg check {root}`"
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return StorageError(f"{path} is busy (another program holds it); try again")
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM")) or "unable to open" in text:
        return StorageError(f"cannot open {path} ({text}); check that it exists and is readable")
    return StorageError(f"{path} is not a readable project database ({text})")


def as_count(value, least: int = 1) -> int:
    """Sizes and counts that the rest of the program computes with (SQLite keeps any type)."""
    if type(value) is not int or value < least:
        raise ValueError(f"{value!r} is not a whole number >= {least}")
    return value


def as_number(value) -> float | None:
    if value is not None and type(value) not in (int, float):
        raise ValueError(f"{value!r} is not a number")
    return value


def as_text(value) -> str:
    if type(value) is not str:
        raise ValueError(f"{value!r} is not text")
    return value


def as_optional_text(value) -> str | None:
    return None if value is None else as_text(value)


def as_score(value) -> float | None:
    """A model's confidence: absent, or a number within 0 and 1 (NaN is refused too)."""
    value = as_number(value)
    if value is not None and not 0.0 <= value <= 1.0:
        raise ValueError(f"{value!r} is not a score within 0 and 1")
    return value


class _Cursor(sqlite3.Cursor):
    """A cursor whose SQLite failures are StorageErrors (integrity errors pass unchanged)."""

    db_path: Path = Path("project.vseg")

    def _fail(self, exc: Exception):
        if isinstance(exc, UnicodeDecodeError):  # SQLite's message quotes damaged schema text
            return StorageError(
                f"{self.db_path} is damaged (unreadable text in its schema); run "
                f"`videoseg check {self.db_path.parent}` to see what is wrong"
            )
        if isinstance(exc, sqlite3.IntegrityError) or not isinstance(exc, sqlite3.DatabaseError):
            return exc
        return storage_error(exc, self.db_path)

    def execute(self, sql, params=()):
        try:
            return super().execute(sql, params)
        except _FAILURES as exc:
            raise self._fail(exc) from exc

    def executemany(self, sql, seq):
        try:
            return super().executemany(sql, seq)
        except _FAILURES as exc:
            raise self._fail(exc) from exc

    def fetchone(self):
        try:
            return super().fetchone()
        except _FAILURES as exc:
            raise self._fail(exc) from exc

    def fetchmany(self, size: int = 1):
        try:
            return super().fetchmany(size)
        except _FAILURES as exc:
            raise self._fail(exc) from exc

    def fetchall(self):
        try:
            return super().fetchall()
        except _FAILURES as exc:
            raise self._fail(exc) from exc

    def __next__(self):
        try:
            return super().__next__()
        except _FAILURES as exc:
            raise self._fail(exc) from exc


_FAILURES = (sqlite3.Error, UnicodeDecodeError)


class _Connection(sqlite3.Connection):
    """``execute`` goes through ``_Cursor`` so every statement and row is guarded."""

    db_path: Path = Path("project.vseg")

    def cursor(self, factory=None):
        cur = super().cursor(factory or _Cursor)
        cur.db_path = self.db_path
        return cur

    def execute(self, sql, params=()):
        return self.cursor().execute(sql, params)

    def executemany(self, sql, seq):
        return self.cursor().executemany(sql, seq)


def connect(path: Path, read_only: bool = False, immutable: bool = False) -> sqlite3.Connection:
    """A guarded connection to ``path`` (see the module docstring for the modes)."""
    mode = "ro" if read_only or immutable else "rwc"
    uri = f"{path.resolve().as_uri()}?mode={mode}" + ("&immutable=1" if immutable else "")
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, factory=_Connection)
    except sqlite3.Error as exc:
        raise storage_error(exc, path) from exc
    except UnicodeDecodeError:
        raise StorageError(f"{path} is damaged (unreadable text)") from None
    conn.db_path = path
    # Text that is not UTF-8 (a damaged or crafted file) reads as U+FFFD instead of failing.
    conn.text_factory = _decode_text
    return conn


def _decode_text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


COPY_SPARE_BYTES = 256 * 1024**2  # left free on the temp disk by ``copy_for_reading``


def wal_pending(path: Path) -> bool:
    """Whether committed work may still sit in ``path``'s ``-wal`` file, not in ``path``."""
    wal = path.with_name(path.name + "-wal")
    try:
        return wal.stat().st_size > 0
    except OSError:
        return False


def copy_for_reading(path: Path) -> tempfile.TemporaryDirectory:
    """A private copy of the database at ``path`` and its ``-wal``, as ``<dir>/<name>``, for
    reading where SQLite cannot read the original whole (a read-only folder: ``immutable=1``
    skips the ``-wal``, ``mode=ro`` must create ``-shm``). ``cleanup()`` removes it."""
    wal = path.with_name(path.name + "-wal")
    scratch = tempfile.TemporaryDirectory(prefix="videoseg-read-")
    try:
        # Sizes as the files claim (a crafted one may be sparse): never fill the temp disk.
        size = path.stat().st_size + (wal.stat().st_size if wal.is_file() else 0)
        if size + COPY_SPARE_BYTES > shutil.disk_usage(scratch.name).free:
            raise OSError(28, f"{size_text(size)} do not fit in {tempfile.gettempdir()}")
        copy = Path(scratch.name) / path.name
        shutil.copyfile(path, copy)
        if wal.is_file():
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
    except OSError as exc:
        scratch.cleanup()
        raise StorageError(
            f"cannot read {path} in its read-only folder: copying it and its -wal to a temporary"
            f" folder failed ({exc.strerror or exc})"
        ) from None
    return scratch


class Database:
    def __init__(
        self, path: Path, read_only: bool = False, user: str = "unknown", immutable: bool = False
    ):
        self.path = path
        self.read_only = read_only or immutable
        self.immutable = immutable
        self.user = user  # recorded as the author of every row written through this connection
        self._copy = copy_for_reading(path) if immutable and wal_pending(path) else None
        if self._copy is None:
            self.conn = connect(path, read_only, immutable)
        else:
            self.conn = connect(Path(self._copy.name) / path.name, read_only=True)
            self.conn.db_path = path  # errors name the user's file, not the copy
        try:
            self.conn.execute("PRAGMA foreign_keys = ON")
            if not self.read_only:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except ProjectError:  # already says which file and why
            self.conn.close()
            if self._copy is not None:
                self._copy.cleanup()
            raise
        self._depth = 0
        self._pending: list[Change] = []
        self._listeners: list[Listener] = []

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change. Nested calls use savepoints: an inner failure undoes only itself."""
        if self.read_only:
            raise ProjectReadOnlyError(
                f"{self.path.parent} is open read-only; changes cannot be saved"
            )
        depth, mark = self._depth, len(self._pending)
        self.conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT sp{depth}")
        self._depth += 1
        try:
            yield self.conn
        except BaseException:
            self._depth = depth
            del self._pending[mark:]
            self._undo(depth)
            raise
        self._depth = depth
        if depth > 0:
            self.conn.execute(f"RELEASE sp{depth}")
            return
        try:
            self.conn.execute("COMMIT")
        except BaseException:  # a full disk fails at COMMIT: undo it all, hear of nothing
            self._pending.clear()
            self._undo(0)
            raise
        changes, self._pending = self._pending, []
        for listener in list(self._listeners):
            listener(changes)

    def _undo(self, depth: int) -> None:
        """Roll back to where ``depth`` began; a failing rollback (SQLite rolled back already
        after an I/O error) must not hide the error that caused it."""
        with suppress(ProjectError, sqlite3.Error):
            if depth == 0:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
            else:
                self.conn.execute(f"ROLLBACK TO sp{depth}")
                self.conn.execute(f"RELEASE sp{depth}")

    def changed(self, table: str, *ids: int) -> None:
        """Record a change, announced when the outermost transaction commits."""
        self._pending.append(Change(table, tuple(ids)))

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        cur = self.conn.execute(sql, params)
        cur.row_factory = sqlite3.Row
        return cur.fetchall()

    def rows_fast_text(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        """All rows as tuples, text decoded by SQLite's strict C decoder (the guarded Python
        decoder is a call per text value: 0.4 s of ``videoseg info`` at 200,000 media).
        Text that is not UTF-8 fails that decoder; the rows are then read again, guarded."""
        self.conn.text_factory = str
        try:
            return self.conn.execute(sql, params).fetchall()
        except StorageError:  # "Could not decode to UTF-8": a damaged or crafted name
            self.conn.text_factory = _decode_text
            return self.conn.execute(sql, params).fetchall()
        finally:
            self.conn.text_factory = _decode_text

    def close(self) -> None:
        if not self.read_only:
            with suppress(sqlite3.DatabaseError, ProjectError):
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with suppress(sqlite3.Error):
            self.conn.close()
        if self._copy is not None:
            self._copy.cleanup()
