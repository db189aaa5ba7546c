"""The dialogs of File > Team: what to split, which packages to merge, what the merge did."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.text import plural
from videoseg_desktop.store.team_package import PackageRecord
from videoseg_desktop.store.team_report import MergeReport
from videoseg_desktop.store.team_split import annotator_names


class SplitDialog(QDialog):
    """How many packages (or for whom), where, and how media travel."""

    def __init__(self, project_name: str, start: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Split into work packages")
        self.by_count_radio = QRadioButton("Number of packages")
        self.count = QSpinBox()
        self.count.setRange(1, 1000)
        self.count.setValue(2)
        self.by_name_radio = QRadioButton("One per annotator")
        self.names = QLineEdit()
        self.names.setPlaceholderText("alice, bob, carol")
        self.by_name_radio.setChecked(True)
        self.folder = QLineEdit(str(start))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.by_frames = QCheckBox("Share by frame count (long videos weigh more)")
        self.link = QCheckBox("Link media files instead of copying them (shared disk)")
        self.error = QLabel()
        self.error.setStyleSheet("color: #c0392b")
        where = QHBoxLayout()
        where.addWidget(self.folder, 1)
        where.addWidget(browse)
        form = QFormLayout()
        form.addRow(self.by_name_radio, self.names)
        form.addRow(self.by_count_radio, self.count)
        form.addRow("Write packages to", where)
        intro = QLabel(
            f"Each annotator gets a project of their own with part of the media of {project_name}, "
            "its labels, attributes and existing annotations. Merge their work back with "
            "File > Team > Merge packages…"
        )
        intro.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Split")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (intro,):
            layout.addWidget(widget)
        layout.addLayout(form)
        for widget in (self.by_frames, self.link, self.error, buttons):
            layout.addWidget(widget)
        self.resize(560, self.sizeHint().height())

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Write packages to", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def annotators(self) -> list[str]:
        if self.by_name_radio.isChecked():
            names = [n.strip() for n in self.names.text().split(",") if n.strip()]
            if not names:
                raise VideoSegError("name at least one annotator")
            return annotator_names(names=names)
        return annotator_names(into=self.count.value())

    def out_folder(self) -> Path:
        return Path(self.folder.text().strip()).expanduser()

    def accept(self) -> None:
        try:
            self.annotators()
            if not self.folder.text().strip():
                raise VideoSegError("choose a folder for the packages")
        except VideoSegError as exc:
            self.error.setText(str(exc))
            return
        super().accept()


class MergeDialog(QDialog):
    """The packages split from this project (ticked when their folder is there), and more."""

    def __init__(self, packages: list[PackageRecord], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Merge work packages")
        self.list = QListWidget()
        for record in packages:
            folder = Path(record.folder)
            merged = f", merged {record.merges}×" if record.merges else ", not merged yet"
            self._add(folder, f"{record.annotator} — {folder}{merged}", folder.is_dir())
        add = QPushButton("Add package folder…")
        add.clicked.connect(self._browse)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Merge")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Packages to merge (one transaction each):"))
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addStretch(1)
        row.addWidget(buttons)
        layout.addLayout(row)
        self.resize(620, 320)

    def _add(self, folder: Path, text: str, checked: bool) -> None:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, str(folder))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.list.addItem(item)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Package folder", str(Path.home()))
        if folder:
            self._add(Path(folder), folder, True)

    def add_folder(self, folder: Path) -> None:
        self._add(Path(folder), str(folder), True)

    def chosen(self) -> list[Path]:
        return [
            Path(self.list.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        ]


class MergeSummaryDialog(QDialog):
    """Per package: items merged, conflicts (with names), or why it was refused."""

    def __init__(self, results: list[tuple[Path, MergeReport | str]], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Merge summary")
        reports = [r for _, r in results if isinstance(r, MergeReport)]
        conflicts = sum(len(r.conflicts) for r in reports)
        merged = sum(r.merged for r in reports)
        media = sum(r.media_added for r in reports)
        decisions = sum(r.decisions for r in reports)
        refused = sum(len(r.media_refused) for r in reports)
        failed = len(results) - len(reports)
        headline = (
            f"{plural(len(reports), 'package')} merged: {plural(merged, 'item')} taken "
            f"over, {plural(conflicts, 'conflict')}, {plural(media, 'media item')} added, "
            f"{plural(decisions, 'review decision')} recorded"
            + (f"; {plural(refused, 'media file')} refused" if refused else "")
            + (f"; {plural(failed, 'package')} refused" if failed else "")
        )
        if conflicts:
            headline += (
                ". Both versions of each conflicting item are kept as objects in the "
                "'conflict' state: the review queue lists them."
            )
        self.headline = QLabel(headline)
        self.headline.setWordWrap(True)
        self.packages = _table(
            [
                "Package",
                "Annotator",
                "Merged",
                "New",
                "Media added",
                "Decisions",
                "Conflicts",
                "Note",
            ]
        )
        for folder, result in results:
            if isinstance(result, MergeReport):
                notes = [] if result.changed else ["nothing new since the last merge"]
                if result.media_matched:
                    notes.append(f"{plural(result.media_matched, 'media item')} already here")
                if result.skipped_media:
                    notes.append(f"{plural(result.skipped_media, 'media item')} no longer here")
                notes += [f"refused {line}" for line in result.media_refused]
                cells = [folder.name, result.annotator, result.merged, result.added]
                cells += [result.media_added, result.decisions, len(result.conflicts)]
                cells.append("; ".join(notes))
            else:
                cells = [folder.name, "", "", "", "", "", "", f"refused: {result}"]
            _append(self.packages, cells)
        self.conflicts = _table(["Package", "Media", "Item", "What happened"])
        for folder, result in results:
            if isinstance(result, MergeReport):
                for c in result.conflicts:
                    _append(self.conflicts, [folder.name, c.media, c.item, c.why])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.packages, 1)
        layout.addWidget(QLabel(f"Conflicts ({conflicts}):"))
        layout.addWidget(self.conflicts, 1)
        layout.addWidget(buttons)
        for table in (self.packages, self.conflicts):
            table.resizeColumnsToContents()
            table.horizontalHeader().setStretchLastSection(True)
        self.resize(820, 520)


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _append(table: QTableWidget, cells: list) -> None:
    row = table.rowCount()
    table.insertRow(row)
    for col, value in enumerate(cells):
        table.setItem(row, col, QTableWidgetItem(str(value)))
