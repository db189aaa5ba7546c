"""Everything the video studio adds to the window: the timeline dock, playback, tracking,
per-track editing and the onion skin, with their actions in a Video menu.

The main window plugs it in with one line, ``self.video = VideoStudio.install(self)``; the dock
follows the open project like the other session views, so tracking stops and its last results
are stored before the project closes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QMenu

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.ui.canvas.onion_skin import OnionSkin
from videoseg_desktop.ui.project.undo_commands import SetObjectLabelCommand, push_command
from videoseg_desktop.ui.theme.fields import field_value
from videoseg_desktop.ui.theme.icons import decorate, icon
from videoseg_desktop.ui.video.playback import PlaybackController
from videoseg_desktop.ui.video.scrub_status import ScrubBuildStatus
from videoseg_desktop.ui.video.timeline_dock import TimelineDock
from videoseg_desktop.ui.video.track_edit_commands import (
    LAST_FRAME,
    DeleteTrackRangeCommand,
    MergeTracksCommand,
    SplitTrackCommand,
)
from videoseg_desktop.ui.video.track_menu import RangeDialog, fill_row_menu
from videoseg_desktop.ui.video.tracking_controller import TrackingController

ACTIONS = (  # attribute, menu text, shortcuts, checkable
    ("play", "&Play / Pause", ["Space"], False),
    ("previous_frame", "Previous Frame", [","], False),
    ("next_frame", "Next Frame", ["."], False),
    # "<" and ">" alone: "Shift+," beside them made one key press match twice (an ambiguous,
    # dead shortcut on US layouts), and "<" is Shift+< elsewhere.
    ("back_ten", "Back 10 Frames", ["<"], False),
    ("forward_ten", "Forward 10 Frames", [">"], False),
    ("first_frame", "First Frame", ["Home"], False),
    ("last_frame", "Last Frame", ["End"], False),
    (None, None, None, None),
    ("loop_in", "Loop Start at Current Frame", ["I"], False),
    ("loop_out", "Loop End at Current Frame", ["O"], False),
    ("loop", "&Loop Playback", ["L"], True),
    ("onion_skin", "&Onion Skin (Previous Frame's Outline)", ["Shift+O"], True),
    (None, None, None, None),
    ("track_forward", "Track &Forward", ["T"], False),
    ("track_backward", "Track &Backward", ["Shift+T"], False),
    ("track_both", "Track Both &Ways", ["Ctrl+T"], False),
    ("cancel_tracking", "&Cancel Tracking", ["Shift+Escape"], False),
    (None, None, None, None),
    ("delete_range", "&Delete Track Frames…", ["Ctrl+Shift+Delete"], False),
    ("split_track", "&Split Track at Current Frame", ["Ctrl+Shift+K"], False),
)


class VideoActions:
    def __init__(self, add_action, menu: QMenu):
        self.all = []
        for name, text, keys, checkable in ACTIONS:
            if name is None:
                menu.addSeparator()
                continue
            action = add_action(menu, text, keys)
            action.setCheckable(checkable)
            decorate(action, name)  # its icon, and a tool tip with every shortcut
            setattr(self, name, action)
            self.all.append(action)
        self.merge_menu = menu.addMenu("&Merge Selected Track Into")
        self.label_menu = menu.addMenu("Change Selected Object's &Label")


class VideoStudio(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window, self.canvas, self.client = window, window.canvas, window.client
        self.session = self.tracking = None
        menu = QMenu("&Video", window)
        window.menuBar().insertMenu(window.actions.help_menu.menuAction(), menu)
        self.menu = menu
        self.actions = VideoActions(lambda m, t, k: window.actions.add(m, t, k), menu)
        self.dock = TimelineDock(self.actions, window)
        self.dock.set_session = self.set_session  # the window calls it as for any session view
        self.playback = PlaybackController(self)
        self.onion = OnionSkin(self.canvas, self)
        self.scrub_status = ScrubBuildStatus(window)
        window.statusBar().addWidget(self.scrub_status)
        self._space_dragged = True
        self._wire()
        self._enable()

    @classmethod
    def install(cls, window) -> VideoStudio:
        studio = cls(window)
        window.add_dock(studio.dock, Qt.DockWidgetArea.BottomDockWidgetArea)
        return studio

    def _wire(self) -> None:
        a, dock = self.actions, self.dock
        a.play.triggered.connect(self.playback.toggle)
        a.previous_frame.triggered.connect(lambda: self.step(-1))
        a.next_frame.triggered.connect(lambda: self.step(1))
        a.back_ten.triggered.connect(lambda: self.step(-10))
        a.forward_ten.triggered.connect(lambda: self.step(10))
        a.first_frame.triggered.connect(lambda: self.go_to(0))
        a.last_frame.triggered.connect(lambda: self.go_to(LAST_FRAME))
        a.loop_in.triggered.connect(lambda: self.set_loop_end(0))
        a.loop_out.triggered.connect(lambda: self.set_loop_end(1))
        a.loop.toggled.connect(self.playback.set_loop_enabled)
        a.onion_skin.toggled.connect(self.onion.set_enabled)
        a.track_forward.triggered.connect(lambda: self.track("forward"))
        a.track_backward.triggered.connect(lambda: self.track("backward"))
        a.track_both.triggered.connect(lambda: self.track("both"))
        a.cancel_tracking.triggered.connect(lambda: self.tracking and self.tracking.cancel())
        a.delete_range.triggered.connect(lambda: self.ask_delete_range(self._selected()))
        a.split_track.triggered.connect(lambda: self.split(self._selected()))
        a.merge_menu.aboutToShow.connect(lambda: self._fill_row_menu(a.merge_menu, "merge"))
        a.label_menu.aboutToShow.connect(lambda: self._fill_row_menu(a.label_menu, "label"))
        self.playback.playingChanged.connect(self._on_playing)
        self.playback.rateMeasured.connect(dock.show_rate)
        self.playback.settled.connect(self._precompute)
        self.playback.errorOccurred.connect(self.window.show_error)
        dock.frameEntered.connect(self.go_to)
        ov = dock.overview
        ov.frameRequested.connect(self.seek)
        ov.scrubbed.connect(self.playback.scrub_to)
        ov.scrubFinished.connect(self.playback.end_scrub)
        ov.objectClicked.connect(lambda oid: self.session and self.session.set_object(oid))
        ov.rowMenuRequested.connect(self._row_menu)
        self.canvas.installEventFilter(self)
        self.canvas.viewport().installEventFilter(self)

    # -- session ---------------------------------------------------------------------------
    def set_session(self, session) -> None:
        if self.tracking is not None:
            self.tracking.detach()
            self.tracking.deleteLater()
            self.tracking = None
        if self.session is not None:
            self.session.mediaChanged.disconnect(self._enable)
            self.session.objectChanged.disconnect(self._enable)
        self.session = session
        self.playback.set_session(session)
        self.onion.set_session(session)
        TimelineDock.set_session(self.dock, session)
        self.scrub_status.set_builds(session.scrub_builds if session is not None else None)
        if session is not None:
            self.tracking = TrackingController(session, self.client, self)
            self.tracking.runningChanged.connect(self._on_tracking)
            # Tracking decodes too: scrub proxies wait until it is done.
            self.tracking.runningChanged.connect(lambda r: session.scrub_builds.hold("tracking", r))
            self.tracking.progressed.connect(self.dock.show_progress)
            self.tracking.finished.connect(
                lambda s: self.window.statusBar().showMessage(s.text(), 10000)
            )
            self.tracking.errorOccurred.connect(self.window.show_error)
            if self.window.controller is not None:
                self.window.controller.job_hook = self.tracking.correction_job
            session.mediaChanged.connect(self._enable)
            session.objectChanged.connect(self._enable)
        self._enable()

    def _enable(self, *_args) -> None:
        video = self.dock.is_video()
        running = self.tracking is not None and self.tracking.running
        selected = video and self._selected() is not None
        for action in self.actions.all:
            action.setEnabled(video)
        for action in (self.actions.track_forward, self.actions.track_backward,
                       self.actions.track_both):  # fmt: skip
            action.setEnabled(video and not running)
        self.actions.cancel_tracking.setEnabled(running)
        for action in (self.actions.delete_range, self.actions.split_track):
            action.setEnabled(selected)
        self.actions.merge_menu.setEnabled(selected)
        self.actions.label_menu.setEnabled(selected)
        if not video:
            self.playback.pause()

    def _selected(self) -> int | None:
        if self.session is None or self.session.object_id < 0:
            return None
        return self.session.object_id

    # -- frames ----------------------------------------------------------------------------
    def go_to(self, frame: int) -> None:
        if self.session is not None and self.session.media is not None:
            last = self.session.media.frame_count - 1
            self.session.set_frame(min(max(int(frame), 0), last))

    def seek(self, frame: int) -> None:
        """A click on the timeline: stop playing and show that frame."""
        self.playback.pause()
        self.go_to(frame)

    def step(self, frames: int) -> None:
        if self.session is not None:
            self.playback.pause()
            self.go_to(self.session.frame + frames)

    def set_loop_end(self, which: int) -> None:
        if self.session is None or not self.dock.is_video():
            return
        frame = self.session.frame
        first, last = self.playback.loop or (0, self.session.media.frame_count - 1)
        first, last = (frame, max(last, frame)) if which == 0 else (min(first, frame), frame)
        self.playback.set_loop(first, last)
        self.dock.set_loop(self.playback.loop)

    def _on_playing(self, playing: bool) -> None:
        self.actions.play.setText("&Pause" if playing else "&Play / Pause")
        self.actions.play.setIcon(icon("pause" if playing else "play"))
        if not playing:
            self.dock.show_rate(self.playback.stats()["fps"] if self.playback.shown else 0.0)

    def _precompute(self) -> None:
        if self.window.controller is not None:
            self.window.controller.precompute_around()

    # -- tracking --------------------------------------------------------------------------
    def track(self, direction: str) -> int | None:
        if self.tracking is None:
            return None
        self.playback.pause()
        dock = self.dock
        end = field_value(dock.up_to_box) if dock.up_to_check.isChecked() else None
        objects = None
        if dock.selected_only.isChecked():
            objects = [self._selected()] if self._selected() is not None else []
        return self.tracking.propagate(direction, end=end, object_ids=objects)

    def _on_tracking(self, running: bool) -> None:
        self.dock.show_tracking(running)
        self._enable()

    # -- per-track editing -----------------------------------------------------------------
    def _push(self, make_command) -> bool:
        try:
            push_command(self.session, make_command())
        except VideoSegError as exc:
            self.window.show_error(str(exc))
            return False
        return True

    def delete_range(self, object_id: int, start: int, stop: int) -> bool:
        return self._push(lambda: DeleteTrackRangeCommand(self.session, object_id, start, stop))

    def ask_delete_range(self, object_id: int | None) -> RangeDialog | None:
        if object_id is None or self.session is None:
            return None
        loop = self.playback.loop
        first, last = loop if loop else (self.session.frame, self.session.media.frame_count - 1)
        dialog = RangeDialog(self.session.media.frame_count, first, last, self.window)
        dialog.accepted.connect(
            lambda: self.delete_range(object_id, dialog.first(), dialog.last() + 1)
        )
        dialog.open()
        return dialog

    def relabel(self, object_id: int, label_id: int | None) -> bool:
        return self._push(lambda: SetObjectLabelCommand(self.session, object_id, label_id))

    def merge(self, keep_id: int, other_id: int) -> bool:
        return self._push(lambda: MergeTracksCommand(self.session, keep_id, other_id))

    def split(self, object_id: int | None, frame: int | None = None) -> bool:
        if object_id is None or self.session is None:
            return False
        at = self.session.frame if frame is None else frame
        return self._push(lambda: SplitTrackCommand(self.session, object_id, at))

    def _fill_row_menu(self, menu: QMenu, part: str, object_id: int | None = None) -> None:
        object_id = self._selected() if object_id is None else object_id
        menu.clear()
        if object_id is not None and self.session is not None:
            fill_row_menu(menu, self, object_id, self.session.frame, part)

    def _row_menu(self, object_id: int, frame: int, position) -> QMenu:
        menu = QMenu(self.window)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        fill_row_menu(menu, self, object_id, frame, "all")
        menu.popup(position)
        return menu

    # -- keys ------------------------------------------------------------------------------
    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt API)
        """Space on the canvas: held and dragged it pans (the canvas's own), tapped it plays."""
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and watched is self.canvas.viewport():
            self._space_dragged = True  # a drag while Space is held pans: no play on release
        elif watched is self.canvas and kind in (
            QEvent.Type.ShortcutOverride,
            QEvent.Type.KeyRelease,
        ):
            if event.key() != Qt.Key.Key_Space or not self.dock.is_video():
                return False
            if kind == QEvent.Type.ShortcutOverride:
                event.accept()  # the canvas gets the key press (pan mode), not the shortcut
                if not event.isAutoRepeat():
                    self._space_dragged = False
                return True
            if not event.isAutoRepeat():
                if not self._space_dragged:
                    self.playback.toggle()
                self._space_dragged = True
        return False
