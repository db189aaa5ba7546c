"""Pictures shown while the playhead is dragged, from the video's scrub proxy in ``cache/scrub/``.

On a long-GOP video an exact frame can take a second to decode; the proxy (media/scrub_proxy)
answers in milliseconds. ``ScrubPreview`` opens the current video's proxy, or builds it on a
background thread the first time the video is opened in the studio (cancelled when another
video is opened or the window closes), and hands out proxy pictures scaled to the video's size
so masks overlay them. The exact frame always replaces the picture, and masks are computed on
exact frames only (ProjectSession.show_preview).
"""

from __future__ import annotations

import logging
import threading

import cv2
import numpy as np
from PySide6.QtCore import QObject, Qt, Signal

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.media.scrub_proxy import build_scrub_proxy, open_scrub_proxy, proxy_dir

log = logging.getLogger(__name__)
MIN_FRAMES = 60  # shorter videos decode fast enough without a proxy


class ScrubPreview(QObject):
    ready = Signal(int)  # media id whose proxy was just built (delivered on the GUI thread)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.proxy = None
        self._media = None
        self._cancel: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._project = None
        self.ready.connect(self._on_ready, Qt.ConnectionType.QueuedConnection)

    def set_media(self, project, media) -> None:
        """Use (or start building) the proxy of ``media``; None or an image turns it off."""
        self.close()
        if project is None or media is None or media.frame_count < MIN_FRAMES:
            return
        self._project, self._media = project, media
        folder = self._folder()
        self.proxy = open_scrub_proxy(folder, media.frame_count)
        if self.proxy is None:  # cache_dir is writable even for read-only projects
            self._cancel = threading.Event()
            self._thread = threading.Thread(
                target=self._build, args=(project, media, folder, self._cancel),
                name="scrub-proxy", daemon=True,
            )  # fmt: skip
            self._thread.start()

    def picture(self, frame: int) -> np.ndarray | None:
        """The proxy picture of ``frame`` at the video's size, or None without a proxy."""
        if self.proxy is None or self._media is None:
            return None
        try:
            small = self.proxy.read(frame)
        except (OSError, VideoSegError):
            self.proxy = None  # damaged: scrub with exact frames only
            return None
        return cv2.resize(small, (self._media.width, self._media.height), cv2.INTER_LINEAR)

    def close(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._cancel = self._thread = None
        if self.proxy is not None:
            self.proxy.close()
        self.proxy = self._media = self._project = None

    def _folder(self):
        key = f"{self._media.id}-{self._media.sha256[:16]}"
        return proxy_dir(self._project.cache_dir, key)

    def _build(self, project, media, folder, cancel: threading.Event) -> None:
        try:
            with project.open_frames(media) as frames:
                if build_scrub_proxy(frames, folder, cancel=cancel):
                    self.ready.emit(media.id)
        except (OSError, VideoSegError) as exc:  # a convenience: never an error dialog
            log.warning("no scrub proxy for %s: %s", media.original_name, exc)

    def _on_ready(self, media_id: int) -> None:
        if self._media is not None and self._media.id == media_id and self.proxy is None:
            self.proxy = open_scrub_proxy(self._folder(), self._media.frame_count)
