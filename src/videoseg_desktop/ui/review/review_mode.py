"""Review mode: walk the review queue, see why each item is flagged, accept, reject or fix it.

J / Shift+J go to the next / previous flagged item (an image, or a video frame run of one
object): the window opens the media on the item's first frame and selects the object. A accepts
and R rejects the item (every frame of the run; the selected object on the current frame when
the playhead is elsewhere), then the next item comes up. Both go on the undo stack. Fixing is
the ordinary tools: a click or a brush stroke makes an edited mask, which is never flagged.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QInputDialog, QMenu

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MediaStatus
from videoseg_desktop.core.review_records import ReviewItem
from videoseg_desktop.ui.project.project_session import NONE
from videoseg_desktop.ui.project.undo_commands import push_command
from videoseg_desktop.ui.review.attribute_dock import AttributesDock
from videoseg_desktop.ui.review.review_commands import ReviewCommand
from videoseg_desktop.ui.review.review_dock import ReviewDock
from videoseg_desktop.ui.review.user_name import ask_user_name

ACTIONS = (  # attribute, menu text, shortcuts
    ("next_flagged", "&Next Flagged Item", ["J"]),
    ("previous_flagged", "&Previous Flagged Item", ["Shift+J"]),
    (None, None, None),
    ("accept", "&Accept Item", ["A"]),
    ("reject", "&Reject Item", ["R"]),
    ("reject_comment", "Reject Item with &Comment…", ["Shift+R"]),
    (None, None, None),
    ("mark_done", "Mark Media &Done", ["D"]),
    ("mark_reviewed", "Mark Media Re&viewed", ["Shift+A"]),
    ("mark_needs_changes", "Mark Media Needs C&hanges…", ["Ctrl+R"]),
)
REFRESH_MS = 120
READ_ACTIONS = {"next_flagged", "previous_flagged", "user_name", "statistics"}


class ReviewMode(QObject):
    itemChanged = Signal(object)  # the current ReviewItem, or None

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session = None
        self.item: ReviewItem | None = None
        self.stats_dialog = None  # the Project Statistics window while it is open
        self.ask_comment = _ask_comment  # tests replace the dialog
        # Accept/reject of a pre-label suggestion shown by Find All (set by the main window).
        self.suggestion_decider: Callable[[bool], bool] | None = None
        self.menu = QMenu("&Review", window)
        window.menuBar().insertMenu(window.actions.help_menu.menuAction(), self.menu)
        self.actions = {}
        for name, text, keys in ACTIONS:
            if name is None:
                self.menu.addSeparator()
                continue
            self.actions[name] = window.actions.add(self.menu, text, keys)
        self.menu.addSeparator()
        self.actions["statistics"] = window.actions.add(self.menu, "Project &Statistics…", [])
        self.actions["user_name"] = window.actions.add(self.menu, "Your &Name…", [])
        self.dock = ReviewDock(window)
        self.dock.set_session = self.set_session
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._wire()
        self._enable()

    @classmethod
    def install(cls, window) -> ReviewMode:
        mode = cls(window)
        window.add_dock(mode.dock, Qt.DockWidgetArea.RightDockWidgetArea)
        edits = [a for n, a in mode.actions.items() if n not in READ_ACTIONS]
        window.read_only.watch(edits, [])
        mode.menu.addSeparator()
        mode.attributes = AttributesDock.install(window, mode.menu.addMenu("&Attributes"))
        # Tabs beside the model panel: the right column has no room for two more docks.
        window.tabifyDockWidget(window.model_dock, mode.dock)
        window.tabifyDockWidget(mode.dock, mode.attributes)
        mode.dock.raise_()
        return mode

    def _wire(self) -> None:
        a, d = self.actions, self.dock
        a["next_flagged"].triggered.connect(lambda: self.go(1))
        a["previous_flagged"].triggered.connect(lambda: self.go(-1))
        a["accept"].triggered.connect(self.accept)
        a["reject"].triggered.connect(lambda: self.reject())
        a["reject_comment"].triggered.connect(self._reject_with_comment)
        a["mark_done"].triggered.connect(lambda: self.set_status(MediaStatus.DONE))
        a["mark_reviewed"].triggered.connect(lambda: self.set_status(MediaStatus.REVIEWED))
        a["mark_needs_changes"].triggered.connect(
            lambda: self.set_status(MediaStatus.NEEDS_CHANGES)
        )
        a["user_name"].triggered.connect(self.ask_user_name)
        a["statistics"].triggered.connect(self.show_statistics)
        d.nextRequested.connect(lambda: self.go(1))
        d.previousRequested.connect(lambda: self.go(-1))
        d.acceptRequested.connect(self.accept)
        d.rejectRequested.connect(lambda: self.reject())
        d.statusChosen.connect(self.set_status)

    # -- session ---------------------------------------------------------------------------
    def set_session(self, session) -> None:
        if self.session is not None:
            for signal in (self.session.mediaChanged, self.session.frameChanged):
                signal.disconnect(self._schedule)
            self.session.events.anyChanged.disconnect(self._on_store)
        self.session, self.item = session, None
        if session is not None:
            session.mediaChanged.connect(self._schedule)
            session.frameChanged.connect(self._schedule)
            session.events.anyChanged.connect(self._on_store)
            self.refresh()
        self._enable()

    def _enable(self) -> None:
        for name, action in self.actions.items():
            action.setEnabled(self.session is not None or name == "user_name")

    def _on_store(self, changes) -> None:
        if any(c.table in ("masks", "objects", "media", "review", "settings") for c in changes):
            self._schedule()

    def _schedule(self, *_args) -> None:
        self._timer.start()

    # -- the queue -------------------------------------------------------------------------
    def go(self, step: int) -> ReviewItem | None:
        """Go to the next (step 1) or previous (-1) flagged item; wraps around at the ends."""
        if self.session is None:
            return None
        review = self.session.project.review
        here = self.item.key if self.item is not None else self._position_key(step)
        try:
            item = review.next_item(here) if step > 0 else review.previous_item(here)
            wrapped = item is None
            if wrapped:
                item = review.next_item(None) if step > 0 else _last(review)
        except VideoSegError as exc:
            self.window.show_error(str(exc))
            return None
        if item is None:
            self.window.statusBar().showMessage("Nothing is flagged for review.", 5000)
        elif wrapped:
            self.window.statusBar().showMessage("Review queue: back at the other end.", 4000)
        self.show_item(item)
        return item

    def _position_key(self, step: int) -> tuple[int, int, int] | None:
        s = self.session
        if s.media_id == NONE:
            return None
        # Going forward from here includes items on the current frame; backward excludes them.
        return (s.media_id, s.frame, 0 if step > 0 else -1)

    def show_item(self, item: ReviewItem | None) -> None:
        self.item = item
        self.dock.raise_()  # the reasons are what a reviewer reads next
        if item is not None:
            self.session.set_media(item.media_id, item.first_frame or 0)
            if item.object_id is not None and self.session.has_object(item.object_id):
                self.session.set_object(item.object_id)
        self.refresh()
        self.itemChanged.emit(item)

    def scope(self) -> tuple[int, tuple[int, int]] | None:
        """(object id, (first, last) frames) an accept or reject applies to, or None."""
        s = self.session
        if s is None or s.object_id == NONE:
            return None
        item = self.item
        if (
            item is not None
            and item.media_id == s.media_id
            and item.object_id == s.object_id
            and item.first_frame is not None
            and item.first_frame <= s.frame <= item.last_frame
        ):
            return s.object_id, (item.first_frame, item.last_frame)
        return s.object_id, (s.frame, s.frame)

    # -- decisions -------------------------------------------------------------------------
    def accept(self) -> bool:
        if self.suggestion_decider is not None and self.suggestion_decider(True):
            return True
        return self._decide("accept")

    def reject(self, comment: str | None = None) -> bool:
        deciding = comment is None and self.suggestion_decider is not None
        if deciding and self.suggestion_decider(False):
            return True
        return self._decide("reject", comment)

    def _reject_with_comment(self) -> None:
        comment = self.ask_comment(self.window, "Reject", "Why is it rejected? (optional)")
        if comment is not None:
            self.reject(comment)

    def _decide(self, decision: str, comment: str | None = None) -> bool:
        scope = self.scope()
        if scope is None:
            self.window.statusBar().showMessage(
                f"Select an object to {decision} (J goes to the next flagged one).", 5000
            )
            return False
        object_id, frames = scope
        s, review = self.session, self.session.project.review
        media_id, decide = s.media_id, getattr(review, decision)
        command = ReviewCommand(
            s,
            decision.title(),
            lambda: decide(media_id, object_id, frames, comment),
            media_id,
            frames[0],
        )
        done = self._push(command)
        if done:
            self.window.statusBar().showMessage(command.outcome.line(), 5000)
            item = self.item
            if item is not None and (item.object_id, item.first_frame) == (object_id, frames[0]):
                self.go(1)  # the queue item is decided: on to the next one
            else:
                self.refresh()
        return done

    def set_status(self, status: MediaStatus | str, comment: str | None = None) -> bool:
        """Set the current media item's workflow state (needs-changes asks for a comment)."""
        s = self.session
        if s is None or s.media_id == NONE:
            return False
        status = MediaStatus(status)
        if status is MediaStatus.NEEDS_CHANGES and comment is None:
            comment = self.ask_comment(self.window, "Needs changes", "What needs changing?")
            if comment is None:
                self.refresh()  # the combo box goes back to the stored state
                return False
        media_id, review = s.media_id, s.project.review
        command = ReviewCommand(
            s, "Set state", lambda: review.set_status([media_id], status, comment), media_id
        )
        done = self._push(command)
        if done:
            self.window.statusBar().showMessage(command.outcome.line(), 5000)
        return done

    def _push(self, command: ReviewCommand) -> bool:
        try:
            push_command(self.session, command)
        except VideoSegError as exc:
            self.window.show_error(str(exc))
            return False
        return True

    def show_statistics(self):
        """The Project Statistics window (the time built up so far is written first)."""
        from videoseg_desktop.ui.review.stats_dialog import ProjectStatsDialog

        if self.session is None:
            return None
        if self.stats_dialog is not None and self.stats_dialog.isVisible():
            self.stats_dialog.raise_()
            self.stats_dialog.activateWindow()
            return self.stats_dialog
        activity = getattr(self.window, "activity", None)
        session = self.session
        dialog = ProjectStatsDialog(
            session.project,
            self.window,
            events=session.events,
            before_refresh=activity.flush if activity is not None else None,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "stats_dialog", None))
        self.window.sessionChanged.connect(dialog.close)  # another project: its own statistics
        dialog.show()  # not modal: it follows the work beside the window
        self.stats_dialog = dialog
        return dialog

    def ask_user_name(self) -> None:
        project = self.session.project if self.session is not None else None
        try:
            name = ask_user_name(self.window, self.window.context.preferences, project)
        except VideoSegError as exc:
            self.window.show_error(str(exc))
            return
        if name is not None:
            self.window.statusBar().showMessage(f"Working as {name}.", 5000)
            self.refresh()

    # -- the bar ---------------------------------------------------------------------------
    def refresh(self) -> None:
        self._timer.stop()
        s = self.session
        if s is None:
            self.dock.show_item(None, 0, 0, 0, 0)
            self.dock.show_status(None)
            return
        review = s.project.review
        try:  # per-media counts and one media item's runs: cheap whatever the project's size
            counts = review.flag_counts()
        except VideoSegError as exc:  # a bad threshold in the project: say so once
            self.dock.position_label.setText(str(exc))
            return
        current = self.item
        index, here = 0, []
        if current is not None:
            here = review.media_items(current.media_id)
            keys = [i.key for i in here]
            if current.key in keys:
                index = keys.index(current.key) + 1
                current = here[index - 1]  # the run may have changed
        self.dock.show_item(current, index, len(here), sum(counts.values()), len(counts))
        if s.media_id != NONE:
            names = {o.id: o.name for o in s.objects()}
            self.dock.show_frame_flags(review.frame_flags(s.media_id, s.frame), names)
        else:
            self.dock.show_frame_flags([], {})
        self.dock.show_status(s.media)
        writable = not s.project.read_only  # a read-only project can be walked, not decided
        for name in ("accept", "reject"):
            self.dock.buttons[name].setEnabled(writable)
        self.dock.status_combo.setEnabled(writable and s.media is not None)
        self.dock.user_label.setText(f"Working as <b>{s.project.user}</b>")


def _last(review) -> ReviewItem | None:
    items = review.items()
    return items[-1] if items else None


def _ask_comment(parent, title: str, prompt: str) -> str | None:
    text, ok = QInputDialog.getText(parent, title, prompt)
    return text if ok else None
