"""What tracking reads from the store and writes back to it, on the GUI thread.

Reading: each object's conditioning (a frame with a clicked, edited or imported mask, or an auto
track's first mask, is tracked from that very mask; a frame with prompts and no such mask from
its prompts), as `videoseg track` does (store/tracking_inputs.py). Writing: streamed results
are stored in batches, one transaction each, as "propagated"; a conditioning frame is never
touched, and a tracked (propagated or auto) mask where the object is now gone is removed. What
was replaced is remembered so the whole propagation can be undone.
"""

from __future__ import annotations

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MaskRecord, MaskSource
from videoseg_desktop.store.masks import MaskWrite
from videoseg_desktop.store.tracking_inputs import (
    KEPT_SOURCES,
    Conditioning,
    auto_anchor,
    track_conditioning,
)
from videoseg_desktop.ui.inference.video_jobs import TrackFrameAnswer


def runs(frames: list[int]) -> list[tuple[int, int]]:
    """Sorted frame numbers as [start, stop) runs of consecutive frames."""
    out: list[tuple[int, int]] = []
    for f in sorted(frames):
        if out and out[-1][1] == f:
            out[-1] = (out[-1][0], f + 1)
        else:
            out.append((f, f + 1))
    return out


class TrackWriter:
    """Collects streamed frames and stores them in batches (see the module docstring)."""

    def __init__(self, project, media_id: int):
        self.project, self.media_id = project, media_id
        self._pending: list[TrackFrameAnswer] = []
        self.touched: dict[int, set[int]] = {}  # object -> frames written or cleared
        self.before: dict[tuple[int, int], MaskRecord] = {}  # what those frames held first
        self.stored = self.cleared = self.kept = 0
        self._anchors: dict[int, int | None] = {}

    @property
    def pending(self) -> int:
        return len(self._pending)

    def add(self, answer: TrackFrameAnswer) -> None:
        self._pending.append(answer)

    def flush(self) -> int:
        """Store what has arrived; returns how many frames were handled."""
        batch, self._pending = self._pending, []
        if not batch:
            return 0
        alive = {o.id for o in self.project.objects.list(self.media_id)}
        per_object: dict[int, dict[int, object]] = {}
        scores: dict[tuple[int, int], float | None] = {}
        for answer in batch:  # a later answer for the same frame wins
            for obj_id, rle in answer.masks.items():
                if obj_id in alive:
                    per_object.setdefault(obj_id, {})[answer.frame] = rle
                    scores[(obj_id, answer.frame)] = answer.scores.get(obj_id)
        writes: list[MaskWrite] = []
        clears: dict[int, list[int]] = {}
        replaced: dict[tuple[int, int], MaskRecord] = {}
        model = batch[-1].model_id
        for obj_id, frames in per_object.items():
            existing = {
                r.frame: r
                for r in self.project.masks.for_object(obj_id, min(frames), max(frames) + 1)
            }
            anchor = self._anchor(obj_id)
            for frame, rle in frames.items():
                record = existing.get(frame)
                if record is not None and (record.source in KEPT_SOURCES or frame == anchor):
                    self.kept += 1
                    continue
                if record is not None:
                    replaced[(obj_id, frame)] = record
                if rle is not None:
                    score = scores.get((obj_id, frame))
                    writes.append(
                        MaskWrite(obj_id, frame, rle, MaskSource.PROPAGATED, model, score)
                    )
                elif record is not None:
                    clears.setdefault(obj_id, []).append(frame)
        if not writes and not clears:
            return len(batch)
        with self.project.transaction():
            if writes:
                self.project.masks.put_many(writes)
            for obj_id, frames in clears.items():
                for start, stop in runs(frames):
                    self.project.masks.delete_range(obj_id, start, stop)
        for key, record in replaced.items():
            self.before.setdefault(key, record)
        for w in writes:
            self.touched.setdefault(w.object_id, set()).add(w.frame)
        for obj_id, frames in clears.items():
            self.touched.setdefault(obj_id, set()).update(frames)
        self.stored += len(writes)
        self.cleared += sum(len(f) for f in clears.values())
        return len(batch)

    def _anchor(self, obj_id: int) -> int | None:
        """An auto track's first frame, as it was when tracking began (it conditions it)."""
        if obj_id not in self._anchors:
            self._anchors[obj_id] = auto_anchor(self.project.masks.frames_of(obj_id))
        return self._anchors[obj_id]

    def touched_count(self) -> int:
        return sum(len(f) for f in self.touched.values())


def check_trackable(project, object_ids: list[int]) -> dict[int, tuple[Conditioning, ...]]:
    """Conditioning of the objects that have some; a clear error when none has."""
    found = {}
    for object_id in object_ids:
        cond = track_conditioning(project, object_id)
        if cond:
            found[object_id] = cond
    if not found:
        raise VideoSegError("segment the object on a frame first (click on it), then track it")
    return found
