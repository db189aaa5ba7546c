"""Onion skin: the outline of each object's mask on the previous frame, over the current one.

Seeing where the mask was a frame ago makes drift and jumps in a track obvious while stepping
or playing. It is drawn as a dashed outline in the object's colour on the pixel edges (so it
lines up with the overlays at any zoom), below the prompt markers.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem

from videoseg_desktop.core.masks import decode_rle
from videoseg_desktop.ui.canvas.canvas_presenter import UNLABELED_COLOR
from videoseg_desktop.ui.canvas.mask_geometry import outline_segments
from videoseg_desktop.ui.canvas.overlay_items import cosmetic_pen

ONION_Z = 400.0  # above mask overlays (10), below prompt markers (500)


def outline_path(mask) -> QPainterPath:
    path = QPainterPath()
    for x0, y0, x1, y1 in outline_segments(mask).tolist():
        path.moveTo(x0, y0)
        path.lineTo(x1, y1)
    return path


class OnionSkin(QObject):
    """Keeps one dashed outline item per visible object showing its mask on ``frame - 1``."""

    def __init__(self, canvas, parent: QObject | None = None):
        super().__init__(parent)
        self.canvas = canvas
        self.session = None
        self.enabled = False
        self.items: dict[int, QGraphicsPathItem] = {}

    def set_session(self, session) -> None:
        if self.session is not None:
            for signal in (self.session.frameChanged, self.session.mediaChanged):
                signal.disconnect(self.refresh)
            self.session.visibilityChanged.disconnect(self.refresh)
            self.session.events.masksChanged.disconnect(self.refresh)
            self.session.events.objectsChanged.disconnect(self.refresh)
        self.session = session
        if session is not None:
            for signal in (session.frameChanged, session.mediaChanged):
                signal.connect(self.refresh)
            session.visibilityChanged.connect(self.refresh)
            session.events.masksChanged.connect(self.refresh)
            session.events.objectsChanged.connect(self.refresh)
        self.refresh()

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = bool(enabled)
        self.refresh()

    def refresh(self, *_args) -> None:
        session = self.session
        wanted: dict[int, tuple[QPainterPath, QColor]] = {}
        if self.enabled and session is not None and session.media is not None and session.frame > 0:
            colors = {lb.id: lb.color for lb in session.labels()}
            for obj in session.objects():
                if obj.id in session.hidden:
                    continue
                record = session.project.masks.get(obj.id, session.frame - 1)
                if record is None or not record.area:
                    continue
                color = QColor(colors.get(obj.label_id, UNLABELED_COLOR)).lighter(150)
                wanted[obj.id] = (outline_path(decode_rle(record.rle)), color)
        scene = self.canvas.scene()
        for object_id in [o for o in self.items if o not in wanted]:
            scene.removeItem(self.items.pop(object_id))
        for object_id, (path, color) in wanted.items():
            item = self.items.get(object_id)
            if item is None:
                item = self.items[object_id] = QGraphicsPathItem()
                item.setZValue(ONION_Z)
                item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
                scene.addItem(item)
            item.setPen(cosmetic_pen(color, 2.0, Qt.PenStyle.DashLine))
            item.setPath(path)
