"""A label's attribute schema: list, add (bool, choice, number range, text; per object or per
frame) and remove. Opened from the label panel; every change is one undo step."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from videoseg_desktop.core.attributes import AttributeKind
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.ui.project.undo_commands import push_command
from videoseg_desktop.ui.review.attribute_commands import (
    AddAttributeSpecCommand,
    RemoveAttributeSpecCommand,
)


class AttributeSchemaDialog(QDialog):
    def __init__(self, session, label_id: int, parent=None):
        super().__init__(parent)
        self.session, self.label_id = session, label_id
        label = session.label_by_id(label_id)
        self.setWindowTitle(f"Attributes of {label.name if label else 'label'}")
        self.list = QListWidget()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. occluded")
        self.kind_combo = QComboBox()
        for kind in AttributeKind:
            self.kind_combo.addItem(kind.value, kind.value)
        self.choices_edit = QLineEdit()
        self.choices_edit.setPlaceholderText("a, b, c")
        self.min_edit, self.max_edit = QLineEdit(), QLineEdit()
        self.min_edit.setPlaceholderText("min (optional)")
        self.max_edit.setPlaceholderText("max (optional)")
        self.per_frame = QCheckBox("per frame (videos: a value per frame range)")
        self.error = ""
        form = QFormLayout()
        form.addRow("Name:", self.name_edit)
        form.addRow("Type:", self.kind_combo)
        form.addRow("Choices:", self.choices_edit)
        form.addRow("Range:", _pair(self.min_edit, self.max_edit))
        form.addRow("", self.per_frame)
        add = QPushButton("Add")
        add.clicked.connect(self.add_from_form)
        remove = QPushButton("Remove selected")
        remove.clicked.connect(self.remove_selected)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self.reload()

    def reload(self) -> None:
        self.list.clear()
        for spec in self.session.project.attributes.specs(self.label_id):
            item = QListWidgetItem(f"{spec.name}: {spec.describe()}")
            item.setData(256, spec.name)
            self.list.addItem(item)

    def _kind_changed(self, *_args) -> None:
        kind = self.kind_combo.currentData()
        self.choices_edit.setEnabled(kind == "choice")
        for edit in (self.min_edit, self.max_edit):
            edit.setEnabled(kind == "number")

    def add(self, name: str, kind: str, **options) -> bool:
        command = AddAttributeSpecCommand(self.session, self.label_id, name, kind, **options)
        return self._push(command)

    def add_from_form(self) -> bool:
        kind = self.kind_combo.currentData()
        options: dict = {"per_frame": self.per_frame.isChecked()}
        if kind == "choice":
            options["choices"] = [c.strip() for c in self.choices_edit.text().split(",") if c]
        try:
            for key, edit in (("min_value", self.min_edit), ("max_value", self.max_edit)):
                if kind == "number" and edit.text().strip():
                    options[key] = float(edit.text())
        except ValueError:
            return self._fail("a range bound must be a number")
        if self.add(self.name_edit.text(), kind, **options):
            self.name_edit.clear()
            return True
        return False

    def remove_selected(self) -> bool:
        item = self.list.currentItem()
        if item is None:
            return False
        return self._push(RemoveAttributeSpecCommand(self.session, self.label_id, item.data(256)))

    def _push(self, command) -> bool:
        try:
            push_command(self.session, command)
        except VideoSegError as exc:
            return self._fail(str(exc))
        self.error = ""
        self.reload()
        return True

    def _fail(self, message: str) -> bool:
        self.error = message
        parent = self.parent()
        if parent is not None and hasattr(parent, "show_error"):
            parent.show_error(message)
        return False


def _pair(a, b) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(a)
    row.addWidget(b)
    return row
