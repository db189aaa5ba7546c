"""The status bar's note of scrub proxies being built: which video, how far, how many left,
paused while the user plays or tracks, and a button to stop building. Hidden when idle."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.text import plural


class ScrubBuildStatus(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.builds = None
        self._names: dict[int, str] = {}
        self._last: tuple[int, int, int, int] | None = None
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(110)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.stop = QToolButton()
        self.stop.setText("Stop")
        self.stop.setAutoRaise(True)
        self.stop.setToolTip(
            "Stop building scrub previews; a video still gets its own when it is opened"
        )
        self.stop.clicked.connect(self._stop)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.label, self.bar, self.stop):
            layout.addWidget(widget)
        self.setToolTip(
            "Small previews that make dragging the playhead instant on long videos, built in "
            "the background after import (paused while you play, track or import)."
        )
        self.hide()

    def set_builds(self, builds) -> None:
        if self.builds is not None:
            for signal, slot in self._connections():
                signal.disconnect(slot)
        self.builds, self._names, self._last = builds, {}, None
        self.hide()
        if builds is not None:
            for signal, slot in self._connections():
                signal.connect(slot)

    def _connections(self):
        b = self.builds
        return [(b.progressed, self._on_progress), (b.idle, self.hide),
                (b.heldChanged, self._refresh)]  # fmt: skip

    def _on_progress(self, media_id: int, done: int, total: int, left: int) -> None:
        self._last = (media_id, done, total, left)
        self._refresh()

    def _refresh(self, *_args) -> None:
        if self._last is None or self.builds is None:
            return
        media_id, done, total, left = self._last
        if not self.builds.pending():
            self.hide()
            return
        more = f" (+{plural(left - 1, 'more video')})" if left > 1 else ""
        state = (
            "paused while you play, track or import"
            if self.builds.held
            else f"{done * 100 // total}%"
        )
        self.label.setText(f"Scrub previews: {self._name(media_id)} {state}{more}")
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.show()

    def _name(self, media_id: int) -> str:
        if media_id not in self._names:
            try:
                name = self.builds.project.media.get(media_id).original_name
            except VideoSegError:
                name = "a video"
            self._names[media_id] = name if len(name) <= 32 else name[:29] + "…"
        return self._names[media_id]

    def _stop(self) -> None:
        if self.builds is not None:
            self.builds.cancel()
        self.hide()
