"""Masks: one COCO RLE per object per frame, with its area, bbox, source and model."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import Rle, rle_area, rle_bbox
from videoseg_desktop.core.records import MaskRecord, MaskSource
from videoseg_desktop.store.database import (
    Database,
    as_count,
    as_number,
    as_optional_text,
    as_score,
    as_text,
    row_reader,
)
from videoseg_desktop.store.media_repository import refresh_annotated
from videoseg_desktop.store.review_flags import refresh_flags
from videoseg_desktop.store.timeutil import now_iso

# A person's masks: the first one on a media item moves it from "todo" to "in progress".
_HUMAN_SOURCES = ("clicked", "edited")
# A tracked or automatic mask replaced by one of those is a correction (effort statistics).
_CORRECTED_SOURCES = ("propagated", "auto")


@dataclass(frozen=True)
class MaskWrite:
    object_id: int
    frame: int
    rle: Rle
    source: MaskSource | str
    model: str | None = None
    score: float | None = None  # the model's own confidence, kept for review
    author: str | None = None  # None: the project's current user
    updated_at: str | None = None  # None: now (undo puts back the old time)
    accepted_by: str | None = None  # a reviewer's acceptance (only undo puts one back)
    accepted_at: str | None = None


class MaskRepository:
    def __init__(self, db: Database):
        self._db = db

    def put(
        self,
        object_id: int,
        frame: int,
        rle: Rle,
        source: MaskSource | str,
        model: str | None = None,
        score: float | None = None,
    ) -> MaskRecord:
        self.put_many([MaskWrite(object_id, frame, rle, source, model, score)])
        return self.get(object_id, frame)

    def put_many(self, writes: Iterable[MaskWrite | tuple], count_effort: bool = True) -> int:
        """Insert or replace many masks in one transaction (a batch of propagated frames).

        A replaced mask's acceptance goes with it: a new mask needs a new review. With
        ``count_effort`` a click or edit replacing a tracked mask counts as a correction
        (undo and redo pass False: putting rows back is no new work). The rows go in with one
        ``executemany``: an import of 200,000 masks must not pay a statement per row.
        """
        stamp, touched, rows = now_iso(), {}, []
        with self._db.transaction() as conn:
            for w in writes:
                w = w if isinstance(w, MaskWrite) else MaskWrite(*w)
                source = MaskSource(w.source).value
                if count_effort and source in _HUMAN_SOURCES:
                    _count_correction(conn, w.object_id, w.frame)
                x, y, bw, bh = rle_bbox(w.rle)
                rows.append(
                    (
                        w.object_id,
                        w.frame,
                        w.rle["size"][0],
                        w.rle["size"][1],
                        _counts(w.rle),
                        rle_area(w.rle),
                        x,
                        y,
                        bw,
                        bh,
                        source,
                        w.model,
                        _score(w.score),
                        w.author or self._db.user,
                        w.updated_at or stamp,
                        w.accepted_by,
                        (w.accepted_at or stamp) if w.accepted_by else None,
                    )
                )
                _widen(touched, w.object_id, w.frame, w.frame, source in _HUMAN_SOURCES)
            conn.executemany(
                "INSERT OR REPLACE INTO masks (object_id, frame, height, width, counts, area,"
                " bbox_x, bbox_y, bbox_w, bbox_h, source, model, score, author, updated_at,"
                " accepted_by, accepted_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._after_change(touched)
        return len(rows)

    def get(self, object_id: int, frame: int) -> MaskRecord | None:
        rows = self._db.query(
            "SELECT * FROM masks WHERE object_id = ? AND frame = ?", (object_id, frame)
        )
        return _mask(rows[0]) if rows else None

    def for_object(
        self, object_id: int, start: int | None = None, stop: int | None = None
    ) -> Iterator[MaskRecord]:
        """An object's masks in frame order, streamed (a long track never sits in RAM at once)."""
        sql, params = "SELECT * FROM masks WHERE object_id = ?", [object_id]
        if start is not None:
            sql += " AND frame >= ?"
            params.append(start)
        if stop is not None:
            sql += " AND frame < ?"
            params.append(stop)
        cur = self._db.conn.execute(sql + " ORDER BY frame", params)
        cur.row_factory = sqlite3.Row
        for row in cur:
            yield _mask(row)

    def for_frame(self, media_id: int, frame: int) -> list[MaskRecord]:
        rows = self._db.query(
            "SELECT masks.* FROM masks JOIN objects o ON o.id = masks.object_id"
            " WHERE o.media_id = ? AND masks.frame = ? ORDER BY masks.object_id",
            (media_id, frame),
        )
        return [_mask(r) for r in rows]

    def frames_of(self, object_id: int) -> list[tuple[int, MaskSource]]:
        """(frame, source) per stored mask, without decoding any RLE: the timeline's overview."""
        rows = self._db.conn.execute(
            "SELECT frame, source FROM masks WHERE object_id = ? ORDER BY frame", (object_id,)
        )
        return [(f, MaskSource(s)) for f, s in rows]

    def frame_times(self, object_id: int) -> list[tuple[int, MaskSource, str]]:
        """(frame, source, updated_at) per stored mask, without decoding: what is stale."""
        rows = self._db.conn.execute(
            "SELECT frame, source, updated_at FROM masks WHERE object_id = ? ORDER BY frame",
            (object_id,),
        )
        return [(f, MaskSource(s), str(t)) for f, s, t in rows]

    def delete(self, object_id: int, frame: int) -> MaskRecord | None:
        old = self.get(object_id, frame)
        self.delete_range(object_id, frame, frame + 1)
        return old

    def delete_range(self, object_id: int, start: int, stop: int) -> list[MaskRecord]:
        """Delete masks of frames start <= frame < stop; returns them (for undo)."""
        gone = list(self.for_object(object_id, start, stop))
        with self._db.transaction() as conn:
            conn.execute(
                "DELETE FROM masks WHERE object_id = ? AND frame >= ? AND frame < ?",
                (object_id, start, stop),
            )
            if stop > start:
                self._after_change({object_id: (start, stop - 1, False)})
        return gone

    def restore(self, records: Iterable[MaskRecord]) -> None:
        """Put back masks exactly as they were (undo): source, model, score, author, time and
        acceptance included."""
        self.put_many(
            (
                MaskWrite(
                    r.object_id,
                    r.frame,
                    r.rle,
                    r.source,
                    r.model,
                    r.score,
                    r.author,
                    r.updated_at,
                    r.accepted_by,
                    r.accepted_at,
                )
                for r in records
            ),
            count_effort=False,
        )

    def _after_change(self, touched: dict[int, tuple[int, int, bool]]) -> None:
        """Annotated flags, workflow state and review flags of what changed; then announce it."""
        conn = self._db.conn
        media_ids, human = set(), set()
        for oid, (first, last, by_person) in touched.items():
            row = conn.execute("SELECT media_id FROM objects WHERE id = ?", (oid,)).fetchone()
            if row is None:
                continue
            media_ids.add(row[0])
            if by_person:
                human.add(row[0])
            refresh_flags(conn, oid, (first, last))
        for media_id in media_ids:
            refresh_annotated(conn, media_id)
        for media_id in human:
            conn.execute(
                "UPDATE media SET status = 'in-progress', status_by = ?, status_at = ?"
                " WHERE id = ? AND status = 'todo'",
                (self._db.user, now_iso(), media_id),
            )
        self._db.changed("masks", *sorted(touched))
        if media_ids:
            self._db.changed("media", *sorted(media_ids))
        self._db.changed("review")


def _widen(touched: dict, object_id: int, first: int, last: int, by_person: bool) -> None:
    old = touched.get(object_id)
    if old is None:
        touched[object_id] = (first, last, by_person)
    else:
        touched[object_id] = (min(old[0], first), max(old[1], last), old[2] or by_person)


def _count_correction(conn, object_id: int, frame: int) -> None:
    row = conn.execute(
        "SELECT source FROM masks WHERE object_id = ? AND frame = ?", (object_id, frame)
    ).fetchone()
    if row is not None and row[0] in _CORRECTED_SOURCES:
        conn.execute("UPDATE objects SET corrections = corrections + 1 WHERE id = ?", (object_id,))


def _score(score: float | None) -> float | None:
    if score is None:
        return None
    score = float(score)
    if not 0.0 <= score <= 1.0:  # also refuses NaN
        raise VideoSegError(f"a mask score must be within 0 and 1, not {score}")
    return score


def _counts(rle: Rle) -> str:
    counts = rle["counts"]
    if isinstance(counts, bytes):
        return counts.decode("ascii")
    if isinstance(counts, list):  # uncompressed: store compressed so every row reads the same
        from videoseg_desktop.core.masks import decode_rle, encode_rle

        return encode_rle(decode_rle(rle))["counts"]
    return counts


@row_reader("masks")
def _mask(row: sqlite3.Row) -> MaskRecord:
    rle = {"size": [row["height"], row["width"]], "counts": as_text(row["counts"])}
    bbox = tuple(as_number(row[k]) for k in ("bbox_x", "bbox_y", "bbox_w", "bbox_h"))
    return MaskRecord(
        row["object_id"],
        as_count(row["frame"], 0),
        rle,
        as_count(row["area"], 0),
        bbox,
        MaskSource(row["source"]),
        as_optional_text(row["model"]),
        as_optional_text(row["updated_at"]),
        as_score(row["score"]),
        as_optional_text(row["author"]),
        as_optional_text(row["accepted_by"]),
        as_optional_text(row["accepted_at"]),
    )
