"""Export: format, which media and labels, options, destination; runs with progress and cancel.

The export functions read the project's database, which belongs to the GUI thread, so they run
here with events processed from their progress callback (the dialog is modal meanwhile).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.export import EXPORTERS

FORMATS = (
    ("coco", "COCO instance segmentation (images; RLE masks keep holes)"),
    ("ytvis", "YouTube-VIS (videos)"),
    ("davis", "DAVIS (indexed PNG masks per frame)"),
    ("yolo", "YOLO-seg (polygons)"),
)
OPTIONS = {  # which options each exporter takes
    "coco": ("polygons", "frames_as_images", "copy_images"),
    "ytvis": (),
    "davis": (),
    "yolo": ("frames_as_images",),
}


CHECK_TEXTS = {
    "polygons": "Polygons instead of RLE (holes are filled)",
    "frames_as_images": "Include annotated video frames as images",
    "copy_images": "Copy the images next to the annotations",
    "zip_output": "Write a .zip",
}


def window_wording(text: str) -> str:
    """An exporter's advice names the CLI flag (``add --frames-as-images``); the window names
    its own check box instead, which is what the user can act on here."""
    for name, label in CHECK_TEXTS.items():
        flag = "--" + name.replace("_", "-")
        text = text.replace(f"add {flag}", f'tick "{label}" in the Export dialog')
        text = text.replace(flag, f'"{label}"')
    return text


class ExportCancelled(VideoSegError):
    """The user cancelled the export (nothing was written)."""


_RUNNING: list[QProgressDialog] = []  # progress dialogs of the exports running now (any window)


def running_exports() -> int:
    return len(_RUNNING)


def cancel_exports() -> None:
    """Quit: every running export stops at its next progress step (nothing half-written stays)."""
    for dialog in list(_RUNNING):
        dialog.cancel()


class ExportDialog(QDialog):
    def __init__(self, project, selected_media_ids: list[int], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.project = project
        self.selected_media_ids = list(selected_media_ids)
        self.format_combo = QComboBox()
        for key, title in FORMATS:
            self.format_combo.addItem(title, key)
        self.all_media = QRadioButton("All media")
        self.selected_media = QRadioButton(f"Selected media ({len(self.selected_media_ids)})")
        self.all_media.setChecked(True)
        self.selected_media.setEnabled(bool(self.selected_media_ids))
        scope = QHBoxLayout()
        scope.addWidget(self.all_media)
        scope.addWidget(self.selected_media)
        self.labels = QListWidget()
        for label in project.labels.list():
            item = QListWidgetItem(label.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.labels.addItem(item)
        self.labels.setMaximumHeight(120)
        self.checks = {name: QCheckBox(text) for name, text in CHECK_TEXTS.items()}
        self.out_edit = QLineEdit()
        self.out_edit.setPlaceholderText(f"a new timestamped folder in {project.exports_dir}")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        out = QHBoxLayout()
        out.addWidget(self.out_edit, 1)
        out.addWidget(browse)
        options = QVBoxLayout()
        for check in self.checks.values():
            options.addWidget(check)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Format", self.format_combo)
        form.addRow("Media", scope)
        form.addRow("Labels", self.labels)
        form.addRow("Options", options)
        form.addRow("Write to", out)
        form.addRow(buttons)
        self.format_combo.currentIndexChanged.connect(self._update_options)
        self._update_options()

    def set_format(self, key: str) -> None:
        self.format_combo.setCurrentIndex(self.format_combo.findData(key))

    def format(self) -> str:
        return self.format_combo.currentData()

    def _update_options(self) -> None:
        allowed = OPTIONS[self.format()]
        for name, check in self.checks.items():
            check.setVisible(name == "zip_output" or name in allowed)

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, "Export into", str(self.project.exports_dir)
        )
        if chosen:
            self.out_edit.setText(chosen)

    def export_kwargs(self) -> dict:
        checked = [
            self.labels.item(i).text()
            for i in range(self.labels.count())
            if self.labels.item(i).checkState() == Qt.CheckState.Checked
        ]
        kwargs: dict = {
            "out_dir": self.out_edit.text().strip() or None,
            "labels": None if len(checked) == self.labels.count() else checked,
            "media_ids": self.selected_media_ids if self.selected_media.isChecked() else None,
            "zip_output": self.checks["zip_output"].isChecked(),
        }
        for name in OPTIONS[self.format()]:
            kwargs[name] = self.checks[name].isChecked()
        return kwargs


def run_export(project, fmt: str, kwargs: dict, parent: QWidget | None = None):
    """Run one export with a progress dialog; returns its ExportSummary, or None if cancelled."""
    dialog = QProgressDialog("Exporting…", "Cancel", 0, 100, parent)
    dialog.setWindowTitle("Export")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)

    def progress(done: int, total: int) -> None:
        if total:
            dialog.setMaximum(total)
            dialog.setValue(min(done, total))
        QCoreApplication.processEvents()
        if dialog.wasCanceled():
            raise ExportCancelled("export cancelled")

    _RUNNING.append(dialog)
    try:
        return EXPORTERS[fmt](project, progress=progress, **kwargs)
    except ExportCancelled:
        return None
    finally:
        _RUNNING.remove(dialog)
        dialog.close()
        dialog.deleteLater()


def export_interactively(project, selected_media_ids: list[int], parent: QWidget | None = None):
    dialog = ExportDialog(project, selected_media_ids, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    try:
        summary = run_export(project, dialog.format(), dialog.export_kwargs(), parent)
    except VideoSegError as exc:
        QMessageBox.warning(parent, "Export failed", window_wording(str(exc)))
        return None
    if summary is not None:
        text = summary.line()
        if summary.warnings:
            text += "\n\n" + "\n".join(f"• {window_wording(w)}" for w in summary.warnings)
        QMessageBox.information(parent, "Export finished", text)
    return summary
