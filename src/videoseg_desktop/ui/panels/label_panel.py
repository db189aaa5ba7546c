"""The label list: add, rename, recolour, delete; the selected label goes to new objects.

Edits go through undo commands; the list follows the store's label events.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QWidget,
)

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.ui.panels.panel_widgets import button_row, stack
from videoseg_desktop.ui.project.project_session import NONE, ProjectSession
from videoseg_desktop.ui.project.undo_commands import (
    AddLabelCommand,
    DeleteLabelCommand,
    RecolorLabelCommand,
    RenameLabelCommand,
    push_command,
)


def color_icon(color: str, size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class LabelPanel(QWidget):
    errorOccurred = Signal(str)
    attributesRequested = Signal(int)  # label id: edit its attribute schema (the window wires it)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.session: ProjectSession | None = None
        self.list = QListWidget()
        self.list.setIconSize(QSize(14, 14))
        self.list.setToolTip("Label for new objects (keys 1-9). Double-click to rename.")
        self.list.currentItemChanged.connect(self._on_current)
        self.list.itemDoubleClicked.connect(lambda _item: self.rename_current())
        buttons = button_row(
            [
                ("add", "Add", "Add a label", self.add_label),
                ("rename", "Rename", "Rename the selected label", self.rename_current),
                ("colour", "Colour", "Change the selected label's colour", self.recolor_current),
                (
                    "remove",
                    "Delete",
                    "Delete the selected label (its objects are kept)",
                    self.delete_current,
                ),  # fmt: skip
                (
                    "attributes",
                    "Attributes…",
                    "Define the selected label's attributes",
                    self.edit_attributes,
                ),
            ]
        )
        buttons.addStretch(1)
        stack(self, self.list, buttons)
        self._updating = False

    def set_session(self, session: ProjectSession | None) -> None:
        self.session = session
        if session is not None:
            session.events.labelsChanged.connect(lambda _ids: self.reload())
            session.labelChanged.connect(self._select)
        self.reload()

    def reload(self) -> None:
        self._updating = True
        self.list.clear()
        if self.session is not None:
            for n, label in enumerate(self.session.labels(), start=1):
                key = f"{n}  " if n <= 9 else "   "
                item = QListWidgetItem(color_icon(label.color), f"{key}{label.name}")
                item.setData(Qt.ItemDataRole.UserRole, label.id)
                self.list.addItem(item)
        self._updating = False
        if self.session is not None:
            self._select(self.session.label_id)

    def label_ids(self) -> list[int]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def pick(self, number: int) -> None:
        """Keys 1-9: make the n-th label current."""
        ids = self.label_ids()
        if self.session is not None and 1 <= number <= len(ids):
            self.session.set_label(ids[number - 1])

    def _select(self, label_id: int) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == label_id:
                if self.list.currentRow() != i:
                    self._updating = True
                    self.list.setCurrentRow(i)
                    self._updating = False
                return
        self.list.setCurrentRow(-1)

    def _on_current(self, item: QListWidgetItem | None, _previous) -> None:
        if self._updating or self.session is None:
            return
        self.session.set_label(item.data(Qt.ItemDataRole.UserRole) if item else NONE)

    def edit_attributes(self) -> None:
        label_id = self._current_id()
        if label_id is not None:
            self.attributesRequested.emit(label_id)

    def _current_id(self) -> int | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _run(self, make_command) -> None:
        try:
            push_command(self.session, make_command())
        except VideoSegError as exc:
            self.errorOccurred.emit(str(exc))

    # -- actions ---------------------------------------------------------------------------
    def add_label(self, name: str | None = None, color: str | None = None) -> None:
        if self.session is None:
            return
        if name is None:
            name, ok = QInputDialog.getText(self, "Add label", "Name of the new label:")
            if not ok or not name.strip():
                return
        self._run(lambda: AddLabelCommand(self.session, name.strip(), color))

    def rename_current(self, name: str | None = None) -> None:
        label_id = self._current_id()
        if self.session is None or label_id is None:
            return
        if name is None:
            old = self.session.label_by_id(label_id).name
            name, ok = QInputDialog.getText(self, "Rename label", "New name:", text=old)
            if not ok or not name.strip() or name.strip() == old:
                return
        self._run(lambda: RenameLabelCommand(self.session, label_id, name.strip()))

    def recolor_current(self, color: str | None = None) -> None:
        label_id = self._current_id()
        if self.session is None or label_id is None:
            return
        if color is None:
            old = QColor(self.session.label_by_id(label_id).color)
            chosen = QColorDialog.getColor(old, self, "Label colour")
            if not chosen.isValid():
                return
            color = chosen.name()
        self._run(lambda: RecolorLabelCommand(self.session, label_id, color))

    def delete_current(self, confirm: bool = True) -> None:
        label_id = self._current_id()
        if self.session is None or label_id is None:
            return
        label = self.session.label_by_id(label_id)
        if confirm:
            answer = QMessageBox.question(
                self,
                "Delete label",
                f"Delete the label “{label.name}”? Its objects are kept without a label "
                "(Undo brings it back).",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._run(lambda: DeleteLabelCommand(self.session, label_id))
