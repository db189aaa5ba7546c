"""Attribute schemas per label and their values per object (or per frame range of a video).

Per-frame values are stored as ranges ``first..last`` (inclusive); setting a value on some
frames trims or splits what was there and merges touching ranges of equal value, so a track's
values stay a short canonical list. Every change returns what it replaced, and ``replace``
puts any such list back, so the GUI's undo and redo are one call each.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from videoseg_desktop.core.attributes import (
    AttributeKind,
    AttributeSpec,
    AttributeValue,
    check_spec,
    check_value,
)
from videoseg_desktop.core.errors import ProjectError, VideoSegError
from videoseg_desktop.store.database import Database
from videoseg_desktop.store.timeutil import now_iso


@dataclass(frozen=True)
class AttributeChange:
    """Rows a change removed and rows it wrote: ``replace(after, before)`` undoes it."""

    before: list[AttributeValue]
    after: list[AttributeValue]


class AttributeRepository:
    def __init__(self, db: Database):
        self._db = db

    # -- schema ----------------------------------------------------------------------------
    def specs(self, label_id: int | None = None) -> list[AttributeSpec]:
        """A label's attributes in their order (every label's with None)."""
        sql, params = "SELECT * FROM attribute_specs", ()
        if label_id is not None:
            sql, params = sql + " WHERE label_id = ?", (label_id,)
        return [
            _spec(r) for r in self._db.query(sql + " ORDER BY label_id, sort_order, id", params)
        ]

    def spec(self, label_id: int, name: str) -> AttributeSpec | None:
        rows = self._db.query(
            "SELECT * FROM attribute_specs WHERE label_id = ? AND name = ?", (label_id, name)
        )
        return _spec(rows[0]) if rows else None

    def require_spec(self, label_id: int, name: str) -> AttributeSpec:
        spec = self.spec(label_id, name)
        if spec is None:
            raise VideoSegError(f"the label has no attribute named {name!r}")
        return spec

    def has_any(self) -> bool:
        return self._db.conn.execute("SELECT 1 FROM attribute_specs LIMIT 1").fetchone() is not None

    def add_spec(
        self,
        label_id: int,
        name: str,
        kind: AttributeKind | str,
        choices: tuple[str, ...] | list[str] = (),
        min_value: float | None = None,
        max_value: float | None = None,
        per_frame: bool = False,
    ) -> AttributeSpec:
        name, kind, choices, low, high = check_spec(name, kind, choices, min_value, max_value)
        with self._db.transaction() as conn:
            top = conn.execute(
                "SELECT coalesce(max(sort_order), -1) FROM attribute_specs WHERE label_id = ?",
                (label_id,),
            ).fetchone()[0]
            try:
                cur = conn.execute(
                    "INSERT INTO attribute_specs (label_id, name, kind, choices, min_value,"
                    " max_value, per_frame, sort_order, author, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        label_id,
                        name,
                        kind.value,
                        json.dumps(list(choices)) if choices else None,
                        low,
                        high,
                        int(bool(per_frame)),
                        top + 1,
                        self._db.user,
                        now_iso(),
                    ),
                )
            except sqlite3.IntegrityError:
                raise VideoSegError(
                    f"the label already has an attribute named {name!r} (or no such label)"
                ) from None
            self._db.changed("attributes")
        return self._by_id(cur.lastrowid)

    def remove_spec(self, label_id: int, name: str) -> tuple[AttributeSpec, list[AttributeValue]]:
        """Remove an attribute with all its values; returns both (``restore_spec`` undoes it)."""
        spec = self.require_spec(label_id, name)
        values = self._values("WHERE spec_id = ?", (spec.id,))
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM attribute_specs WHERE id = ?", (spec.id,))
            self._db.changed("attributes")
        return spec, values

    def restore_spec(self, spec: AttributeSpec, values: list[AttributeValue] = ()) -> None:
        """Put a removed attribute back with its id and values (undo)."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO attribute_specs (id, label_id, name, kind, choices, min_value,"
                " max_value, per_frame, sort_order, author, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    spec.id,
                    spec.label_id,
                    spec.name,
                    spec.kind.value,
                    json.dumps(list(spec.choices)) if spec.choices else None,
                    spec.min_value,
                    spec.max_value,
                    int(spec.per_frame),
                    spec.order,
                    spec.author,
                    spec.created_at,
                ),
            )
            self._insert(conn, values)
            self._db.changed("attributes")

    def _by_id(self, spec_id: int) -> AttributeSpec:
        return _spec(self._db.query("SELECT * FROM attribute_specs WHERE id = ?", (spec_id,))[0])

    # -- values ----------------------------------------------------------------------------
    def values(self, object_id: int) -> list[AttributeValue]:
        """Every value of the object (of any label's attributes), per spec and frame order."""
        return self._values("WHERE object_id = ?", (object_id,))

    def values_for_media(self, media_id: int) -> dict[int, list[AttributeValue]]:
        """Values of every object of a media item at once (exports read one item at a time)."""
        out: dict[int, list[AttributeValue]] = {}
        for v in self._values(
            "WHERE object_id IN (SELECT id FROM objects WHERE media_id = ?)", (media_id,)
        ):
            out.setdefault(v.object_id, []).append(v)
        return out

    def values_for_label(self, label_id: int) -> list[AttributeValue]:
        """Values of a label's attributes (a label's removal takes them; undo puts them back)."""
        return self._values(
            "WHERE spec_id IN (SELECT id FROM attribute_specs WHERE label_id = ?)", (label_id,)
        )

    def current(self, object_id: int, frame: int | None = None) -> dict[str, object]:
        """The object's attribute values by name: per-object ones, and per-frame ones covering
        ``frame`` (only attributes of the object's current label)."""
        row = self._db.conn.execute(
            "SELECT label_id FROM objects WHERE id = ?", (object_id,)
        ).fetchone()
        if row is None or row[0] is None:
            return {}
        specs = {s.id: s for s in self.specs(row[0])}
        out = {}
        for v in self.values(object_id):
            spec = specs.get(v.spec_id)
            if spec is None:
                continue
            if v.frames is None or (frame is not None and v.covers(frame)):
                out[spec.name] = v.value
        return out

    def set_value(
        self,
        object_id: int,
        spec: AttributeSpec,
        value: object,
        frames: tuple[int, int] | None = None,
    ) -> AttributeChange:
        """Set (``value`` None: clear) an attribute of an object, on ``frames`` for a per-frame
        attribute (first, last inclusive). Returns the change, for undo."""
        if value is not None:
            value = check_value(spec, value)
        if spec.per_frame:
            if frames is None:
                raise VideoSegError(f"attribute {spec.name!r} is per frame: say which frames")
            first, last = int(frames[0]), int(frames[1])
            if first < 0 or last < first:
                raise VideoSegError(f"frames {first}-{last}: need 0 <= first <= last")
        elif frames is not None:
            raise VideoSegError(f"attribute {spec.name!r} is per object: it takes no frames")
        self._check_object_label(object_id, spec)
        stamp, user = now_iso(), self._db.user
        with self._db.transaction() as conn:
            old = self._values("WHERE object_id = ? AND spec_id = ?", (object_id, spec.id))
            if not spec.per_frame:
                new = [] if value is None else [AttributeValue(0, object_id, spec.id, None, value)]
                if old and new and old[0].value == value and len(old) == 1:
                    new = old
            else:
                new = _splice(object_id, spec.id, old, (first, last), value)
            if _same(old, new):
                return AttributeChange([], [])
            conn.execute(
                "DELETE FROM attribute_values WHERE object_id = ? AND spec_id = ?",
                (object_id, spec.id),
            )
            written = sorted(
                self._insert(conn, new, author=user, stamp=stamp),
                key=lambda v: v.frames[0] if v.frames else -1,
            )
            self._db.changed("attributes", object_id)
        return AttributeChange(old, written)

    def replace(self, remove: list[AttributeValue], put: list[AttributeValue]) -> None:
        """Delete rows ``remove`` and insert ``put`` with their ids, authors and times:
        ``replace(change.after, change.before)`` is undo, the reverse is redo."""
        with self._db.transaction() as conn:
            conn.executemany("DELETE FROM attribute_values WHERE id = ?", [(v.id,) for v in remove])
            self._insert(conn, put)
            self._db.changed("attributes", *sorted({v.object_id for v in [*remove, *put]}))

    def add_values(self, values: list[AttributeValue]) -> list[AttributeValue]:
        """Insert new rows (id 0) as they are, by the current user: an import's values, which
        the caller has checked against the spec and which overlap nothing."""
        with self._db.transaction() as conn:
            written = self._insert(conn, values)
            self._db.changed("attributes", *sorted({v.object_id for v in values}))
        return written

    def restore_values(self, values: list[AttributeValue]) -> None:
        """Put back values removed with their object or label (undo)."""
        self.replace([], values)

    def _check_object_label(self, object_id: int, spec: AttributeSpec) -> None:
        row = self._db.conn.execute(
            "SELECT label_id FROM objects WHERE id = ?", (object_id,)
        ).fetchone()
        if row is None:
            raise VideoSegError(f"no object with id {object_id}")
        if row[0] != spec.label_id:
            raise VideoSegError(
                f"attribute {spec.name!r} belongs to another label than the object's"
            )

    def _insert(self, conn, values, author=None, stamp=None) -> list:
        """Insert rows; those with id 0 get a new id, the current user and time, others keep
        theirs."""
        author, stamp = author or self._db.user, stamp or now_iso()
        out = []
        # Rows keeping their id first: a new row may otherwise be given one of those ids.
        for v in sorted(values, key=lambda v: v.id == 0):
            fresh = v.id == 0
            cur = conn.execute(
                "INSERT INTO attribute_values (id, object_id, spec_id, frame_start, frame_end,"
                " value, author, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    None if fresh else v.id,
                    v.object_id,
                    v.spec_id,
                    None if v.frames is None else v.frames[0],
                    None if v.frames is None else v.frames[1],
                    json.dumps(v.value),
                    author if fresh else v.author,
                    (stamp if fresh else v.updated_at) or now_iso(),
                ),
            )
            out.append(
                AttributeValue(
                    cur.lastrowid if fresh else v.id,
                    v.object_id,
                    v.spec_id,
                    v.frames,
                    v.value,
                    author if fresh else v.author,
                    (stamp if fresh else v.updated_at),
                )
            )
        return out

    def _values(self, where: str, params: tuple) -> list[AttributeValue]:
        rows = self._db.query(
            f"SELECT * FROM attribute_values {where} ORDER BY object_id, spec_id,"
            " coalesce(frame_start, -1), id",
            params,
        )
        return [_value(r) for r in rows]


def _splice(
    object_id: int, spec_id: int, old: list[AttributeValue], frames: tuple[int, int], value
) -> list[AttributeValue]:
    """Per-frame ranges after setting ``value`` (None: clearing) on ``frames``; ranges left as
    they were keep their rows (id, author, time), new or changed pieces get id 0."""
    first, last = frames
    pieces: list[AttributeValue] = []
    for v in old:
        a, b = v.frames
        if b < first or a > last:
            pieces.append(v)
            continue
        if a < first:
            pieces.append(_piece(v, a, first - 1))
        if b > last:
            pieces.append(_piece(v, last + 1, b))
    if value is not None:
        pieces.append(AttributeValue(0, object_id, spec_id, (first, last), value))
    pieces.sort(key=lambda v: v.frames[0])
    merged: list[AttributeValue] = []
    for v in pieces:
        if merged and merged[-1].frames[1] + 1 == v.frames[0] and merged[-1].value == v.value:
            merged[-1] = _piece(merged[-1], merged[-1].frames[0], v.frames[1])
        else:
            merged.append(v)
    return merged


def _piece(v: AttributeValue, first: int, last: int) -> AttributeValue:
    if v.frames == (first, last):
        return v
    return AttributeValue(0, v.object_id, v.spec_id, (first, last), v.value)


def _same(old: list[AttributeValue], new: list[AttributeValue]) -> bool:
    return [(v.frames, v.value) for v in old] == [(v.frames, v.value) for v in new] and all(
        v.id for v in new
    )


def _load(text: str) -> object:
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError):  # '[' * 5000 is too deep for json
        raise ProjectError("the project database holds a damaged attribute value") from None


def _spec(row: sqlite3.Row) -> AttributeSpec:
    return AttributeSpec(
        id=row["id"],
        label_id=row["label_id"],
        name=row["name"],
        kind=AttributeKind(row["kind"]),
        choices=tuple(map(str, _load(row["choices"]))) if row["choices"] else (),
        min_value=row["min_value"],
        max_value=row["max_value"],
        per_frame=bool(row["per_frame"]),
        order=row["sort_order"],
        author=row["author"],
        created_at=row["created_at"],
    )


def _value(row: sqlite3.Row) -> AttributeValue:
    frames = None if row["frame_start"] is None else (row["frame_start"], row["frame_end"])
    return AttributeValue(
        row["id"],
        row["object_id"],
        row["spec_id"],
        frames,
        _load(row["value"]),
        row["author"],
        row["updated_at"],
    )
