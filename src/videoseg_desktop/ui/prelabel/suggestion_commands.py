"""Undoable pre-labelling edits: storing what "Find all" found, and accepting or rejecting
suggestions, one undo step per batch (a whole "Accept all" undoes at once).

Storing goes through ``PrelabelWriter`` (store/prelabel.py), so the window follows the same
rules as ``videoseg autolabel``: new suggested objects only, instances overlapping an object of
the label skipped, a previous search's untouched suggestions replaced.
"""

from __future__ import annotations

from collections.abc import Sequence

from videoseg_desktop.core.concepts import FoundInstance
from videoseg_desktop.core.records import ObjectState
from videoseg_desktop.store.prelabel import PrelabelJob, PrelabelWriter
from videoseg_desktop.ui.project.undo_commands import StoreCommand


def snapshot(project, object_id: int) -> tuple:
    """Everything needed to put an object back exactly (record, prompts, masks, attributes)."""
    return (
        project.objects.get(object_id),
        project.prompts.list(object_id),
        list(project.masks.for_object(object_id)),
        project.attributes.values(object_id),
    )


def restore(project, snaps: Sequence[tuple]) -> None:
    with project.transaction():
        for record, prompts, masks, attributes in snaps:
            project.objects.restore(record)
            project.prompts.restore(prompts)
            project.masks.restore(masks)
            project.attributes.restore_values(attributes)


def delete(project, object_ids: Sequence[int]) -> None:
    with project.transaction():
        for object_id in object_ids:
            project.objects.delete(object_id)


class StoreSuggestionsCommand(StoreCommand):
    """The instances one search found, as suggested objects of the concept's label."""

    def __init__(self, session, job: PrelabelJob, instances: Sequence[FoundInstance], frame: int):
        super().__init__(session, f"Find all {job.concept.label_name}", job.media.id, frame)
        self.job, self.instances = job, list(instances)
        self.created: list[tuple] = []  # snapshots of the new objects (for redo)
        self.replaced: list[tuple] = []  # the previous search's untouched suggestions
        self.skipped = 0

    def do(self) -> None:
        project = self.project
        if self.created or self.replaced:  # redo
            delete(project, [s[0].id for s in self.replaced])
            restore(project, self.created)
            return
        old = project.prelabels.get(self.job.media.id, self.job.key, self.job.model)
        before = (
            []
            if old is None
            else [snapshot(project, i) for i in project.prelabels.objects_of(old.id)]
        )
        writer = PrelabelWriter(project, self.job)
        frame = self.frame or 0
        video = self.job.media.frame_count > 1  # other frames' suggestions stay
        writer.begin(only_frame=frame if video else None)
        writer.write_image(self.instances, frame)
        alive = {o.id for o in project.objects.list(self.job.media.id)}
        self.replaced = [s for s in before if s[0].id not in alive]
        self.created = [snapshot(project, i) for i in writer.report.created]
        self.skipped = writer.report.skipped

    def revert(self) -> None:
        delete(self.project, [s[0].id for s in self.created])
        restore(self.project, self.replaced)

    @property
    def object_ids(self) -> list[int]:
        return [s[0].id for s in self.created]


class DecideSuggestionsCommand(StoreCommand):
    """Accept suggestions (they become normal objects, source "auto" and score kept) or reject
    them (deleted; undo puts them back)."""

    def __init__(self, session, object_ids: Sequence[int], accept: bool):
        n = len(object_ids)
        verb = "Accept" if accept else "Reject"
        text = f"{verb} {n} suggestion{'s' if n != 1 else ''}"
        super().__init__(session, text, session.media_id, session.frame)
        self.object_ids, self.accept = list(object_ids), accept
        self.snaps = [] if accept else [snapshot(session.project, i) for i in object_ids]

    def do(self) -> None:
        if self.accept:
            with self.project.transaction():
                for object_id in self.object_ids:
                    self.project.objects.set_state(object_id, ObjectState.NORMAL)
        else:
            delete(self.project, self.object_ids)

    def revert(self) -> None:
        if self.accept:
            with self.project.transaction():
                for object_id in self.object_ids:
                    self.project.objects.set_state(object_id, ObjectState.SUGGESTED)
        else:
            restore(self.project, self.snaps)
