"""Brush and eraser: paint on (or erase from) the selected object's mask.

A stroke is the capsules between consecutive mouse positions in image coordinates
(``core.mask_ops.paint_capsule``), so it is continuous at any zoom and any mouse speed. While the
button is down the tool paints into a ``LiveMaskItem`` and repaints only each segment's dirty
rectangle; the store sees the stroke once, on release, as one undo step.

Gestures: left drag paints (the eraser erases); Ctrl/Shift + drag with the brush erases;
``[`` / ``]`` (actions) or Ctrl/Shift + wheel change the size; Esc abandons a stroke.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QCursor, QMouseEvent, QWheelEvent

from videoseg_desktop.core import mask_ops
from videoseg_desktop.ui.canvas.canvas_tools import CanvasTool
from videoseg_desktop.ui.editing.edit_items import BrushCursorItem, LiveMaskItem, image_pos
from videoseg_desktop.ui.editing.mask_editor import EditTarget, MaskEditor

LIVE_Z = 900.0  # above every overlay, below the prompt markers' 500 + ... and the cursor
SIZE_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
ERASE_MODIFIERS = SIZE_MODIFIERS


class BrushTool(CanvasTool):
    """Paints (``erase=False``) or erases (``erase=True``) with a round brush."""

    def __init__(self, editor: MaskEditor, erase: bool = False, parent: QObject | None = None):
        super().__init__(parent)
        self.editor, self.erase = editor, erase
        self.name = "eraser" if erase else "brush"
        self.cursor_item = BrushCursorItem()
        self._target: EditTarget | None = None
        self._live: LiveMaskItem | None = None
        self._last: tuple[float, float] | None = None
        self._dirty: mask_ops.Rect | None = None  # what this stroke may have changed
        self._stroke_erases = erase
        self._hover_erases = erase
        editor.brushSizeChanged.connect(lambda _size: self._update_cursor())

    # -- activation ------------------------------------------------------------------------
    def activate(self, view) -> None:
        super().activate(view)
        view.scene().addItem(self.cursor_item)
        self.cursor_item.setVisible(False)
        # Wheel and double-click never reach tools through CanvasView: filter them here.
        view.viewport().installEventFilter(self)

    def deactivate(self) -> None:
        self.cancel()
        if self.view is not None:
            self.view.viewport().removeEventFilter(self)
            if self.cursor_item.scene() is not None:
                self.cursor_item.scene().removeItem(self.cursor_item)
        super().deactivate()

    def cursor(self) -> QCursor:
        return QCursor(Qt.CursorShape.CrossCursor)

    @property
    def stroking(self) -> bool:
        return self._target is not None

    # -- mouse -----------------------------------------------------------------------------
    def mouse_press(self, event: QMouseEvent, pos: QPointF) -> bool:
        if self.view is None or event.button() != Qt.MouseButton.LeftButton:
            return False
        if self._target is not None:  # a press without a release (lost focus): finish first
            self._finish()
        modifier_erase = bool(event.modifiers() & ERASE_MODIFIERS)
        erases = self.erase or modifier_erase
        target = self.editor.begin(create=not erases, copy=False)  # the live layer copies
        if target is None:
            return self.view.has_image()
        self._target, self._stroke_erases = target, erases
        self._live = LiveMaskItem(target.mask, target.color)
        self._live.setZValue(LIVE_Z)
        self.view.scene().addItem(self._live)
        self.editor.hide_overlay(target.object_id)
        self._last = (pos.x(), pos.y())
        self._paint_to(pos)
        self._move_cursor(pos)
        return True

    def mouse_move(self, event: QMouseEvent, pos: QPointF) -> bool:
        self._hover_erases = self.erase or bool(event.modifiers() & ERASE_MODIFIERS)
        self._move_cursor(pos)
        if self._target is None:
            return False
        self._paint_to(pos)
        return True

    def mouse_release(self, event: QMouseEvent, pos: QPointF) -> bool:
        if self._target is None or event.button() != Qt.MouseButton.LeftButton:
            return False
        self._paint_to(pos)
        self._finish()
        return True

    def cancel(self) -> bool:
        busy = self._target is not None
        self._end_stroke()
        return busy

    # -- painting --------------------------------------------------------------------------
    def _paint_to(self, pos: QPointF) -> None:
        point = (pos.x(), pos.y())
        rect = mask_ops.paint_capsule(
            self._live.mask, self._last, point, self.editor.brush_radius, not self._stroke_erases
        )
        self._live.mark_dirty(rect)
        self._dirty = mask_ops.union_rect(self._dirty, rect)
        self._last = point

    def _finish(self) -> None:
        target, live, region = self._target, self._live, self._dirty
        mask = live.copy_mask()
        self._end_stroke()
        text = "Eraser stroke" if self._stroke_erases else "Brush stroke"
        if region is not None:  # a stroke wholly outside the image changes nothing
            self.editor.commit(target, mask, text, region)

    def _end_stroke(self) -> None:
        if self._live is not None and self._live.scene() is not None:
            self._live.scene().removeItem(self._live)
        self._live, self._target, self._last, self._dirty = None, None, None, None
        self.editor.restore_overlay()

    # -- cursor ----------------------------------------------------------------------------
    def _move_cursor(self, pos: QPointF | None) -> None:
        inside = pos is not None and self.view is not None and self.view.has_image()
        self.cursor_item.setVisible(inside)
        if inside:
            self.cursor_item.setPos(pos)
            self._update_cursor()

    def _update_cursor(self) -> None:
        if self.view is None:
            return
        pixel = 1.0 / max(self.view.zoom_factor(), 1e-6)
        erase = self._stroke_erases if self._target is not None else self._hover_erases
        self.cursor_item.set_shape(self.editor.brush_radius, pixel, erase)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        kind = event.type()
        if kind == QEvent.Type.Wheel and isinstance(event, QWheelEvent):
            if event.modifiers() & SIZE_MODIFIERS:
                delta = event.angleDelta()
                # Shift+wheel arrives as a horizontal scroll on some platforms.
                steps = (delta.y() or delta.x()) / 120.0
                self.editor.step_brush(steps)
                event.accept()
                return True
        elif kind == QEvent.Type.MouseButtonDblClick and isinstance(event, QMouseEvent):
            # The second press of a quick double click: still a stroke, not a lost click.
            return self.mouse_press(event, image_pos(self.view, event))
        elif kind == QEvent.Type.Leave:
            self.cursor_item.setVisible(False)
        return False
