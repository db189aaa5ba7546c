"""Graphics items of the editing tools: the mask being edited, the brush cursor, the polygon.

``LiveMaskItem`` is what keeps a brush fast on 4K frames: the mask being edited *is* the pixel
buffer of an Indexed8 QImage (a numpy view of Qt-owned memory), so a stroke segment changes a
few thousand bytes in place and repaints only its dirty rectangle; nothing re-rasterises or
re-uploads the whole overlay while the mouse moves.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

LIVE_FILL_OPACITY = 0.5  # a little stronger than the overlays: what is being drawn stands out
CUT_COLOR = QColor("#FF4136")


def image_pos(view, event) -> QPointF:
    """An event's viewport position in image pixels (the canvas's scene coordinates)."""
    inverse, _ = view.viewportTransform().inverted()
    return inverse.map(event.position())


def cosmetic(color: QColor, width: float, style=Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style)
    pen.setCosmetic(True)
    return pen


class LiveMaskItem(QGraphicsItem):
    """A full-resolution mask, editable in place through ``mask`` (an H x W bool view).

    Write into ``mask`` and call ``mark_dirty(rect)``; only that rectangle is repainted.
    """

    def __init__(self, mask: np.ndarray, color: QColor, parent: QGraphicsItem | None = None):
        super().__init__(parent)
        h, w = mask.shape
        self._image = QImage(w, h, QImage.Format.Format_Indexed8)
        fill = QColor(color)
        self._image.setColorTable([0, fill.rgba()])
        stride = self._image.bytesPerLine()
        bits = np.frombuffer(self._image.bits(), dtype=np.uint8, count=stride * h)
        self._bits = bits.reshape(h, stride)
        self._bits[:, :w] = mask  # the one full copy, at stroke start
        # Numpy bools are bytes holding 0 or 1: the same bytes serve as mask and as pixels.
        self.mask = self._bits[:, :w].view(np.bool_)
        self._rect = QRect(0, 0, w, h)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def mark_dirty(self, rect: tuple[int, int, int, int] | None) -> None:
        if rect is not None:
            x0, y0, x1, y1 = rect
            self.update(QRectF(x0, y0, x1 - x0, y1 - y0))

    def copy_mask(self) -> np.ndarray:
        """A contiguous copy of the edited mask (the buffer itself belongs to the QImage)."""
        return np.array(self.mask, dtype=bool, order="C")

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        return QRectF(self._rect)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        exposed = option.exposedRect.toAlignedRect().intersected(self._rect)
        if exposed.isEmpty():
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.setOpacity(LIVE_FILL_OPACITY)
        # Only the exposed part is converted for drawing, never the whole frame.
        painter.drawImage(exposed.topLeft(), self._image.copy(exposed))


class BrushCursorItem(QGraphicsItem):
    """A circle at the brush's real size (image pixels), with a cross when it gets tiny."""

    CROSS_PX = 6.0  # screen pixels

    def __init__(self, parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self.radius = 5.0
        self.erase = False
        self._pixel = 1.0  # image pixels per screen pixel
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(2000)

    def set_shape(self, radius: float, pixel: float, erase: bool) -> None:
        if (radius, pixel, erase) != (self.radius, self._pixel, self.erase):
            self.prepareGeometryChange()
            self.radius, self._pixel, self.erase = radius, pixel, erase
            self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        r = max(self.radius, self.CROSS_PX * self._pixel) + 3 * self._pixel
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        r = self.radius
        painter.setPen(cosmetic(QColor(0, 0, 0, 200), 3.0))
        painter.drawEllipse(QPointF(0, 0), r, r)
        light = CUT_COLOR if self.erase else QColor(255, 255, 255)
        painter.setPen(cosmetic(light, 1.5))
        painter.drawEllipse(QPointF(0, 0), r, r)
        if r / self._pixel < 2 * self.CROSS_PX:  # small on screen: show where the centre is
            arm = self.CROSS_PX * self._pixel
            painter.drawLine(QPointF(-arm, 0), QPointF(arm, 0))
            painter.drawLine(QPointF(0, -arm), QPointF(0, arm))


class PolygonPreviewItem(QGraphicsItem):
    """The polygon being clicked: its vertices, the edge to the mouse and a light fill."""

    VERTEX_PX = 3.5

    def __init__(self, color: QColor, parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self.vertices: list[QPointF] = []
        self.hover: QPointF | None = None
        self.color = QColor(color)
        self.cut = False
        self._pixel = 1.0
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(1500)

    def set_state(
        self, vertices: list[QPointF], hover: QPointF | None, cut: bool, pixel: float
    ) -> None:
        self.prepareGeometryChange()
        self.vertices, self.hover, self.cut, self._pixel = list(vertices), hover, cut, pixel
        self.update()

    def _points(self) -> list[QPointF]:
        return self.vertices + ([self.hover] if self.hover is not None else [])

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        points = self._points()
        if not points:
            return QRectF()
        xs, ys = [p.x() for p in points], [p.y() for p in points]
        pad = (self.VERTEX_PX + 3) * self._pixel
        return QRectF(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)).adjusted(
            -pad, -pad, pad, pad
        )

    def paint(self, painter: QPainter, option, widget=None) -> None:
        points = self._points()
        if not points:
            return
        color = CUT_COLOR if self.cut else self.color
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        path = QPainterPath(points[0])
        for p in points[1:]:
            path.lineTo(p)
        if len(points) >= 3:
            fill = QColor(color)
            fill.setAlpha(60)
            painter.fillPath(path, QBrush(fill))  # fillPath closes the outline implicitly
        painter.setPen(cosmetic(QColor(0, 0, 0, 180), 3.0))
        painter.drawPath(path)
        painter.setPen(
            cosmetic(color, 1.5, Qt.PenStyle.DashLine if self.cut else Qt.PenStyle.SolidLine)
        )
        painter.drawPath(path)
        painter.setPen(cosmetic(QColor(0, 0, 0), 1.0))
        painter.setBrush(QBrush(color))
        r = self.VERTEX_PX * self._pixel
        for i, p in enumerate(self.vertices):
            scale = 1.5 if i == 0 else 1.0  # the first vertex is the target for closing
            painter.drawEllipse(p, r * scale, r * scale)
