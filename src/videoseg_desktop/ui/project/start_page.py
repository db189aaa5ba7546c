"""Shown when no project is open: recent projects, New, Open and Open demo."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from videoseg_desktop.store import DB_NAME
from videoseg_desktop.ui.theme.icons import icon


class StartPage(QWidget):
    newRequested = Signal()
    openRequested = Signal()
    demoRequested = Signal()
    recentChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.icon_label = QLabel()
        title = QLabel("VideoSeg Desktop")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 2.2)
        font.setBold(True)
        title.setFont(font)
        subtitle = QLabel(
            "Segmentation training data from images and videos with SAM 2.1, on this computer."
        )
        subtitle.setStyleSheet("color: palette(dark);")
        heading = QVBoxLayout()
        heading.addWidget(title)
        heading.addWidget(subtitle)
        top = QHBoxLayout()
        top.addWidget(self.icon_label)
        top.addSpacing(12)
        top.addLayout(heading, 1)
        buttons = QHBoxLayout()
        for key, text, tip, signal in (
            ("new_project", "New project…", "Create a project folder", self.newRequested),
            (
                "open_project",
                "Open project…",
                "Open a project folder or its project.vseg",
                self.openRequested,
            ),
            (
                "demo",
                "Open demo",
                "A small project with a video and images to try things out",
                self.demoRequested,
            ),
        ):
            button = QPushButton(icon(key), text)
            button.setToolTip(tip)
            button.setMinimumSize(150, 40)
            button.clicked.connect(signal)
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.recent = QListWidget()
        self.recent.setAlternatingRowColors(True)
        self.recent.setMaximumHeight(260)
        self.recent.itemActivated.connect(
            lambda item: self.recentChosen.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        self.no_recent = QLabel("No recent projects yet: create one, or try the demo.")
        self.no_recent.setStyleSheet("color: palette(dark); padding: 8px 0;")
        recent_title = QLabel("Recent projects")
        bold = QFont(recent_title.font())
        bold.setBold(True)
        recent_title.setFont(bold)
        hint = QLabel(
            "Tip: drop a project.vseg onto this window to open it; press ? in a project for "
            "all keyboard shortcuts."
        )
        hint.setStyleSheet("color: palette(dark);")
        column = QVBoxLayout()
        column.addStretch(2)
        column.addLayout(top)
        column.addSpacing(24)
        column.addLayout(buttons)
        column.addSpacing(28)
        column.addWidget(recent_title)
        column.addWidget(self.recent)
        column.addWidget(self.no_recent)
        column.addSpacing(8)
        column.addWidget(hint)
        column.addStretch(3)
        holder = QWidget()
        holder.setLayout(column)
        holder.setMaximumWidth(780)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(holder, 4)
        outer.addStretch(1)
        self.setAcceptDrops(True)

    def set_icon(self, icon) -> None:
        if not icon.isNull():
            self.icon_label.setPixmap(icon.pixmap(72, 72))

    def set_recent(self, roots: list[str]) -> None:
        self.recent.clear()
        for root in roots:
            path = Path(root)
            exists = (path / DB_NAME).is_file()
            item = QListWidgetItem(
                f"{path.name}    —    {path}" + ("" if exists else "  (missing)")
            )
            item.setData(Qt.ItemDataRole.UserRole, root)
            if not exists:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.recent.addItem(item)
        self.recent.setVisible(bool(roots))
        self.no_recent.setVisible(not roots)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt API)
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.recentChosen.emit(url.toLocalFile())
                return
