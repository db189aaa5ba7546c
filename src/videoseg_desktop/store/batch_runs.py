"""Finished batch runs: what `videoseg track --all` (and later batch commands) already did.

A batch over many media items may stop half-way (Ctrl-C, a lost driver, a cluster going away).
Each media item's run is recorded when its last masks are stored, in that same transaction, with
a fingerprint of the inputs it started from; a resumed batch skips an item whose record matches
its inputs now, and redoes one whose inputs changed since (a corrected frame, a new object).
"""

from __future__ import annotations

from dataclasses import dataclass

from videoseg_desktop.core.errors import ProjectError
from videoseg_desktop.store.database import Database
from videoseg_desktop.store.timeutil import now_iso

MAX_FIELD = 200  # command, model and fingerprint are short; a longer stored one is crafted


@dataclass(frozen=True)
class BatchRun:
    media_id: int
    command: str
    model: str
    inputs: str  # fingerprint of the inputs the run started from
    stored: int  # masks it stored
    author: str | None
    finished_at: str


class BatchRunRepository:
    """The ``batch_runs`` table. Writes join the caller's transaction."""

    def __init__(self, db: Database):
        self._db = db

    def get(self, media_id: int, command: str, model: str) -> BatchRun | None:
        row = self._db.conn.execute(
            "SELECT media_id, command, model, inputs, stored, author, finished_at"
            " FROM batch_runs WHERE media_id = ? AND command = ? AND model = ?",
            (media_id, command, model),
        ).fetchone()
        return None if row is None else _checked(tuple(row))

    def is_done(self, media_id: int, command: str, model: str, inputs: str) -> bool:
        run = self.get(media_id, command, model)
        return run is not None and run.inputs == inputs

    def finish(self, media_id: int, command: str, model: str, inputs: str, stored: int) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO batch_runs"
                " (media_id, command, model, inputs, stored, author, finished_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (media_id, command, model, inputs, stored, self._db.user, now_iso()),
            )
            self._db.changed("batch_runs", media_id)

    def list(self, command: str | None = None) -> list[BatchRun]:
        sql = "SELECT media_id, command, model, inputs, stored, author, finished_at FROM batch_runs"
        params: tuple = ()
        if command is not None:
            sql, params = sql + " WHERE command = ?", (command,)
        rows = self._db.conn.execute(sql + " ORDER BY media_id", params).fetchall()
        return [_checked(tuple(r)) for r in rows]


def _checked(row: tuple) -> BatchRun:
    media_id, command, model, inputs, stored, author, finished = row
    texts = (command, model, inputs, finished)
    if not all(isinstance(t, str) and len(t) <= MAX_FIELD for t in texts):
        raise ProjectError("a batch run record of the project is damaged")
    if not isinstance(media_id, int) or not isinstance(stored, int) or stored < 0:
        raise ProjectError("a batch run record of the project is damaged")
    if author is not None and not isinstance(author, str):
        raise ProjectError("a batch run record of the project is damaged")
    return BatchRun(media_id, command, model, inputs, stored, author, finished)
