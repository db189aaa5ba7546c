"""Polygon tool: click vertices, then close to add the region to the mask or cut it out.

- Left click adds a vertex; Ctrl/Shift on the *first* click makes the polygon a cut (drawn red).
- Close with a click on the first vertex, a double click, or Enter; the polygon is committed
  as one undo step (``core.mask_ops.polygon_mask``: pixels whose centre is inside).
- Backspace or a right click removes the last vertex; Esc abandons the polygon.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QCursor, QKeyEvent, QMouseEvent

from videoseg_desktop.core import mask_ops
from videoseg_desktop.ui.canvas.canvas_tools import CanvasTool
from videoseg_desktop.ui.editing.edit_items import PolygonPreviewItem, image_pos
from videoseg_desktop.ui.editing.mask_editor import MaskEditor

CLOSE_RADIUS_PX = 8.0  # screen pixels around the first vertex that close the polygon
CUT_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
_CLOSE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_BACK_KEYS = (Qt.Key.Key_Backspace, Qt.Key.Key_Delete)
_OWN_KEYS = (*_CLOSE_KEYS, *_BACK_KEYS, Qt.Key.Key_Escape)


class PolygonTool(CanvasTool):
    name = "polygon"

    def __init__(self, editor: MaskEditor, parent: QObject | None = None):
        super().__init__(parent)
        self.editor = editor
        self.vertices: list[QPointF] = []
        self.cut = False
        self._preview: PolygonPreviewItem | None = None
        self._hover: QPointF | None = None
        self._just_closed = False  # the double click that closed a polygon must not start one

    def activate(self, view) -> None:
        super().activate(view)
        view.viewport().installEventFilter(self)  # double clicks
        view.installEventFilter(self)  # Enter, Backspace, Esc (before window shortcuts)

    def deactivate(self) -> None:
        self.cancel()
        if self.view is not None:
            self.view.viewport().removeEventFilter(self)
            self.view.removeEventFilter(self)
        super().deactivate()

    def cursor(self) -> QCursor:
        return QCursor(Qt.CursorShape.CrossCursor)

    @property
    def drawing(self) -> bool:
        return bool(self.vertices)

    # -- mouse -----------------------------------------------------------------------------
    def mouse_press(self, event: QMouseEvent, pos: QPointF) -> bool:
        if self.view is None or not self.view.has_image():
            return False
        if event.button() == Qt.MouseButton.RightButton:
            if not self.vertices:
                return False
            self.remove_last()
            return True
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        self._just_closed = False
        if len(self.vertices) >= 3 and self._near_first(pos):
            self.close()
            return True
        if not self.vertices:
            self.cut = bool(event.modifiers() & CUT_MODIFIERS)
        self.vertices.append(QPointF(pos))
        self._hover = QPointF(pos)
        self._refresh()
        return True

    def mouse_move(self, event: QMouseEvent, pos: QPointF) -> bool:
        if not self.vertices:
            return False
        self._hover = QPointF(pos)
        self._refresh()
        return True

    def mouse_release(self, event: QMouseEvent, pos: QPointF) -> bool:
        return bool(self.vertices) and event.button() in (
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.RightButton,
        )

    def cancel(self) -> bool:
        busy = bool(self.vertices)
        self.vertices, self._hover = [], None
        self._refresh()
        return busy

    # -- editing ---------------------------------------------------------------------------
    def remove_last(self) -> None:
        if self.vertices:
            self.vertices.pop()
            self._refresh()

    def close(self) -> bool:
        """Commit the polygon (needs 3 vertices); True when the mask changed."""
        if len(self.vertices) < 3:
            return False
        points = [(p.x(), p.y()) for p in self.vertices]
        cut = self.cut
        self.cancel()
        self._just_closed = True
        target = self.editor.begin(create=not cut)
        if target is None:
            return False
        mask = mask_ops.apply_polygon(target.mask, points, cut=cut)
        return self.editor.commit(target, mask, "Polygon cut" if cut else "Polygon add")

    def _near_first(self, pos: QPointF) -> bool:
        radius = CLOSE_RADIUS_PX / max(self.view.zoom_factor(), 1e-6)
        d = pos - self.vertices[0]
        return d.x() * d.x() + d.y() * d.y() <= radius * radius

    def _refresh(self) -> None:
        if self.view is None:
            return
        if not self.vertices:
            if self._preview is not None and self._preview.scene() is not None:
                self._preview.scene().removeItem(self._preview)
            self._preview = None
            return
        if self._preview is None:
            target_color = self.editor.color_of(self.editor.selected_object())
            self._preview = PolygonPreviewItem(target_color)
            self.view.scene().addItem(self._preview)
        pixel = 1.0 / max(self.view.zoom_factor(), 1e-6)
        self._preview.set_state(self.vertices, self._hover, self.cut, pixel)

    # -- events CanvasView does not hand to tools ------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        kind = event.type()
        if kind == QEvent.Type.MouseButtonDblClick and isinstance(event, QMouseEvent):
            if event.button() != Qt.MouseButton.LeftButton or self.view is None:
                return False
            if self._just_closed:  # the click before closed the polygon already
                self._just_closed = False
            elif len(self.vertices) >= 3:
                self.close()  # its first press already added the last vertex
            else:
                self.mouse_press(event, image_pos(self.view, event))
            return True
        if not self.vertices or not isinstance(event, QKeyEvent):
            return False
        if kind == QEvent.Type.ShortcutOverride and event.key() in _OWN_KEYS:
            event.accept()  # while drawing, these keys are ours, not the window's shortcuts
            return True
        if kind == QEvent.Type.KeyPress:
            if event.key() in _CLOSE_KEYS:
                self.close()
            elif event.key() in _BACK_KEYS:
                self.remove_last()
            elif event.key() == Qt.Key.Key_Escape:
                self.cancel()
            else:
                return False
            return True
        return False
