"""Undoable edits. Each command writes through the store; undo puts back exactly what was there.

A command's first ``do()`` runs *before* it is pushed (``push_command``), so an edit the store
refuses raises a VideoSegError to the caller and never reaches the stack. Later redo/undo
calls report failures through ``session.errorOccurred`` instead of raising into Qt.
Commands go back to the media and frame they were made on, so an undo is always visible.
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QUndoCommand

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import Rle
from videoseg_desktop.core.records import Label, MaskRecord, MaskSource, ObjectRecord, PromptRecord

log = logging.getLogger(__name__)
_UNKNOWN = object()  # a mask not computed yet


def push_command(session, command: StoreCommand) -> StoreCommand:
    """Apply ``command`` (raising VideoSegError if the store refuses it), then make it undoable."""
    command.do()
    command.skip_redo = True  # QUndoStack.push calls redo() at once: the work is done already
    session.undo_stack.push(command)
    return command


class StoreCommand(QUndoCommand):
    def __init__(self, session, text: str, media_id: int | None = None, frame: int | None = None):
        super().__init__(text)
        self.session, self.project = session, session.project
        self.media_id, self.frame = media_id, frame
        self.skip_redo = False

    def do(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError

    def redo(self) -> None:
        if self.skip_redo:
            self.skip_redo = False
            return
        self._go_there()
        self._guard(self.do)

    def undo(self) -> None:
        self._go_there()
        self._guard(self.revert)

    def _go_there(self) -> None:
        if self.media_id is None:
            return
        if self.session.media_id != self.media_id:
            self.session.set_media(self.media_id, self.frame or 0)
        elif self.frame is not None:
            self.session.set_frame(self.frame)

    def _guard(self, action) -> None:
        try:
            action()
        except VideoSegError as exc:
            self.setObsolete(True)
            self.session.errorOccurred.emit(f"{self.text()}: {exc}")
        except Exception as exc:  # the database or a bug: report, keep the window alive
            log.exception("%s failed", self.text())
            self.setObsolete(True)
            self.session.errorOccurred.emit(f"{self.text()} failed: {exc}")


# -- objects ------------------------------------------------------------------------------
class AddObjectCommand(StoreCommand):
    def __init__(self, session, media_id: int, label_id: int | None, name: str | None = None):
        super().__init__(session, "New object", media_id, session.frame)
        self.label_id, self.name = label_id, name
        self.record: ObjectRecord | None = None
        self.previous = session.object_id

    def do(self) -> None:
        if self.record is None:
            self.record = self.project.objects.add(self.media_id, self.label_id, self.name)
        else:
            self.project.objects.restore(self.record)
        self.session.set_object(self.record.id)

    def revert(self) -> None:
        self.project.objects.delete(self.record.id)
        self.session.set_object(self.previous)


class DeleteObjectCommand(StoreCommand):
    def __init__(self, session, object_id: int):
        obj = session.project.objects.get(object_id)
        super().__init__(session, f"Delete {obj.name}", obj.media_id, session.frame)
        self.record = obj
        self.prompts = session.project.prompts.list(object_id)
        self.masks = list(session.project.masks.for_object(object_id))
        self.attributes = session.project.attributes.values(object_id)

    def do(self) -> None:
        self.project.objects.delete(self.record.id)
        if self.session.object_id == self.record.id:
            self.session.set_object(-1)

    def revert(self) -> None:
        with self.project.transaction():
            self.project.objects.restore(self.record)
            self.project.prompts.restore(self.prompts)
            self.project.masks.restore(self.masks)
            self.project.attributes.restore_values(self.attributes)
        self.session.set_object(self.record.id)


class RenameObjectCommand(StoreCommand):
    def __init__(self, session, object_id: int, name: str):
        obj = session.project.objects.get(object_id)
        super().__init__(session, f"Rename {obj.name}", obj.media_id)
        self.object_id, self.old, self.new = object_id, obj.name, name

    def do(self) -> None:
        self.project.objects.rename(self.object_id, self.new)

    def revert(self) -> None:
        self.project.objects.rename(self.object_id, self.old)


class SetObjectLabelCommand(StoreCommand):
    def __init__(self, session, object_id: int, label_id: int | None):
        obj = session.project.objects.get(object_id)
        super().__init__(session, f"Relabel {obj.name}", obj.media_id)
        self.object_id, self.old, self.new = object_id, obj.label_id, label_id

    def do(self) -> None:
        self.project.objects.set_label(self.object_id, self.new)

    def revert(self) -> None:
        self.project.objects.set_label(self.object_id, self.old)


# -- prompts and masks --------------------------------------------------------------------
class PromptChangeCommand(StoreCommand):
    """Add and/or remove prompts of one object on one frame; the mask follows.

    The mask is recomputed by the controller (asynchronously); once it arrives it is remembered
    here, so that redo puts it back without running the model again. Undo restores the mask
    exactly as it was before.
    """

    def __init__(
        self,
        session,
        controller,
        object_id: int,
        frame: int,
        add: list[tuple[str, tuple[float, ...], bool]] = (),
        remove: list[PromptRecord] = (),
        text: str = "Edit prompts",
    ):
        media_id = session.project.objects.get(object_id).media_id
        super().__init__(session, text, media_id, frame)
        self.controller, self.object_id = controller, object_id
        self.to_add, self.removed = list(add), list(remove)
        self.added: list[PromptRecord] | None = None
        self.mask_before: MaskRecord | None = session.project.masks.get(object_id, frame)
        # A mask still being computed for the earlier prompts: the stored one is older than
        # them, so undo asks for a fresh mask instead of restoring it.
        self.before_is_stale = controller.is_pending(object_id, frame)
        self.mask_after = _UNKNOWN

    def do(self) -> None:
        prompts, masks = self.project.prompts, self.project.masks
        requested = False
        try:
            with self.project.transaction():
                for p in self.removed:
                    prompts.delete(p.id)
                if self.added is None:
                    self.added = [
                        prompts.add(self.object_id, self.frame, kind, coords, positive)
                        for kind, coords, positive in self.to_add
                    ]
                else:
                    prompts.restore(self.added)
                remaining = prompts.list(self.object_id, self.frame)
                if not remaining:
                    if masks.get(self.object_id, self.frame) is not None:
                        masks.delete(self.object_id, self.frame)
                    self.mask_after = None
                elif self.mask_after is not _UNKNOWN and self.mask_after is not None:
                    masks.restore([self.mask_after])
                else:
                    # Asked before the commit: the views redraw (on commit) while the model runs.
                    self.controller.request_mask(self.object_id, self.frame, self)
                    requested = True
        except BaseException:
            if requested:  # the prompts were rolled back: their mask must never be stored
                self.controller.supersede(self.object_id, self.frame)
            raise
        self.session.set_object(self.object_id)

    def revert(self) -> None:
        self.controller.supersede(self.object_id, self.frame)
        with self.project.transaction():
            for p in self.added or []:
                self.project.prompts.delete(p.id)
            self.project.prompts.restore(self.removed)
            remaining = self.project.prompts.list(self.object_id, self.frame)
            if not (self.before_is_stale and remaining):
                _put_back(self.project, self.object_id, self.frame, self.mask_before)
        self.session.set_object(self.object_id)
        if self.before_is_stale and remaining:
            self.controller.request_mask(self.object_id, self.frame)

    def mask_computed(self, record: MaskRecord | None) -> None:
        self.mask_after = record


class ReplaceMaskCommand(StoreCommand):
    """Put a new mask on one object and frame (hand edits); undo restores the old one."""

    def __init__(
        self,
        session,
        object_id: int,
        frame: int,
        rle: Rle | None,
        source: MaskSource | str = MaskSource.EDITED,
        model: str | None = None,
        text: str = "Edit mask",
    ):
        media_id = session.project.objects.get(object_id).media_id
        super().__init__(session, text, media_id, frame)
        self.object_id, self.rle, self.source, self.model = object_id, rle, source, model
        self.before = session.project.masks.get(object_id, frame)

    def do(self) -> None:
        if self.rle is None:
            self.project.masks.delete(self.object_id, self.frame)
        else:
            self.project.masks.put(self.object_id, self.frame, self.rle, self.source, self.model)

    def revert(self) -> None:
        _put_back(self.project, self.object_id, self.frame, self.before)


def _put_back(project, object_id: int, frame: int, record: MaskRecord | None) -> None:
    if record is not None:
        project.masks.restore([record])
    elif project.masks.get(object_id, frame) is not None:
        project.masks.delete(object_id, frame)


# -- labels -------------------------------------------------------------------------------
class AddLabelCommand(StoreCommand):
    def __init__(self, session, name: str, color: str | None = None):
        super().__init__(session, f"Add label {name}")
        self.name, self.color = name, color
        self.record: Label | None = None

    def do(self) -> None:
        if self.record is None:
            self.record = self.project.labels.add(self.name, self.color)
        else:
            self.project.labels.restore(self.record)
        self.session.set_label(self.record.id)

    def revert(self) -> None:
        current = self.project.labels.by_id(self.record.id)
        self.project.labels.remove(current.name)


class RenameLabelCommand(StoreCommand):
    def __init__(self, session, label_id: int, name: str):
        label = session.project.labels.by_id(label_id)
        super().__init__(session, f"Rename label {label.name}")
        self.old, self.new = label.name, name

    def do(self) -> None:
        self.project.labels.rename(self.old, self.new)

    def revert(self) -> None:
        self.project.labels.rename(self.new, self.old)


class RecolorLabelCommand(StoreCommand):
    def __init__(self, session, label_id: int, color: str):
        label = session.project.labels.by_id(label_id)
        super().__init__(session, f"Recolour label {label.name}")
        self.label_id, self.old, self.new = label_id, label.color, color

    def do(self) -> None:
        self.project.labels.recolor(self.project.labels.by_id(self.label_id).name, self.new)

    def revert(self) -> None:
        self.project.labels.recolor(self.project.labels.by_id(self.label_id).name, self.old)


class DeleteLabelCommand(StoreCommand):
    """Delete a label; its objects stay, unlabeled, and get it back on undo."""

    def __init__(self, session, label_id: int):
        label = session.project.labels.by_id(label_id)
        super().__init__(session, f"Delete label {label.name}")
        self.record = label
        self.object_ids = [o.id for o in session.project.objects.with_label(label_id)]
        # The label's attributes and their values go with it (ON DELETE CASCADE).
        self.specs = session.project.attributes.specs(label_id)
        self.values = session.project.attributes.values_for_label(label_id)

    def do(self) -> None:
        self.project.labels.remove(self.record.name)

    def revert(self) -> None:
        with self.project.transaction():
            self.project.labels.restore(self.record)
            for spec in self.specs:
                self.project.attributes.restore_spec(spec)
            self.project.attributes.restore_values(self.values)
            for object_id in self.object_ids:
                self.project.objects.set_label(object_id, self.record.id)
        self.session.set_label(self.record.id)
