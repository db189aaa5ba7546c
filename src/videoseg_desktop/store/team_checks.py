"""What a work package's database may hold before the merge reads it or writes its rows here.

The package is a SQLite file from anyone. SQLite keeps any value in any column and runs what
the schema says: a view named like a table decides what a query returns (a recursive view never
ends, ``zeroblob`` fills memory), a generated column computes on every read. So the schema is
checked first (tables only, no views, triggers, virtual tables or generated columns), and every
row is checked before it is written into the source: the same types, enums, limits and mask
checks as the user's own edits (``check_rle`` against the media item's size). A failed check is
a ValueError naming the table; ``team_merge`` turns it into one line and rolls the package back.
"""

from __future__ import annotations

import json
import math

from videoseg_desktop.core.attributes import AttributeKind, AttributeSpec, check_spec, check_value
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.limits import MAX_LABEL_LENGTH
from videoseg_desktop.core.masks import check_rle
from videoseg_desktop.core.records import MaskSource, MediaStatus, ObjectState
from videoseg_desktop.core.text import plural
from videoseg_desktop.store.labels import check_name
from videoseg_desktop.store.review import MAX_COMMENT

READ = (
    "settings", "labels", "media", "objects", "masks", "prompts", "attribute_specs",
    "attribute_values", "review_decisions", "effort", "prelabel_runs",
)  # fmt: skip
MAX_WHO = 200  # an author or model name (a user name is at most 64)
MAX_STAMP = 64  # a time stamp
MAX_FRAME = 2**31
MAX_CONCEPT_KEY = 20_000  # a concept's key: its text and example boxes


def check_schema(pkg) -> None:
    """ValueError unless the tables the merge reads are plain tables (see the module doc);
    planner statistics could steer every lookup of the merge into a scan."""
    for kind, name, sql in pkg.execute("SELECT type, name, sql FROM sqlite_master"):
        virtual = kind == "table" and str(sql or "").lstrip()[:14].upper() == "CREATE VIRTUAL"
        stats = str(name).startswith("sqlite_stat")  # (the app never runs ANALYZE)
        if kind in ("view", "trigger") or virtual or stats:
            what = "virtual table" if virtual else "statistics table" if stats else kind
            raise ValueError(f"its database defines a {what} ({str(name)[:40]!r})")
    for table in READ:
        for column in pkg.execute(f"PRAGMA table_xinfo({table})"):
            if column[6]:
                raise ValueError(f"its table {table} has a computed column ({column[1]!s:.40})")


def same_schema(pkg, src) -> None:
    """ValueError unless the package's tables and indexes are the project's own, as SQL: a
    package is a copy of this project at the same schema version. A table rebuilt without its
    keys or indexes turns every lookup of the merge into a scan (quadratic time)."""
    query = (
        "SELECT type, name, tbl_name, sql FROM sqlite_master"
        " WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
    )
    theirs, ours = pkg.execute(query).fetchall(), src.execute(query).fetchall()
    if [tuple(r) for r in theirs] != [tuple(r) for r in ours]:
        extra = {tuple(r) for r in theirs} ^ {tuple(r) for r in ours}
        name = str(sorted(extra, key=str)[0][1]) if extra else "?"
        raise ValueError(f"its database's tables differ from this project's ({name[:40]!r})")


def _text(value, what: str, limit: int) -> str:
    if type(value) is not str or len(value) > limit:
        raise ValueError(f"{what} is not text of at most {plural(limit, 'character')}")
    return value


def _opt_text(value, what: str, limit: int = MAX_WHO) -> str | None:
    return None if value is None else _text(value, what, limit)


def _int(value, what: str, low: int = 0, high: int = 2**62) -> int:
    if type(value) is not int or not low <= value <= high:
        raise ValueError(f"{what} is not a whole number from {low} to {high}")
    return value


def _opt_int(value, what: str, low: int = 0, high: int = 2**62) -> int | None:
    return None if value is None else _int(value, what, low, high)


def _number(value, what: str) -> float:
    if type(value) not in (int, float) or not math.isfinite(value):
        raise ValueError(f"{what} is not a finite number")
    return value


def _json(value, what: str):
    try:  # '[' * 5000 is valid text and a RecursionError for json
        return json.loads(_text(value, what, 100_000))
    except RecursionError:
        raise ValueError(f"{what} is nested too deeply") from None
    except ValueError:
        raise ValueError(f"{what} is not JSON") from None


def _enum(value, enum, what: str) -> str:
    if type(value) is not str or value not in {e.value for e in enum}:
        raise ValueError(f"{what} {str(value)[:20]!r} is unknown")
    return value


def label_name(name) -> str:
    if type(name) is not str:
        raise ValueError("a label name is not text")
    try:
        return check_name(name)
    except VideoSegError as exc:
        raise ValueError(f"a label is refused: {exc}") from None


def object_row(row) -> None:
    """(label_id, name, created_at, state, author, clicks, corrections)"""
    label_id, name, created, state, author, clicks, corrections = row
    _opt_int(label_id, "objects: a label id")
    # the app names objects "<label> <n>" (a 100-character label makes a longer name)
    _text(name, "objects: a name", 2 * MAX_LABEL_LENGTH)
    if not name.strip() or not name.isprintable() or any("\ud800" <= c <= "\udfff" for c in name):
        raise ValueError("objects: a name is empty or not printable")
    _text(created, "objects: a time", MAX_STAMP)
    _enum(state, ObjectState, "objects: the state")
    _opt_text(author, "objects: an author")
    _int(clicks, "objects: a click count")
    _int(corrections, "objects: a correction count")


def mask_row(row, height: int, width: int, frames: int, known: frozenset = frozenset()) -> None:
    """A row of ``team_merge._MASK_COLS`` for a media item of that size and frame count;
    RLE counts in ``known`` (the project's own, for the same size) are not decoded again."""
    frame, h, w, counts, area, *bbox, source, model, score, author, stamp, by, at = row
    _int(frame, "masks: a frame", 0, frames - 1)
    if (h, w) != (height, width):
        raise ValueError(f"masks: a mask of {w}x{h} on media of {width}x{height}")
    _text(counts, "masks: the counts", 2 * height * width + 16)
    if counts not in known:  # most frames of an object changed in a package are as they were
        try:
            check_rle({"size": [h, w], "counts": counts})
        except VideoSegError as exc:
            raise ValueError(f"masks: {exc}") from None
    _int(area, "masks: an area", 0, h * w)
    for value in bbox:
        _number(value, "masks: a box")
    _enum(source, MaskSource, "masks: the source")
    _opt_text(model, "masks: a model")
    if score is not None and not 0 <= _number(score, "masks: a score") <= 1:
        raise ValueError("masks: a score is not within 0 and 1")
    _opt_text(author, "masks: an author")
    _text(stamp, "masks: a time", MAX_STAMP)
    _opt_text(by, "masks: an acceptance")
    _opt_text(at, "masks: an acceptance time", MAX_STAMP)


def prompt_row(row, frames: int) -> None:
    """A row of ``team_merge._PROMPT_COLS``."""
    frame, kind, x0, y0, x1, y1, positive, order, author, stamp = row
    _int(frame, "prompts: a frame", 0, frames - 1)
    if kind not in ("point", "box"):
        raise ValueError("prompts: a kind is unknown")
    for value in (x0, y0) if kind == "point" and x1 is None and y1 is None else (x0, y0, x1, y1):
        _number(value, "prompts: a coordinate")
    _int(positive, "prompts: the sign", 0, 1)
    _int(order, "prompts: an order", -(2**31), 2**31)
    _opt_text(author, "prompts: an author")
    _opt_text(stamp, "prompts: a time", MAX_STAMP)


def spec_row(row) -> AttributeSpec:
    """(label_id, name, kind, choices, min, max, per_frame, sort_order, author, created_at)"""
    _, name, kind, choices, low, high, per_frame, order, author, stamp = row
    try:
        listed = _json(choices, "attribute_specs: choices") if choices else ()
        if not isinstance(listed, (list, tuple)):
            raise ValueError("attribute_specs: choices are not a list")
        name, kind, listed, low, high = check_spec(name, kind, listed, low, high)
    except VideoSegError as exc:
        raise ValueError(f"attribute_specs: {exc}") from None
    _int(per_frame, "attribute_specs: per frame", 0, 1)
    _int(order, "attribute_specs: an order", -(2**31), 2**31)
    _opt_text(author, "attribute_specs: an author")
    _text(stamp, "attribute_specs: a time", MAX_STAMP)
    return AttributeSpec(0, 0, name, AttributeKind(kind), listed, low, high, bool(per_frame), 0)


def value_row(spec: AttributeSpec, row) -> None:
    """(frame_start, frame_end, value, author, updated_at) of a value of ``spec``."""
    start, end, value, author, stamp = row
    _opt_int(start, "attribute_values: a frame", 0, MAX_FRAME)
    _opt_int(end, "attribute_values: a frame", 0, MAX_FRAME)
    if spec.per_frame != (start is not None) or (start is None) != (end is None):
        raise ValueError(f"attribute_values: frames do not fit attribute {spec.name!r}")
    if start is not None and start > end:
        raise ValueError("attribute_values: frames end before they start")
    try:
        check_value(spec, _json(value, "attribute_values: a value"))
    except VideoSegError as exc:
        raise ValueError(f"attribute_values: {exc}") from None
    _opt_text(author, "attribute_values: an author")
    _text(stamp, "attribute_values: a time", MAX_STAMP)


def decision_row(row) -> None:
    """A row of ``team_decisions._COLS``."""
    oid, name, start, end, decision, comment, source, author_of, masks, author, stamp = row
    _opt_int(oid, "review_decisions: an object id")
    name = _opt_text(name, "review_decisions: an object name", 2 * MAX_LABEL_LENGTH)
    if name is not None and not name.isprintable():  # it is shown as a conflict's item
        raise ValueError("review_decisions: an object name is not printable")
    _opt_int(start, "review_decisions: a frame", 0, MAX_FRAME)
    _opt_int(end, "review_decisions: a frame", 0, MAX_FRAME)
    _text(decision, "review_decisions: a decision", 20)
    _opt_text(comment, "review_decisions: a comment", MAX_COMMENT)
    _opt_text(source, "review_decisions: a mask source")
    _opt_text(author_of, "review_decisions: a mask author")
    _int(masks, "review_decisions: a mask count")
    _opt_text(author, "review_decisions: a reviewer")
    _text(stamp, "review_decisions: a time", MAX_STAMP)


def effort_row(row) -> None:
    """(author, active_s, events, updated_at)"""
    author, active, events, stamp = row
    _text(author, "effort: an author", MAX_WHO)
    if _number(active, "effort: a time") < 0:
        raise ValueError("effort: a time is negative")
    _int(events, "effort: an event count")
    _text(stamp, "effort: a time", MAX_STAMP)


def prelabel_row(row) -> None:
    """(concept, model, frames_done, found, skipped, author, started_at, finished_at) of a
    finished pre-labelling run."""
    concept, model, frames, found, skipped, author, started, finished = row
    _text(concept, "prelabel: a concept", MAX_CONCEPT_KEY)
    _text(model, "prelabel: a model", MAX_WHO)
    for value in (frames, found, skipped):
        _int(value, "prelabel: a count")
    _opt_text(author, "prelabel: an author")
    _text(started, "prelabel: a time", MAX_STAMP)
    _opt_text(finished, "prelabel: a time", MAX_STAMP)


def status_row(row) -> None:
    """(status, status_comment, status_by, status_at) of a media item."""
    status, comment, by, at = row
    _enum(status, MediaStatus, "media: a status")
    _opt_text(comment, "media: a status comment", MAX_COMMENT)
    _opt_text(by, "media: a status author")
    _opt_text(at, "media: a status time", MAX_STAMP)
