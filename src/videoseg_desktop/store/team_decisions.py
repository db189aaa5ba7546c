"""Review decisions made in a work package, recorded in the source when the package merges.

A decision row is a record (who accepted or rejected what, when, with which comment); its
effects (accepted masks, removed masks, object states, a media item's status) travel with the
objects and statuses, under their conflict rules. The rows themselves are matched by content,
not id (a package numbers its rows on its own): one with the same media item, object name,
decision, frames, comment, mask provenance and count, reviewer and time is already here
(copied at the split, or merged before), so merging again adds nothing. A decision opposite to
one made here since the split (accept against reject, reviewed against needs-changes, on the
same object and overlapping frames) is a conflict: both rows are kept, the objects go to the
``conflict`` state and the item is reported.
"""

from __future__ import annotations

from collections.abc import Callable

from videoseg_desktop.store.team_checks import decision_row

_COLS = (
    "object_id, object_name, frame_start, frame_end, decision, comment, mask_source,"
    " mask_author, masks, author, created_at"
)
_OPPOSITE = {
    "accept": "reject",
    "reject": "accept",
    "reviewed": "needs-changes",
    "needs-changes": "reviewed",
}
_VERB = {
    "accept": "accepted",
    "reject": "rejected",
    "reviewed": "marked reviewed",
    "needs-changes": "sent back",
}


def _key(row) -> tuple:
    """What makes two rows the same decision: everything but the object id (ids differ
    between the sides; one accept writes a row per mask source and author)."""
    return tuple(row[1:])


def _overlap(a, b) -> bool:
    if a[2] is None or b[2] is None or a[3] is None or b[3] is None:
        return True  # a whole object or a whole media item
    return a[2] <= b[3] and b[2] <= a[3]


def merge_decisions(
    src,
    pkg,
    media_map: dict[int, int],
    object_map: dict[int, int | None],
    conflict: Callable[[int, str, str, list[int]], None],
) -> int:
    """Add the package's decisions not yet here; returns how many. ``conflict(media, item,
    why, object ids)`` reports an opposite decision."""
    added = 0
    for pkg_media, src_media in sorted(media_map.items()):
        if src.execute("SELECT 1 FROM media WHERE id = ?", (src_media,)).fetchone() is None:
            continue  # the media item is gone here (reported as skipped media)
        theirs = pkg.execute(
            f"SELECT {_COLS} FROM review_decisions WHERE media_id = ? ORDER BY id", (pkg_media,)
        ).fetchall()
        if not theirs:
            continue
        for row in theirs:  # checked before any is compared or written (a crafted package)
            decision_row(row)
        ours = src.execute(
            f"SELECT {_COLS} FROM review_decisions WHERE media_id = ? ORDER BY id", (src_media,)
        ).fetchall()
        here = {_key(r) for r in ours}
        from_package = {_key(r) for r in theirs}
        since: dict[tuple, list] = {}  # made here, not in the package: by decision and object
        for r in ours:
            if _key(r) not in from_package:
                since.setdefault((r[4], r[1]), []).append(r)
        for row in theirs:
            if row[4] not in _OPPOSITE or _key(row) in here:  # (a crafted decision: left out)
                continue
            oid = object_map.get(row[0]) if row[0] is not None else None
            src.execute(
                f"INSERT INTO review_decisions (media_id, {_COLS})"
                f" VALUES (?, {', '.join('?' * 11)})",
                (src_media, oid, *row[1:]),
            )
            here.add(_key(row))
            added += 1
            against = [r for r in since.get((_OPPOSITE[row[4]], row[1]), ()) if _overlap(r, row)]
            if against:
                other = against[-1]
                why = (
                    f"{_VERB[row[4]]} in the package by {row[9] or '?'},"
                    f" {_VERB[other[4]]} in the project by {other[9] or '?'}"
                )
                ids = [i for i in {oid, *(r[0] for r in against)} if i is not None]
                conflict(src_media, str(row[1]) if row[1] is not None else "status", why, ids)
    return added
