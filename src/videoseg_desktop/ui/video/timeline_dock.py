"""The timeline dock: transport (frame, timecode, play, loop), tracking controls and progress,
and the track overview. Layout and display only: ``VideoStudio`` owns the actions and the logic.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.ui.canvas.canvas_presenter import UNLABELED_COLOR
from videoseg_desktop.ui.video.track_overview import TrackOverview, TrackRow

log = logging.getLogger(__name__)
REFRESH_MS = 120  # store events are coalesced: tracking writes several batches a second


LEGEND = (
    "<span style='color:#E69F00'>■</span> tracked &nbsp;"
    "<span style='color:#FFFFFF;background:#34373C'>▮</span> clicked / prompts &nbsp;"
    "<span style='color:#FFD60A'>▮</span> edited &nbsp;"
    "<span style='color:#4FC3F7'>▮</span> imported &nbsp;"
    "<span style='color:#E0533D'>■</span> gap &nbsp;"
    "<span style='color:#969696'>▨</span> stale &nbsp;"
    "<span style='color:#EC40FF'>▬</span> flagged for review (J)"
)


def timecode(seconds: float) -> str:
    """``HH:MM:SS.mmm``."""
    millis = int(round(max(seconds, 0.0) * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def tool_button(action: QAction, text: str | None = None) -> QToolButton:
    """A button for ``action``: its icon alone, or with the short ``text`` beside it."""
    button = QToolButton()
    button.setDefaultAction(action)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the canvas
    if text is None:
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    else:
        action.setIconText(text)  # what a tool button shows; menus keep the full text
        style = Qt.ToolButtonStyle
        button.setToolButtonStyle(
            style.ToolButtonTextBesideIcon
            if not action.icon().isNull()
            else style.ToolButtonTextOnly
        )
    return button


class TimelineDock(QDockWidget):
    frameEntered = Signal(int)  # typed into the frame box

    def __init__(self, actions, parent: QWidget | None = None):
        super().__init__("Timeline", parent)
        self.setObjectName("TimelineDock")
        self.session = None
        self._index = None  # the video's FrameIndex, for timecodes
        self._fps = None
        self._dirty: set[int] | None = set()  # objects whose rows need re-reading; None: all
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh_rows)

        a = actions
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)

        transport = QHBoxLayout()
        for action in (a.first_frame, a.back_ten, a.previous_frame, a.play, a.next_frame,
                       a.forward_ten, a.last_frame):  # fmt: skip
            transport.addWidget(tool_button(action))
        self.frame_box = QSpinBox()
        self.frame_box.setKeyboardTracking(False)
        self.frame_box.setToolTip("Current frame (type a number and press Enter)")
        self.frame_box.valueChanged.connect(self.frameEntered)
        self.count_label = QLabel("/ 0")
        self.time_label = QLabel(timecode(0))
        self.time_label.setToolTip("Time of the current frame")
        self.rate_label = QLabel("")
        self.rate_label.setToolTip("Frame rate reached by the last playback")
        transport.addSpacing(8)
        transport.addWidget(QLabel("Frame"))
        transport.addWidget(self.frame_box)
        transport.addWidget(self.count_label)
        transport.addSpacing(8)
        transport.addWidget(self.time_label)
        transport.addSpacing(12)
        transport.addWidget(tool_button(a.loop, "Loop"))
        self.loop_label = QLabel("")
        transport.addWidget(tool_button(a.loop_in, "In"))
        transport.addWidget(tool_button(a.loop_out, "Out"))
        transport.addWidget(self.loop_label)
        transport.addSpacing(12)
        transport.addWidget(tool_button(a.onion_skin, "Onion skin"))
        transport.addStretch(1)
        transport.addWidget(self.rate_label)
        layout.addLayout(transport)

        tracking = QHBoxLayout()
        tracking.addWidget(QLabel("Track"))
        tracking.addWidget(tool_button(a.track_backward, "Backward"))
        tracking.addWidget(tool_button(a.track_both, "Both ways"))
        tracking.addWidget(tool_button(a.track_forward, "Forward"))
        self.up_to_check = QCheckBox("up to frame")
        self.up_to_check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.up_to_box = QSpinBox()
        self.up_to_box.setKeyboardTracking(False)
        self.up_to_box.setEnabled(False)
        self.up_to_check.toggled.connect(self.up_to_box.setEnabled)
        self.selected_only = QCheckBox("selected object only")
        self.selected_only.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        tracking.addWidget(self.up_to_check)
        tracking.addWidget(self.up_to_box)
        tracking.addWidget(self.selected_only)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m frames")
        self.progress.setMinimumWidth(220)
        self.progress_label = QLabel("")
        # The window must not widen when tracking starts (issue #12): the bar and its label keep
        # their room while hidden, and the label has a fixed width for its longest text.
        self.progress_label.setFixedWidth(
            self.progress_label.fontMetrics().horizontalAdvance("999.9 frames/s, 99999 s left")
        )
        for widget in (self.progress, self.progress_label):
            policy = widget.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            widget.setSizePolicy(policy)
        self.progress.setVisible(False)
        tracking.addSpacing(8)
        tracking.addWidget(self.progress, 1)
        tracking.addWidget(self.progress_label)
        tracking.addWidget(tool_button(a.cancel_tracking, "Cancel"))
        tracking.addStretch(1)
        layout.addLayout(tracking)

        self.overview = TrackOverview()
        scroll = QScrollArea()
        scroll.setWidget(self.overview)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumHeight(84)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(scroll, 1)
        # The legend on a line of its own under the overview: beside the tracking buttons it had
        # a third of a row and was clipped. One line, and it never sets the window's minimum
        # width (a wrapping label asked for its narrowest, tallest height: +70 px of window).
        self.legend = QLabel(LEGEND)
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        layout.addWidget(self.legend)
        self.setWidget(body)
        self._set_video(False)

    # -- session ---------------------------------------------------------------------------
    def set_session(self, session) -> None:
        if self.session is not None:
            s, events = self.session, self.session.events
            s.mediaChanged.disconnect(self._on_media)
            s.frameChanged.disconnect(self.show_frame)
            s.objectChanged.disconnect(self.overview.set_selected)
            events.masksChanged.disconnect(self._on_masks)
            for signal in (events.promptsChanged, events.objectsChanged, events.labelsChanged):
                signal.disconnect(self._on_all_rows)
        self.session = session
        if session is not None:
            events = session.events
            session.mediaChanged.connect(self._on_media)
            session.frameChanged.connect(self.show_frame)
            session.objectChanged.connect(self.overview.set_selected)
            events.masksChanged.connect(self._on_masks)
            for signal in (events.promptsChanged, events.objectsChanged, events.labelsChanged):
                signal.connect(self._on_all_rows)
        self._on_media()

    def is_video(self) -> bool:
        media = self.session.media if self.session is not None else None
        return media is not None and media.kind == MediaKind.VIDEO and media.frame_count > 1

    def _set_video(self, on: bool) -> None:
        for widget in (self.frame_box, self.up_to_box, self.up_to_check, self.selected_only):
            widget.setEnabled(
                on if widget is not self.up_to_box else on and self.up_to_check.isChecked()
            )

    def hidden_now(self) -> bool:
        """Images have no timeline: the dock hides rather than show "Frame 0 / 0"."""
        return self.session is not None and not self.is_video()

    def _on_media(self, *_args) -> None:
        video = self.is_video()
        if self.session is not None and self.session.media is not None:
            self.setVisible(video)
        media = self.session.media if video else None
        count = media.frame_count if media else 0
        self._index, self._fps = None, (media.fps if media else None)
        if media is not None:
            try:
                from videoseg_desktop.media.frame_index import FrameIndex

                self._index = FrameIndex.load(self.session.project.frame_index_path(media))
            except VideoSegError as exc:  # the cache is disposable: fall back to the rate
                log.info("no frame index for timecodes: %s", exc)
        self._set_video(video)
        for box in (self.frame_box, self.up_to_box):
            box.blockSignals(True)
            box.setRange(0, max(count - 1, 0))
            box.blockSignals(False)
        self.up_to_box.setValue(max(count - 1, 0))
        self.count_label.setText(f"/ {max(count - 1, 0)}")
        self.overview.set_frame_count(count)
        self.overview.set_selected(self.session.object_id if self.session else -1)
        self.set_loop(None)
        self._dirty = None
        self.refresh_rows()
        self.show_frame(self.session.frame if self.session else 0)

    # -- display ---------------------------------------------------------------------------
    def show_frame(self, frame: int) -> None:
        self.frame_box.blockSignals(True)
        self.frame_box.setValue(frame)
        self.frame_box.blockSignals(False)
        self.overview.set_current(frame)
        self.time_label.setText(timecode(self.frame_seconds(frame)))

    def frame_seconds(self, frame: int) -> float:
        if self._index is not None and 0 <= frame < len(self._index):
            return self._index.seconds(frame)
        return frame / self._fps if self._fps else 0.0

    def set_loop(self, loop: tuple[int, int] | None) -> None:
        self.overview.set_loop(loop)
        self.loop_label.setText("" if loop is None else f"{loop[0]}–{loop[1]}")

    def show_rate(self, fps: float) -> None:
        self.rate_label.setText(f"{fps:.1f} fps" if fps > 0 else "")

    def show_progress(self, done: int, total: int, fps: float, eta) -> None:
        self.progress.setVisible(True)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        left = f", {eta:.0f} s left" if eta is not None else ""
        self.progress_label.setText(f"{fps:.1f} frames/s{left}")

    def show_tracking(self, running: bool) -> None:
        if running:
            self.progress.setValue(0)
            self.progress_label.setText("starting…")
        self.progress.setVisible(running)
        if not running:
            self.progress_label.setText("")

    # -- rows ------------------------------------------------------------------------------
    def _on_masks(self, object_ids: tuple) -> None:
        if self._dirty is not None and object_ids:
            self._dirty.update(object_ids)
        else:
            self._dirty = None
        self._refresh_timer.start()

    def _on_all_rows(self, *_args) -> None:
        self._dirty = None
        self._refresh_timer.start()

    def refresh_rows(self) -> None:
        """Re-read the rows of the objects that changed (all of them after a structural change)."""
        self._refresh_timer.stop()
        dirty, self._dirty = self._dirty, set()
        if not self.is_video():
            self.overview.set_rows([])
            return
        session, count = self.session, self.session.media.frame_count
        old = {row.object_id: row for row in self.overview.rows}
        colors = {lb.id: lb.color for lb in session.labels()}
        rows = []
        for obj in session.objects():
            row = old.get(obj.id)
            if dirty is None or row is None or obj.id in dirty:
                color = QColor(colors.get(obj.label_id, UNLABELED_COLOR))
                row = TrackRow.from_store(session.project, obj, color, count)
            rows.append(row)
        self.overview.set_rows(rows)
