"""Pre-labelling runs: concept search results become suggested objects, once per media item.

The rules, shared by ``videoseg autolabel`` and the window:

- a run is one (media item, concept, model); ``plan_prelabel`` leaves out runs already done,
  so running the same command again resumes where it stopped and never suggests twice;
- every instance found becomes a new object of the concept's label (created if missing), in
  state ``suggested`` (``normal`` when accepted straight away), with masks of source ``auto``,
  the model's id and its score; objects that exist are never written to, so masks a person
  made (clicked, edited, imported) are never replaced;
- an instance overlapping (IoU >= 0.5) an object of the same label that existed before the
  run, or a better-scoring instance of the same image, is not suggested: it is counted as
  skipped. A video track is skipped as a whole when it overlaps such an object on any frame;
- an image is stored in one transaction with its run record; a video in batches of frames, its
  run marked done after the last one. A video run interrupted half-way is redone by the next
  run: the objects it made that nobody has touched since (still suggested, only its own auto
  masks) are removed first.

Nothing here runs a model: callers pass ``FoundInstance``s / ``ConceptFrameResult``s (plain
data), so the GUI can compute in its worker thread and store on its GUI thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from videoseg_desktop.core.concepts import ConceptFrameResult, ConceptPrompt, FoundInstance
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import rle_ious
from videoseg_desktop.core.records import MaskSource, MediaItem, MediaKind, ObjectState
from videoseg_desktop.store.database import Database
from videoseg_desktop.store.masks import MaskWrite
from videoseg_desktop.store.timeutil import now_iso

OVERLAP_IOU = 0.5  # an instance this close to an existing object of its label is that object


@dataclass(frozen=True)
class PrelabelRun:
    id: int
    media_id: int
    concept: str  # ConceptPrompt.key() of the prompt as it applies to this media item
    model: str
    state: str  # running or done
    frames_done: int
    found: int
    skipped: int
    author: str | None
    started_at: str
    finished_at: str | None


@dataclass(frozen=True)
class PrelabelJob:
    """One run to do: a concept on one media item with one model."""

    media: MediaItem
    concept: ConceptPrompt  # as it applies to this media item (see ConceptPrompt.for_media)
    model: str

    @property
    def key(self) -> str:
        return self.concept.key()


class PrelabelRepository:
    """The ``prelabel_runs`` table and the objects each run made."""

    def __init__(self, db: Database):
        self._db = db

    def get(self, media_id: int, concept: str, model: str) -> PrelabelRun | None:
        rows = self._db.query(
            "SELECT * FROM prelabel_runs WHERE media_id = ? AND concept = ? AND model = ?",
            (media_id, concept, model),
        )
        return _run(rows[0]) if rows else None

    def list(self, media_id: int | None = None) -> list[PrelabelRun]:
        sql, params = "SELECT * FROM prelabel_runs", ()
        if media_id is not None:
            sql, params = sql + " WHERE media_id = ?", (media_id,)
        return [_run(r) for r in self._db.query(sql + " ORDER BY id", params)]

    def objects_of(self, run_id: int) -> list[int]:
        rows = self._db.conn.execute(
            "SELECT object_id FROM prelabel_objects WHERE run_id = ? ORDER BY object_id", (run_id,)
        )
        return [r[0] for r in rows]

    def start(self, media_id: int, concept: str, model: str) -> PrelabelRun:
        """Insert the run as running (or set an unfinished one running again)."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO prelabel_runs (media_id, concept, model, state, author, started_at)"
                " VALUES (?, ?, ?, 'running', ?, ?) ON CONFLICT (media_id, concept, model)"
                " DO UPDATE SET state = 'running', frames_done = 0, found = 0, skipped = 0,"
                " author = excluded.author, started_at = excluded.started_at, finished_at = NULL",
                (media_id, concept, model, self._db.user, now_iso()),
            )
            self._db.changed("prelabel_runs")
        return self.get(media_id, concept, model)

    def link(self, run_id: int, object_id: int) -> None:
        self._db.conn.execute(
            "INSERT OR IGNORE INTO prelabel_objects (run_id, object_id) VALUES (?, ?)",
            (run_id, object_id),
        )

    def update(
        self, run_id: int, *, frames: int = 0, found: int = 0, skipped: int = 0, done: bool = False
    ) -> None:
        """Add to a run's counters (inside the caller's transaction); ``done`` finishes it."""
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE prelabel_runs SET frames_done = frames_done + ?, found = found + ?,"
                " skipped = skipped + ?, state = CASE WHEN ? THEN 'done' ELSE state END,"
                " finished_at = CASE WHEN ? THEN ? ELSE finished_at END WHERE id = ?",
                (frames, found, skipped, int(done), int(done), now_iso(), run_id),
            )
            self._db.changed("prelabel_runs", run_id)

    def summary(self) -> dict[str, int]:
        row = self._db.conn.execute(
            "SELECT count(*), coalesce(sum(state = 'done'), 0), coalesce(sum(found), 0),"
            " coalesce(sum(skipped), 0) FROM prelabel_runs"
        ).fetchone()
        return {"runs": row[0], "done": row[1], "found": row[2], "skipped": row[3]}


def plan_prelabel(
    project,
    media: Iterable[MediaItem],
    concepts: Sequence[ConceptPrompt],
    model: str,
    redo: bool = False,
) -> list[PrelabelJob]:
    """The runs still to do, media first then concepts in the order given.

    A concept whose example boxes lie on other media items and that has no text does not apply
    to an item (see ``ConceptPrompt.for_media``). ``redo`` keeps runs already done (their
    instances are then skipped as overlapping what they suggested before, unless deleted).
    """
    jobs = []
    for item in media:
        for concept in concepts:
            own = concept.for_media(item.id)
            if own is None:
                continue
            run = project.prelabels.get(item.id, own.key(), model)
            if run is not None and run.state == "done" and not redo:
                continue
            jobs.append(PrelabelJob(item, own, model))
    return jobs


@dataclass
class WriteReport:
    created: list[int] = field(default_factory=list)  # new object ids
    found: int = 0  # masks stored
    skipped: int = 0  # instances (or video tracks) not suggested: they overlap an object


class PrelabelWriter:
    """Stores the results of one run (one job). Use on the project's writing thread only.

    ``begin`` must come first; for images, ``write_image`` then stores everything and finishes
    the run in one transaction; for videos, ``write_frames`` stores batches and ``finish``
    marks the run done.
    """

    def __init__(self, project, job: PrelabelJob, accept: bool = False) -> None:
        self.project = project
        self.job = job
        self.state = ObjectState.NORMAL if accept else ObjectState.SUGGESTED
        # Accepting straight away is the user's review decision: the masks say so (no flags).
        self._accepted_by = project.user if accept else None
        self.run: PrelabelRun | None = None
        self.label_id: int | None = None
        self._existing: set[int] = set()  # objects of the label before this run
        self._objects: dict[int, int] = {}  # track id -> object id
        self._duplicate: set[int] = set()  # track ids skipped as overlapping an object
        self.report = WriteReport()

    def begin(self, only_frame: int | None = None) -> PrelabelRun:
        """Start (or restart) the run. ``only_frame``: a search on one video frame replaces
        only the untouched suggestions of that frame (the window's Find all)."""
        project, job = self.project, self.job
        with project.transaction():
            name = job.concept.label_name
            label = project.labels.get(name) or project.labels.add(name)
            self.label_id = label.id
            old = project.prelabels.get(job.media.id, job.key, job.model)
            if old is not None:
                self._remove_untouched(old, only_frame)
            self.run = project.prelabels.start(job.media.id, job.key, job.model)
        self._existing = {
            o.id for o in project.objects.list(job.media.id) if o.label_id == self.label_id
        }
        return self.run

    # -- images -----------------------------------------------------------------------------

    def write_image(
        self, instances: Sequence[FoundInstance], frame: int = 0, finish: bool = True
    ) -> WriteReport:
        """Every instance of one image (or one video frame), best first, in one transaction
        that also finishes the run (unless ``finish`` is False: more frames to come)."""
        self._require_run()
        keep = self._not_overlapping(frame, sorted(instances, key=lambda i: -i.score))
        with self.project.transaction():
            writes = []
            for instance in keep:
                obj = self._new_object()
                writes.append(self._mask(obj, frame, instance))
            if writes:
                self.project.masks.put_many(writes)
            skipped = len(instances) - len(keep)
            self.project.prelabels.update(
                self.run.id, frames=1, found=len(writes), skipped=skipped, done=finish
            )
        self.report.found += len(writes)
        self.report.skipped += skipped
        return self.report

    def _not_overlapping(self, frame: int, ordered: list[FoundInstance]) -> list[FoundInstance]:
        others = [r.rle for r in self._existing_masks(frame)]
        keep: list[FoundInstance] = []
        for instance in ordered:
            against = others + [k.rle for k in keep]
            if against and rle_ious([instance.rle], against).max() >= OVERLAP_IOU:
                continue
            keep.append(instance)
        return keep

    # -- videos -----------------------------------------------------------------------------

    def write_frames(
        self, results: Sequence[ConceptFrameResult], track_ids: set[int] | None = None
    ) -> WriteReport:
        """Store a batch of tracked frames in one transaction.

        ``track_ids`` limits the tracks to this run's concept when one pass over the video
        searched for several concepts.
        """
        self._require_run()
        pending: list[tuple[int, FoundInstance, int]] = []  # (track, instance, frame)
        newly_duplicate = set()
        for result in results:
            existing = [r.rle for r in self._existing_masks(result.frame)]
            for track, instance in result.instances.items():
                if (track_ids is not None and track not in track_ids) or track in self._duplicate:
                    continue
                if existing and rle_ious([instance.rle], existing).max() >= OVERLAP_IOU:
                    self._duplicate.add(track)
                    newly_duplicate.add(track)
                    continue
                pending.append((track, instance, result.frame))
        with self.project.transaction():
            writes = []
            for track, instance, frame in pending:
                if track in self._duplicate:
                    continue  # found to overlap an object later in this batch
                obj = self._objects.get(track)
                if obj is None:
                    obj = self._objects[track] = self._new_object()
                writes.append(self._mask(obj, frame, instance))
            if writes:
                self.project.masks.put_many(writes)
            removed = 0
            for track in newly_duplicate:
                obj = self._objects.pop(track, None)
                if obj is not None:  # made on an earlier batch: a duplicate after all
                    removed += sum(1 for _ in self.project.masks.for_object(obj))
                    self.project.objects.delete(obj)
                    self.report.created.remove(obj)
            found = len(writes) - removed
            self.project.prelabels.update(
                self.run.id, frames=len(results), found=found, skipped=len(newly_duplicate)
            )
        self.report.found += found
        self.report.skipped += len(newly_duplicate)
        return self.report

    def finish(self) -> PrelabelRun:
        self._require_run()
        self.project.prelabels.update(self.run.id, done=True)
        return self.project.prelabels.get(self.job.media.id, self.job.key, self.job.model)

    # -- internals --------------------------------------------------------------------------

    def _require_run(self) -> None:
        if self.run is None:
            raise VideoSegError("call begin() before storing pre-labels")

    def _new_object(self) -> int:
        obj = self.project.objects.add(self.job.media.id, self.label_id, state=self.state)
        self.project.prelabels.link(self.run.id, obj.id)
        self.report.created.append(obj.id)
        return obj.id

    def _mask(self, obj: int, frame: int, instance: FoundInstance) -> MaskWrite:
        return MaskWrite(
            obj,
            frame,
            instance.rle,
            MaskSource.AUTO,
            self.job.model,
            instance.score,
            accepted_by=self._accepted_by,
        )

    def _existing_masks(self, frame: int):
        masks = self.project.masks.for_frame(self.job.media.id, frame)
        return [r for r in masks if r.object_id in self._existing]

    def _remove_untouched(self, run: PrelabelRun, only_frame: int | None = None) -> None:
        """Objects an unfinished run made that nobody touched since: they will be made again."""
        for obj_id in self.project.prelabels.objects_of(run.id):
            obj = self.project.objects.get(obj_id)
            masks = list(self.project.masks.for_object(obj_id))
            untouched = obj.state == ObjectState.SUGGESTED and all(
                m.source == MaskSource.AUTO
                and m.model == self.job.model
                and (only_frame is None or m.frame == only_frame)
                for m in masks
            )
            if untouched and not self.project.prompts.list(obj_id):
                self.project.objects.delete(obj_id)


def media_for_prelabel(project, media_ids: Sequence[int] | None = None) -> list[MediaItem]:
    """The media items a run covers: the given ids (checked) or the whole project."""
    if media_ids is None:
        return project.media.list()
    return [project.media.get(i) for i in dict.fromkeys(media_ids)]


def is_video(item: MediaItem) -> bool:
    return item.kind == MediaKind.VIDEO


def _run(row: sqlite3.Row) -> PrelabelRun:
    return PrelabelRun(
        row["id"],
        row["media_id"],
        row["concept"],
        row["model"],
        row["state"],
        row["frames_done"],
        row["found"],
        row["skipped"],
        row["author"],
        row["started_at"],
        row["finished_at"],
    )
