"""Canvas tools: what mouse buttons do on the image. The prompt tool is the default.

A tool gets mouse events with their position in image pixels and returns True when it used
them. Mask editing tools (brush, eraser, ...) subclass ``CanvasTool`` and are switched in with
``CanvasView.set_tool``; panning and zooming stay with the view whatever the tool.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QCursor, QMouseEvent

from videoseg_desktop.core.prompts import Box, Point
from videoseg_desktop.ui.canvas.overlay_items import RubberBandItem

DRAG_THRESHOLD_PX = 5  # screen pixels a press must move before it becomes a box
MIN_BOX_PX = 2.0  # image pixels: smaller boxes are treated as clicks
REMOVE_RADIUS_PX = 30  # screen pixels around a right click in which a prompt is removed


class CanvasTool(QObject):
    """Base class: ignores everything. ``view`` is set while the tool is active."""

    name = "none"

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.view = None

    def activate(self, view) -> None:
        self.view = view

    def deactivate(self) -> None:
        self.view = None

    def cursor(self) -> QCursor:
        return QCursor(Qt.CursorShape.CrossCursor)

    def mouse_press(self, event: QMouseEvent, pos: QPointF) -> bool:
        return False

    def mouse_move(self, event: QMouseEvent, pos: QPointF) -> bool:
        return False

    def mouse_release(self, event: QMouseEvent, pos: QPointF) -> bool:
        return False

    def cancel(self) -> bool:
        """Esc: abandon a gesture in progress; True when there was one."""
        return False


class PromptTool(CanvasTool):
    """Left click: positive point; Ctrl/Shift+click: negative; drag: box; right click: remove."""

    name = "prompt"
    pointRequested = Signal(object)  # Point
    boxRequested = Signal(object)  # Box
    exemplarRequested = Signal(object, bool)  # Box, positive: Alt+drag, Alt+Shift+drag "not this"
    removeRequested = Signal(float, float, float)  # x, y, radius (image pixels)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._press_screen = None
        self._press_image: QPointF | None = None
        self._negative = False
        self._exemplar: bool | None = None  # Alt held: True positive, False negative example
        self._band: RubberBandItem | None = None

    def mouse_press(self, event: QMouseEvent, pos: QPointF) -> bool:
        if self.view is None or not self.view.has_image():
            return False
        if event.button() == Qt.MouseButton.RightButton:
            if self.view.image_rect().contains(pos):
                radius = REMOVE_RADIUS_PX / max(self.view.zoom_factor(), 1e-6)
                self.removeRequested.emit(pos.x(), pos.y(), radius)
            return True
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        mods = event.modifiers()
        self._negative = bool(
            mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        )
        alt = bool(mods & Qt.KeyboardModifier.AltModifier)
        self._exemplar = None if not alt else not (mods & Qt.KeyboardModifier.ShiftModifier)
        self._press_screen = event.position()
        self._press_image = QPointF(pos)
        return True

    def mouse_move(self, event: QMouseEvent, pos: QPointF) -> bool:
        if self._press_image is None:
            return False
        moved = (event.position() - self._press_screen).manhattanLength()
        if self._band is None and moved >= DRAG_THRESHOLD_PX:
            self._band = RubberBandItem()
            self._band.setZValue(1000)
            self.view.scene().addItem(self._band)
        if self._band is not None:
            self._band.setRect(self._clamped_rect(pos))
        return True

    def mouse_release(self, event: QMouseEvent, pos: QPointF) -> bool:
        if self._press_image is None or event.button() != Qt.MouseButton.LeftButton:
            return False
        start, band = self._press_image, self._band
        self._reset()
        if band is not None:
            rect = self._clamped_rect(pos, start)
            if rect.width() >= MIN_BOX_PX and rect.height() >= MIN_BOX_PX:
                box = Box(rect.left(), rect.top(), rect.right(), rect.bottom())
                if self._exemplar is not None:  # an example for "Find all", not a prompt
                    self.exemplarRequested.emit(box, self._exemplar)
                    return True
                self.boxRequested.emit(Box(rect.left(), rect.top(), rect.right(), rect.bottom()))
                return True
        if self.view.image_rect().contains(start):
            self.pointRequested.emit(Point(start.x(), start.y(), positive=not self._negative))
        return True

    def cancel(self) -> bool:
        busy = self._press_image is not None
        self._reset()
        return busy

    def deactivate(self) -> None:
        self._reset()
        super().deactivate()

    def _clamped_rect(self, pos: QPointF, start: QPointF | None = None) -> QRectF:
        start = start or self._press_image
        rect = QRectF(start, pos).normalized()
        return rect.intersected(self.view.image_rect())

    def _reset(self) -> None:
        if self._band is not None and self._band.scene() is not None:
            self._band.scene().removeItem(self._band)
        self._band = None
        self._press_image = None
        self._press_screen = None
