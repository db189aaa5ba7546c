"""Active annotation time per media item, fed by the window's input events.

An application-wide event filter sees every click, key, wheel turn and drag in this window and
reports it to the store's ``ActivityTracker`` with the media item on screen; the tracker counts
the time between events on one item and drops pauses longer than the idle threshold. Hovering
counts at most once a second (a reviewer looking with the mouse still works). Pending time is
written when the media changes, the window loses focus, every 30 seconds and on close.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from videoseg_desktop.store.effort import DEFAULT_IDLE_S, FLUSH_EVERY_S

INPUT_EVENTS = {
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.KeyPress,
    QEvent.Type.Wheel,
    QEvent.Type.TabletPress,
}
MOVE_EVERY_S = 1.0
log = logging.getLogger(__name__)


class ActivityMonitor(QObject):
    def __init__(
        self,
        window: QWidget,
        clock: Callable[[], float] = time.monotonic,
        idle_s: float = DEFAULT_IDLE_S,
    ):
        super().__init__(window)
        self.window, self.clock, self.idle_s = window, clock, idle_s
        self.session = None
        self.tracker = None
        self._last_event: tuple[int, int] | None = None  # (type, timestamp): one per delivery
        self._last_move = -1e18
        self._timer = QTimer(self)
        self._timer.setInterval(int(FLUSH_EVERY_S * 1000))
        self._timer.timeout.connect(self.flush)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
            app.applicationStateChanged.connect(self._on_app_state)

    def set_session(self, session) -> None:
        if self.session is not None:
            self.flush()
            self.session.mediaChanged.disconnect(self._on_media)
        self.session = session
        self.tracker = None
        if session is not None:
            self.tracker = session.project.activity_tracker(
                idle_s=self.idle_s, clock=lambda: self.clock()
            )
            session.mediaChanged.connect(self._on_media)
            self._timer.start()
        else:
            self._timer.stop()

    def activity(self) -> None:
        """One input event on the current media item."""
        if self.tracker is not None and self.session is not None:
            media = self.session.media_id
            self.tracker.activity(media if media >= 0 else None)

    def flush(self) -> None:
        if self.tracker is not None:
            try:
                self.tracker.flush()
            except Exception as exc:  # bookkeeping: a full disk must not stop the work
                log.warning("could not record active time: %s", exc)

    def _on_media(self, _media_id: int) -> None:
        # The next event's gap still counts for the item the last event was on (the tracker's
        # rule); what has built up so far is written now.
        self.flush()

    def _on_app_state(self, state) -> None:
        if self.tracker is not None and state != Qt.ApplicationState.ApplicationActive:
            self.tracker.pause()  # time away from the window is not work on the item
            self.flush()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt API)
        kind = event.type()
        if self.tracker is None or (kind not in INPUT_EVENTS and kind != QEvent.Type.MouseMove):
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self.window:
            return False
        # A key or mouse event a widget ignores goes on to its parents: count it once.
        if kind == QEvent.Type.KeyPress:
            if watched is not (QApplication.focusWidget() or self.window):
                return False
        else:
            stamp = (int(kind), event.timestamp())
            if stamp == self._last_event:
                return False
            self._last_event = stamp
        if kind == QEvent.Type.MouseMove:
            now = self.clock()
            if now - self._last_move < MOVE_EVERY_S:
                return False
            self._last_move = now
        self.activity()
        return False

    def close(self) -> None:
        self.set_session(None)
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
