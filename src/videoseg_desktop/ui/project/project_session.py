"""What the window is looking at: the open project, the current media, frame, object and label.

Views observe the session's signals and the store's events; every change of what is current is
written to ``project.ui_state`` so that reopening the project shows the same place.
"""

from __future__ import annotations

import json
import logging

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import Label, MediaItem, ObjectRecord
from videoseg_desktop.ui.project.scrub_builds import ScrubProxyBuilds
from videoseg_desktop.ui.project.store_events import StoreEvents

log = logging.getLogger(__name__)
NONE = -1


class ProjectSession(QObject):
    mediaChanged = Signal(int)  # current media id, or -1
    frameChanged = Signal(int)
    objectChanged = Signal(int)  # selected object id, or -1 (the next click starts a new one)
    labelChanged = Signal(int)  # label for new objects, or -1
    visibilityChanged = Signal()
    imageReplaced = Signal(int)  # the exact frame replaced the scrub preview of this frame
    errorOccurred = Signal(str)

    def __init__(self, project, parent: QObject | None = None):
        super().__init__(parent)
        self.project = project
        self.events = StoreEvents(project, self)
        self.undo_stack = QUndoStack(self)
        self.media_id = NONE
        self.frame = 0
        self.object_id = NONE
        self.label_id = NONE
        self.hidden: set[int] = set()
        self.filtered: set[int] = set()
        # The playhead is moving (playback, scrubbing): skip work that pays off on a still frame.
        self.moving = False
        self._media: MediaItem | None = None
        self._frames = None  # frame source of the current media
        self._image: tuple[tuple[int, int], np.ndarray] | None = None
        self._preview = False  # _image is a scrub proxy picture, not the decoded frame
        # Scrub proxies of imported videos, built in the background; held while moving.
        self.scrub_builds = ScrubProxyBuilds(project, self)
        self.events.mediaChanged.connect(self._on_media_rows)
        self.events.objectsChanged.connect(self._on_objects)
        self.events.labelsChanged.connect(self._on_labels)

    # -- state -----------------------------------------------------------------------------
    def restore(self) -> None:
        """Go back to where the last session left off (or to the first media and label)."""
        state = self.project.ui_state
        labels = self.project.labels.list()
        label_id = _int(state.get("label_id"), NONE)
        if label_id not in {lb.id for lb in labels}:
            label_id = labels[0].id if labels else NONE
        self.set_label(label_id)
        self.hidden = _id_set(state.get("hidden_objects"))
        media_id = _int(state.get("media_id"), NONE)
        ids = self.project.media.ids()
        if media_id not in ids:
            media_id = ids[0] if ids else NONE
        frame = _int(state.get("frame"), 0)
        self.set_media(media_id, frame)
        object_id = _int(state.get("object_id"), NONE)
        if object_id != NONE and self.has_object(object_id):
            self.set_object(object_id)

    def set_media(self, media_id: int, frame: int = 0) -> None:
        if media_id == self.media_id and media_id != NONE:
            self.set_frame(frame)
            return
        self._close_frames()
        self.media_id, self._media = NONE, None
        if media_id != NONE:
            try:
                self._media = self.project.media.get(media_id)
                self.media_id = media_id
            except VideoSegError as exc:
                self.errorOccurred.emit(str(exc))
        count = self._media.frame_count if self._media else 1
        self.frame = min(max(int(frame), 0), max(count - 1, 0))
        self.object_id = NONE
        self._save("media_id", self.media_id)
        self._save("frame", self.frame)
        self.mediaChanged.emit(self.media_id)
        self.objectChanged.emit(NONE)

    def set_frame(self, frame: int) -> None:
        count = self._media.frame_count if self._media else 1
        frame = min(max(int(frame), 0), max(count - 1, 0))
        if frame == self.frame:
            return
        self.frame = frame
        if not self.moving:  # while playing, remembered once it stops (set_moving)
            self._save("frame", frame)
        self.frameChanged.emit(frame)

    def set_moving(self, moving: bool) -> None:
        """Playback or scrubbing starts or stops; the frame it stopped on is remembered."""
        self.moving = bool(moving)
        self.scrub_builds.hold("moving", self.moving)  # decoding time goes to the playhead
        if not moving:
            self._save("frame", self.frame)

    def show_frame(self, frame: int, rgb: np.ndarray) -> None:
        """Go to ``frame`` whose pixels were decoded elsewhere (playback's read-ahead thread)."""
        replaced = self._preview and self._image is not None and self._image[0][1] == frame
        if self._media is not None and 0 <= frame < self._media.frame_count:
            self._image = ((self.media_id, int(frame)), rgb)
            self._preview = False
        if replaced and frame == self.frame:
            self.imageReplaced.emit(frame)
        self.set_frame(frame)

    def show_preview(self, frame: int, rgb: np.ndarray) -> None:
        """While the playhead moves: a stand-in picture of ``frame`` (the scrub proxy's).

        ``image()`` hands it out only while moving; anything after that (a click, inference)
        gets the exact frame.
        """
        if self._media is not None and 0 <= frame < self._media.frame_count:
            self._image = ((self.media_id, int(frame)), rgb)
            self._preview = True
        self.set_frame(frame)

    def set_object(self, object_id: int) -> None:
        if object_id == self.object_id:
            return
        self.object_id = object_id
        self._save("object_id", object_id)
        self.objectChanged.emit(object_id)

    def set_label(self, label_id: int) -> None:
        if label_id == self.label_id:
            return
        self.label_id = label_id
        self._save("label_id", label_id)
        self.labelChanged.emit(label_id)

    def set_hidden(self, object_id: int, hidden: bool) -> None:
        if hidden == (object_id in self.hidden):
            return
        (self.hidden.add if hidden else self.hidden.discard)(object_id)
        self._save("hidden_objects", json.dumps(sorted(self.hidden)))
        self.visibilityChanged.emit()

    def set_filtered(self, object_ids: set[int]) -> None:
        """Objects a view filter hides for now (suggestions under the score threshold); not
        saved, unlike ``hidden``."""
        if set(object_ids) == self.filtered:
            return
        self.filtered = set(object_ids)
        self.visibilityChanged.emit()

    def _save(self, key: str, value) -> None:
        if self.project.read_only:
            return
        try:
            self.project.ui_state.set(key, str(value))
        except VideoSegError as exc:  # the view state is a convenience: never block on it
            log.warning("could not save %s: %s", key, exc)

    # -- reads -----------------------------------------------------------------------------
    @property
    def media(self) -> MediaItem | None:
        return self._media

    def objects(self) -> list[ObjectRecord]:
        return self.project.objects.list(self.media_id) if self.media_id != NONE else []

    def labels(self) -> list[Label]:
        return self.project.labels.list()

    def label_by_id(self, label_id: int | None) -> Label | None:
        if label_id is None or label_id == NONE:
            return None
        return self.project.labels.by_id(label_id)

    def image(self) -> np.ndarray | None:
        """The current frame as RGB uint8 (cached until the media or frame changes)."""
        if self._media is None:
            return None
        key = (self.media_id, self.frame)
        if self._image is not None and self._image[0] == key and (self.moving or not self._preview):
            return self._image[1]
        if self._frames is None:
            self._frames = self.project.open_frames(self._media)
        rgb = self._frames.read(self.frame)
        self._image, self._preview = (key, rgb), False
        return rgb

    def media_ids(self) -> list[int]:
        return self.project.media.ids()

    def has_object(self, object_id: int) -> bool:
        return any(o.id == object_id for o in self.objects())

    # -- store events ----------------------------------------------------------------------
    def _on_media_rows(self, ids: tuple) -> None:
        if self.media_id == NONE or (ids and self.media_id not in ids):
            return
        try:
            self._media = self.project.media.get(self.media_id)
        except VideoSegError:  # deleted: move to a neighbour
            remaining = self.project.media.ids()
            later = [i for i in remaining if i > self.media_id]
            self.media_id = NONE
            self.set_media(later[0] if later else (remaining[-1] if remaining else NONE))

    def _on_objects(self, ids: tuple) -> None:
        if self.object_id != NONE and not self.has_object(self.object_id):
            self.set_object(NONE)

    def _on_labels(self, ids: tuple) -> None:
        labels = self.project.labels.list()
        if self.label_id not in {lb.id for lb in labels}:
            self.set_label(labels[0].id if labels else NONE)

    def _close_frames(self) -> None:
        if self._frames is not None:
            try:
                self._frames.close()
            except Exception:  # closing a reader must never take the window down
                log.exception("closing frames")
        self._frames, self._image = None, None

    def close(self) -> None:
        self.scrub_builds.close()
        self._close_frames()
        self.events.close()
        self.undo_stack.clear()


def _id_set(text) -> set[int]:
    """A stored JSON list of ids; anything else (the project may come from anyone) is empty."""
    if not isinstance(text, str) or len(text) > 1_000_000:
        return set()
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return set()
    if not isinstance(value, list):
        return set()
    return {v for v in value if isinstance(v, int) and not isinstance(v, bool)}


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
