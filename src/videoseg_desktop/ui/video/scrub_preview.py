"""Pictures shown while the playhead is dragged, from the video's scrub proxy in ``cache/scrub/``.

On a long-GOP video an exact frame can take a second to decode; the proxy (media/scrub_proxy)
answers in milliseconds. ``ScrubPreview`` opens the current video's proxy; without one it asks
the session's background builds (ui/project/scrub_builds, which also build every video after
import) to build this video's next, and opens it once built. Pictures are scaled to the video's
size so masks overlay them. The exact frame always replaces the picture, and masks are computed
on exact frames only (ProjectSession.show_preview).
"""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QObject

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.media.scrub_proxy import open_scrub_proxy
from videoseg_desktop.ui.project import scrub_builds


class ScrubPreview(QObject):
    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.proxy = None
        self._media = None
        self._builds = None

    def set_media(self, builds, media) -> None:
        """Use (or have built) the proxy of ``media`` (``builds``: the session's
        ScrubProxyBuilds); None or a short video turns it off."""
        self.close()
        if builds is None or media is None or media.frame_count < scrub_builds.MIN_FRAMES:
            return
        self._builds, self._media = builds, media
        builds.built.connect(self._on_built)
        self.proxy = open_scrub_proxy(builds.folder(media), media.frame_count)
        if self.proxy is None:
            builds.prefer(media)  # read-only projects: none is built, exact frames only

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
        if self._builds is not None:
            self._builds.built.disconnect(self._on_built)
        if self.proxy is not None:
            self.proxy.close()
        self.proxy = self._media = self._builds = None

    def _on_built(self, media_id: int) -> None:
        if self._media is not None and self._media.id == media_id and self.proxy is None:
            self.proxy = open_scrub_proxy(self._builds.folder(self._media), self._media.frame_count)
