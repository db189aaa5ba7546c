"""Keeping ``review_flags`` in step with the masks: one row per flagged mask.

Every mask write, deletion or acceptance refreshes the flags of the frames it touched and of
their neighbours (a mask's flags depend only on its previous and next mask, see
``core.review_rules``), inside the same transaction, so the review queue is a plain indexed
read however large the project. The flags remember the thresholds they were computed with
(``review.flags_signature``); when the thresholds change, or a project comes from before the
review schema, they are recomputed once, in full, on first use.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

from videoseg_desktop.core.errors import ProjectError
from videoseg_desktop.core.review_rules import MaskFacts, ReviewThresholds, flag_track

SIGNATURE_KEY = "review.flags_signature"
_FACTS_SQL = (
    "SELECT frame, area, bbox_x, bbox_y, bbox_w, bbox_h, score, source,"
    " accepted_at IS NOT NULL FROM masks WHERE object_id = ?"
)


def read_thresholds(conn: sqlite3.Connection, strict: bool = True) -> ReviewThresholds:
    rows = conn.execute("SELECT key, value FROM settings WHERE key LIKE 'review.%'").fetchall()
    return ReviewThresholds.from_settings(dict(rows), strict=strict)


def _facts(rows: Iterable[tuple]) -> list[MaskFacts]:
    return [MaskFacts(r[0], r[1], (r[2], r[3], r[4], r[5]), r[6], r[7], bool(r[8])) for r in rows]


def refresh_flags(
    conn: sqlite3.Connection,
    object_id: int,
    frames: tuple[int, int] | None = None,
    thresholds: ReviewThresholds | None = None,
) -> None:
    """Recompute the flags of ``object_id`` after a change on frames ``first..last`` (inclusive;
    None: the whole object). Call inside the transaction that made the change."""
    row = conn.execute("SELECT media_id, state FROM objects WHERE id = ?", (object_id,)).fetchone()
    if row is None:
        return  # deleted: its flags went with it (ON DELETE CASCADE)
    media_id, state = row
    th = thresholds or read_thresholds(conn, strict=False)
    if frames is None:
        facts = _facts(conn.execute(_FACTS_SQL + " ORDER BY frame", (object_id,)))
        conn.execute("DELETE FROM review_flags WHERE object_id = ?", (object_id,))
        _insert(conn, object_id, media_id, facts, flag_track(facts, state, th))
        return
    first, last = frames
    before = conn.execute(
        "SELECT frame FROM masks WHERE object_id = ? AND frame < ? ORDER BY frame DESC LIMIT 2",
        (object_id, first),
    ).fetchall()
    after = conn.execute(
        "SELECT frame FROM masks WHERE object_id = ? AND frame > ? ORDER BY frame LIMIT 2",
        (object_id, last),
    ).fetchall()
    # The nearest mask on each side may have a new neighbour; the one beyond is its context.
    write_lo, write_hi = (before[0][0] if before else first), (after[0][0] if after else last)
    read_lo, read_hi = (before[-1][0] if before else first), (after[-1][0] if after else last)
    facts = _facts(
        conn.execute(
            _FACTS_SQL + " AND frame >= ? AND frame <= ? ORDER BY frame",
            (object_id, read_lo, read_hi),
        )
    )
    flags = {f: v for f, v in flag_track(facts, state, th).items() if write_lo <= f <= write_hi}
    conn.execute(
        "DELETE FROM review_flags WHERE object_id = ? AND frame >= ? AND frame <= ?",
        (object_id, write_lo, write_hi),
    )
    _insert(conn, object_id, media_id, facts, flags)


def _insert(conn, object_id: int, media_id: int, facts: list[MaskFacts], flags: dict) -> None:
    if not flags:
        return
    scores = {f.frame: f.score for f in facts}
    conn.executemany(
        "INSERT INTO review_flags (object_id, frame, media_id, reasons, score, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (object_id, frame, media_id, int(bits), scores.get(frame), detail)
            for frame, (bits, detail) in sorted(flags.items())
        ],
    )


def flags_current(conn: sqlite3.Connection, thresholds: ReviewThresholds) -> bool:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (SIGNATURE_KEY,)).fetchone()
    return row is not None and row[0] == thresholds.signature()


def recompute_all(conn: sqlite3.Connection, thresholds: ReviewThresholds) -> int:
    """Every object's flags from scratch (inside the caller's transaction); returns the count."""
    conn.execute("DELETE FROM review_flags")
    states = dict(conn.execute("SELECT id, state FROM objects"))
    media_of = dict(conn.execute("SELECT id, media_id FROM objects"))
    count = 0
    for object_id, facts in _tracks(conn):
        flags = flag_track(facts, states.get(object_id, "normal"), thresholds)
        _insert(conn, object_id, media_of[object_id], facts, flags)
        count += len(flags)
    conn.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
        (SIGNATURE_KEY, thresholds.signature()),
    )
    return count


def _tracks(conn: sqlite3.Connection) -> Iterator[tuple[int, list[MaskFacts]]]:
    """Every object's masks in frame order, one object at a time (streamed in key order)."""
    cur = conn.execute(
        "SELECT object_id, frame, area, bbox_x, bbox_y, bbox_w, bbox_h, score, source,"
        " accepted_at IS NOT NULL FROM masks ORDER BY object_id, frame"
    )
    current, rows = None, []
    for r in cur:
        if r[0] != current:
            if rows:
                yield current, _facts(rows)
            current, rows = r[0], []
        rows.append(r[1:])
    if rows:
        yield current, _facts(rows)


def ensure_flags(db, thresholds: ReviewThresholds) -> None:
    """Bring the stored flags up to the current thresholds (once after a change of them)."""
    if flags_current(db.conn, thresholds):
        return
    if db.read_only:
        raise ProjectError(
            "the review flags of this project are out of date (new thresholds, or a project "
            "from an older version); open it once for writing to recompute them"
        )
    with db.transaction() as conn:
        recompute_all(conn, thresholds)
        db.changed("review")
