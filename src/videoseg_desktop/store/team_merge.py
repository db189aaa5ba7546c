"""Merge work packages back into their source project, one transaction per package.

For every item a package handed out (an object, or a media item's workflow status) the source
keeps the fingerprints both sides had at the split or the last merge (``team_items``). An item
the package changed and the source did not is taken over, with its authors and times; one both
changed differently (the source, or another package merged before) is a conflict: the source's
version and the package's are kept side by side as objects in the ``conflict`` state, which the
review queue flags, and the conflict is reported per item. Objects new in the package are added.
Media the package imported come in through the importer (``team_media``), review decisions made
there are recorded (``team_decisions``). Merging the same package again finds nothing changed
since and writes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import suppress
from pathlib import Path

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.limits import MAX_LABEL_LENGTH
from videoseg_desktop.store.database import Database
from videoseg_desktop.store.labels import PALETTE, check_color, check_name
from videoseg_desktop.store.media_repository import refresh_annotated
from videoseg_desktop.store.project import DB_NAME
from videoseg_desktop.store.review_flags import refresh_flags
from videoseg_desktop.store.schema import require_current
from videoseg_desktop.store.team_checks import (
    check_schema,
    effort_row,
    mask_row,
    object_row,
    prelabel_row,
    prompt_row,
    same_schema,
    spec_row,
    status_row,
    value_row,
)
from videoseg_desktop.store.team_decisions import merge_decisions
from videoseg_desktop.store.team_media import ImportTarget, bring_media
from videoseg_desktop.store.team_package import (
    TeamPackageError,
    media_fingerprint,
    object_fingerprint,
    open_package_db,
    project_id,
    read_manifest,
)
from videoseg_desktop.store.team_report import Conflict, MergeReport
from videoseg_desktop.store.timeutil import now_iso

_MASK_COLS = (
    "frame, height, width, counts, area, bbox_x, bbox_y, bbox_w, bbox_h, source, model, score,"
    " author, updated_at, accepted_by, accepted_at"
)
_PROMPT_COLS = "frame, kind, x0, y0, x1, y1, positive, sort_order, author, created_at"
_OBJECT_COLS = "label_id, name, created_at, state, author, clicks, corrections"
# A package row SQLite or a check refuses (a wrong type, an unknown value, a missing row):
# the package is damaged or crafted, and refused with one line (team_checks).
_DATA_ERRORS = (sqlite3.IntegrityError, ValueError, TypeError, KeyError, IndexError, OverflowError)


def merge_package(project, folder: Path) -> MergeReport:
    """Bring one package's work into ``project`` (a Project, or a ``Detached`` one for a
    background thread), in one transaction: files it imports are removed again on failure."""
    folder = Path(folder).expanduser().absolute()
    manifest = read_manifest(folder)
    db: Database = project.db
    conn = db.conn
    own = project_id(conn)
    if own is None or manifest.source_id != own:
        raise TeamPackageError(
            f"{folder} is a work package of another project ({manifest.source_name!r}), not of "
            "this one; nothing was merged"
        )
    known = conn.execute("SELECT 1 FROM team_packages WHERE id = ?", (manifest.package_id,))
    if known.fetchone() is None:
        raise TeamPackageError(
            f"{folder} was not split from this project (no record of package "
            f"{manifest.package_id[:8]}); nothing was merged"
        )
    if not (folder / DB_NAME).is_file():
        raise TeamPackageError(f"{folder} is not a work package (no {DB_NAME} in it)")
    with open_package_db(folder / DB_NAME) as pkg:
        return _merge_from(project, db, pkg, folder, manifest)


def _merge_from(project, db: Database, pkg, folder: Path, manifest) -> MergeReport:
    conn = db.conn
    try:
        require_current(pkg, folder / DB_NAME)
        check_schema(pkg)
        same_schema(pkg, conn)
        stored = dict(pkg.execute("SELECT key, value FROM settings WHERE key LIKE 'team.%'"))
        if stored.get("team.package_id") != manifest.package_id:
            raise TeamPackageError(
                f"{folder} is damaged: its database does not match its manifest; nothing was merged"
            )
        report = MergeReport(folder, manifest.annotator)
        target = ImportTarget(project, db)
        merge = None
        try:
            with db.transaction() as tx:
                merge = _Merge(tx, pkg, manifest, report, folder, target)
                merge.run()
                _finish(db, manifest, report)
        except BaseException:
            if merge is not None and merge.media is not None:
                merge.media.discard()
            raise
        return report
    except _DATA_ERRORS as exc:
        why = " ".join(str(exc).split())[:160] or exc.__class__.__name__
        raise TeamPackageError(
            f"{folder} holds data this project refuses ({why}); nothing was merged"
        ) from None


def _finish(db: Database, manifest, report: MergeReport) -> None:
    if report.changed:
        db.conn.execute(
            "UPDATE team_packages SET merged_at = ?, merged_by = ?, merges = merges + 1"
            " WHERE id = ?",
            (now_iso(), db.user, manifest.package_id),
        )
        for table in ("labels", "attributes", "objects", "masks", "media", "review"):
            db.changed(table)


class _Merge:
    def __init__(self, src, pkg, manifest, report: MergeReport, folder: Path, target) -> None:
        self.src, self.pkg, self.m, self.report = src, pkg, manifest, report
        self.folder, self.target = folder, target
        self.media = None  # the media the package added (files made here, for a rollback)
        self.items = {
            (kind, p): (s, pfp, sfp)
            for kind, p, s, pfp, sfp in src.execute(
                "SELECT kind, package_item, source_item, package_fp, source_fp FROM team_items"
                " WHERE package_id = ?",
                (manifest.package_id,),
            )
        }
        self.touched_objects: set[int] = set()
        self.touched_media: set[int] = set()
        self.labels = self._map_labels()
        self.specs: dict[int, tuple[int, object]] = {}
        self.sizes: dict[int, tuple[int, int, int]] = {}
        self.names: dict[int, set[str]] = {}  # object names taken per media item (read once)

    # -- the walk ----------------------------------------------------------------------------
    def run(self) -> None:
        handed = {p: s for (kind, p), (s, _, _) in self.items.items() if kind == "media"}
        for p, s in self.m.media.items():  # the source's record decides, not the manifest
            if handed.get(p) != s:
                raise TeamPackageError(
                    f"{self.folder} is damaged: its manifest maps media the project did not "
                    "hand out to it; nothing was merged"
                )
        self.media = bring_media(
            self.folder, self.target, self.pkg, self.m.media, self.items, self._remember
        )
        self.media_map = {**self.m.media, **self.media.mapping}
        r = self.report
        r.media_added, r.media_matched, r.media_refused = (
            self.media.added,
            self.media.matched,
            self.media.refused,
        )
        seen: set[int] = set()
        present = {row[0] for row in self.pkg.execute("SELECT id FROM media")}
        kept: set[int] = set()  # handed out, removed in the package: the work here stays
        for pkg_media, src_media in sorted(self.media_map.items()):
            name = self._media_name(src_media)
            if name is None:
                self.report.skipped_media += 1
                continue
            if pkg_media not in present:
                kept.add(src_media)
                continue
            for (oid,) in self.pkg.execute(
                "SELECT id FROM objects WHERE media_id = ? ORDER BY id", (pkg_media,)
            ).fetchall():
                seen.add(oid)
                self._object(oid, src_media, name)
            self._status(pkg_media, src_media, name)
        for (kind, oid), (src_oid, base_p, _) in list(self.items.items()):
            if kind == "object" and oid not in seen and base_p is not None:
                here = self.src.execute("SELECT media_id FROM objects WHERE id = ?", (src_oid,))
                if (here.fetchone() or (None,))[0] not in kept:
                    self._deleted(oid, src_oid)
        objects = {p: s for (kind, p), (s, _, _) in self.items.items() if kind == "object"}
        r.decisions = merge_decisions(
            self.src, self.pkg, self.media_map, objects, self._decision_conflict
        )
        for oid in self.touched_objects:
            refresh_flags(self.src, oid)
        for media_id in self.touched_media:
            refresh_annotated(self.src, media_id)
        self._effort()
        self._prelabel_runs()

    def _object(self, oid: int, media_id: int, media_name: str) -> None:
        pfp = object_fingerprint(self.pkg, oid)
        rec = self.items.get(("object", oid))
        if rec is not None and rec[0] is not None and rec[1] is not None:
            row = self.src.execute("SELECT media_id FROM objects WHERE id = ?", (rec[0],))
            found = row.fetchone()
            if found is not None and found[0] != media_id:  # the id was reused on other media:
                self._deleted(oid, rec[0])  # the object it named was deleted in the package
                rec = None
        if rec is None or rec[1] is None:  # new in the package (or an id reused after a deletion)
            new = self._insert(oid, media_id, None)
            self._remember("object", oid, new, pfp, object_fingerprint(self.src, new))
            self.report.merged += 1
            self.report.added += 1
            return
        src_oid, base_p, base_s = rec
        if pfp == base_p:
            return  # the package did not change it since
        sfp = object_fingerprint(self.src, src_oid) if src_oid is not None else None
        if sfp == pfp:  # the same change on both sides
            self._remember("object", oid, src_oid, pfp, sfp)
            return
        if sfp is not None and sfp == base_s:
            self._replace(oid, src_oid)
            self._remember("object", oid, src_oid, pfp, object_fingerprint(self.src, src_oid))
            self.report.merged += 1
            return
        name = self.pkg.execute("SELECT name FROM objects WHERE id = ?", (oid,)).fetchone()[0]
        if sfp is None:
            why = "deleted in the project, changed in the package"
        else:
            why = "changed in the project and in the package"
            self._set_conflict(src_oid)
        copy = self._insert(oid, media_id, "conflict")
        self._remember("object", oid, copy, pfp, object_fingerprint(self.src, copy))
        self.report.conflicts.append(Conflict(media_name, str(name), why))

    def _decision_conflict(self, media_id: int, item: str, why: str, ids: list[int]) -> None:
        self.report.note_conflict(Conflict(self._media_name(media_id) or "?", item, why))
        for oid in ids:
            self._set_conflict(oid)

    def _deleted(self, oid: int, src_oid: int | None) -> None:
        _, _, base_s = self.items[("object", oid)]
        sfp = object_fingerprint(self.src, src_oid) if src_oid is not None else None
        if sfp is not None and sfp == base_s:
            row = self.src.execute("SELECT media_id FROM objects WHERE id = ?", (src_oid,))
            self.touched_media.add(row.fetchone()[0])
            self.src.execute("DELETE FROM objects WHERE id = ?", (src_oid,))
            self.touched_objects.discard(src_oid)
            self.report.merged += 1
        elif sfp is not None:
            media_id, name = self.src.execute(
                "SELECT media_id, name FROM objects WHERE id = ?", (src_oid,)
            ).fetchone()
            self._set_conflict(src_oid)
            self.report.conflicts.append(
                Conflict(
                    self._media_name(media_id) or "?",
                    str(name),
                    "deleted in the package, changed in the project",
                )
            )
        self._remember("object", oid, src_oid, None, sfp)

    def _status(self, pkg_media: int, src_media: int, media_name: str) -> None:
        pfp = media_fingerprint(self.pkg, pkg_media)
        rec = self.items.get(("media", pkg_media))
        base_p, base_s = (rec[1], rec[2]) if rec else (None, None)
        if pfp == base_p:
            return
        sfp = media_fingerprint(self.src, src_media)
        if sfp in (base_s, pfp):
            row = self.pkg.execute(
                "SELECT status, status_comment, status_by, status_at FROM media WHERE id = ?",
                (pkg_media,),
            ).fetchone()
            status_row(row)
            self.src.execute(
                "UPDATE media SET status = ?, status_comment = ?, status_by = ?, status_at = ?"
                " WHERE id = ?",
                (*row, src_media),
            )
            if sfp != pfp:
                self.report.merged += 1
        else:
            self.report.conflicts.append(
                Conflict(media_name, "status", "status changed in the project and in the package")
            )
        self._remember("media", pkg_media, src_media, pfp, media_fingerprint(self.src, src_media))

    # -- writing -----------------------------------------------------------------------------
    def _insert(self, oid: int, media_id: int, state: str | None) -> int:
        row = self.pkg.execute(f"SELECT {_OBJECT_COLS} FROM objects WHERE id = ?", (oid,))
        row = row.fetchone()
        object_row(row)
        label_id, name, created, own_state, author, clicks, corrections = row
        if state == "conflict":
            name = f"{name} ({self.m.annotator})"
        cur = self.src.execute(
            "INSERT INTO objects (media_id, label_id, name, created_at, state, author, clicks,"
            " corrections) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                media_id,
                self.labels.get(label_id),
                self._free_name(media_id, str(name)),
                created,
                state or own_state,
                author,
                clicks,
                corrections,
            ),
        )
        self._copy_content(oid, cur.lastrowid)
        self.touched_media.add(media_id)
        return cur.lastrowid

    def _replace(self, oid: int, src_oid: int) -> None:
        row = self.pkg.execute(f"SELECT {_OBJECT_COLS} FROM objects WHERE id = ?", (oid,))
        row = row.fetchone()
        object_row(row)
        label_id, name, _, state, author, clicks, corrections = row
        self.src.execute(
            "UPDATE objects SET label_id = ?, state = ?, author = ?, clicks = ?, corrections = ?"
            " WHERE id = ?",
            (self.labels.get(label_id), state, author, clicks, corrections, src_oid),
        )
        with suppress(sqlite3.IntegrityError):  # a name taken meanwhile stays the source's
            self.src.execute("UPDATE objects SET name = ? WHERE id = ?", (name, src_oid))
        height, width, _ = self._size(src_oid)
        known = frozenset(
            counts
            for (counts,) in self.src.execute(
                "SELECT counts FROM masks WHERE object_id = ? AND height = ? AND width = ?",
                (src_oid, height, width),
            )
        )  # the project's own masks of the object: not decoded again when they come back
        for table in ("masks", "prompts", "attribute_values"):
            self.src.execute(f"DELETE FROM {table} WHERE object_id = ?", (src_oid,))
        self._copy_content(oid, src_oid, known)
        media_id, now = self.src.execute(
            "SELECT media_id, name FROM objects WHERE id = ?", (src_oid,)
        ).fetchone()
        self.names.get(media_id, set()).add(now)  # (its old name stays taken: harmless)
        self.touched_media.add(media_id)

    def _copy_content(self, oid: int, target: int, known: frozenset = frozenset()) -> None:
        """Masks, prompts and attribute values, with their authors and times (provenance)."""
        height, width, frames = self._size(target)
        masks = self.pkg.execute(f"SELECT {_MASK_COLS} FROM masks WHERE object_id = ?", (oid,))
        masks = masks.fetchall()
        for row in masks:
            mask_row(row, height, width, frames, known)
        self.src.executemany(
            f"INSERT INTO masks (object_id, {_MASK_COLS}) VALUES ({', '.join('?' * 17)})",
            ((target, *r) for r in masks),
        )
        prompts = self.pkg.execute(
            f"SELECT {_PROMPT_COLS} FROM prompts WHERE object_id = ?", (oid,)
        ).fetchall()
        for row in prompts:
            prompt_row(row, frames)
        self.src.executemany(
            f"INSERT INTO prompts (object_id, {_PROMPT_COLS}) VALUES ({', '.join('?' * 11)})",
            ((target, *r) for r in prompts),
        )
        for spec, start, end, value, author, stamp in self.pkg.execute(
            "SELECT spec_id, frame_start, frame_end, value, author, updated_at"
            " FROM attribute_values WHERE object_id = ?",
            (oid,),
        ).fetchall():
            spec_id, spec_rec = self._spec(spec)
            value_row(spec_rec, (start, end, value, author, stamp))
            self.src.execute(
                "INSERT INTO attribute_values (object_id, spec_id, frame_start, frame_end, value,"
                " author, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (target, spec_id, start, end, value, author, stamp),
            )
        self.touched_objects.add(target)

    def _size(self, object_id: int) -> tuple[int, int, int]:
        """Height, width and frame count of the source media item an object is on."""
        (media_id,) = self.src.execute(
            "SELECT media_id FROM objects WHERE id = ?", (object_id,)
        ).fetchone()
        if media_id not in self.sizes:
            self.sizes[media_id] = tuple(
                self.src.execute(
                    "SELECT height, width, frame_count FROM media WHERE id = ?", (media_id,)
                ).fetchone()
            )
        return self.sizes[media_id]

    def _set_conflict(self, src_oid: int) -> None:
        self.src.execute("UPDATE objects SET state = 'conflict' WHERE id = ?", (src_oid,))
        self.touched_objects.add(src_oid)

    def _remember(self, kind: str, item: int, source_item, pfp, sfp) -> None:
        self.src.execute(
            "INSERT OR REPLACE INTO team_items (package_id, kind, package_item, source_item,"
            " package_fp, source_fp) VALUES (?, ?, ?, ?, ?, ?)",
            (self.m.package_id, kind, item, source_item, pfp, sfp),
        )
        self.items[(kind, item)] = (source_item, pfp, sfp)

    # -- names, labels, attributes -----------------------------------------------------------
    def _media_name(self, media_id: int) -> str | None:
        row = self.src.execute("SELECT original_name FROM media WHERE id = ?", (media_id,))
        found = row.fetchone()
        return None if found is None else str(found[0])

    def _free_name(self, media_id: int, name: str) -> str:
        name = name[:MAX_LABEL_LENGTH]
        if media_id not in self.names:  # once per media item: a package may add 100,000 objects
            self.names[media_id] = {
                r[0]
                for r in self.src.execute(
                    "SELECT name FROM objects WHERE media_id = ?", (media_id,)
                )
            }
        taken = self.names[media_id]
        candidate, n = name, 2
        while candidate in taken:
            suffix = f" {n}"
            candidate, n = name[: MAX_LABEL_LENGTH - len(suffix)] + suffix, n + 1
        taken.add(candidate)
        return candidate

    def _map_labels(self) -> dict[int, int]:
        """Package label id -> source label id, by name; labels new in the package are added."""
        mapping = {}
        count, top = self.src.execute(
            "SELECT count(*), coalesce(max(sort_order), -1) FROM labels"
        ).fetchone()  # once: a package may hold 20,000 labels
        for lid, name, color in self.pkg.execute("SELECT id, name, color FROM labels ORDER BY id"):
            if type(name) is not str:
                raise TeamPackageError("a label of the package is refused: its name is not text")
            row = self.src.execute("SELECT id FROM labels WHERE name = ?", (name,)).fetchone()
            if row is None:  # checked like a user's input: the package comes from anyone
                try:
                    name = check_name(name)
                except VideoSegError as exc:
                    raise TeamPackageError(f"a label of the package is refused: {exc}") from None
                row = self.src.execute("SELECT id FROM labels WHERE name = ?", (name,)).fetchone()
            if row is None:  # (the name as checked, without its surrounding spaces)
                try:
                    color = check_color(str(color))
                except VideoSegError:
                    color = PALETTE[count % len(PALETTE)]
                top, count = top + 1, count + 1
                cur = self.src.execute(
                    "INSERT INTO labels (name, color, sort_order) VALUES (?, ?, ?)",
                    (name, color, top),
                )
                row = (cur.lastrowid,)
            mapping[lid] = row[0]
        return mapping

    def _spec(self, pkg_spec: int) -> tuple[int, object]:
        """The source's attribute for a package attribute (same label and name; added if new),
        with the package's spec as checked."""
        if pkg_spec in self.specs:
            return self.specs[pkg_spec]
        cols = (
            "name, kind, choices, min_value, max_value, per_frame, sort_order, author, created_at"
        )
        row = self.pkg.execute(
            f"SELECT label_id, {cols} FROM attribute_specs WHERE id = ?", (pkg_spec,)
        ).fetchone()
        if row is None or row[0] not in self.labels:
            raise ValueError("attribute_values: a value of an attribute the package does not have")
        spec = spec_row(row)
        label = self.labels[row[0]]
        found = self.src.execute(
            f"SELECT id, label_id, {cols} FROM attribute_specs WHERE label_id = ? AND name = ?",
            (label, spec.name),
        ).fetchone()
        if found is not None:  # values are checked against ours (another kind or choices there)
            spec = spec_row(found[1:])
        else:
            choices = json.dumps(list(spec.choices)) if spec.choices else None
            cur = self.src.execute(
                f"INSERT INTO attribute_specs (label_id, {cols}) VALUES ({', '.join('?' * 10)})",
                (label, spec.name, spec.kind.value, choices, spec.min_value, spec.max_value,
                 *row[6:]),
            )  # fmt: skip
            found = (cur.lastrowid,)
        self.specs[pkg_spec] = (found[0], spec)
        return self.specs[pkg_spec]

    def _prelabel_runs(self) -> None:
        """The package's finished pre-labelling runs: a run here later skips those media as it
        skips its own, so suggestions the annotator rejected are not made again. A run the
        project already has (finished or not) is left as it is."""
        for pkg_media, src_media in self.media_map.items():
            if self._media_name(src_media) is None:
                continue
            rows = self.pkg.execute(
                "SELECT concept, model, frames_done, found, skipped, author, started_at,"
                " finished_at FROM prelabel_runs WHERE media_id = ? AND state = 'done'",
                (pkg_media,),
            ).fetchall()
            for row in rows:
                prelabel_row(row)
                self.src.execute(
                    "INSERT INTO prelabel_runs (media_id, concept, model, state, frames_done,"
                    " found, skipped, author, started_at, finished_at)"
                    " VALUES (?, ?, ?, 'done', ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (media_id, concept, model) DO NOTHING",
                    (src_media, *row),
                )

    def _effort(self) -> None:
        """Active time per media and person: the larger of the two counts (both only grow)."""
        for pkg_media, src_media in self.media_map.items():
            if self._media_name(src_media) is None:
                continue  # gone here (counted as skipped media)
            for author, active, events, stamp in self.pkg.execute(
                "SELECT author, active_s, events, updated_at FROM effort WHERE media_id = ?",
                (pkg_media,),
            ).fetchall():
                effort_row((author, active, events, stamp))
                self.src.execute(
                    "INSERT INTO effort (media_id, author, active_s, events, updated_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (media_id, author) DO UPDATE SET"
                    " active_s = max(active_s, excluded.active_s),"
                    " events = max(events, excluded.events),"
                    " updated_at = max(updated_at, excluded.updated_at)",
                    (src_media, author, active, events, stamp),
                )
