"""Active annotation time per media item and user.

The window reports every input event (click, key, brush stroke, scrub) to an
``ActivityTracker`` with the media item on screen. The time between two events counts for the
item the first was on, unless the gap is longer than the idle threshold (then none of it
counts: the annotator was away). Time builds up in memory and is written in one small
transaction now and then (``flush``), not once per mouse move.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from videoseg_desktop.store.database import Database
from videoseg_desktop.store.timeutil import now_iso

DEFAULT_IDLE_S = 60.0  # a longer pause is a break, not work
FLUSH_EVERY_S = 30.0  # write the pending time once this much has built up


@dataclass(frozen=True)
class EffortRecord:
    media_id: int
    author: str
    active_s: float
    events: int
    updated_at: str


class EffortRepository:
    def __init__(self, db: Database):
        self._db = db

    def add(
        self, media_id: int, seconds: float, events: int = 0, author: str | None = None
    ) -> None:
        """Add active time to a media item for ``author`` (default: the project's user)."""
        if seconds < 0 or events < 0:
            raise ValueError("active time and events are never negative")
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO effort (media_id, author, active_s, events, updated_at)"
                " SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM media WHERE id = ?)"
                " ON CONFLICT (media_id, author) DO UPDATE SET"
                " active_s = active_s + excluded.active_s, events = events + excluded.events,"
                " updated_at = excluded.updated_at",
                (
                    media_id,
                    author or self._db.user,
                    float(seconds),
                    int(events),
                    now_iso(),
                    media_id,
                ),
            )
            self._db.changed("effort", media_id)

    def for_media(self, media_id: int) -> list[EffortRecord]:
        rows = self._db.conn.execute(
            "SELECT media_id, author, active_s, events, updated_at FROM effort WHERE media_id = ?"
            " ORDER BY author",
            (media_id,),
        )
        return [EffortRecord(*r) for r in rows]

    def active_seconds(self, media_id: int, author: str | None = None) -> float:
        sql, params = "SELECT coalesce(sum(active_s), 0) FROM effort WHERE media_id = ?", [media_id]
        if author is not None:
            sql += " AND author = ?"
            params.append(author)
        return float(self._db.conn.execute(sql, params).fetchone()[0])


class ActivityTracker:
    """Turns input events into active time (see the module docstring). ``clock`` returns
    seconds (``time.monotonic`` by default; tests pass a fake one)."""

    def __init__(
        self,
        repository: EffortRepository,
        idle_s: float = DEFAULT_IDLE_S,
        clock: Callable[[], float] = time.monotonic,
        flush_every_s: float = FLUSH_EVERY_S,
        read_only: bool = False,
    ):
        self._repo, self.idle_s, self._clock = repository, float(idle_s), clock
        self.flush_every_s, self.read_only = flush_every_s, read_only
        self._last: tuple[int, float] | None = None  # (media id, time) of the last event
        self._pending: dict[int, list[float]] = {}  # media id -> [seconds, events]

    def activity(self, media_id: int | None) -> None:
        """An input event while ``media_id`` is open (None: nothing open)."""
        now = self._clock()
        if self._last is not None:
            last_media, last_time = self._last
            gap = now - last_time
            if 0 <= gap <= self.idle_s:
                self._pending.setdefault(last_media, [0.0, 0])[0] += gap
        if media_id is None:
            self._last = None
            return
        self._pending.setdefault(media_id, [0.0, 0])[1] += 1
        self._last = (media_id, now)
        if sum(s for s, _ in self._pending.values()) >= self.flush_every_s:
            self.flush()

    def pause(self) -> None:
        """The window lost focus or the item closed: the next event starts a new stretch."""
        self._last = None

    def pending_seconds(self, media_id: int) -> float:
        return self._pending.get(media_id, [0.0, 0])[0]

    def flush(self) -> None:
        """Write the time built up so far (call on media change, focus loss and close)."""
        pending, self._pending = self._pending, {}
        if self.read_only:
            return
        for media_id, (seconds, events) in pending.items():
            if seconds > 0 or events > 0:
                self._repo.add(media_id, seconds, events)
