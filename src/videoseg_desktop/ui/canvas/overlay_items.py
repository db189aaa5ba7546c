"""Graphics items drawn over the image: mask overlays, prompt markers and the rubber band.

Everything lives in image coordinates (one scene unit = one source pixel, pixel (i, j) covering
[j, j+1] x [i, i+1]), so overlays stay on their pixels at any zoom; outlines use cosmetic pens
(constant on-screen width) and markers ignore the view's scale, so both stay crisp.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem

from videoseg_desktop.ui.canvas.mask_geometry import boundary_pixels, outline_segments
from videoseg_desktop.ui.canvas.qt_images import mask_to_qimage, segments_to_path

FILL_OPACITY = 0.38
HOVER_FILL_OPACITY = 0.58
# A suggestion (pre-labelled, not yet accepted) is drawn fainter with a dashed outline, so a
# reviewer tells at a glance what a person has not looked at yet.
SUGGESTED_FILL_OPACITY = 0.2
# Cosmetic pen widths: whole pixels take Qt's fast stroking path (1.5 px is ~4x slower).
OUTLINE_WIDTH, STRONG_OUTLINE_WIDTH, HALO_WIDTH = 2, 3, 5
# Above this many boundary pixels (foliage, hair, noise) a vector outline costs tens of ms per
# paint; the outline is then drawn as a raster of the mask's boundary pixels instead, which is
# just as aligned and costs one pixmap blit.
MAX_VECTOR_OUTLINE = 20_000
POSITIVE_COLOR = QColor("#2ECC40")
NEGATIVE_COLOR = QColor("#FF4136")


def cosmetic_pen(color: QColor, width: float, style=Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style)
    pen.setCosmetic(True)
    pen.setCapStyle(Qt.PenCapStyle.SquareCap)
    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    return pen


class MaskOverlayItem(QGraphicsItem):
    """One object's mask: a flat fill of its label colour plus an outline on the pixel edges."""

    def __init__(self, object_id: int, parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self.object_id = object_id
        self.mask: np.ndarray | None = None
        self._color = QColor("#999999")
        self._fill: QPixmap | None = None
        self._fill_origin = QPointF()
        self._outline = QPainterPath()
        self._edge: QPixmap | None = None  # raster outline of very complex masks
        self._bounds = QRectF()
        self.hovered = False
        self.selected = False
        self.suggested = False
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_suggested(self, suggested: bool) -> None:
        if suggested != self.suggested:
            self.suggested = suggested
            self.update()

    def set_mask(self, mask: np.ndarray | None, color: QColor) -> None:
        self.prepareGeometryChange()
        self.mask = None if mask is None else np.asarray(mask, dtype=bool)
        self._color = QColor(color)
        self._fill, self._outline, self._bounds = None, QPainterPath(), QRectF()
        self._edge = None
        if self.mask is not None and self.mask.any():
            self._build(self.mask)
        self.update()

    def set_color(self, color: QColor) -> None:
        if QColor(color) != self._color:
            self.set_mask(self.mask, color)

    @property
    def color(self) -> QColor:
        return QColor(self._color)

    def _build(self, mask: np.ndarray) -> None:
        rows = np.flatnonzero(mask.any(axis=1))
        cols = np.flatnonzero(mask.any(axis=0))
        top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        crop = mask[top:bottom, left:right]
        h, w = crop.shape
        self._fill = QPixmap.fromImage(mask_to_qimage(crop, self._color.rgba()))
        self._fill_origin = QPointF(float(left), float(top))
        edge = boundary_pixels(crop)
        if np.count_nonzero(edge) > MAX_VECTOR_OUTLINE:
            self._edge = QPixmap.fromImage(mask_to_qimage(edge, self._color.rgba()))
        else:
            self._outline = segments_to_path(outline_segments(crop), (float(left), float(top)))
        self._bounds = QRectF(float(left), float(top), float(w), float(h)).adjusted(-1, -1, 1, 1)

    def set_hovered(self, hovered: bool) -> None:
        if hovered != self.hovered:
            self.hovered = hovered
            self.update()

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.update()

    def contains_pixel(self, x: float, y: float) -> bool:
        if self.mask is None or not self.isVisible():
            return False
        xi, yi = int(np.floor(x)), int(np.floor(y))
        h, w = self.mask.shape
        return 0 <= xi < w and 0 <= yi < h and bool(self.mask[yi, xi])

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        return self._bounds

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self._fill is None:
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        if self.hovered:
            painter.setOpacity(HOVER_FILL_OPACITY)
        else:
            painter.setOpacity(SUGGESTED_FILL_OPACITY if self.suggested else FILL_OPACITY)
        painter.drawPixmap(self._fill_origin, self._fill)
        painter.setOpacity(1.0)
        if self._edge is not None:
            painter.drawPixmap(self._fill_origin, self._edge)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if self.selected:
            painter.setPen(cosmetic_pen(QColor(255, 255, 255, 230), HALO_WIDTH))
            painter.drawPath(self._outline)
        width = STRONG_OUTLINE_WIDTH if (self.hovered or self.selected) else OUTLINE_WIDTH
        color = self._color.darker(115) if self.selected else self._color
        style = Qt.PenStyle.DashLine if self.suggested else Qt.PenStyle.SolidLine
        painter.setPen(cosmetic_pen(color, width, style))
        painter.drawPath(self._outline)


class PointMarkerItem(QGraphicsItem):
    """A positive (green, +) or negative (red, -) click; constant size on screen."""

    RADIUS = 6.5

    def __init__(self, prompt_id: int, object_id: int, x: float, y: float, positive: bool):
        super().__init__()
        self.prompt_id, self.object_id, self.positive = prompt_id, object_id, positive
        self.setPos(QPointF(x, y))
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.dimmed = False

    def set_dimmed(self, dimmed: bool) -> None:
        self.dimmed = dimmed
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        r = self.RADIUS + 2
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        r = self.RADIUS
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setOpacity(0.45 if self.dimmed else 1.0)
        painter.setPen(QPen(QColor(20, 20, 20), 1.5))
        painter.setBrush(QBrush(POSITIVE_COLOR if self.positive else NEGATIVE_COLOR))
        painter.drawEllipse(QPointF(0, 0), r, r)
        painter.setPen(QPen(QColor(255, 255, 255), 2.0))
        arm = r * 0.55
        painter.drawLine(QLineF(-arm, 0, arm, 0))
        if self.positive:
            painter.drawLine(QLineF(0, -arm, 0, arm))


class BoxMarkerItem(QGraphicsRectItem):
    """A box prompt: a dashed rectangle in the object's colour."""

    def __init__(self, prompt_id: int, object_id: int, coords, color: QColor):
        x0, y0, x1, y1 = coords
        super().__init__(QRectF(QPointF(x0, y0), QPointF(x1, y1)).normalized())
        self.prompt_id, self.object_id = prompt_id, object_id
        self.setPen(cosmetic_pen(QColor(color), 2.0, Qt.PenStyle.DashLine))
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_dimmed(self, dimmed: bool) -> None:
        self.setOpacity(0.45 if dimmed else 1.0)


class ExemplarBoxItem(QGraphicsRectItem):
    """A Find All example box: green "more like this" or red "not this", with its sign."""

    def __init__(self, box, positive: bool):
        x0, y0, x1, y1 = box
        super().__init__(QRectF(QPointF(x0, y0), QPointF(x1, y1)).normalized())
        self.positive = positive
        color = POSITIVE_COLOR if positive else NEGATIVE_COLOR
        self.setPen(cosmetic_pen(color, 2.0, Qt.PenStyle.DashDotLine))
        fill = QColor(color)
        fill.setAlpha(28)
        self.setBrush(QBrush(fill))
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.sign = PointMarkerItem(-1, -1, 0.0, 0.0, positive)  # the marker, on a corner
        self.sign.setParentItem(self)
        self.sign.setPos(self.rect().topLeft())


class RubberBandItem(QGraphicsRectItem):
    """The box being dragged."""

    def __init__(self):
        super().__init__()
        self.setPen(cosmetic_pen(QColor(255, 255, 255), 1.5, Qt.PenStyle.DashLine))
        self.setBrush(QBrush(QColor(255, 255, 255, 30)))
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
