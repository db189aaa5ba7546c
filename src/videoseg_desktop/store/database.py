"""The SQLite connection: WAL, foreign keys, nested transactions and change events.

Every user-level change runs in one ``transaction()``; nested calls are savepoints inside the outer
one, so a repository method can be used alone or as part of a larger edit. Listeners hear about changes
only after the outermost transaction commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from videoseg_desktop.core.errors import ProjectError


@dataclass(frozen=True)
class Change:
    """What changed: ``table`` is labels, media, objects, prompts, masks or settings."""

    table: str
    ids: tuple[int, ...] = ()


Listener = Callable[[list[Change]], None]


class Database:
    def __init__(self, path: Path, read_only: bool = False, user: str = "unknown"):
        self.path = path
        self.read_only = read_only
        self.user = user  # recorded as the author of every row written through this connection
        uri = f"{path.resolve().as_uri()}?mode={'ro' if read_only else 'rwc'}"
        try:
            self.conn = sqlite3.connect(uri, uri=True, isolation_level=None)
            self.conn.execute("PRAGMA foreign_keys = ON")
            if not read_only:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ProjectError(f"{path} is not a readable project database: {exc}") from exc
        self._depth = 0
        self._pending: list[Change] = []
        self._listeners: list[Listener] = []

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change. Nested calls use savepoints: an inner failure undoes only itself."""
        if self.read_only:
            raise ProjectError(f"{self.path.parent} is open read-only; changes cannot be saved")
        depth, mark = self._depth, len(self._pending)
        self.conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT sp{depth}")
        self._depth += 1
        try:
            yield self.conn
        except BaseException:
            self._depth = depth
            del self._pending[mark:]
            if depth == 0:
                self.conn.execute("ROLLBACK")
            else:
                self.conn.execute(f"ROLLBACK TO sp{depth}")
                self.conn.execute(f"RELEASE sp{depth}")
            raise
        self._depth = depth
        if depth > 0:
            self.conn.execute(f"RELEASE sp{depth}")
            return
        self.conn.execute("COMMIT")
        changes, self._pending = self._pending, []
        for listener in list(self._listeners):
            listener(changes)

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

    def close(self) -> None:
        if not self.read_only:
            with suppress(sqlite3.DatabaseError):
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()
