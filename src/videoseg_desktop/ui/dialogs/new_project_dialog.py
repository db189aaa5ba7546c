"""New project: a name and the folder to create it in."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)


class NewProjectDialog(QDialog):
    def __init__(self, default_parent: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("New project")
        self.name_edit = QLineEdit("My project")
        self.location_edit = QLineEdit(str(default_parent))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        location = QHBoxLayout()
        location.addWidget(self.location_edit, 1)
        location.addWidget(browse)
        self.preview = QLabel()
        self.preview.setStyleSheet("color: palette(mid);")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Name", self.name_edit)
        form.addRow("Create in", location)
        form.addRow("", self.preview)
        form.addRow(self.buttons)
        self.name_edit.textChanged.connect(self._update)
        self.location_edit.textChanged.connect(self._update)
        self._update()
        self.resize(520, self.sizeHint().height())

    def folder(self) -> Path:
        name = self.name_edit.text().strip()
        return Path(self.location_edit.text().strip()).expanduser() / name

    def project_name(self) -> str:
        return self.name_edit.text().strip()

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, "Create the project in", self.location_edit.text()
        )
        if chosen:
            self.location_edit.setText(chosen)

    def _update(self) -> None:
        ok = bool(self.name_edit.text().strip()) and bool(self.location_edit.text().strip())
        exists = ok and (self.folder() / "project.vseg").exists()
        self.preview.setText(
            "A project already exists there" if exists else f"Folder: {self.folder()}" if ok else ""
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok and not exists)
