"""The Project Statistics window: store/statistics.py's tables (what is there, who made it, how
long it took, how the review went), exportable as the same CSV as ``videoseg stats --csv``.

It stays open beside the work (not modal) and follows it: a change to the project refreshes the
tables a moment after the last change, so a burst of tracking writes costs one query, not one
per batch."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
)

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.text import plural
from videoseg_desktop.store.statistics import ProjectStats, project_stats, write_stats_csv

ANNOTATOR_COLUMNS = (  # field, heading
    ("user", "Annotator"),
    ("items", "Items"),
    ("objects", "Objects"),
    ("masks", "Masks"),
    ("active_s", "Active time"),
    ("median_s_per_image", "Median s / image"),
    ("median_s_per_tracked_frame", "Median s / tracked frame"),
    ("masks_per_hour", "Masks / hour"),
    ("clicks", "Clicks"),
    ("corrections", "Corrections"),
    ("accepted", "Accepted"),
    ("rejected", "Rejected"),
    ("accept_rate", "Accept rate"),
    ("items_reviewed", "Items reviewed"),
    ("items_needing_changes", "Items needing changes"),
)


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


LIVE_DELAY_MS = 1000  # after the last change: tracking writes several batches a second


class ProjectStatsDialog(QDialog):
    def __init__(self, project, parent=None, events=None, before_refresh=None):
        super().__init__(parent)
        self.project = project
        self.before_refresh = before_refresh  # e.g. write the active time built up so far
        self._live = QTimer(self)
        self._live.setSingleShot(True)
        self._live.setInterval(LIVE_DELAY_MS)
        self._live.timeout.connect(self._refresh_if_shown)
        if events is not None:
            events.anyChanged.connect(self._on_changed)
        self.setWindowTitle(f"Project Statistics — {project.name}")
        self.resize(900, 520)
        self.tabs = QTabWidget()
        self.overview, self.annotators, self.review = QTableWidget(), QTableWidget(), QTableWidget()
        self.tabs.addTab(self.overview, "Overview")
        self.tabs.addTab(self.annotators, "Annotators")
        self.tabs.addTab(self.review, "Review outcomes")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = buttons.addButton(
            "Export CSV…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.refresh_button = buttons.addButton("Refresh", QDialogButtonBox.ButtonRole.ResetRole)
        self.export_button.clicked.connect(self.choose_and_export)
        self.refresh_button.clicked.connect(self.refresh)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self.stats: ProjectStats | None = None
        self.refresh()

    def _on_changed(self, _changes) -> None:
        if self.isVisible():
            self._live.start()  # restarted by every change: one refresh after the burst

    def _refresh_if_shown(self) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        if self.before_refresh is not None:
            self.before_refresh()
        try:
            self.stats = project_stats(self.project)
        except VideoSegError as exc:  # e.g. the project's disk went away: say so, keep the tables
            self.setWindowTitle(f"Project Statistics — {self.project.name} (not refreshed: {exc})")
            return
        s = self.stats
        rows = [
            ("Media", f"{s.media} ({plural(s.images, 'image')}, {plural(s.videos, 'video')})"),
            ("Objects", s.objects),
            ("Masks", s.masks),
            ("Masks flagged for review", s.flagged_masks),
            ("Clicks per object", s.clicks_per_object),
            ("Corrections per track", s.corrections_per_track),
        ]
        for title, table in (
            ("State", s.media_by_status),
            ("Source", s.masks_by_source),
            ("Objects of label", s.objects_by_label),
            ("Masks of label", s.masks_by_label),
            ("Objects", s.objects_by_state),
        ):
            rows += [(f"{title}: {name}", n) for name, n in table.items()]
        _fill(self.overview, ("", "Value"), [(k, cell(v)) for k, v in rows])
        annotator_rows = []
        for a in s.annotators:
            values = asdict(a)
            annotator_rows.append(
                [
                    duration(values[f]) if f == "active_s" else cell(values[f])
                    for f, _ in ANNOTATOR_COLUMNS
                ]
            )
        _fill(self.annotators, [h for _, h in ANNOTATOR_COLUMNS], annotator_rows)
        review_rows = [
            (kind, name, o.accepted, o.rejected, cell(o.accept_rate), cell(o.reject_rate))
            for kind, table in (
                ("mask source", s.review_by_source),
                ("reviewer", s.review_by_reviewer),
            )
            for name, o in table.items()
        ]
        _fill(
            self.review,
            ("By", "Name", "Accepted", "Rejected", "Accept rate", "Reject rate"),
            review_rows,
        )

    def export_csv(self, path: Path | str) -> Path:
        """Write the statistics as CSV (section, name, metric, value); raises VideoSegError."""
        write_stats_csv(self.stats, path)
        return Path(path)

    def choose_and_export(self) -> None:
        default = str(self.project.exports_dir / f"{self.project.name}-stats.csv")
        path, _ = QFileDialog.getSaveFileName(self, "Export statistics", default, "CSV (*.csv)")
        if not path:
            return
        try:
            self.export_csv(path)
        except VideoSegError as exc:
            parent = self.parent()
            if parent is not None and hasattr(parent, "show_error"):
                parent.show_error(str(exc))


def _fill(table: QTableWidget, headings, rows) -> None:
    table.clear()
    table.setColumnCount(len(headings))
    table.setRowCount(len(rows))
    table.setHorizontalHeaderLabels([str(h) for h in headings])
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(str(value)))
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
