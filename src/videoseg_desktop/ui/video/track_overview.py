"""The track overview: one row per object across the whole video, binned into pixels.

Each row shows where the object has propagated masks (the label colour, fainter where a pixel
column covers frames without a mask), its key frames in a lane on top (prompted or clicked:
white, edited by hand: yellow, imported: cyan), its gaps (frames without a mask between its
first and last masked frame: red) and, in a lane at the bottom, the frames flagged for review
(magenta). Propagated masks older than a correction next to them, that no older key frame
explains (a re-track cancelled after the correction), are stale: drawn grey and hatched until
tracked again. The data comes from ``masks.frame_times``, ``prompts.frames`` and
``review.object_flags`` only, cached per object and refreshed on store events: no mask is ever
decoded, so a 10,000-frame video paints as fast as a 10-frame one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from videoseg_desktop.core.records import MaskSource

NO_MASK, PROPAGATED, IMPORTED, CLICKED, EDITED, AUTO = range(6)
CODES = {
    MaskSource.AUTO: AUTO,  # a model's pre-label: drawn like a propagated mask
    MaskSource.PROPAGATED: PROPAGATED,
    MaskSource.IMPORTED: IMPORTED,
    MaskSource.CLICKED: CLICKED,
    MaskSource.EDITED: EDITED,
}
STATE_NAMES = {NO_MASK: "no mask", PROPAGATED: "propagated", IMPORTED: "imported",
               CLICKED: "clicked", EDITED: "edited", AUTO: "automatic"}  # fmt: skip
KEY_COLORS = {CLICKED: (255, 255, 255), EDITED: (255, 214, 10), IMPORTED: (79, 195, 247)}
GAP_COLOR = (224, 83, 61)
FLAG_COLOR = (236, 64, 255)  # magenta: no label colour or lane uses it
STALE_COLOR = (150, 150, 150)
ROW_BG = QColor(52, 55, 60)
LABEL_W, RULER_H, ROW_H, ROW_GAP = 132, 22, 18, 4


@dataclass(frozen=True, eq=False)
class TrackRow:
    """One object's track: per-frame state codes (above) and which frames have prompts."""

    object_id: int
    name: str
    color: QColor
    codes: np.ndarray  # int8, one per frame
    prompted: np.ndarray  # bool, one per frame
    flagged: np.ndarray | None = None  # bool, one per frame: flagged for review
    stale: np.ndarray | None = None  # bool, one per frame: tracked before a later correction

    @classmethod
    def from_store(cls, project, obj, color: QColor, frame_count: int) -> TrackRow:
        codes = np.zeros(frame_count, dtype=np.int8)
        stale = np.zeros(frame_count, dtype=bool)
        rows = project.masks.frame_times(obj.id)
        if rows:
            frames = np.fromiter((f for f, _, _ in rows), np.int64, len(rows))
            states = np.fromiter((CODES[s] for _, s, _ in rows), np.int8, len(rows))
            inside = frames < frame_count
            codes[frames[inside]] = states[inside]
            marked = stale_frames(frames, states, [t for _, _, t in rows])
            stale[frames[inside & marked]] = True
        prompted = np.zeros(frame_count, dtype=bool)
        prompt_frames = [f for f in project.prompts.frames(obj.id) if f < frame_count]
        prompted[prompt_frames] = True
        flagged = np.zeros(frame_count, dtype=bool)
        flagged[[f.frame for f in project.review.object_flags(obj.id) if f.frame < frame_count]] = (
            True
        )
        return cls(obj.id, obj.name, QColor(color), codes, prompted, flagged=flagged, stale=stale)

    def state_at(self, frame: int) -> str:
        state = STATE_NAMES[int(self.codes[frame])]
        if self.stale is not None and self.stale[frame]:
            state += " before a later correction (stale: track again)"
        if state == "no mask" and self.in_gap(frame):
            state = "gap (no mask)"
        state += ", prompts" if self.prompted[frame] else ""
        if self.flagged is not None and self.flagged[frame]:
            state += ", flagged for review (J)"
        return state

    def in_gap(self, frame: int) -> bool:
        masked = np.flatnonzero(self.codes)
        return bool(len(masked)) and masked[0] < frame < masked[-1] and not self.codes[frame]


def stale_frames(frames: np.ndarray, codes: np.ndarray, times: list[str]) -> np.ndarray:
    """Which propagated masks predate a correction beside them (issue #12).

    A propagated mask is explained by a neighbouring key frame (the nearest clicked, edited or
    imported mask on either side) made before it: it was tracked from there. One with no such
    neighbour but a newer one was tracked before that correction and never again: a re-track
    cancelled (or not yet run) after the click. ``times`` are ISO timestamps, comparable as text.
    """
    frames, codes = np.asarray(frames), np.asarray(codes)
    stamp = np.asarray(times, dtype=object)
    is_key = codes != PROPAGATED
    key_frames = frames[is_key]
    stale = np.zeros(len(frames), dtype=bool)
    if not len(key_frames):
        return stale
    key_times = stamp[is_key]
    for i in np.flatnonzero(~is_key):
        at = np.searchsorted(key_frames, frames[i])
        neighbours = [key_times[j] for j in (at - 1, at) if 0 <= j < len(key_frames)]
        explained = any(t <= stamp[i] for t in neighbours)
        stale[i] = not explained and any(t > stamp[i] for t in neighbours)
    return stale


def bin_row(row: TrackRow, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(band, keys): two 1 x ``width`` ARGB32 pixel rows (uint32) for the row's two lanes."""
    n = len(row.codes)
    width = max(int(width), 1)
    starts = (np.arange(width, dtype=np.int64) * n) // width
    sizes = np.maximum(np.diff(np.append(starts, n)), 1)
    has = (row.codes > 0).astype(np.int32)
    coverage = np.add.reduceat(has, starts) / sizes
    strongest = np.maximum.reduceat(np.where(row.codes == AUTO, PROPAGATED, row.codes), starts)
    prompted = np.maximum.reduceat(row.prompted.astype(np.int8), starts) > 0
    masked = np.flatnonzero(has)
    centre = starts + sizes // 2
    gap = np.zeros(width, dtype=bool)
    if len(masked):
        gap = (coverage == 0) & (centre > masked[0]) & (centre < masked[-1])

    band = np.zeros(width, dtype=np.uint32)
    r, g, b = row.color.red(), row.color.green(), row.color.blue()
    alpha = np.where(coverage > 0, 90 + 165 * coverage, 0).astype(np.uint32)
    band[:] = (alpha << 24) | (r << 16) | (g << 8) | b
    if row.stale is not None and row.stale.any():
        stale = np.maximum.reduceat(row.stale.astype(np.int8), starts) > 0
        hatch = (np.arange(width) // 3) % 2 == 0  # grey stripes: visible on any label colour
        sr, sg, sb = STALE_COLOR
        grey = (np.uint32(230) << 24) | (sr << 16) | (sg << 8) | sb
        band[stale & hatch] = grey
        band[stale & ~hatch] = (np.uint32(110) << 24) | (sr << 16) | (sg << 8) | sb
    gr, gg, gb = GAP_COLOR
    band[gap] = (np.uint32(200) << 24) | (gr << 16) | (gg << 8) | gb

    keys = np.zeros(width, dtype=np.uint32)
    for code, (kr, kg, kb) in KEY_COLORS.items():
        keys[strongest == code] = (np.uint32(255) << 24) | (kr << 16) | (kg << 8) | kb
    wr, wg, wb = KEY_COLORS[CLICKED]
    keys[prompted & (keys == 0)] = (np.uint32(255) << 24) | (wr << 16) | (wg << 8) | wb
    return band, keys


def bin_flags(row: TrackRow, width: int) -> np.ndarray:
    """A 1 x ``width`` ARGB32 row: opaque magenta where a column holds a flagged frame."""
    n = len(row.codes)
    width = max(int(width), 1)
    lane = np.zeros(width, dtype=np.uint32)
    if row.flagged is None or not row.flagged.any():
        return lane
    starts = (np.arange(width, dtype=np.int64) * n) // width
    hit = np.maximum.reduceat(row.flagged.astype(np.int8), starts) > 0
    fr, fg, fb = FLAG_COLOR
    lane[hit] = (np.uint32(255) << 24) | (fr << 16) | (fg << 8) | fb
    return lane


def _argb_image(pixels: np.ndarray) -> QImage:
    image = QImage(len(pixels), 1, QImage.Format.Format_ARGB32)
    bits = np.frombuffer(image.bits(), dtype=np.uint32, count=len(pixels))
    bits[:] = pixels
    return image


def nice_step(min_frames: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... frames that is at least ``min_frames``."""
    magnitude = 1
    while True:
        for m in (1, 2, 5):
            if m * magnitude >= min_frames:
                return m * magnitude
        magnitude *= 10


class TrackOverview(QWidget):
    frameRequested = Signal(int)  # a click on the ruler or a row
    scrubbed = Signal(int)  # the playhead dragged to a frame
    scrubFinished = Signal(int)
    objectClicked = Signal(int)
    rowMenuRequested = Signal(int, int, QPoint)  # object id, frame, global position

    def __init__(self, parent=None):
        super().__init__(parent)
        self.frame_count = 0
        self.current = 0
        self.selected = -1
        self.rows: list[TrackRow] = []
        self.loop: tuple[int, int] | None = None
        self._images: dict[tuple[int, int], tuple[QImage, QImage, QImage]] = {}
        self._dragging = False
        self._last_scrub = -1
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._update_height()

    # -- data ------------------------------------------------------------------------------
    def set_frame_count(self, count: int) -> None:
        self.frame_count = max(int(count), 0)
        self.current = min(self.current, max(self.frame_count - 1, 0))
        self._images.clear()
        self.update()

    def set_rows(self, rows: list[TrackRow]) -> None:
        self.rows = list(rows)
        self._images.clear()
        self._update_height()
        self.update()

    def set_current(self, frame: int) -> None:
        if frame != self.current:
            old, self.current = self.current, int(frame)
            for f in (old, self.current):  # repaint only the two playhead strips
                x = self.frame_x(f)
                self.update(QRect(int(x) - 8, 0, 17, self.height()))

    def set_selected(self, object_id: int) -> None:
        if object_id != self.selected:
            self.selected = object_id
            self.update()

    def set_loop(self, loop: tuple[int, int] | None) -> None:
        if loop != self.loop:
            self.loop = loop
            self.update()

    def _update_height(self) -> None:
        height = RULER_H + max(len(self.rows), 1) * (ROW_H + ROW_GAP) + ROW_GAP
        self.setFixedHeight(height)

    # -- geometry --------------------------------------------------------------------------
    def track_width(self) -> int:
        return max(self.width() - LABEL_W - 8, 1)

    def frame_x(self, frame: float) -> float:
        if self.frame_count <= 0:
            return float(LABEL_W)
        return LABEL_W + (frame + 0.5) * self.track_width() / self.frame_count

    def frame_at(self, x: float) -> int:
        if self.frame_count <= 0:
            return 0
        frame = int((x - LABEL_W) * self.frame_count / self.track_width())
        return min(max(frame, 0), self.frame_count - 1)

    def row_at(self, y: float) -> TrackRow | None:
        index = int((y - RULER_H) // (ROW_H + ROW_GAP))
        return self.rows[index] if y >= RULER_H and 0 <= index < len(self.rows) else None

    def _row_rect(self, index: int) -> QRect:
        top = RULER_H + ROW_GAP + index * (ROW_H + ROW_GAP)
        return QRect(LABEL_W, top, self.track_width(), ROW_H)

    # -- painting --------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(36, 38, 42))
        if self.frame_count <= 0:
            painter.setPen(QColor(150, 150, 150))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No video")
            return
        self._paint_ruler(painter)
        width = self.track_width()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        for index, row in enumerate(self.rows):
            rect = self._row_rect(index)
            if row.object_id == self.selected:
                painter.fillRect(
                    QRect(0, rect.top() - 2, self.width(), ROW_H + 4), QColor(70, 84, 104)
                )
            painter.fillRect(rect, ROW_BG)
            band, keys, flags = self._row_images(row, width)
            painter.drawImage(rect, band)
            painter.drawImage(QRect(rect.left(), rect.top(), rect.width(), ROW_H * 2 // 5), keys)
            lane = ROW_H // 3
            painter.drawImage(
                QRect(rect.left(), rect.bottom() - lane + 1, rect.width(), lane), flags
            )
            painter.fillRect(QRect(6, rect.top() + 4, 10, 10), row.color)
            painter.setPen(QColor(230, 230, 230))
            text_rect = QRect(22, rect.top(), LABEL_W - 26, ROW_H)
            name = painter.fontMetrics().elidedText(
                row.name, Qt.TextElideMode.ElideRight, LABEL_W - 26
            )
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter, name)
        if not self.rows:
            painter.setPen(QColor(150, 150, 150))
            painter.drawText(
                self._row_rect(0), Qt.AlignmentFlag.AlignVCenter, "  no objects yet: click on one"
            )
        self._paint_playhead(painter)

    def _row_images(self, row: TrackRow, width: int) -> tuple[QImage, QImage, QImage]:
        key = (row.object_id, width)
        cached = self._images.get(key)
        if cached is None or cached[0].width() != width:
            band, keys = bin_row(row, width)
            flags = bin_flags(row, width)
            cached = self._images[key] = tuple(_argb_image(p) for p in (band, keys, flags))
        return cached

    def _paint_ruler(self, painter: QPainter) -> None:
        painter.fillRect(QRect(LABEL_W, 0, self.track_width(), RULER_H), QColor(44, 47, 52))
        if self.loop is not None:
            x0, x1 = self.frame_x(self.loop[0] - 0.5), self.frame_x(self.loop[1] + 0.5)
            painter.fillRect(
                QRect(int(x0), 0, max(int(x1 - x0), 2), self.height()), QColor(90, 140, 220, 60)
            )
        per_frame = self.track_width() / self.frame_count
        step = nice_step(70 / per_frame)
        painter.setPen(QColor(160, 163, 170))
        font = painter.font()
        font.setPointSizeF(max(font.pointSizeF() - 1.5, 7.0))
        painter.setFont(font)
        for frame in range(0, self.frame_count, step):
            x = int(self.frame_x(frame))
            painter.drawLine(x, RULER_H - 7, x, RULER_H - 1)
            painter.drawText(x + 3, RULER_H - 8, str(frame))
        minor = max(step // 5, 1)
        if minor * per_frame >= 6:
            for frame in range(0, self.frame_count, minor):
                x = int(self.frame_x(frame))
                painter.drawLine(x, RULER_H - 3, x, RULER_H - 1)

    def _paint_playhead(self, painter: QPainter) -> None:
        x = self.frame_x(self.current)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor(255, 90, 60), 2))
        painter.drawLine(QPointF(x, 4), QPointF(x, self.height()))
        head = QPainterPath()
        head.addPolygon(QPolygonF([QPointF(x - 6, 0), QPointF(x + 6, 0), QPointF(x, 8)]))
        painter.fillPath(head, QColor(255, 90, 60))

    # -- mouse -----------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        pos = event.position()
        row = self.row_at(pos.y())
        frame = self.frame_at(pos.x())
        if row is not None:
            self.objectClicked.emit(row.object_id)
        if event.button() == Qt.MouseButton.RightButton:
            if row is not None:
                self.rowMenuRequested.emit(row.object_id, frame, event.globalPosition().toPoint())
            return
        if event.button() == Qt.MouseButton.LeftButton and pos.x() >= LABEL_W:
            self._dragging, self._last_scrub = True, frame
            self.frameRequested.emit(frame)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if self._dragging:
            frame = self.frame_at(event.position().x())
            if frame != self._last_scrub:
                self._last_scrub = frame
                self.scrubbed.emit(frame)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if self._dragging and event.button() == Qt.MouseButton.LeftButton:
            self._dragging = False
            self.scrubFinished.emit(self.frame_at(event.position().x()))

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip and self.frame_count > 0:
            pos = event.position() if hasattr(event, "position") else QPointF(event.pos())
            frame = self.frame_at(pos.x())
            row = self.row_at(pos.y())
            text = f"frame {frame}"
            if row is not None:
                text = f"{row.name}: frame {frame}, {row.state_at(frame)}"
            QToolTip.showText(event.globalPos(), text, self)
            return True
        return super().event(event)
