"""The media browser: filter with counts, lazy thumbnails, 100k rows, drop-to-import, delete."""

from __future__ import annotations

import time

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent

from videoseg_desktop.core.records import MediaItem, MediaKind
from videoseg_desktop.store import Project
from videoseg_desktop.ui.panels.media_list_model import MediaIdRole, MediaListModel


def test_filters_show_counts_and_follow_annotation(driver, qtbot):
    dock = driver.window.media_dock
    texts = [dock.filter_combo.itemText(i) for i in range(dock.filter_combo.count())]
    assert texts == [
        "All (3)",
        "Annotated (0)",
        "Unannotated (3)",
        "Flagged for review (0)",
        "To do (3)",
        "In progress (0)",
        "Done (0)",
        "Reviewed (0)",
        "Needs changes (0)",
        "Label: car (0)",
        "Label: animal (0)",
    ]
    driver.drag(100, 100, 700, 400)
    driver.wait_masks()
    annotated = driver.project.media.get(driver.session.media_id).annotated
    qtbot.waitUntil(
        lambda: dock.filter_combo.itemText(1) == f"Annotated ({int(annotated)})", timeout=3000
    )
    assert dock.filter_combo.itemText(9) == "Label: car (1)"  # an object of that label exists
    dock.set_filter("unannotated")
    # The current media stays listed while it is current, even though it no longer matches.
    assert driver.session.media_id in dock.visible_ids()
    assert len(dock.visible_ids()) == 3
    driver.key(Qt.Key.Key_Right)
    dock.set_filter("unannotated")
    expected = 2 if annotated else 3
    assert len(dock.visible_ids()) == expected
    dock.set_filter("all", driver.project.labels.get("car").id)
    assert driver.project.media.ids()[0] in dock.visible_ids()


def test_thumbnails_load_off_the_gui_thread(driver, qtbot):
    model = driver.window.media_dock.model
    index = model.index(0, 0)
    model.data(index, Qt.ItemDataRole.DecorationRole)  # asks for it
    qtbot.waitUntil(
        lambda: model.data(index, Qt.ItemDataRole.DecorationRole).width() > 90, timeout=10000
    )
    assert len(list((driver.project.cache_dir / "thumbs").iterdir())) >= 1
    assert "854×480 image" in model.data(model.index(1, 0), Qt.ItemDataRole.ToolTipRole)


def _fake_items(n: int) -> list[MediaItem]:
    return [
        MediaItem(i + 1, MediaKind.IMAGE, f"media/{i}.jpg", f"{i:06d}.jpg", 1, f"{i:064x}",
                  640, 480, 1, None, None, "2026-01-01", i % 3 == 0)
        for i in range(n)
    ]  # fmt: skip


class _FakeMedia:
    def __init__(self, items):
        self.items = items
        self.by_id = {i.id: i for i in items}
        self.rows_read = 0

    def list(self, filter="all", label_id=None, status=None):
        return list(self.items)

    def ids_where(self, filter="all", label_id=None, status=None):
        return [i.id for i in self.items]

    def get_many(self, ids):
        self.rows_read += len(ids)
        return {i: self.by_id[i] for i in ids if i in self.by_id}


class _FakeReview:
    def flag_counts(self):
        return {}

    def suggested_counts(self):
        return {}


class _FakeProject:
    def __init__(self, items):
        self.media = _FakeMedia(items)
        self.review = _FakeReview()
        self.thumbnail_requests = 0

    def thumbnail_path(self, item):
        self.thumbnail_requests += 1
        raise FileNotFoundError("no file in this test")


def test_a_hundred_thousand_rows_load_fast_and_only_visible_thumbnails_are_asked(qtbot):
    from videoseg_desktop.ui.panels.media_browser_dock import MediaListView

    project = _FakeProject(_fake_items(100_000))
    model = MediaListModel(project)
    start = time.perf_counter()
    model.reload()
    view = MediaListView()
    view.setModel(model)
    view.resize(300, 800)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    shown = time.perf_counter() - start
    assert model.rowCount() == 100_000
    assert shown < 2.0
    # Scroll through the list in big jumps: each repaint only asks for visible rows.
    start = time.perf_counter()
    bar = view.verticalScrollBar()
    for value in range(0, bar.maximum(), bar.maximum() // 20):
        bar.setValue(value)
        view.viewport().repaint()
    per_page = (time.perf_counter() - start) / 21
    assert per_page < 0.1
    qtbot.waitUntil(lambda: not model._loader._pending, timeout=10000)
    assert project.thumbnail_requests < 2000  # not 100,000
    assert project.media.rows_read < 20_000  # the rows shown, a page at a time
    assert model.row_of(54_321) == 54_320
    model.close()


def test_dropping_files_imports_them(driver, tmp_path, samples_root, qtbot):
    dock = driver.window.media_dock
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(samples_root / "truck.jpg")),
                  QUrl.fromLocalFile(str(samples_root / "bedroom"))])  # fmt: skip
    view = dock.view
    event = QDropEvent(
        QPoint(10, 10).toPointF(), Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    view.dropEvent(event)
    bedroom = len(list((samples_root / "bedroom").glob("*.jpg")))
    assert driver.project.media.count() == 3 + 1 + bedroom
    assert dock.model.rowCount() == 3 + 1 + bedroom
    qtbot.waitUntil(lambda: dock.filter_combo.itemText(0) == f"All ({4 + bedroom})", timeout=3000)


def test_delete_removes_the_selected_media_after_confirmation(driver, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    dock = driver.window.media_dock
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    first = driver.session.media_id
    driver.click(200, 200)
    driver.wait_masks()
    assert not dock.delete_selected()  # "No": nothing happens
    assert driver.project.media.count() == 3
    assert dock.delete_selected()
    assert first not in driver.project.media.ids()
    assert driver.project.objects.counts()["objects"] == 0
    assert driver.session.media_id == driver.project.media.ids()[0]
    assert dock.model.rowCount() == 2
    assert dock.view.currentIndex().data(MediaIdRole) == driver.session.media_id


def test_media_list_model_applies_store_changes_row_by_row(tmp_path, image_files, qtbot):
    with Project.create(tmp_path / "p") as project:
        project.import_media(image_files[:2])
        model = MediaListModel(project, load_thumbnails=False)
        model.set_filter("unannotated")
        assert model.rowCount() == 2
        project.import_media(image_files[2:])
        model.update_rows((3,))
        assert model.ids() == [1, 2, 3]
        project.media.delete(2)
        model.update_rows((2,))
        assert model.ids() == [1, 3]
