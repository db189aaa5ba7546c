"""Importing files from the GUI: folders expanded, one file at a time, with progress and cancel.

Files are imported one per store call so that cancelling keeps everything imported so far; the
GUI thread stays responsive because events are processed between (and during) files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.media.formats import MEDIA_EXTENSIONS


@dataclass
class ImportSummary:
    added: int = 0
    duplicates: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    first_added_id: int | None = None
    added_ids: list[int] = field(default_factory=list)

    def text(self) -> str:
        parts = [f"Imported {self.added} file{'s' if self.added != 1 else ''}."]
        if self.duplicates:
            parts.append(f"{self.duplicates} already in the project.")
        if self.cancelled:
            parts.append("Cancelled; the files imported so far are kept.")
        if self.errors:
            listed = "\n".join(f"• {name}: {why}" for name, why in self.errors[:12])
            more = f"\n… and {len(self.errors) - 12} more" if len(self.errors) > 12 else ""
            parts.append(f"{len(self.errors)} could not be imported:\n{listed}{more}")
        return "\n".join(parts)


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given, and the media files inside given folders (recursively, sorted)."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MEDIA_EXTENSIONS
            )
        else:
            found.append(path)
    return found


def import_files(
    project, paths: list[Path], parent: QWidget | None = None, show_summary: bool = True
) -> ImportSummary:
    files = expand_paths(paths)
    summary = ImportSummary()
    if not files:
        return summary
    dialog = QProgressDialog("Importing…", "Cancel", 0, len(files), parent)
    dialog.setWindowTitle("Import media")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    for done, path in enumerate(files):
        if dialog.wasCanceled():
            summary.cancelled = True
            break
        dialog.setValue(done)
        dialog.setLabelText(f"Importing {path.name} ({done + 1} of {len(files)})")
        QCoreApplication.processEvents()
        try:
            report = project.import_media([path], skip_bad=True)
        except VideoSegError as exc:
            summary.errors.append((path.name, str(exc)))
            continue
        summary.added += len(report.added)
        summary.added_ids += [item.id for item in report.added]
        summary.duplicates += len(report.duplicates)
        summary.errors += [(Path(p).name, why) for p, why in report.errors]
        if report.added and summary.first_added_id is None:
            summary.first_added_id = report.added[0].id
    dialog.setValue(len(files))
    dialog.close()
    if show_summary and (summary.errors or summary.cancelled or summary.duplicates):
        box = QMessageBox.warning if summary.errors else QMessageBox.information
        box(parent, "Import media", summary.text())
    return summary
