"""`?`: every keyboard shortcut (read from the window's actions, so it is never out of date)
and the mouse gestures."""

from __future__ import annotations

from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

MOUSE_GESTURES = (
    ("Left click", "Add a positive point (starts a new object when none is selected)"),
    ("Ctrl+click or Shift+click", "Add a negative point"),
    ("Drag", "Draw a box around the object"),
    ("Right click", "Remove the nearest prompt"),
    ("Mouse wheel", "Zoom at the cursor"),
    ("Space+drag or middle drag", "Pan"),
)


def _menu_title(action: QAction) -> str:
    for owner in action.associatedObjects():
        if isinstance(owner, QMenu) and owner.title():
            return owner.title().replace("&", "")
    return "Other"


def _keys(action: QAction) -> list[str]:
    keys = []
    for sequence in action.shortcuts():
        text = sequence.toString(QKeySequence.SequenceFormat.NativeText)
        if text and text not in keys:
            keys.append(text)
    return keys


def shortcut_rows(actions: list[QAction]) -> list[tuple[str, str, str]]:
    """(menu, keys, action) per action with a shortcut, in menu order. Actions sharing a
    ``summary`` property (labels 1-9) are listed once."""
    rows, summarised = [], set()
    for action in actions:
        keys = _keys(action)
        if not keys:
            continue
        summary = action.property("summary")
        if summary:
            if summary in summarised:
                continue
            summarised.add(summary)
            rows.append((_menu_title(action), action.property("summary_keys"), summary))
            continue
        rows.append((_menu_title(action), " or ".join(keys), action.text().replace("&", "")))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, actions: list[QAction], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(actions) + [("Mouse", k, a) for k, a in MOUSE_GESTURES]
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Keys", "Action"])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setShowGrid(False)
        self.table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.table.horizontalHeader().setStretchLastSection(True)
        bold = QFont(self.font())
        bold.setBold(True)
        group = None
        for menu, keys, text in rows:
            row = self.table.rowCount()
            if menu != group:
                group = menu
                self.table.insertRow(row)
                heading = QTableWidgetItem(menu)
                heading.setFont(bold)
                self.table.setItem(row, 0, heading)
                self.table.setSpan(row, 0, 1, 2)
                row += 1
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(text))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, 720)

    def rows(self) -> list[tuple[str, str]]:
        """(keys, action) of every row but the menu headings."""
        return [
            (self.table.item(r, 0).text(), self.table.item(r, 1).text())
            for r in range(self.table.rowCount())
            if self.table.item(r, 1) is not None
        ]
