"""Undoable edits of whole tracks: a propagation, deleting a frame range, merging, splitting.

Like the studio's commands (ui/undo_commands.py), each writes through the store in one
transaction, and undo puts back exactly what was there (masks keep their source and model,
prompts and objects their ids). Changing an object's label is the studio's
``SetObjectLabelCommand``.
"""

from __future__ import annotations

import dataclasses

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import decode_rle, encode_rle
from videoseg_desktop.core.records import MaskRecord, MaskSource
from videoseg_desktop.store.masks import MaskWrite
from videoseg_desktop.store.tracking_inputs import KEPT_SOURCES
from videoseg_desktop.ui.project.undo_commands import StoreCommand
from videoseg_desktop.ui.video.track_writer import runs

LAST_FRAME = 2**31  # "to the end of the video" for range deletes


def _move(record: MaskRecord, object_id: int) -> MaskWrite:
    """``record`` as it was (score, author, time and acceptance kept) on ``object_id``."""
    r = record
    return MaskWrite(
        object_id, r.frame, r.rle, r.source, r.model, r.score, r.author, r.updated_at,
        r.accepted_by, r.accepted_at,
    )  # fmt: skip


def _object_alive(project, object_id: int) -> bool:
    try:
        project.objects.get(object_id)
    except VideoSegError:
        return False
    return True


class TrackingCommand(StoreCommand):
    """A finished (or cancelled) propagation: undo restores the masks it replaced or cleared.

    Frames that became clicked or edited after the propagation wrote them are left alone by
    undo and redo alike: the newer hand work wins.
    """

    def __init__(self, session, media_id: int, frame: int, touched, before, text: str):
        super().__init__(session, text, media_id, frame)
        self.touched = {obj: sorted(frames) for obj, frames in touched.items()}
        self.before = dict(before)
        self.after: dict[tuple[int, int], MaskRecord] = {}

    def do(self) -> None:  # redo: put the tracked masks back
        self._set(self.after)

    def revert(self) -> None:
        self.after = self._current()
        self._set(self.before)

    def _current(self) -> dict[tuple[int, int], MaskRecord]:
        found = {}
        for obj, frames in self.touched.items():
            wanted = set(frames)
            for r in self.project.masks.for_object(obj, frames[0], frames[-1] + 1):
                if r.frame in wanted:
                    found[(obj, r.frame)] = r
        return found

    def _set(self, state: dict[tuple[int, int], MaskRecord]) -> None:
        current = self._current()
        writes, deletes = [], {}
        for obj, frames in self.touched.items():
            if not _object_alive(self.project, obj):
                continue
            for frame in frames:
                now = current.get((obj, frame))
                if now is not None and now.source in KEPT_SOURCES:
                    continue  # hand work done since: keep it
                wanted = state.get((obj, frame))
                if wanted is not None:
                    if now is None or now.rle["counts"] != wanted.rle["counts"]:
                        writes.append(_move(wanted, obj))
                elif now is not None:
                    deletes.setdefault(obj, []).append(frame)
        with self.project.transaction():
            if writes:
                self.project.masks.put_many(writes)
            for obj, frames in deletes.items():
                for start, stop in runs(frames):
                    self.project.masks.delete_range(obj, start, stop)


class DeleteTrackRangeCommand(StoreCommand):
    """Delete an object's masks, and the prompts that would re-create them, in [start, stop)."""

    def __init__(self, session, object_id: int, start: int, stop: int):
        obj = session.project.objects.get(object_id)
        stop = min(stop, LAST_FRAME)
        last = "end" if stop >= LAST_FRAME else str(stop - 1)
        super().__init__(
            session, f"Delete {obj.name} frames {start}–{last}", obj.media_id, session.frame
        )
        self.object_id, self.start, self.stop = object_id, int(start), int(stop)
        self.masks = list(session.project.masks.for_object(object_id, self.start, self.stop))
        self.prompts = [
            p for p in session.project.prompts.list(object_id) if self.start <= p.frame < self.stop
        ]
        if not self.masks and not self.prompts:
            raise VideoSegError(f"{obj.name} has no masks in frames {start}–{last}")

    def do(self) -> None:
        with self.project.transaction():
            self.project.masks.delete_range(self.object_id, self.start, self.stop)
            for p in self.prompts:
                self.project.prompts.delete(p.id)

    def revert(self) -> None:
        with self.project.transaction():
            self.project.masks.restore(self.masks)
            self.project.prompts.restore(self.prompts)


class MergeTracksCommand(StoreCommand):
    """Merge ``other``'s track into ``keep`` and delete ``other``.

    Frames only ``other`` has move over as they are; where both have a mask the union is kept
    (still "propagated" if both were, else "edited": a hand decision). Prompts move over on
    frames where ``keep`` has none (two sets of prompts on one frame would contradict).
    """

    def __init__(self, session, keep_id: int, other_id: int):
        project = session.project
        keep, other = project.objects.get(keep_id), project.objects.get(other_id)
        if keep_id == other_id or keep.media_id != other.media_id:
            raise VideoSegError("merge two different objects of the same video")
        super().__init__(
            session, f"Merge {other.name} into {keep.name}", keep.media_id, session.frame
        )
        self.keep_id, self.other = keep_id, other
        self.other_prompts = project.prompts.list(other_id)
        self.other_masks = list(project.masks.for_object(other_id))
        prompted = set(project.prompts.frames(keep_id))
        self.moved_prompts = [
            dataclasses.replace(p, object_id=keep_id)
            for p in self.other_prompts
            if p.frame not in prompted
        ]
        self.keep_before: dict[int, MaskRecord | None] = {}
        self.writes: list[MaskWrite] = []
        for record in self.other_masks:
            mine = project.masks.get(keep_id, record.frame)
            self.keep_before[record.frame] = mine
            if mine is None:
                self.writes.append(_move(record, keep_id))
                continue
            union = decode_rle(mine.rle) | decode_rle(record.rle)
            both_tracked = MaskSource.PROPAGATED == mine.source == record.source
            source = MaskSource.PROPAGATED if both_tracked else MaskSource.EDITED
            self.writes.append(
                MaskWrite(keep_id, record.frame, encode_rle(union), source, mine.model)
            )

    def do(self) -> None:
        with self.project.transaction():
            self.project.objects.delete(self.other.id)  # its prompts and masks go with it
            if self.writes:
                self.project.masks.put_many(self.writes)
            self.project.prompts.restore(self.moved_prompts)
        self.session.set_object(self.keep_id)

    def revert(self) -> None:
        with self.project.transaction():
            for p in self.moved_prompts:
                self.project.prompts.delete(p.id)
            for frame, record in self.keep_before.items():
                if record is None:
                    self.project.masks.delete(self.keep_id, frame)
                else:
                    self.project.masks.restore([record])
            self.project.objects.restore(self.other)
            self.project.prompts.restore(self.other_prompts)
            self.project.masks.restore(self.other_masks)
        self.session.set_object(self.other.id)


class SplitTrackCommand(StoreCommand):
    """Split a track at ``frame``: a new object (same label) takes that frame and all later."""

    def __init__(self, session, object_id: int, frame: int):
        project = session.project
        obj = project.objects.get(object_id)
        super().__init__(session, f"Split {obj.name} at frame {frame}", obj.media_id, frame)
        self.obj, self.at = obj, int(frame)
        self.masks = list(project.masks.for_object(object_id, self.at))
        self.prompts = [p for p in project.prompts.list(object_id) if p.frame >= self.at]
        earlier = any(f < self.at for f, _ in project.masks.frames_of(object_id))
        earlier = earlier or any(f < self.at for f in project.prompts.frames(object_id))
        if not (self.masks or self.prompts) or not earlier:
            raise VideoSegError(
                f"{obj.name} has no track on both sides of frame {frame}: nothing to split"
            )
        self.new = None

    def do(self) -> None:
        project = self.project
        with project.transaction():
            if self.new is None:
                self.new = project.objects.add(self.obj.media_id, self.obj.label_id)
            else:
                project.objects.restore(self.new)
            project.masks.delete_range(self.obj.id, self.at, LAST_FRAME)
            project.masks.put_many(_move(r, self.new.id) for r in self.masks)
            for p in self.prompts:
                project.prompts.delete(p.id)
            project.prompts.restore(
                [dataclasses.replace(p, object_id=self.new.id) for p in self.prompts]
            )
        self.session.set_object(self.new.id)

    def revert(self) -> None:
        with self.project.transaction():
            self.project.objects.delete(self.new.id)  # with the moved masks and prompts
            self.project.masks.restore(self.masks)
            self.project.prompts.restore(self.prompts)
        self.session.set_object(self.obj.id)
