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


class StartPage(QWidget):
    newRequested = Signal()
    openRequested = Signal()
    demoRequested = Signal()
    recentChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        title = QLabel("VideoSeg Desktop")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 2.0)
        font.setBold(True)
        title.setFont(font)
        subtitle = QLabel(
            "Segmentation training data from images and videos with SAM 2.1, on this computer."
        )
        subtitle.setStyleSheet("color: palette(mid);")
        buttons = QHBoxLayout()
        for text, tip, signal in (
            ("New project…", "Create a project folder", self.newRequested),
            ("Open project…", "Open a project folder or its project.vseg", self.openRequested),
            (
                "Open demo",
                "A small project with a video and images to try things out",
                self.demoRequested,
            ),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setMinimumHeight(34)
            button.clicked.connect(signal)
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.recent = QListWidget()
        self.recent.setAlternatingRowColors(True)
        self.recent.itemActivated.connect(
            lambda item: self.recentChosen.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        column = QVBoxLayout()
        column.addWidget(title)
        column.addWidget(subtitle)
        column.addSpacing(18)
        column.addLayout(buttons)
        column.addSpacing(18)
        column.addWidget(QLabel("Recent projects"))
        column.addWidget(self.recent, 1)
        hint = QLabel("Tip: drop a project.vseg onto this window to open it.")
        hint.setStyleSheet("color: palette(mid);")
        column.addWidget(hint)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(column, 3)
        outer.addStretch(1)
        self.setAcceptDrops(True)

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

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt API)
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.recentChosen.emit(url.toLocalFile())
                return
