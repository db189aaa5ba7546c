"""Labels: a unique name, a colour and a place in the list."""

from __future__ import annotations

import re
import sqlite3

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.limits import MAX_LABEL_LENGTH
from videoseg_desktop.core.records import Label
from videoseg_desktop.store.database import Database, as_text, row_reader

# Distinct, colour-blind-friendly defaults (Okabe-Ito first), used in turn for new labels.
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999")
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def check_color(color: str) -> str:
    if not _COLOR.match(color or ""):
        raise VideoSegError(f"colour must look like #RRGGBB, not {color!r}")
    return color.upper()


def check_name(name: str, what: str = "label") -> str:
    """A label or object name: 1 to MAX_LABEL_LENGTH printable characters (it is shown in the
    window, written into exports and compared by file-based tools)."""
    name = (name or "").strip()
    if not name:
        raise VideoSegError(f"a {what} needs a name")
    if (
        len(name) > MAX_LABEL_LENGTH
        or not name.isprintable()
        or any("\ud800" <= c <= "\udfff" for c in name)
    ):
        shown = name[:40].encode("utf-8", "backslashreplace").decode("utf-8")
        raise VideoSegError(
            f"a {what} name must be at most {MAX_LABEL_LENGTH} printable characters, "
            f"without control characters ({shown!r})"
        )
    return name


_check_name = check_name


class LabelRepository:
    def __init__(self, db: Database):
        self._db = db

    def list(self) -> list[Label]:
        rows = self._db.query("SELECT * FROM labels ORDER BY sort_order, id")
        return [_label(r) for r in rows]

    def get(self, name: str) -> Label | None:
        rows = self._db.query("SELECT * FROM labels WHERE name = ?", (name,))
        return _label(rows[0]) if rows else None

    def by_id(self, label_id: int) -> Label | None:
        rows = self._db.query("SELECT * FROM labels WHERE id = ?", (label_id,))
        return _label(rows[0]) if rows else None

    def require(self, name: str) -> Label:
        label = self.get(name)
        if label is None:
            raise VideoSegError(f"no label named {name!r}")
        return label

    def add(self, name: str, color: str | None = None) -> Label:
        name = _check_name(name)
        with self._db.transaction() as conn:
            count, top = conn.execute(
                "SELECT count(*), coalesce(max(sort_order), -1) FROM labels"
            ).fetchone()
            color = check_color(color) if color else PALETTE[count % len(PALETTE)]
            try:
                cur = conn.execute(
                    "INSERT INTO labels (name, color, sort_order) VALUES (?, ?, ?)",
                    (name, color, top + 1),
                )
            except sqlite3.IntegrityError:
                raise VideoSegError(f"a label named {name!r} already exists") from None
            self._db.changed("labels", cur.lastrowid)
            return Label(cur.lastrowid, name, color, top + 1)

    def rename(self, old: str, new: str) -> Label:
        label, new = self.require(old), _check_name(new)
        with self._db.transaction() as conn:
            try:
                conn.execute("UPDATE labels SET name = ? WHERE id = ?", (new, label.id))
            except sqlite3.IntegrityError:
                raise VideoSegError(f"a label named {new!r} already exists") from None
            self._db.changed("labels", label.id)
        return self.by_id(label.id)

    def recolor(self, name: str, color: str) -> Label:
        label, color = self.require(name), check_color(color)
        with self._db.transaction() as conn:
            conn.execute("UPDATE labels SET color = ? WHERE id = ?", (color, label.id))
            self._db.changed("labels", label.id)
        return self.by_id(label.id)

    def remove(self, name: str) -> None:
        """Delete a label; its objects are kept, without a label."""
        label = self.require(name)
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM labels WHERE id = ?", (label.id,))
            self._db.changed("labels", label.id)

    def restore(self, label: Label) -> Label:
        """Re-create a deleted label with its old id (undo)."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO labels (id, name, color, sort_order) VALUES (?, ?, ?, ?)",
                (label.id, label.name, label.color, label.order),
            )
            self._db.changed("labels", label.id)
        return label

    def reorder(self, names: list[str]) -> None:
        with self._db.transaction() as conn:
            for order, name in enumerate(names):
                conn.execute(
                    "UPDATE labels SET sort_order = ? WHERE id = ?", (order, self.require(name).id)
                )
            self._db.changed("labels")


@row_reader("labels")
def _label(row: sqlite3.Row) -> Label:
    return Label(row["id"], as_text(row["name"]), as_text(row["color"]), row["sort_order"])
