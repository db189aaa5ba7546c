"""Reading the review queue: flagged runs, suggested objects and media by workflow state.

The queue is built from ``review_flags`` one media item at a time through the index on
(media_id, object_id, frame), so "next item" costs one media item's flags whatever the size
of the project. Order: media in import order; within one, by first frame, then object.
"""

from __future__ import annotations

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MediaStatus
from videoseg_desktop.core.review_records import ReviewItem
from videoseg_desktop.core.review_rules import FrameFlag, ReviewThresholds
from videoseg_desktop.store.database import Database
from videoseg_desktop.store.review_flags import ensure_flags, read_thresholds

QUEUE_STATES = ("flagged", "suggested", "done", "reviewed", "needs-changes")


class ReviewQueue:
    def __init__(self, db: Database):
        self._db = db

    def thresholds(self) -> ReviewThresholds:
        """The project's thresholds, checked (a bad stored value is a clear error)."""
        return read_thresholds(self._db.conn, strict=True)

    def refresh(self) -> None:
        """Recompute stale flags (after a change of thresholds, or for an older project)."""
        ensure_flags(self._db, self.thresholds())

    # -- the queue -------------------------------------------------------------------------
    def items(self, state: str = "flagged", media_id: int | None = None) -> list[ReviewItem]:
        """Every item of the queue in ``state`` (see QUEUE_STATES), optionally of one media."""
        if state not in QUEUE_STATES:
            raise VideoSegError(
                f"unknown review state {state!r}; use one of {', '.join(QUEUE_STATES)}"
            )
        if state == "suggested":
            return self._suggested(media_id)
        if state != "flagged":
            return self._with_status(MediaStatus(state), media_id)
        self.refresh()
        media_ids = [media_id] if media_id is not None else self._flagged_media()
        return [item for m in media_ids for item in self.media_items(m)]

    def media_items(self, media_id: int) -> list[ReviewItem]:
        """The flagged runs of one media item, in queue order."""
        conn = self._db.conn
        row = conn.execute("SELECT original_name FROM media WHERE id = ?", (media_id,)).fetchone()
        if row is None:
            return []
        names = {
            oid: (name, label)
            for oid, name, label in conn.execute(
                "SELECT o.id, o.name, l.name FROM objects o LEFT JOIN labels l ON l.id = o.label_id"
                " WHERE o.media_id = ?",
                (media_id,),
            )
        }
        runs: list[list] = []  # [object_id, first, last, reasons, score, detail, count]
        for oid, frame, reasons, score, detail in conn.execute(
            "SELECT object_id, frame, reasons, score, detail FROM review_flags"
            " WHERE media_id = ? ORDER BY object_id, frame",
            (media_id,),
        ):
            run = runs[-1] if runs else None
            if run is not None and run[0] == oid and run[2] + 1 == frame:
                run[2], run[3], run[6] = frame, run[3] | reasons, run[6] + 1
                if score is not None and (run[4] is None or score < run[4]):
                    run[4] = score
            else:
                runs.append([oid, frame, frame, reasons, score, detail, 1])
        runs.sort(key=lambda r: (r[1], r[0]))
        return [
            ReviewItem(
                "flagged",
                media_id,
                row[0],
                oid,
                *names.get(oid, (None, None)),
                first,
                last,
                reasons,
                score,
                detail,
                count,
            )
            for oid, first, last, reasons, score, detail, count in runs
        ]

    def next_item(
        self, after: ReviewItem | tuple[int, int, int] | None = None
    ) -> ReviewItem | None:
        """The flagged item after ``after`` (an item or its ``key``; None: the first), or None
        at the end of the queue. Cost: the flags of one or two media items."""
        self.refresh()
        key = after.key if isinstance(after, ReviewItem) else after
        media_id = key[0] if key else self._next_media(None)
        while media_id is not None:
            for item in self.media_items(media_id):
                if key is None or item.key > key:
                    return item
            media_id = self._next_media(media_id)
        return None

    def previous_item(self, before: ReviewItem | tuple[int, int, int]) -> ReviewItem | None:
        """The flagged item before ``before``, or None at the start."""
        self.refresh()
        key = before.key if isinstance(before, ReviewItem) else before
        media_id = key[0]
        while media_id is not None:
            for item in reversed(self.media_items(media_id)):
                if item.key < key:
                    return item
            row = self._db.conn.execute(
                "SELECT max(media_id) FROM review_flags WHERE media_id < ?", (media_id,)
            ).fetchone()
            media_id = row[0]
        return None

    # -- per media and per object (media browser, track overview) --------------------------
    def flag_counts(self) -> dict[int, int]:
        """Flagged masks per media item (the media browser's counts); stale flags are
        recomputed first."""
        self.refresh()
        return dict(
            self._db.conn.execute(
                "SELECT media_id, count(*) FROM review_flags GROUP BY media_id"
            ).fetchall()
        )

    def suggested_counts(self) -> dict[int, int]:
        """Suggested objects (awaiting accept or reject) per media item."""
        return dict(
            self._db.conn.execute(
                "SELECT media_id, count(*) FROM objects WHERE state = 'suggested' GROUP BY media_id"
            ).fetchall()
        )

    def object_flags(self, object_id: int) -> list[FrameFlag]:
        """One object's flagged frames in order (the track overview marks them)."""
        rows = self._db.conn.execute(
            "SELECT frame, reasons, score, detail FROM review_flags WHERE object_id = ?"
            " ORDER BY frame",
            (object_id,),
        )
        return [FrameFlag(object_id, f, r, s, d) for f, r, s, d in rows]

    def frame_flags(self, media_id: int, frame: int) -> list[FrameFlag]:
        """Why each object on one frame is flagged (shown beside the canvas in review mode)."""
        rows = self._db.conn.execute(
            "SELECT object_id, reasons, score, detail FROM review_flags"
            " WHERE media_id = ? AND frame = ? ORDER BY object_id",
            (media_id, frame),
        )
        return [FrameFlag(o, frame, r, s, d) for o, r, s, d in rows]

    # -- internals -------------------------------------------------------------------------
    def _flagged_media(self) -> list[int]:
        return [
            r[0]
            for r in self._db.conn.execute(
                "SELECT DISTINCT media_id FROM review_flags ORDER BY media_id"
            )
        ]

    def _next_media(self, media_id: int | None) -> int | None:
        row = self._db.conn.execute(
            "SELECT min(media_id) FROM review_flags WHERE media_id > ?",
            (-1 if media_id is None else media_id,),
        ).fetchone()
        return row[0]

    def _suggested(self, media_id: int | None) -> list[ReviewItem]:
        sql = (
            "SELECT o.media_id, m.original_name, o.id, o.name, l.name,"
            " min(k.frame), max(k.frame), min(k.score), count(k.frame)"
            " FROM objects o JOIN media m ON m.id = o.media_id"
            " LEFT JOIN labels l ON l.id = o.label_id"
            " LEFT JOIN masks k ON k.object_id = o.id"
            " WHERE o.state = 'suggested'"
        )
        params: tuple = ()
        if media_id is not None:
            sql, params = sql + " AND o.media_id = ?", (media_id,)
        rows = self._db.conn.execute(sql + " GROUP BY o.id ORDER BY o.media_id, o.id", params)
        return [
            ReviewItem(
                "suggested",
                m,
                mname,
                oid,
                oname,
                label,
                first,
                last,
                0,
                score,
                "suggested, awaiting accept or reject",
                count,
            )  # fmt: skip
            for m, mname, oid, oname, label, first, last, score, count in rows
        ]

    def _with_status(self, status: MediaStatus, media_id: int | None) -> list[ReviewItem]:
        sql = "SELECT id, original_name, status_comment FROM media WHERE status = ?"
        params: tuple = (status.value,)
        if media_id is not None:
            sql, params = sql + " AND id = ?", (*params, media_id)
        return [
            ReviewItem("status", m, name, detail=comment or "", status=status)
            for m, name, comment in self._db.conn.execute(sql + " ORDER BY id", params)
        ]
