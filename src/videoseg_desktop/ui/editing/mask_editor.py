"""The link between editing tools and the project: which mask is edited, and how edits land.

Tools ask ``begin()`` for an ``EditTarget`` (a private, writable copy of the selected object's
mask on the current frame or video frame), change it however they like, and hand it back to
``commit()``. A commit is one undoable step on the session's QUndoStack (the same stack as the
prompts), written to the store at once as RLE with source "edited". Clean-up actions are commits
of a pure function of the current mask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import decode_rle, encode_rle
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.ui.project.undo_commands import (
    AddObjectCommand,
    ReplaceMaskCommand,
    push_command,
)

NONE = -1
MIN_BRUSH, MAX_BRUSH = 1, 1000  # brush diameter, image pixels
DEFAULT_BRUSH = 20
BRUSH_STEP = 1.25  # `[` / `]` and one wheel notch change the size by this factor
DEFAULT_COLOR = QColor("#9E9E9E")


@dataclass
class EditTarget:
    """What a gesture edits. ``object_id`` is NONE when the gesture will create an object."""

    object_id: int
    media_id: int
    frame: int
    mask: np.ndarray  # H x W bool: the tool's own copy (or, with copy=False, ``base`` itself)
    color: QColor
    base: np.ndarray | None = None  # the stored mask when the gesture began (shared, read-only)
    base_counts: str | None = None  # its RLE counts, to notice a change during the gesture


class MaskEditor(QObject):
    brushSizeChanged = Signal(int)
    edited = Signal(int, int)  # object id, frame: a hand edit was stored
    statusMessage = Signal(str)
    errorOccurred = Signal(str)

    def __init__(self, session, canvas, presenter=None, parent: QObject | None = None):
        super().__init__(parent)
        self.session, self.canvas, self.presenter = session, canvas, presenter
        self._brush = DEFAULT_BRUSH
        self._hidden_overlay: int | None = None

    # -- brush size ------------------------------------------------------------------------
    @property
    def brush_size(self) -> int:
        """Brush diameter in image pixels."""
        return self._brush

    @property
    def brush_radius(self) -> float:
        return self._brush / 2.0

    def set_brush_size(self, size: int) -> None:
        size = int(min(max(round(size), MIN_BRUSH), MAX_BRUSH))
        if size != self._brush:
            self._brush = size
            self.brushSizeChanged.emit(size)

    def step_brush(self, steps: float) -> None:
        """Grow (steps > 0) or shrink the brush geometrically, by at least one pixel."""
        if steps == 0:
            return
        target = self._brush * BRUSH_STEP**steps
        if steps > 0:
            self.set_brush_size(max(self._brush + 1, round(target)))
        else:
            self.set_brush_size(min(self._brush - 1, round(target)))

    # -- targets ---------------------------------------------------------------------------
    def image_shape(self) -> tuple[int, int] | None:
        if self.session is None or self.session.media is None or not self.canvas.has_image():
            return None
        rect = self.canvas.image_rect()
        return int(rect.height()), int(rect.width())

    def selected_object(self) -> int:
        if self.session is None:
            return NONE
        oid = self.session.object_id
        return oid if oid != NONE and self.session.has_object(oid) else NONE

    def current_mask(self, object_id: int) -> np.ndarray | None:
        """The stored mask of ``object_id`` on the current frame (shared: do not write to it)."""
        if object_id == NONE:
            return None
        if self.presenter is not None:
            mask = self.presenter.current_mask(object_id)
            if mask is not None:
                return mask
        record = self.session.project.masks.get(object_id, self.session.frame)
        return None if record is None else decode_rle(record.rle)

    def begin(self, create: bool, copy: bool = True) -> EditTarget | None:
        """The selected object's mask to edit, or an empty one for a new object.

        ``create``: with no object selected, edit an empty mask that becomes a new object on
        commit (brush, polygon); otherwise (eraser, cut) there is nothing to edit. ``copy``
        False hands out the stored mask itself, for tools that copy it anyway (the brush).
        """
        shape = self.image_shape()
        if shape is None:
            return None
        object_id = self.selected_object()
        if object_id == NONE and not create:
            self.statusMessage.emit("Select an object to edit its mask")
            return None
        base = self.current_mask(object_id)
        record = self._record(object_id)
        if base is None or base.shape != shape:
            base, mask = None, np.zeros(shape, dtype=bool)
        else:
            mask = np.array(base, dtype=bool, order="C") if copy else base
        return EditTarget(
            object_id,
            self.session.media_id,
            self.session.frame,
            mask,
            self.color_of(object_id),
            base,
            record.rle["counts"] if record is not None else None,
        )

    def _record(self, object_id: int):
        if object_id == NONE:
            return None
        return self.session.project.masks.get(object_id, self.session.frame)

    def color_of(self, object_id: int) -> QColor:
        item = self.canvas.overlays.get(object_id)
        if item is not None:
            return item.color
        if self.session is None:
            return QColor(DEFAULT_COLOR)
        label = self.session.label_by_id(self.session.label_id)
        return QColor(label.color) if label is not None else QColor(DEFAULT_COLOR)

    # -- the selected overlay while a gesture runs -----------------------------------------
    def hide_overlay(self, object_id: int) -> None:
        """Hide the stored overlay while a tool shows the mask being edited instead."""
        if object_id in self.canvas.overlays:
            self.canvas.overlays[object_id].setVisible(False)
            self._hidden_overlay = object_id

    def restore_overlay(self) -> None:
        oid, self._hidden_overlay = self._hidden_overlay, None
        if oid is not None and oid in self.canvas.overlays:
            hidden = self.session.hidden if self.session is not None else set()
            self.canvas.set_overlay_visible(oid, oid not in hidden)

    # -- commits ---------------------------------------------------------------------------
    def commit(
        self,
        target: EditTarget,
        mask: np.ndarray,
        text: str,
        region: tuple[int, int, int, int] | None = None,
    ) -> bool:
        """Store ``mask`` as the target's edited mask, as one undo step; False if nothing changed.

        ``region`` (x0, y0, x1, y1), when given, is the only part of the mask the gesture could
        change, so only it is compared with the stored mask. The edit is refused (with a
        message) when the user moved to another media or frame since the gesture began.
        """
        session = self.session
        if session is None or (session.media_id, session.frame) != (target.media_id, target.frame):
            self.errorOccurred.emit(f"{text}: the frame changed during the edit; nothing saved")
            return False
        mask = np.ascontiguousarray(mask, dtype=bool)
        before = self.current_mask(target.object_id) if target.object_id != NONE else None
        record = self._record(target.object_id)
        if (record.rle["counts"] if record is not None else None) != target.base_counts:
            # The stored mask changed during the gesture (a model answer, an undo): apply the
            # gesture's own change on top of it instead of overwriting it.
            mask = _merge(before, target.base, mask)
            region = None
        if before is None and not mask.any():
            return False
        if before is not None and _unchanged(before, mask, region):
            return False
        rle = encode_rle(mask)
        stack = session.undo_stack
        macro = target.object_id == NONE
        try:
            if macro:
                stack.beginMacro(text)
                label = session.label_id if session.label_id != NONE else None
                added = push_command(session, AddObjectCommand(session, target.media_id, label))
                target.object_id = added.record.id
            if self.presenter is not None:  # the canvas reuses the array: no 4K decode
                self.presenter.prime(target.object_id, target.frame, mask, rle["counts"])
            push_command(
                session,
                ReplaceMaskCommand(
                    session, target.object_id, target.frame, rle, MaskSource.EDITED, text=text
                ),
            )
        except VideoSegError as exc:
            self.errorOccurred.emit(f"{text}: {exc}")
            return False
        finally:
            if macro:
                stack.endMacro()
        self.edited.emit(target.object_id, target.frame)
        return True

    def apply(self, operation: Callable[[np.ndarray], np.ndarray], text: str) -> bool:
        """Replace the selected object's mask with ``operation(mask)`` (a clean-up action)."""
        target = self.begin(create=False)
        if target is None:
            return False
        if target.object_id != NONE and self.current_mask(target.object_id) is None:
            self.statusMessage.emit(f"{text}: the selected object has no mask on this frame")
            return False
        changed = self.commit(target, operation(target.mask), text)
        if not changed:
            self.statusMessage.emit(f"{text}: nothing to change")
        return changed


def _unchanged(before: np.ndarray, after: np.ndarray, region) -> bool:
    if before.shape != after.shape:
        return False
    if region is None:
        return np.array_equal(before, after)
    x0, y0, x1, y1 = region
    return np.array_equal(before[y0:y1, x0:x1], after[y0:y1, x0:x1])


def _merge(current: np.ndarray | None, base: np.ndarray | None, edited: np.ndarray) -> np.ndarray:
    """Three-way merge: the pixels the gesture added to / removed from ``base``, on ``current``."""
    if current is None or current.shape != edited.shape:
        current = np.zeros_like(edited)
    if base is None or base.shape != edited.shape:
        base = np.zeros_like(edited)
    added, removed = edited & ~base, base & ~edited
    return (current & ~removed) | added
