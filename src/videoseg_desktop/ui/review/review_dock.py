"""The review bar: why the current item is flagged, its place in the queue, the decisions and
the media item's workflow state. Display and buttons only; ReviewMode does the work."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from videoseg_desktop.core.records import MediaItem, MediaStatus
from videoseg_desktop.core.review_records import ReviewItem
from videoseg_desktop.core.review_rules import FLAG_TEXT, Flag, FrameFlag

STATE_TEXT = {
    MediaStatus.TODO: "To do",
    MediaStatus.IN_PROGRESS: "In progress",
    MediaStatus.DONE: "Done (annotator)",
    MediaStatus.REVIEWED: "Reviewed",
    MediaStatus.NEEDS_CHANGES: "Needs changes",
}


def reasons_text(reasons: int) -> str:
    return ", ".join(text for flag, text in FLAG_TEXT.items() if reasons & Flag(flag))


def score_text(score: float | None) -> str:
    return "no score" if score is None else f"score {score:.2f}"


class ReviewDock(QDockWidget):
    previousRequested = Signal()
    nextRequested = Signal()
    acceptRequested = Signal()
    rejectRequested = Signal()
    statusChosen = Signal(str)  # a MediaStatus value

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Review", parent)
        self.setObjectName("ReviewDock")
        self.position_label = QLabel("Press J for the first flagged item.")
        self.item_label = QLabel()
        self.item_label.setWordWrap(True)
        self.item_label.setTextFormat(Qt.TextFormat.RichText)
        self.frame_label = QLabel()
        self.frame_label.setWordWrap(True)
        self.frame_label.setTextFormat(Qt.TextFormat.RichText)
        buttons = QHBoxLayout()
        self.buttons = {}
        for name, text, tip, signal in (
            ("previous", "◀ Prev", "Previous flagged item (Shift+J)", self.previousRequested),
            ("next", "Next ▶", "Next flagged item (J)", self.nextRequested),
            ("accept", "Accept", "Accept the item's masks (A)", self.acceptRequested),
            ("reject", "Reject", "Remove the item's masks (R; Shift+R with a comment)",
             self.rejectRequested),
        ):  # fmt: skip
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the canvas
            button.clicked.connect(signal)
            buttons.addWidget(button)
            self.buttons[name] = button
        self.status_combo = QComboBox()
        self.status_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.status_combo.setToolTip(
            "This media item's workflow state (D: done, Shift+A: reviewed, Ctrl+R: needs changes)"
        )
        for status, text in STATE_TEXT.items():
            self.status_combo.addItem(text, status.value)
        self.status_combo.activated.connect(
            lambda i: self.statusChosen.emit(self.status_combo.itemData(i))
        )
        self.status_comment = QLabel()
        self.status_comment.setWordWrap(True)
        state_row = QHBoxLayout()
        state_row.addWidget(QLabel("State:"))
        state_row.addWidget(self.status_combo, 1)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.position_label)
        layout.addWidget(self.item_label)
        layout.addLayout(buttons)
        layout.addWidget(self.frame_label)
        layout.addLayout(state_row)
        layout.addWidget(self.status_comment)
        self.user_label = QLabel()
        self.user_label.setToolTip("Recorded with every edit and decision (Review > Your Name…)")
        layout.addWidget(self.user_label)
        layout.addStretch(1)
        self.setWidget(body)

    def show_item(
        self, item: ReviewItem | None, index: int, on_media: int, masks: int, media: int
    ) -> None:
        """``index`` of ``on_media`` items of the item's media; ``masks`` flagged masks on
        ``media`` media items in the whole project."""
        project = f"{_n(masks, 'flagged mask')} on {_n(media, 'media item')}"
        if masks == 0:
            self.position_label.setText("Nothing is flagged: the queue is empty.")
        elif item is None or index == 0:
            self.position_label.setText(f"{project} · J: go to the next")
        else:
            self.position_label.setText(f"Item {index} of {on_media} on this media · {project}")
        if item is None:
            self.item_label.setText("")
            return
        label = f" ({item.label})" if item.label else ""
        frames = "" if item.first_frame is None else f", frame {item.frame_text}"
        self.item_label.setText(
            f"<b>{_escape(item.object_name or '?')}</b>{_escape(label)} on "
            f"{_escape(item.media_name)}{frames}<br>"
            f"<span style='color:#E0533D'>{_escape(reasons_text(item.reasons))}</span>"
            f" · lowest {score_text(item.score)}<br><i>{_escape(item.detail)}</i>"
        )

    def show_frame_flags(self, flags: list[FrameFlag], names: dict[int, str]) -> None:
        if not flags:
            self.frame_label.setText("<i>No flags on this frame.</i>")
            return
        lines = [
            f"<b>{_escape(names.get(f.object_id, str(f.object_id)))}</b>: "
            f"{_escape(', '.join(f.names))} ({score_text(f.score)})"
            for f in flags
        ]
        self.frame_label.setText("This frame: " + "<br>".join(lines))

    def show_status(self, media: MediaItem | None) -> None:
        self.status_combo.setEnabled(media is not None)
        if media is None:
            self.status_comment.setText("")
            return
        self.status_combo.setCurrentIndex(max(self.status_combo.findData(media.status.value), 0))
        who = f" by {media.status_by}" if media.status_by else ""
        comment = f": “{media.status_comment}”" if media.status_comment else ""
        self.status_comment.setText(f"{STATE_TEXT[media.status]}{who}{comment}")


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
