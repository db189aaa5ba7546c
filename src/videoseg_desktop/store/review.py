"""Review decisions: accept or reject masks, set a media item's workflow state, and undo both.

- ``accept`` marks masks accepted (their flags go), turns suggested or conflicting objects in
  scope into normal ones; accepting a whole media item also marks it reviewed.
- ``reject`` removes masks (an object left with no mask and no prompt goes too); rejecting a
  whole media item removes nothing and marks it needs-changes, with the comment.
- Every decision is recorded per object, mask source and mask author (who made the masks),
  with the reviewer and the time, for the statistics. ``undo(outcome)`` puts everything back
  exactly, the recorded decisions included; redo is calling the same method again.
"""

from __future__ import annotations

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MediaStatus, ObjectState
from videoseg_desktop.core.review_records import ReviewDecision, ReviewOutcome, StatusRecord
from videoseg_desktop.core.review_rules import ReviewThresholds, check_threshold
from videoseg_desktop.store.attributes import AttributeRepository
from videoseg_desktop.store.database import Database
from videoseg_desktop.store.masks import MaskRepository
from videoseg_desktop.store.objects import ObjectRepository, PromptRepository
from videoseg_desktop.store.review_flags import SIGNATURE_KEY, ensure_flags, refresh_flags
from videoseg_desktop.store.review_queue import ReviewQueue
from videoseg_desktop.store.timeutil import now_iso

MAX_COMMENT = 2000
_REVIEWER_STATES = (MediaStatus.REVIEWED, MediaStatus.NEEDS_CHANGES)


def check_comment(comment: str | None) -> str | None:
    if comment is None or not comment.strip():
        return None
    comment = comment.strip()
    if len(comment) > MAX_COMMENT or not all(c.isprintable() or c in "\n\t" for c in comment):
        raise VideoSegError(f"a comment must be at most {MAX_COMMENT} printable characters")
    return comment


class ReviewRepository(ReviewQueue):
    """The review queue (``ReviewQueue``) plus decisions, states and thresholds."""

    def __init__(self, db: Database):
        super().__init__(db)
        self._masks = MaskRepository(db)
        self._objects = ObjectRepository(db)
        self._prompts = PromptRepository(db)
        self._attributes = AttributeRepository(db)

    # -- thresholds ------------------------------------------------------------------------
    def set_thresholds(self, **values: float) -> ReviewThresholds:
        """Change thresholds (``min_score=0.8``...) and recompute every flag with them."""
        checked = {name: check_threshold(name, raw) for name, raw in values.items()}
        with self._db.transaction() as conn:
            for name, value in checked.items():
                conn.execute(
                    "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                    (f"review.{name}", repr(value)),
                )
            conn.execute("DELETE FROM settings WHERE key = ?", (SIGNATURE_KEY,))
            self._db.changed("settings")
            ensure_flags(self._db, self.thresholds())
        return self.thresholds()

    # -- decisions -------------------------------------------------------------------------
    def accept(
        self,
        media_id: int,
        object_id: int | None = None,
        frames: tuple[int, int] | None = None,
        comment: str | None = None,
    ) -> ReviewOutcome:
        """Accept the masks in scope (all of the media item's by default; then it is reviewed)."""
        comment = check_comment(comment)
        scope = self._scope(media_id, object_id, frames)
        whole = object_id is None and frames is None
        outcome = ReviewOutcome("accept", media_id)
        stamp, user = now_iso(), self._db.user
        with self._db.transaction() as conn:
            rows = conn.execute(
                "SELECT k.object_id, k.frame, k.source, k.author, k.accepted_by, k.accepted_at"
                " FROM masks k JOIN objects o ON o.id = k.object_id" + scope.where,
                scope.params,
            ).fetchall()
            if not rows and not whole:
                raise VideoSegError(f"no masks to accept {scope.text}")
            outcome.accepted_before = [(r[0], r[1], r[4], r[5]) for r in rows]
            conn.execute(
                "UPDATE masks SET accepted_by = ?, accepted_at = ? WHERE rowid IN (SELECT k.rowid"
                " FROM masks k JOIN objects o ON o.id = k.object_id" + scope.where + ")",
                (user, stamp, *scope.params),
            )
            touched = _frame_spans(rows)
            objects = set(touched) | (
                {o.id for o in self._objects.list(media_id)} if whole else set()
            )
            if object_id is not None:
                objects.add(object_id)
            for oid in sorted(objects):
                obj = self._objects.get(oid)
                if obj.state is not ObjectState.NORMAL:
                    outcome.states_before.append((oid, obj.state))
                    conn.execute("UPDATE objects SET state = 'normal' WHERE id = ?", (oid,))
                    touched[oid] = None  # the whole object's flags
            for oid, span in touched.items():
                refresh_flags(conn, oid, span)
            outcome.masks = len(rows)
            outcome.decision_ids += self._record(conn, "accept", media_id, rows, frames, comment)
            if whole:
                outcome.decision_ids += self._set_status(
                    conn, outcome, media_id, MediaStatus.REVIEWED, comment
                )
            self._db.changed("masks", *sorted(touched))
            self._db.changed("objects", *sorted(objects))
            self._db.changed("review")
        return outcome

    def reject(
        self,
        media_id: int,
        object_id: int | None = None,
        frames: tuple[int, int] | None = None,
        comment: str | None = None,
    ) -> ReviewOutcome:
        """Remove the masks in scope; a whole media item is not emptied but sent back
        (needs-changes, with the comment)."""
        comment = check_comment(comment)
        if object_id is None and frames is None:
            return self.set_status([media_id], MediaStatus.NEEDS_CHANGES, comment)
        scope = self._scope(media_id, object_id, frames)
        outcome = ReviewOutcome("reject", media_id)
        with self._db.transaction() as conn:
            rows = conn.execute(
                "SELECT k.object_id, k.frame, k.source, k.author FROM masks k"
                " JOIN objects o ON o.id = k.object_id"
                + scope.where
                + " ORDER BY k.object_id, k.frame",
                scope.params,
            ).fetchall()
            if not rows:
                raise VideoSegError(f"no masks to reject {scope.text}")
            outcome.decision_ids += self._record(conn, "reject", media_id, rows, frames, comment)
            # The scope is whole objects or one frame range: each object's span is all in it.
            for oid, (first, last) in _frame_spans(rows).items():
                outcome.removed_masks += self._masks.delete_range(oid, first, last + 1)
            outcome.masks = len(outcome.removed_masks)
            for oid in sorted({r[0] for r in rows}):
                self._drop_if_empty(conn, oid, outcome)
            self._db.changed("review")
        return outcome

    def set_status(
        self, media_ids: list[int], status: MediaStatus | str, comment: str | None = None
    ) -> ReviewOutcome:
        """Set media items' workflow state (reviewed and needs-changes are recorded as
        decisions, per annotator of the item). Returns the outcome, for undo."""
        status, comment = MediaStatus(status), check_comment(comment)
        outcome = ReviewOutcome(status.value, media_ids[0] if media_ids else 0)
        with self._db.transaction() as conn:
            for media_id in dict.fromkeys(media_ids):
                self._require_media(media_id)
                outcome.decision_ids += self._set_status(conn, outcome, media_id, status, comment)
        return outcome

    def undo(self, outcome: ReviewOutcome) -> None:
        """Put back everything ``outcome`` changed, and forget its recorded decisions."""
        with self._db.transaction() as conn:
            conn.executemany(
                "DELETE FROM review_decisions WHERE id = ?", [(i,) for i in outcome.decision_ids]
            )
            for obj in outcome.removed_objects:
                self._objects.restore(obj)
            if outcome.removed_prompts:
                self._prompts.restore(outcome.removed_prompts)
            if outcome.removed_masks:
                self._masks.restore(outcome.removed_masks)
            if outcome.removed_attributes:
                self._attributes.restore_values(outcome.removed_attributes)
            for oid, ids in outcome.relinked.items():
                conn.executemany(
                    "UPDATE review_decisions SET object_id = ? WHERE id = ?",
                    [(oid, i) for i in ids],
                )
            spans: dict[int, tuple[int, int] | None] = {}
            for oid, frame, by, at in outcome.accepted_before:
                conn.execute(
                    "UPDATE masks SET accepted_by = ?, accepted_at = ? WHERE object_id = ?"
                    " AND frame = ?",
                    (by, at, oid, frame),
                )
                old = spans.get(oid)
                spans[oid] = (
                    (frame, frame) if old is None else (min(old[0], frame), max(old[1], frame))
                )
            for oid, state in outcome.states_before:
                conn.execute("UPDATE objects SET state = ? WHERE id = ?", (state.value, oid))
                spans[oid] = None
            for oid, span in spans.items():
                refresh_flags(conn, oid, span)
            for s in outcome.status_before:
                conn.execute(
                    "UPDATE media SET status = ?, status_comment = ?, status_by = ?, status_at = ?"
                    " WHERE id = ?",
                    (s.status.value, s.comment, s.by, s.at, s.media_id),
                )
            self._db.changed("masks", *sorted(spans))
            self._db.changed("objects", *sorted(spans))
            self._db.changed("media", *sorted({s.media_id for s in outcome.status_before}))
            self._db.changed("review")

    def decisions(self, media_id: int | None = None) -> list[ReviewDecision]:
        sql, params = "SELECT * FROM review_decisions", ()
        if media_id is not None:
            sql, params = sql + " WHERE media_id = ?", (media_id,)
        return [_decision(r) for r in self._db.query(sql + " ORDER BY id", params)]

    # -- internals -------------------------------------------------------------------------
    def _require_media(self, media_id: int) -> str:
        row = self._db.conn.execute(
            "SELECT original_name FROM media WHERE id = ?", (media_id,)
        ).fetchone()
        if row is None:
            raise VideoSegError(f"no media with id {media_id} in this project")
        return row[0]

    def _scope(self, media_id, object_id, frames) -> _Scope:
        self._require_media(media_id)
        where, params, text = " WHERE o.media_id = ?", [media_id], f"on media {media_id}"
        if object_id is not None:
            obj = self._objects.get(object_id)
            if obj.media_id != media_id:
                raise VideoSegError(f"object {obj.name!r} is not on media {media_id}")
            where += " AND k.object_id = ?"
            params.append(object_id)
            text += f", object {obj.name!r}"
        if frames is not None:
            where += " AND k.frame >= ? AND k.frame <= ?"
            params += [int(frames[0]), int(frames[1])]
            text += f", frames {frames[0]}-{frames[1]}"
        return _Scope(where, tuple(params), text)

    def _record(self, conn, decision, media_id, rows, frames, comment) -> list[int]:
        """One decision row per (object, mask source, mask author) of the masks decided."""
        groups: dict[tuple, list[int]] = {}
        for r in rows:
            groups.setdefault((r[0], r[2], r[3]), []).append(r[1])
        names = dict(conn.execute("SELECT id, name FROM objects WHERE media_id = ?", (media_id,)))
        ids = []
        for (oid, source, author), frame_list in sorted(
            groups.items(), key=lambda g: (g[0][0], str(g[0][1:]))
        ):
            span = frames or (min(frame_list), max(frame_list))
            ids.append(
                self._insert_decision(
                    conn,
                    media_id,
                    oid,
                    names.get(oid),
                    span,
                    decision,
                    comment,
                    source,
                    author,
                    len(frame_list),
                )  # fmt: skip
            )
        return ids

    def _insert_decision(
        self, conn, media_id, oid, name, span, decision, comment, source, author, count
    ) -> int:
        cur = conn.execute(
            "INSERT INTO review_decisions (media_id, object_id, object_name, frame_start,"
            " frame_end, decision, comment, mask_source, mask_author, masks, author, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                media_id, oid, name, span[0] if span else None, span[1] if span else None,
                decision, comment, source, author, count, self._db.user, now_iso(),
            ),
        )  # fmt: skip
        return cur.lastrowid

    def _set_status(self, conn, outcome, media_id, status: MediaStatus, comment) -> list[int]:
        row = conn.execute(
            "SELECT status, status_comment, status_by, status_at FROM media WHERE id = ?",
            (media_id,),
        ).fetchone()
        outcome.status_before.append(
            StatusRecord(media_id, MediaStatus(row[0]), row[1], row[2], row[3])
        )
        conn.execute(
            "UPDATE media SET status = ?, status_comment = ?, status_by = ?, status_at = ?"
            " WHERE id = ?",
            (status.value, comment, self._db.user, now_iso(), media_id),
        )
        self._db.changed("media", media_id)
        if status not in _REVIEWER_STATES:
            return []
        ids = []
        for author, count in conn.execute(
            "SELECT k.author, count(*) FROM masks k JOIN objects o ON o.id = k.object_id"
            " WHERE o.media_id = ? GROUP BY k.author ORDER BY k.author",
            (media_id,),
        ).fetchall() or [(None, 0)]:
            ids.append(
                self._insert_decision(
                    conn, media_id, None, None, None, status.value, comment, None, author, count
                )
            )
        return ids

    def _drop_if_empty(self, conn, object_id: int, outcome: ReviewOutcome) -> None:
        """An object left with no mask and no prompt is removed (a rejected suggestion)."""
        left = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM masks WHERE object_id = ?)"
            " OR EXISTS (SELECT 1 FROM prompts WHERE object_id = ?)",
            (object_id, object_id),
        ).fetchone()[0]
        if left:
            return
        obj = self._objects.get(object_id)
        outcome.removed_attributes += self._attributes.values(object_id)
        outcome.relinked[object_id] = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM review_decisions WHERE object_id = ?", (object_id,)
            )
        ]
        self._objects.delete(object_id)
        outcome.removed_objects.append(obj)
        outcome.objects_removed_names.append(obj.name)


class _Scope:
    def __init__(self, where: str, params: tuple, text: str):
        self.where, self.params, self.text = where, params, text


def _frame_spans(rows) -> dict[int, tuple[int, int]]:
    spans: dict[int, tuple[int, int]] = {}
    for r in rows:
        old = spans.get(r[0])
        spans[r[0]] = (r[1], r[1]) if old is None else (min(old[0], r[1]), max(old[1], r[1]))
    return spans


def _decision(row) -> ReviewDecision:
    frames = None if row["frame_start"] is None else (row["frame_start"], row["frame_end"])
    return ReviewDecision(
        row["id"], row["media_id"], row["object_id"], row["object_name"], frames,
        row["decision"], row["comment"], row["mask_source"], row["mask_author"], row["masks"],
        row["author"], row["created_at"],
    )  # fmt: skip
