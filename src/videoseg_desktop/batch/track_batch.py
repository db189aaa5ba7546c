"""The driver side of `videoseg track --all`: what to track, and storing what comes back.

The driver owns the project: it plans one task per video (every object that has prompts or
masks), hands the tasks to an executor (this process or a Ray cluster), and stores each
video's tracked masks as they arrive, in transactions of ``BATCH_FRAMES`` frames. A video's
last batch also records the run (``batch_runs``) with a fingerprint of its inputs, so a resumed
batch skips it and a video whose objects changed since is tracked again. Re-storing a video is
harmless anyway (a mask is one row per object and frame), so nothing is ever stored twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from videoseg_desktop.batch.executor import MediaRef, ProgressUnits, Task
from videoseg_desktop.batch.track_work import TrackedFrame, TrackPayload, TrackResult
from videoseg_desktop.core.masks import Rle, encode_rle
from videoseg_desktop.core.records import MaskSource, MediaKind
from videoseg_desktop.core.review_rules import confidence_from_logit
from videoseg_desktop.store.tracking_inputs import (
    TRACKED_SOURCES,
    kept_frames,
    track_conditioning,
)

BATCH_FRAMES = 32  # frames of masks written per transaction
COMMAND = "track"


class TrackWriter:
    """Stores tracked masks in batches; segmented frames stay as they are."""

    def __init__(self, project, model_id: str, object_ids: list[int]) -> None:
        self.project = project
        self.model_id = model_id
        self.kept_frames: dict[int, set[int]] = {}
        self.propagated: dict[int, set[int]] = {}
        for obj_id in object_ids:
            stored = project.masks.frames_of(obj_id)
            self.kept_frames[obj_id] = kept_frames(stored)
            self.propagated[obj_id] = {f for f, s in stored if s in TRACKED_SOURCES}
        self._writes: list[tuple] = []
        self._empties: list[tuple[int, int]] = []
        self._frames = 0
        self.stored = self.removed = self.kept = 0

    def add(self, result) -> None:
        """A session's ``FrameResult`` (HxW bool masks)."""
        rles: dict[int, Rle | None] = {}
        for obj_id, mask in result.masks.items():
            if result.frame in self.kept_frames[obj_id]:
                rles[obj_id] = None  # counted as kept below, never encoded
            else:
                rles[obj_id] = encode_rle(mask) if mask.any() else None
        self.add_encoded(result.frame, rles, result.object_scores)

    def add_tracked(self, tracked: TrackedFrame) -> None:
        """A worker's ``TrackedFrame`` (RLEs already encoded there)."""
        rles = dict(tracked.rles)
        for obj_id in tracked.kept:
            rles[obj_id] = None
        self.add_encoded(tracked.frame, rles, tracked.logits)

    def add_encoded(
        self, frame: int, rles: dict[int, Rle | None], logits: dict[int, float]
    ) -> None:
        for obj_id, rle in rles.items():
            if frame in self.kept_frames[obj_id]:
                self.kept += 1
            elif rle is not None:
                # The object score logit as a 0..1 confidence (docs/adr/0009).
                logit = logits.get(obj_id)
                score = None if logit is None else confidence_from_logit(logit)
                self._writes.append(
                    (obj_id, frame, rle, MaskSource.PROPAGATED, self.model_id, score)
                )
            elif frame in self.propagated[obj_id]:
                self._empties.append((obj_id, frame))  # the object left: drop stale mask
        self._frames += 1
        if self._frames >= BATCH_FRAMES:
            self.flush()

    def flush(self, also: Callable[[], None] | None = None) -> None:
        """Store what is held in one transaction; ``also`` runs inside it (a run's record)."""
        if not (self._writes or self._empties or also):
            return
        with self.project.transaction():
            if self._writes:
                self.project.masks.put_many(self._writes)
            for obj_id, frame in self._empties:
                self.project.masks.delete(obj_id, frame)
            if also is not None:
                also()
        for obj_id, frame, *_ in self._writes:
            self.propagated[obj_id].add(frame)
        for obj_id, frame in self._empties:
            self.propagated[obj_id].discard(frame)
        self.stored += len(self._writes)
        self.removed += len(self._empties)
        self._writes, self._empties, self._frames = [], [], 0


@dataclass(frozen=True)
class TrackPlan:
    tasks: list[Task]
    done: list[int]  # media already tracked on these inputs (skipped)
    without_objects: list[int]  # videos with nothing to track from
    images: list[int]  # images in the selection (nothing to track)
    fingerprints: dict[int, str]
    frame_counts: dict[int, int] = field(default_factory=dict)  # media id -> frames (progress)


def plan_track_all(
    project, media_ids: Sequence[int] | None, direction: str, model_id: str, redo: bool = False
) -> TrackPlan:
    """One task per selected video with objects to track, leaving out those done already."""
    items = (
        project.media.list()
        if media_ids is None
        else [project.media.get(i) for i in dict.fromkeys(media_ids)]
    )
    tasks, done, empty, images, prints, counts = [], [], [], [], {}, {}
    for item in items:
        if item.kind != MediaKind.VIDEO:
            images.append(item.id)
            continue
        objects = []
        for obj in project.objects.list(item.id):
            cond = track_conditioning(project, obj.id)
            if cond:
                objects.append((obj.id, cond))
        if not objects:
            empty.append(item.id)
            continue
        starts: dict[int, list[int]] = {}
        for obj_id, cond in objects:
            frames = [c.frame for c in cond]
            start = max(frames) if direction == "backward" else min(frames)
            starts.setdefault(start, []).append(obj_id)
        kept = tuple(
            (obj_id, frozenset(kept_frames(project.masks.frames_of(obj_id))))
            for obj_id, _ in objects
        )
        payload = TrackPayload(
            tuple(objects),
            tuple((s, tuple(ids)) for s, ids in sorted(starts.items())),
            direction,
            kept,
        )
        fingerprint = inputs_fingerprint(payload)
        if not redo and project.batch_runs.is_done(item.id, COMMAND, model_id, fingerprint):
            done.append(item.id)
            continue
        project.media_guard.verify(item)  # never track a file that changed behind our back
        path = project.media_path(item)
        ref = MediaRef(item.id, str(path), item.kind, path.stat().st_size)
        prints[item.id] = fingerprint
        counts[item.id] = item.frame_count
        tasks.append(Task(len(tasks), ref, payload))
    return TrackPlan(tasks, done, empty, images, prints, counts)


def inputs_fingerprint(payload: TrackPayload) -> str:
    """What a video's tracking started from: objects, their conditioning, the direction."""
    parts = [payload.direction]
    for obj_id, cond in payload.objects:
        parts.append(f"{obj_id}:{[c.signature() for c in cond]!r}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def store_track_result(
    project, task: Task, result: TrackResult, model_id: str, fingerprint: str
) -> TrackWriter:
    """Store one video's tracked frames in batches; the last batch records the run."""
    writer = TrackWriter(project, model_id, [obj_id for obj_id, _ in task.payload.objects])
    for tracked in result.frames:
        writer.add_tracked(tracked)

    def record() -> None:
        stored = writer.stored + len(writer._writes)
        project.batch_runs.finish(task.media.media_id, COMMAND, model_id, fingerprint, stored)

    writer.flush(also=record)
    return writer


@dataclass
class BatchTotals:
    tracked: int = 0
    frames: int = 0
    stored: int = 0
    removed: int = 0
    kept: int = 0
    worker_cpu_s: float = 0.0
    errors: list[str] | None = None


def run_track_batch(
    project,
    plan: TrackPlan,
    executor,
    model_id: str,
    on_video: Callable[[int, int], None] | None = None,
    totals: BatchTotals | None = None,
    on_frames: Callable[[int, int], None] | None = None,
) -> BatchTotals:
    """Hand ``plan``'s tasks to ``executor`` and store each result as it arrives.

    ``on_video(done, total)`` after each video; ``on_frames(done, total)`` as the workers
    report frames tracked (and when a video is stored); ``totals`` (filled in place) stays
    meaningful when the run is interrupted.
    """
    totals = totals or BatchTotals()
    totals.errors = totals.errors if totals.errors is not None else []
    units = ProgressUnits({t.key: plan.frame_counts.get(t.media.media_id, 1) for t in plan.tasks})

    def progress(task: Task, done: int, total: int) -> None:
        if units.progress(task, done, total):
            on_frames(units.done, units.total)

    outcomes = executor.run(plan.tasks, None if on_frames is None else progress)
    for n, outcome in enumerate(outcomes, 1):
        media = outcome.task.media.media_id
        if outcome.error is not None:
            totals.errors.append(f"media {media}: {outcome.error}")
        else:
            writer = store_track_result(
                project, outcome.task, outcome.result, model_id, plan.fingerprints[media]
            )
            totals.tracked += 1
            totals.frames += outcome.result.frames_done
            totals.stored += writer.stored
            totals.removed += writer.removed
            totals.kept += writer.kept
            totals.worker_cpu_s += outcome.result.cpu_s
        if units.finish(outcome.task) and on_frames is not None:
            on_frames(units.done, units.total)
        if on_video is not None:
            on_video(n, len(plan.tasks))
    return totals
