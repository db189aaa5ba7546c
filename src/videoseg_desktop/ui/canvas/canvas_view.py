"""The central canvas: the image or frame, zoom and pan, mask overlays and prompt markers.

The view knows nothing of the store: a presenter feeds it numpy images, masks and prompt
records, and mouse gestures leave it as signals from the active ``CanvasTool``.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPixmap, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsPixmapItem, QGraphicsScene, QGraphicsView

from videoseg_desktop.ui.canvas.canvas_tools import CanvasTool, PromptTool
from videoseg_desktop.ui.canvas.overlay_items import (
    BoxMarkerItem,
    ExemplarBoxItem,
    MaskOverlayItem,
    PointMarkerItem,
)
from videoseg_desktop.ui.canvas.qt_images import rgb_to_qimage

ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.02, 64.0
PROMPT_Z, OVERLAY_Z = 500.0, 10.0


class CanvasView(QGraphicsView):
    cursorMoved = Signal(float, float)  # image pixels; (-1, -1) when outside the image
    zoomChanged = Signal(float)  # image pixels per physical screen pixel (1.0 = 1:1)
    hoveredObjectChanged = Signal(int)  # -1 when none

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(QColor(38, 40, 44))
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setMouseTracking(True)
        # Panning is by dragging; scroll bars would only take room from the image.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._image_item = QGraphicsPixmapItem()
        self._image_item.setShapeMode(QGraphicsPixmapItem.ShapeMode.BoundingRectShape)
        self.scene().addItem(self._image_item)
        self._image_size: tuple[int, int] | None = None  # (width, height)
        self.overlays: dict[int, MaskOverlayItem] = {}
        self.prompt_items: list = []
        self.exemplar_items: list[ExemplarBoxItem] = []
        self._hovered = -1
        self._selected = -1
        self._pan_anchor: QPointF | None = None
        self._space_down = False
        self._fit_mode = True
        self.prompt_tool = PromptTool(self)
        self._tool: CanvasTool = self.prompt_tool
        self._tool.activate(self)
        self.viewport().setCursor(self._tool.cursor())

    # -- image -----------------------------------------------------------------------------
    def set_image(self, rgb: np.ndarray | None, keep_view: bool = False) -> None:
        if rgb is None:
            self._image_item.setPixmap(QPixmap())
            self._image_size = None
            self.clear_overlays()
            self.set_prompts([])
            self.set_exemplars([])
            return
        pixmap = QPixmap.fromImage(rgb_to_qimage(rgb))
        same_size = self._image_size == (pixmap.width(), pixmap.height())
        self._image_item.setPixmap(pixmap)
        self._image_size = (pixmap.width(), pixmap.height())
        margin = max(pixmap.width(), pixmap.height()) * 0.5
        self.setSceneRect(
            QRectF(0, 0, pixmap.width(), pixmap.height()).adjusted(-margin, -margin, margin, margin)
        )
        if not (keep_view and same_size):
            self.fit()
        else:
            self._update_smoothing()

    def has_image(self) -> bool:
        return self._image_size is not None

    def image_rect(self) -> QRectF:
        if self._image_size is None:
            return QRectF()
        return QRectF(0, 0, *self._image_size)

    # -- overlays --------------------------------------------------------------------------
    def set_overlay(self, object_id: int, mask: np.ndarray | None, color: QColor) -> None:
        item = self.overlays.get(object_id)
        if mask is None:
            if item is not None:
                self.scene().removeItem(item)
                del self.overlays[object_id]
            return
        if item is None:
            item = MaskOverlayItem(object_id)
            item.setZValue(OVERLAY_Z + len(self.overlays) * 0.01)
            self.scene().addItem(item)
            self.overlays[object_id] = item
        item.set_mask(mask, color)
        item.set_selected(object_id == self._selected)

    def set_overlay_suggested(self, object_id: int, suggested: bool) -> None:
        if object_id in self.overlays:
            self.overlays[object_id].set_suggested(suggested)

    def set_overlay_visible(self, object_id: int, visible: bool) -> None:
        if object_id in self.overlays:
            self.overlays[object_id].setVisible(visible)

    def clear_overlays(self) -> None:
        for item in self.overlays.values():
            self.scene().removeItem(item)
        self.overlays.clear()
        self._set_hovered(-1)

    def set_selected_object(self, object_id: int) -> None:
        self._selected = object_id
        for oid, item in self.overlays.items():
            item.set_selected(oid == object_id)
        for item in self.prompt_items:
            item.set_dimmed(item.object_id != object_id)

    def set_prompts(self, prompts: list[tuple]) -> None:
        """``prompts``: (PromptRecord, colour) pairs; markers of other objects are dimmed."""
        for item in self.prompt_items:
            self.scene().removeItem(item)
        self.prompt_items = []
        for prompt, color in prompts:
            if prompt.kind == "point":
                item = PointMarkerItem(prompt.id, prompt.object_id, *prompt.coords, prompt.positive)
            else:
                item = BoxMarkerItem(prompt.id, prompt.object_id, prompt.coords, color)
            item.setZValue(PROMPT_Z + (1 if prompt.kind == "point" else 0))
            item.set_dimmed(prompt.object_id != self._selected)
            self.scene().addItem(item)
            self.prompt_items.append(item)

    def set_exemplars(self, exemplars: list[tuple]) -> None:
        """``exemplars``: (box, positive) pairs of Find All's example boxes on this image."""
        for item in self.exemplar_items:
            self.scene().removeItem(item)
        self.exemplar_items = []
        for box, positive in exemplars:
            item = ExemplarBoxItem(box, positive)
            item.setZValue(PROMPT_Z)
            self.scene().addItem(item)
            self.exemplar_items.append(item)

    # -- tools -----------------------------------------------------------------------------
    @property
    def tool(self) -> CanvasTool:
        return self._tool

    def set_tool(self, tool: CanvasTool | None) -> None:
        """Switch the active tool (None: back to the prompt tool)."""
        self._tool.deactivate()
        self._tool = tool or self.prompt_tool
        self._tool.activate(self)
        self.viewport().setCursor(self._tool.cursor())

    def cancel_gesture(self) -> bool:
        return self._tool.cancel()

    # -- zoom ------------------------------------------------------------------------------
    def zoom_factor(self) -> float:
        """View pixels per image pixel (logical); see ``zoomChanged`` for physical."""
        return self.transform().m11()

    def physical_zoom(self) -> float:
        return self.zoom_factor() * self.devicePixelRatioF()

    def set_zoom(self, physical: float, anchor_to_mouse: bool = False) -> None:
        physical = min(max(physical, MIN_ZOOM), MAX_ZOOM)
        logical = physical / self.devicePixelRatioF()
        if not anchor_to_mouse:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        factor = logical / self.zoom_factor()
        self.scale(factor, factor)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self._fit_mode = False
        self._update_smoothing()

    def zoom_in(self) -> None:
        self.set_zoom(self.physical_zoom() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.physical_zoom() / ZOOM_STEP)

    def actual_size(self) -> None:
        """1:1: one image pixel per physical screen pixel (HiDPI included)."""
        self.set_zoom(1.0)

    def fit(self) -> None:
        if self._image_size is None:
            return
        self.resetTransform()
        self.fitInView(self.image_rect(), Qt.AspectRatioMode.KeepAspectRatio)
        self._fit_mode = True
        self._update_smoothing()

    def _update_smoothing(self) -> None:
        # Zoomed in, pixels must show as crisp squares the overlays line up with.
        smooth = self.physical_zoom() < 1.0
        self._image_item.setTransformationMode(
            Qt.TransformationMode.SmoothTransformation
            if smooth
            else Qt.TransformationMode.FastTransformation
        )
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        self.zoomChanged.emit(self.physical_zoom())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        if self._fit_mode:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt API)
        steps = event.angleDelta().y() / 120.0
        if steps and self.has_image():
            self.set_zoom(self.physical_zoom() * ZOOM_STEP**steps, anchor_to_mouse=True)
            event.accept()
        else:
            super().wheelEvent(event)

    # -- mouse -----------------------------------------------------------------------------
    def _image_pos(self, event: QMouseEvent) -> QPointF:
        """The event's position in image pixels, with its sub-pixel fraction kept."""
        inverse, _ = self.viewportTransform().inverted()
        return inverse.map(event.position())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        middle = event.button() == Qt.MouseButton.MiddleButton
        if middle or (self._space_down and event.button() == Qt.MouseButton.LeftButton):
            self._pan_anchor = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if not self._tool.mouse_press(event, self._image_pos(event)):
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if self._pan_anchor is not None:
            delta = event.position() - self._pan_anchor
            self._pan_anchor = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            self._fit_mode = False
            event.accept()
            return
        pos = self._image_pos(event)
        inside = self.has_image() and self.image_rect().contains(pos)
        self.cursorMoved.emit(pos.x() if inside else -1.0, pos.y() if inside else -1.0)
        self._update_hover(pos if inside else None)
        if not self._tool.mouse_move(event, pos):
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if self._pan_anchor is not None:
            self._pan_anchor = None
            self.viewport().setCursor(
                Qt.CursorShape.OpenHandCursor if self._space_down else self._tool.cursor()
            )
            event.accept()
            return
        if not self._tool.mouse_release(event, self._image_pos(event)):
            super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.cursorMoved.emit(-1.0, -1.0)
        self._update_hover(None)
        super().leaveEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self._pan_anchor = None
            self.viewport().setCursor(self._tool.cursor())
            event.accept()
            return
        super().keyReleaseEvent(event)

    # -- hover -----------------------------------------------------------------------------
    def _update_hover(self, pos: QPointF | None) -> None:
        found = -1
        if pos is not None:
            # Topmost first: later overlays are drawn above earlier ones.
            for oid, item in sorted(self.overlays.items(), key=lambda kv: -kv[1].zValue()):
                if item.contains_pixel(pos.x(), pos.y()):
                    found = oid
                    break
        self._set_hovered(found)

    def _set_hovered(self, object_id: int) -> None:
        if object_id == self._hovered:
            return
        self._hovered = object_id
        for oid, item in self.overlays.items():
            item.set_hovered(oid == object_id)
        self.hoveredObjectChanged.emit(object_id)

    @property
    def hovered_object(self) -> int:
        return self._hovered
