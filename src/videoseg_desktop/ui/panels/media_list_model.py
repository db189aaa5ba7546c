"""The media list as a Qt model: 200,000 rows scroll and switch filters quickly because nothing
is done per row in Python until the view asks for a shown row, thumbnails load lazily off the
GUI thread, and rows update one by one as the store reports changes (never a full reload per
edit)."""

from __future__ import annotations

import contextlib
from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QModelIndex, QObject, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap, QStandardItemModel

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MediaItem, MediaKind, MediaStatus
from videoseg_desktop.core.text import plural
from videoseg_desktop.ui.panels.thumbnail_loader import ThumbnailLoader

THUMB_SIZE = 96
MediaIdRole = Qt.ItemDataRole.UserRole
AnnotatedRole = Qt.ItemDataRole.UserRole + 1
PIXMAP_CACHE = 3000
STATUS_MARK = {
    MediaStatus.IN_PROGRESS: "…",
    MediaStatus.DONE: "● done",
    MediaStatus.REVIEWED: "★ reviewed",
    MediaStatus.NEEDS_CHANGES: "✗ needs changes",
}


class _LazyItems:
    """The listed media: every id at once (an ascending int64 array), the rows read a page at
    a time as the view asks (only what is shown is read)."""

    PAGE = 256
    CACHE = 20_000

    def __init__(self, repo, ids: np.ndarray):
        self._repo, self.ids = repo, np.asarray(ids, dtype=np.int64)
        self._cache: dict[int, MediaItem] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, row: int) -> MediaItem | None:
        media_id = int(self.ids[row])
        item = self._cache.get(media_id)
        if item is None:
            if len(self._cache) > self.CACHE:
                self._cache.clear()
            start = row - row % self.PAGE
            page = self.ids[start : start + self.PAGE].tolist()
            with contextlib.suppress(VideoSegError):  # a damaged row shows as empty
                self._cache.update(self._repo.get_many(page))
            item = self._cache.get(media_id)
        return item

    def row_of(self, media_id: int) -> int:
        return int(np.searchsorted(self.ids, media_id)) if _has(self.ids, media_id) else -1

    def put(self, item: MediaItem) -> None:
        self._cache[item.id] = item

    def insert(self, item: MediaItem) -> int:
        row = int(np.searchsorted(self.ids, item.id))
        self.ids = np.insert(self.ids, row, item.id)
        self._cache[item.id] = item
        return row

    def remove(self, row: int) -> None:
        self._cache.pop(int(self.ids[row]), None)
        self.ids = np.delete(self.ids, row)


def _has(ids: np.ndarray, media_id: int) -> bool:
    row = int(np.searchsorted(ids, media_id))
    return row < len(ids) and ids[row] == media_id


def _placeholder(size: int = THUMB_SIZE) -> QPixmap:
    pixmap = QPixmap(size, size * 3 // 4)
    pixmap.fill(QColor(70, 72, 78))
    return pixmap


class MediaListModel(QStandardItemModel):
    """One column of rows, one per listed media item; ``data`` answers from ``_LazyItems``.

    The row count lives in C++: a QStandardItemModel with rows but no items (a null pointer
    each). QTreeView's layout asks the model for an index per row, and a QAbstractListModel
    answers each through the Python ``rowCount`` (200,000 calls: 0.3-1.4 s per filter switch
    at 200,000 images); here Python runs only for the rows on screen. The null items' C++
    flags say editable: the view has no edit triggers and ``setData`` refuses. Rows are
    ``index(row, 0)``."""

    def __init__(self, project, parent: QObject | None = None, load_thumbnails: bool = True):
        super().__init__(0, 1, parent)
        self.project = project
        self.filter = "all"
        self.label_id: int | None = None
        self.status: MediaStatus | None = None
        self.flagged: dict[int, int] = {}  # media id -> flagged masks (review counts per row)
        self.suggested: dict[int, int] = {}  # media id -> suggested objects
        self._items = _LazyItems(project.media, np.zeros(0, np.int64))
        # The "all" filter's ids, kept until a media item is added or deleted (the query is
        # 40-130 ms at 200,000 images on a loaded machine; switching back to All is then free).
        self._all_ids: np.ndarray | None = None
        self._pixmaps: OrderedDict[int, QPixmap] = OrderedDict()
        self._placeholder = _placeholder()
        self._loader = ThumbnailLoader(parent=self) if load_thumbnails else None
        if self._loader:
            self._loader.loaded.connect(self._on_thumbnail)
        self.sticky_id: int | None = None  # the current media stays listed while it is current

    # -- Qt model API (no rowCount, flags or index here: see the class docstring) ----------
    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        return False

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if item is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            mark = "✓ " if item.annotated else ""
            return f"{mark}{item.original_name}{self._review_text(item)}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(item)
        if role == Qt.ItemDataRole.ToolTipRole:
            kind = (
                f"video, {plural(item.frame_count, 'frame')}"
                if item.kind is MediaKind.VIDEO
                else "image"
            )
            state = "annotated" if item.annotated else "not annotated"
            review = f"{item.status.value}{self._review_text(item, long=True)}"
            return f"{item.original_name}\n{item.width}×{item.height} {kind}\n{state}, {review}"
        if role == MediaIdRole:
            return item.id
        if role == AnnotatedRole:
            return item.annotated
        return None

    def _review_text(self, item: MediaItem, long: bool = False) -> str:
        """The row's review counts: flagged masks and suggested objects, when there are any."""
        parts = []
        flags, suggested = self.flagged.get(item.id, 0), self.suggested.get(item.id, 0)
        if flags:
            parts.append(f"{flags} flagged" if long else f"⚑{flags}")
        if suggested:
            parts.append(f"{suggested} suggested" if long else f"◇{suggested}")
        if item.status is not MediaStatus.TODO and not long:
            parts.append(STATUS_MARK.get(item.status, ""))
        return ("; " if long else "  ") + (", " if long else " ").join(parts) if parts else ""

    def refresh_review(self) -> None:
        """Re-read the per-row review counts (two grouped queries) and repaint the rows."""
        review = self.project.review
        self.flagged, self.suggested = review.flag_counts(), review.suggested_counts()
        if len(self._items):
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(len(self._items) - 1, 0),
                [Qt.ItemDataRole.DisplayRole],
            )

    # -- contents --------------------------------------------------------------------------
    def set_filter(
        self, filter: str, label_id: int | None = None, status: MediaStatus | None = None
    ) -> None:
        self.filter, self.label_id, self.status = filter, label_id, status
        self.reload()

    def reload(self) -> None:
        # Before the rows change: bringing stale flags up to date writes, and writes emit row
        # events.
        self.flagged = self.project.review.flag_counts()
        self.suggested = self.project.review.suggested_counts()
        if self.filter == "all" and self.label_id is None and self.status is None:
            if self._all_ids is None:
                self._all_ids = self.project.media.ids_where()
            ids = self._all_ids  # never changed in place: rows come and go as new arrays
        else:
            ids = self.project.media.ids_where(self.filter, self.label_id, self.status)
        items = _LazyItems(self.project.media, ids)
        if self.sticky_id is not None and items.row_of(self.sticky_id) < 0:
            with contextlib.suppress(VideoSegError):
                items.insert(self.project.media.get(self.sticky_id))
        # Every row out, then the new ones in, both in C++ (a reset would do the same work;
        # these keep the removal and insertion signals exact). The current row goes with the
        # old rows: the view's current index becomes invalid, never another media item.
        self.setRowCount(0)
        self._items = items
        self.setRowCount(len(items))

    def item_at(self, row: int) -> MediaItem:
        return self._items[row]

    def row_of(self, media_id: int) -> int:
        return self._items.row_of(media_id)

    def ids(self) -> list[int]:
        return self._items.ids.tolist()

    def update_rows(self, media_ids: tuple) -> None:
        """Apply store changes to these media rows (insert, update, or remove)."""
        if not media_ids:
            self._all_ids = None
            self.reload()
            return
        for media_id in media_ids:
            try:
                item = self.project.media.get(media_id)
            except VideoSegError:
                item = None
            if self._all_ids is not None and (item is None or not _has(self._all_ids, media_id)):
                self._all_ids = None  # added or deleted
            row = self.row_of(media_id)
            keep = item is not None and (self._matches(item) or media_id == self.sticky_id)
            if row >= 0 and keep:
                self._items.put(item)
                index = self.index(row, 0)
                self.dataChanged.emit(index, index)
            elif row >= 0:
                # The ids change after the removal: while it is announced (the view's current
                # row moving to a neighbour), rows still read as before.
                self.removeRows(row, 1)
                self._items.remove(row)
                self._pixmaps.pop(media_id, None)
            elif keep:
                # The ids change first: the new row is read only once it is announced.
                self.insertRows(self._items.insert(item), 1)

    def _matches(self, item: MediaItem) -> bool:
        if self.filter == "annotated" and not item.annotated:
            return False
        if self.filter == "unannotated" and item.annotated:
            return False
        if self.filter == "flagged" and not self.flagged.get(item.id):
            return False
        if self.status is not None and item.status is not self.status:
            return False
        if self.label_id is not None:
            return any(o.label_id == self.label_id for o in self.project.objects.list(item.id))
        return True

    # -- thumbnails ------------------------------------------------------------------------
    def _thumbnail(self, item: MediaItem) -> QPixmap:
        pixmap = self._pixmaps.get(item.id)
        if pixmap is not None:
            self._pixmaps.move_to_end(item.id)
            return pixmap
        if self._loader is not None and not self._loader.is_pending(item.id):
            project = self.project
            self._loader.request(item.id, lambda: project.thumbnail_path(item))
        return self._placeholder

    def _on_thumbnail(self, media_id: int, image: QImage) -> None:
        if image.isNull():
            pixmap = self._placeholder.copy()
            painter = QPainter(pixmap)
            painter.setPen(QColor(220, 120, 120))
            painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "?")
            painter.end()
        else:
            pixmap = QPixmap.fromImage(image).scaled(
                QSize(THUMB_SIZE, THUMB_SIZE),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        self._pixmaps[media_id] = pixmap
        while len(self._pixmaps) > PIXMAP_CACHE:
            self._pixmaps.popitem(last=False)
        row = self.row_of(media_id)
        if row >= 0:
            index = self.index(row, 0)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def close(self) -> None:
        if self._loader is not None:
            self._loader.close()
