"""Left dock: the media browser (thumbnails, filter with counts, import, delete)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QSize, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MediaStatus
from videoseg_desktop.core.text import plural
from videoseg_desktop.media.formats import MEDIA_EXTENSIONS
from videoseg_desktop.ui.panels.media_list_model import THUMB_SIZE, MediaIdRole, MediaListModel
from videoseg_desktop.ui.project.media_import import import_files
from videoseg_desktop.ui.project.project_session import NONE, ProjectSession
from videoseg_desktop.ui.theme.icons import icon

STATUS_NAMES = {
    MediaStatus.TODO: "To do",
    MediaStatus.IN_PROGRESS: "In progress",
    MediaStatus.DONE: "Done",
    MediaStatus.REVIEWED: "Reviewed",
    MediaStatus.NEEDS_CHANGES: "Needs changes",
}


def _filter_key(filter: str, label_id: int | None, status: MediaStatus | None = None) -> str:
    if label_id is not None:
        return f"label:{label_id}"
    return f"status:{status.value}" if status is not None else filter


def dropped_paths(mime) -> list[Path]:
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]


class MediaListView(QTreeView):
    """The list, accepting files and folders dropped from the file manager.

    A one-column tree view with uniform row heights: its layout is a multiplication, where
    QListView's visits every row (200,000 rowCount calls per layout, seconds per scroll)."""

    filesDropped = Signal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setUniformRowHeights(True)  # no per-row size queries: 200k rows stay fast
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setItemsExpandable(False)
        self.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE * 3 // 4))
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt API)
        paths = dropped_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.filesDropped.emit(paths)


class MediaBrowserDock(QDockWidget):
    errorOccurred = Signal(str)

    def __init__(self, parent: QWidget | None = None, load_thumbnails: bool = True):
        super().__init__("Media", parent)
        self.setObjectName("MediaBrowserDock")
        self.session: ProjectSession | None = None
        self.model: MediaListModel | None = None
        self._load_thumbnails = load_thumbnails
        self.filter_combo = QComboBox()
        self.filter_combo.setToolTip(
            "Show all media, annotated or not, flagged for review, in a workflow state, or those "
            "with a label. Rows show ⚑ flagged masks and ◇ suggested objects."
        )
        self.filter_combo.activated.connect(self._on_filter)
        self.view = MediaListView()
        self.view.filesDropped.connect(self.import_paths)
        self.counts_label = QLabel()
        import_button = QPushButton(icon("import_media"), "Import…")
        import_button.setToolTip("Import images and videos (or drop them here)")
        import_button.clicked.connect(self.choose_and_import)
        delete_button = QPushButton(icon("delete"), "Delete")
        delete_button.setToolTip("Remove the selected media and their annotations")
        delete_button.clicked.connect(self.delete_selected)
        buttons = self._buttons = QHBoxLayout()
        buttons.addWidget(import_button)
        buttons.addWidget(delete_button)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter_combo)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.counts_label)
        layout.addLayout(buttons)
        self.setWidget(body)
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(150)
        self._counts_timer.timeout.connect(self.refresh_counts)
        # Media per label, re-read only after objects, labels or media change (not masks): a
        # count of distinct media over every object, 200-350 ms at a million objects.
        self._label_counts: dict[int, int] | None = None

    def set_session(self, session: ProjectSession | None) -> None:
        if self.model is not None:
            self.model.close()
        self.session = session
        self.model = None
        if session is None:
            self.view.setModel(None)
            return
        self.model = MediaListModel(session.project, self, self._load_thumbnails)
        self.model.sticky_id = session.media_id if session.media_id != NONE else None
        self.model.reload()
        self.view.setModel(self.model)
        self.view.selectionModel().currentChanged.connect(self._on_current)
        session.mediaChanged.connect(self._show_current)
        session.events.mediaChanged.connect(self._on_media_rows)
        session.events.objectsChanged.connect(self._on_objects)
        session.events.masksChanged.connect(lambda _ids: self._counts_timer.start())
        session.events.labelsChanged.connect(lambda _ids: self.refresh_counts(labels=True))
        self._label_counts = None
        self.refresh_counts()
        self._show_current(session.media_id)

    # -- filter and counts -----------------------------------------------------------------
    def refresh_counts(self, labels: bool = False) -> None:
        if self.session is None:
            return
        project = self.session.project
        counts = project.media.counts()
        if labels or self._label_counts is None:
            self._label_counts = project.media.label_counts()
        per_label = self._label_counts
        current = self.filter_combo.currentData()
        self.filter_combo.clear()
        self.filter_combo.addItem(f"All ({counts['media']})", "all")
        self.filter_combo.addItem(f"Annotated ({counts['annotated']})", "annotated")
        self.filter_combo.addItem(
            f"Unannotated ({counts['media'] - counts['annotated']})", "unannotated"
        )
        if self.model is not None:
            self.model.refresh_review()
            flagged = len(self.model.flagged)
            self.filter_combo.addItem(f"Flagged for review ({flagged})", "flagged")
        for status, n in project.media.status_counts().items():
            self.filter_combo.addItem(f"{STATUS_NAMES[status]} ({n})", f"status:{status.value}")
        for label in project.labels.list():
            self.filter_combo.addItem(
                f"Label: {label.name} ({per_label.get(label.id, 0)})", f"label:{label.id}"
            )
        index = self.filter_combo.findData(current) if current else 0
        self.filter_combo.setCurrentIndex(max(index, 0))
        self.counts_label.setText(
            f"{counts['annotated']} of {counts['media']} annotated"
            f" · {plural(counts['images'], 'image')}, {plural(counts['videos'], 'video')}"
        )

    def set_filter(
        self, filter: str, label_id: int | None = None, status: MediaStatus | str | None = None
    ) -> None:
        status = MediaStatus(status) if status is not None else None
        index = self.filter_combo.findData(_filter_key(filter, label_id, status))
        if index >= 0:
            self.filter_combo.setCurrentIndex(index)
        if self.model is not None:
            self.model.set_filter(filter, label_id, status)
            self._show_current(self.session.media_id)

    def _on_filter(self, index: int) -> None:
        key = self.filter_combo.itemData(index)
        if key.startswith("label:"):
            self.set_filter("all", int(key.split(":", 1)[1]))
        elif key.startswith("status:"):
            self.set_filter("all", status=key.split(":", 1)[1])
        else:
            self.set_filter(key)

    def _on_media_rows(self, ids: tuple) -> None:
        if self.model is not None:
            self.model.update_rows(ids)
        self._label_counts = None  # a deleted media item takes its objects with it
        self._counts_timer.start()

    def _on_objects(self, _ids: tuple) -> None:
        # A relabelled object can move its media in or out of a label filter.
        if self.model is not None and self.model.label_id is not None and self.session.media:
            self.model.update_rows((self.session.media_id,))
        self._label_counts = None
        self._counts_timer.start()

    # -- current media ---------------------------------------------------------------------
    def _show_current(self, media_id: int) -> None:
        if self.model is None:
            return
        self.model.sticky_id = media_id if media_id != NONE else None
        row = self.model.row_of(media_id)
        if row < 0 and media_id != NONE:
            self.model.update_rows((media_id,))  # sticky: list it while it is current
            row = self.model.row_of(media_id)
        if row < 0:
            return
        index = self.model.index(row, 0)
        if self.view.currentIndex() != index:
            self.view.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
        self.view.scrollTo(index)

    def _on_current(self, current, _previous) -> None:
        if self.session is not None and current.isValid():
            media_id = current.data(MediaIdRole)
            if media_id != self.session.media_id:
                self.session.set_media(media_id)

    def visible_ids(self) -> list[int]:
        return self.model.ids() if self.model is not None else []

    # -- import and delete -----------------------------------------------------------------
    def choose_and_import(self) -> None:
        if self.session is None:
            return
        patterns = " ".join(f"*{ext}" for ext in sorted(MEDIA_EXTENSIONS))
        files, _ = QFileDialog.getOpenFileNames(
            self, "Import media", "", f"Images and videos ({patterns});;All files (*)"
        )
        if files:
            self.import_paths([Path(f) for f in files])

    def import_paths(self, paths: list[Path]) -> None:
        if self.session is None:
            return
        builds = self.session.scrub_builds
        builds.hold("import", True)  # a video opened meanwhile must not slow the import down
        try:
            summary = import_files(self.session.project, paths, self)
        finally:
            builds.hold("import", False)
        # Scrub proxies of the new videos: queued, built after this returns (never delaying it).
        builds.enqueue(summary.added_ids)
        if self.session.media_id == NONE and summary.first_added_id is not None:
            self.session.set_media(summary.first_added_id)

    def add_button(self, button: QPushButton) -> None:
        """A button acting on the selection, from a feature plugged in (pre-labelling)."""
        self._buttons.addWidget(button)

    def selected_ids(self) -> list[int]:
        return [i.data(MediaIdRole) for i in self.view.selectionModel().selectedIndexes()]

    def delete_selected(self, confirm: bool = True) -> bool:
        ids = self.selected_ids()
        if self.session is None or not ids:
            return False
        if confirm:
            answer = QMessageBox.question(
                self,
                "Delete media",
                f"Remove {len(ids)} item{'s' if len(ids) > 1 else ''} and all their objects, "
                "prompts and masks from the project? This cannot be undone.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        project = self.session.project
        try:
            with project.transaction():
                for media_id in ids:
                    project.media.delete(media_id)
        except VideoSegError as exc:
            self.errorOccurred.emit(str(exc))
            return False
        # Undo entries may point at the deleted media; they cannot be replayed safely.
        self.session.undo_stack.clear()
        return True
