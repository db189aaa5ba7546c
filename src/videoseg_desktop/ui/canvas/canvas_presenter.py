"""Keeps the canvas showing the store: the current frame, its masks and prompts, in label colours.

It reacts to the session (what is current) and to store events (what changed), decoding only
the masks that changed.
"""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import decode_rle
from videoseg_desktop.core.records import ObjectState
from videoseg_desktop.ui.canvas.canvas_view import CanvasView
from videoseg_desktop.ui.project.project_session import ProjectSession

log = logging.getLogger(__name__)
UNLABELED_COLOR = "#9E9E9E"


class CanvasPresenter(QObject):
    imageShown = Signal(int, int)  # media id, frame
    errorOccurred = Signal(str)

    def __init__(self, session: ProjectSession, canvas: CanvasView, parent=None):
        super().__init__(parent)
        self.session, self.canvas = session, canvas
        self.project = session.project
        self._decoded: dict[tuple[int, int], tuple[str, np.ndarray]] = {}
        self._colors: dict[int, QColor] = {}
        self._suggested: set[int] = set()
        self._shown: tuple[int, int] | None = None
        session.mediaChanged.connect(self._on_media)
        session.frameChanged.connect(self._on_frame)
        session.imageReplaced.connect(self._on_image_replaced)
        session.objectChanged.connect(self._on_selection)
        session.visibilityChanged.connect(self._apply_visibility)
        events = session.events
        events.masksChanged.connect(self._on_masks)
        events.objectsChanged.connect(lambda _ids: self.refresh_overlays())
        events.labelsChanged.connect(lambda _ids: self.refresh_overlays())
        events.promptsChanged.connect(lambda _ids: self.refresh_prompts())

    def prime(self, object_id: int, frame: int, mask: np.ndarray, counts: str) -> None:
        """Hand over a mask already in memory so it is not decoded again from the store."""
        self._decoded[(object_id, frame)] = (counts, mask)

    # -- session ---------------------------------------------------------------------------
    def _on_media(self, media_id: int) -> None:
        self._decoded.clear()
        self.show_current(keep_view=False)

    def _on_frame(self, frame: int) -> None:
        # Only the shown frame's masks stay decoded: playing a long video must not pile them up.
        self._decoded = {k: v for k, v in self._decoded.items() if k[1] == frame}
        self.show_current(keep_view=True)

    def _on_image_replaced(self, _frame: int) -> None:
        self.show_current(keep_view=True)  # the exact frame, in place of the scrub preview

    def show_current(self, keep_view: bool = True) -> None:
        session = self.session
        if session.media is None:
            self.canvas.set_image(None)
            self._shown = None
            return
        try:
            image = session.image()
        except VideoSegError as exc:
            self.canvas.set_image(None)
            self.errorOccurred.emit(str(exc))
            return
        self.canvas.set_image(image, keep_view=keep_view)
        self._shown = (session.media_id, session.frame)
        self.refresh_overlays()
        self.refresh_prompts()
        self.imageShown.emit(session.media_id, session.frame)

    def _on_selection(self, object_id: int) -> None:
        self.canvas.set_selected_object(object_id)

    # -- overlays --------------------------------------------------------------------------
    def refresh_overlays(self) -> None:
        if self._shown is None:
            return
        labels = {lb.id: lb.color for lb in self.project.labels.list()}
        objects = self.session.objects()
        self._colors = {o.id: QColor(labels.get(o.label_id, UNLABELED_COLOR)) for o in objects}
        self._suggested = {o.id for o in objects if o.state == ObjectState.SUGGESTED}
        for object_id in list(self.canvas.overlays):
            if object_id not in self._colors:
                self.canvas.set_overlay(object_id, None, QColor())
        for object_id in self._colors:
            self._update_overlay(object_id)
        self._apply_visibility()
        self.canvas.set_selected_object(self.session.object_id)

    def _on_masks(self, object_ids: tuple) -> None:
        if self._shown is None:
            return
        if not object_ids:
            self.refresh_overlays()
            return
        for object_id in object_ids:
            if object_id in self._colors:
                self._update_overlay(object_id)
        self._apply_visibility()

    def _update_overlay(self, object_id: int) -> None:
        frame = self.session.frame
        record = self.project.masks.get(object_id, frame)
        if record is None:
            self._decoded.pop((object_id, frame), None)
            self.canvas.set_overlay(object_id, None, QColor())
            return
        cached = self._decoded.get((object_id, frame))
        if cached is not None and cached[0] == record.rle["counts"]:
            mask = cached[1]
        else:
            mask = decode_rle(record.rle)
            self._decoded[(object_id, frame)] = (record.rle["counts"], mask)
        color = self._colors.get(object_id, QColor(UNLABELED_COLOR))
        self.canvas.set_overlay(object_id, mask, color)
        self.canvas.set_overlay_suggested(object_id, object_id in self._suggested)

    def _apply_visibility(self) -> None:
        for object_id in self.canvas.overlays:
            hidden = object_id in self.session.hidden or object_id in self.session.filtered
            self.canvas.set_overlay_visible(object_id, not hidden)
        self.refresh_prompts()

    # -- prompts ---------------------------------------------------------------------------
    def refresh_prompts(self) -> None:
        if self._shown is None:
            return
        frame = self.session.frame
        shown = []
        for obj in self.session.objects():
            if obj.id in self.session.hidden:
                continue
            color = self._colors.get(obj.id, QColor(UNLABELED_COLOR))
            shown += [(p, color) for p in self.project.prompts.list(obj.id, frame)]
        self.canvas.set_prompts(shown)
        self.canvas.set_selected_object(self.session.object_id)

    def current_mask(self, object_id: int) -> np.ndarray | None:
        """The decoded mask of ``object_id`` on the current frame (for tools), or None."""
        entry = self._decoded.get((object_id, self.session.frame))
        return entry[1] if entry is not None else None

    @property
    def shown(self) -> tuple[int, int] | None:
        return self._shown
