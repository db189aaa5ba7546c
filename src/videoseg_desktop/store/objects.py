"""Objects (one tracked or annotated instance in one media item) and their prompts."""

from __future__ import annotations

import sqlite3

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MaskSource, ObjectRecord, ObjectState, PromptRecord
from videoseg_desktop.store.database import Database, as_count, as_number, as_text, row_reader
from videoseg_desktop.store.labels import check_name
from videoseg_desktop.store.media_repository import refresh_annotated
from videoseg_desktop.store.review_flags import refresh_flags
from videoseg_desktop.store.timeutil import now_iso


class ObjectRepository:
    def __init__(self, db: Database):
        self._db = db

    def list(self, media_id: int) -> list[ObjectRecord]:
        rows = self._db.query("SELECT * FROM objects WHERE media_id = ? ORDER BY id", (media_id,))
        return [_object(r) for r in rows]

    def get(self, object_id: int) -> ObjectRecord:
        rows = self._db.query("SELECT * FROM objects WHERE id = ?", (object_id,))
        if not rows:
            raise VideoSegError(f"no object with id {object_id}")
        return _object(rows[0])

    def find(self, media_id: int, name: str) -> ObjectRecord | None:
        rows = self._db.query(
            "SELECT * FROM objects WHERE media_id = ? AND name = ?", (media_id, name)
        )
        return _object(rows[0]) if rows else None

    def with_label(self, label_id: int) -> list[ObjectRecord]:
        """Objects of one label across the project (undoing a label's deletion relabels them)."""
        rows = self._db.query("SELECT * FROM objects WHERE label_id = ? ORDER BY id", (label_id,))
        return [_object(r) for r in rows]

    def add(
        self,
        media_id: int,
        label_id: int | None = None,
        name: str | None = None,
        state: ObjectState | str = ObjectState.NORMAL,
    ) -> ObjectRecord:
        with self._db.transaction() as conn:
            name = (
                self._next_name(media_id, label_id) if name is None else check_name(name, "object")
            )
            try:
                cur = conn.execute(
                    "INSERT INTO objects (media_id, label_id, name, created_at, state, author)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        media_id,
                        label_id,
                        name,
                        now_iso(),
                        ObjectState(state).value,
                        self._db.user,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise VideoSegError(
                    f"cannot add object {name!r} to media {media_id}: {exc}"
                ) from None
            self._db.changed("objects", cur.lastrowid)
        return self.get(cur.lastrowid)

    def _next_name(self, media_id: int, label_id: int | None) -> str:
        return self.names(media_id).next(self._base_name(label_id))

    def _base_name(self, label_id: int | None) -> str:
        if label_id is None:
            return "object"
        row = self._db.conn.execute("SELECT name FROM labels WHERE id = ?", (label_id,)).fetchone()
        return row[0] if row else "object"

    def names(self, media_id: int) -> ObjectNames:
        """The names taken on one media item, to name many new objects without listing them
        all again for each (an import of thousands of objects on one image stays linear)."""
        rows = self._db.conn.execute("SELECT name FROM objects WHERE media_id = ?", (media_id,))
        return ObjectNames({r[0] for r in rows})

    def add_many(
        self,
        media_id: int,
        label_ids: list[int | None],
        names: ObjectNames | None = None,
        state: ObjectState | str = ObjectState.NORMAL,
    ) -> list[int]:
        """Add one object per label id to one media item, named in turn; returns their ids.

        A few statements for all of them (an import adds hundreds of thousands).
        """
        names = names or self.names(media_id)
        bases = {lid: self._base_name(lid) for lid in set(label_ids)}
        stamp, state, user = now_iso(), ObjectState(state).value, self._db.user
        rows = [
            (media_id, label_id, names.next(bases[label_id]), stamp, state, user)
            for label_id in label_ids
        ]
        insert = (
            "INSERT INTO objects (media_id, label_id, name, created_at, state, author)"
            " VALUES (?, ?, ?, ?, ?, ?)"
        )
        with self._db.transaction() as conn:
            top = conn.execute("SELECT max(id) FROM objects").fetchone()[0]
            if isinstance(top, int) and top >= 2**62:  # SQLite would pick ids at random
                ids = [conn.execute(insert, row).lastrowid for row in rows]
                self._db.changed("objects", *ids)
                return ids
            conn.executemany(insert, rows)
            # New ids follow the largest one, and nothing else writes: the newest are ours.
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM objects WHERE media_id = ? ORDER BY id DESC LIMIT ?",
                    (media_id, len(rows)),
                )
            ][::-1]
            self._db.changed("objects", *ids)
        return ids

    def rename(self, object_id: int, name: str) -> ObjectRecord:
        name = check_name(name, "object")
        with self._db.transaction() as conn:
            try:
                conn.execute("UPDATE objects SET name = ? WHERE id = ?", (name, object_id))
            except sqlite3.IntegrityError:
                raise VideoSegError(f"another object here is already named {name!r}") from None
            self._db.changed("objects", object_id)
        return self.get(object_id)

    def set_label(self, object_id: int, label_id: int | None) -> ObjectRecord:
        with self._db.transaction() as conn:
            conn.execute("UPDATE objects SET label_id = ? WHERE id = ?", (label_id, object_id))
            self._db.changed("objects", object_id)
        return self.get(object_id)

    def set_state(self, object_id: int, state: ObjectState | str) -> ObjectRecord:
        """Accept a suggestion (``normal``) or mark an object; undo sets the old state back."""
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE objects SET state = ? WHERE id = ?", (ObjectState(state).value, object_id)
            )
            refresh_flags(conn, object_id)  # suggestions and conflicts are flagged for review
            self._db.changed("objects", object_id)
            self._db.changed("review")
        return self.get(object_id)

    def delete(self, object_id: int) -> None:
        """Delete an object with its prompts and masks."""
        obj = self.get(object_id)
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM objects WHERE id = ?", (object_id,))
            refresh_annotated(conn, obj.media_id)
            self._db.changed("objects", object_id)
            self._db.changed("media", obj.media_id)

    def restore(self, obj: ObjectRecord) -> ObjectRecord:
        """Re-create a deleted object with its old id (undo); prompts and masks follow separately."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO objects (id, media_id, label_id, name, created_at, state, author,"
                " clicks, corrections) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    obj.id,
                    obj.media_id,
                    obj.label_id,
                    obj.name,
                    obj.created_at,
                    ObjectState(obj.state).value,
                    obj.author,
                    obj.clicks,
                    obj.corrections,
                ),
            )
            self._db.changed("objects", obj.id)
        return obj

    def counts(self) -> dict[str, int]:
        objects = self._db.conn.execute("SELECT count(*) FROM objects").fetchone()[0]
        masks = self._db.conn.execute("SELECT count(*) FROM masks").fetchone()[0]
        return {"objects": objects, "masks": masks}

    def breakdown(self) -> dict[str, dict[str, int]]:
        """What made the masks and where the objects stand, for scripts checking a run: masks
        by source (every source, zeros included), objects by state, and auto masks accepted
        by a person vs still suggested."""
        return self.counts_and_breakdown()[1]

    def counts_and_breakdown(self) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
        """``counts`` and ``breakdown`` together: the totals are the sums of the groups, one
        pass over each of the indexes masks(source, accepted_at) and objects(state, media_id)
        (at a million masks the table scans took 0.7-1.3 s each)."""
        conn = self._db.conn
        sources = {s.value: 0 for s in MaskSource}
        masks = 0
        for source, n in conn.execute("SELECT source, count(*) FROM masks GROUP BY source"):
            masks += n
            if source in sources:
                sources[source] = n
        states = {s.value: 0 for s in ObjectState}
        objects = 0
        for state, n in conn.execute("SELECT state, count(*) FROM objects GROUP BY state"):
            objects += n
            if state in states:
                states[state] = n
        accepted = conn.execute(
            "SELECT count(*) FROM masks WHERE source = 'auto' AND accepted_at IS NOT NULL"
        ).fetchone()[0]
        auto = {"accepted": accepted, "not_accepted": sources[MaskSource.AUTO.value] - accepted}
        breakdown = {"masks_by_source": sources, "objects_by_state": states, "auto_masks": auto}
        return {"objects": objects, "masks": masks}, breakdown


class ObjectNames:
    """Free names ``<base> 1``, ``<base> 2`` ... on one media item: the smallest number not
    taken, found in amortised constant time while names are only added."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self._from: dict[str, int] = {}  # per base: every smaller number is taken

    def next(self, base: str) -> str:
        n = self._from.get(base, 1)
        while f"{base} {n}" in self.taken:
            n += 1
        name = f"{base} {n}"
        self.taken.add(name)
        self._from[base] = n + 1
        return name


class PromptRepository:
    def __init__(self, db: Database):
        self._db = db

    def list(self, object_id: int, frame: int | None = None) -> list[PromptRecord]:
        sql, params = "SELECT * FROM prompts WHERE object_id = ?", [object_id]
        if frame is not None:
            sql += " AND frame = ?"
            params.append(frame)
        return [
            _prompt(r)
            for r in self._db.query(sql + " ORDER BY frame, sort_order, id", tuple(params))
        ]

    def frames(self, object_id: int) -> list[int]:
        rows = self._db.conn.execute(
            "SELECT DISTINCT frame FROM prompts WHERE object_id = ? ORDER BY frame", (object_id,)
        )
        return [r[0] for r in rows]

    def add(
        self,
        object_id: int,
        frame: int,
        kind: str,
        coords: tuple[float, ...],
        positive: bool = True,
    ) -> PromptRecord:
        if kind not in ("point", "box") or len(coords) != (2 if kind == "point" else 4):
            raise VideoSegError(f"a {kind} prompt needs {2 if kind == 'point' else 4} coordinates")
        padded = tuple(float(c) for c in coords) + (None,) * (4 - len(coords))
        with self._db.transaction() as conn:
            top = conn.execute(
                "SELECT coalesce(max(sort_order), -1) FROM prompts WHERE object_id = ? AND frame = ?",
                (object_id, frame),
            ).fetchone()[0]
            cur = conn.execute(
                "INSERT INTO prompts (object_id, frame, kind, x0, y0, x1, y1, positive, sort_order,"
                " author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (object_id, frame, kind, *padded, int(positive), top + 1, self._db.user, now_iso()),
            )
            conn.execute("UPDATE objects SET clicks = clicks + 1 WHERE id = ?", (object_id,))
            self._db.changed("prompts", cur.lastrowid)
        return self.get(cur.lastrowid)

    def get(self, prompt_id: int) -> PromptRecord:
        rows = self._db.query("SELECT * FROM prompts WHERE id = ?", (prompt_id,))
        if not rows:
            raise VideoSegError(f"no prompt with id {prompt_id}")
        return _prompt(rows[0])

    def delete(self, prompt_id: int) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM prompts WHERE id = ?", (prompt_id,))
            self._db.changed("prompts", prompt_id)

    def clear(self, object_id: int, frame: int | None = None) -> list[PromptRecord]:
        """Delete an object's prompts (on one frame, or all); returns what was deleted."""
        gone = self.list(object_id, frame)
        with self._db.transaction() as conn:
            for p in gone:
                conn.execute("DELETE FROM prompts WHERE id = ?", (p.id,))
            self._db.changed("prompts", *[p.id for p in gone])
        return gone

    def restore(self, prompts: list[PromptRecord]) -> None:
        """Re-insert deleted prompts with their ids (undo)."""
        with self._db.transaction() as conn:
            for p in prompts:
                padded = tuple(p.coords) + (None,) * (4 - len(p.coords))
                conn.execute(
                    "INSERT INTO prompts (id, object_id, frame, kind, x0, y0, x1, y1, positive,"
                    " sort_order, author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        p.id,
                        p.object_id,
                        p.frame,
                        p.kind,
                        *padded,
                        int(p.positive),
                        p.order,
                        p.author,
                        p.created_at,
                    ),
                )
            self._db.changed("prompts", *[p.id for p in prompts])


@row_reader("objects")
def _object(row: sqlite3.Row) -> ObjectRecord:
    label_id = row["label_id"]
    return ObjectRecord(
        row["id"],
        row["media_id"],
        None if label_id is None else as_count(label_id, 0),
        as_text(row["name"]),
        row["created_at"],
        ObjectState(row["state"]),
        row["author"],
        row["clicks"],
        row["corrections"],
    )


@row_reader("prompts")
def _prompt(row: sqlite3.Row) -> PromptRecord:
    names = ("x0", "y0") if row["kind"] == "point" else ("x0", "y0", "x1", "y1")
    coords = tuple(as_number(row[n]) for n in names)
    if None in coords or row["kind"] not in ("point", "box"):
        raise ValueError("a prompt needs a kind and its coordinates")
    return PromptRecord(
        row["id"],
        row["object_id"],
        as_count(row["frame"], 0),
        row["kind"],
        coords,
        bool(row["positive"]),
        row["sort_order"],
        row["author"],
        row["created_at"],
    )
