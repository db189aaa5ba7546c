"""The media browser at 50,000 rows: switching filters runs Python for the rows on screen only
(QTreeView lays out every row, and a model answering it from Python made each switch cost
seconds at 200,000 images), and the rows listed are still exactly the filter's."""

from __future__ import annotations

import sys
from collections import Counter

from videoseg_desktop.core.records import MediaStatus
from videoseg_desktop.store import Project
from videoseg_desktop.ui.panels.media_browser_dock import MediaBrowserDock
from videoseg_desktop.ui.panels.media_list_model import MediaIdRole
from videoseg_desktop.ui.project.project_session import ProjectSession

ROWS = 50_000


def _bulk_project(root) -> Project:
    """50,000 image rows (no files), every other one annotated with an object of label 1 or 2."""
    project = Project.create(root, user="test")
    labels = [project.labels.add(n).id for n in ("car", "person")]
    with project.transaction() as conn:
        conn.executemany(
            "INSERT INTO media (id, kind, path, original_name, byte_size, sha256, width, height,"
            " frame_count, imported_at, annotated, status) VALUES"
            " (?, 'image', ?, ?, 1, ?, 64, 48, 1, 't', ?, ?)",
            (
                (m, f"media/m{m}.jpg", f"m{m}.jpg", f"{m:064x}", m % 2, "done" if m % 5 else "todo")
                for m in range(1, ROWS + 1)
            ),
        )
        conn.executemany(
            "INSERT INTO objects (media_id, label_id, name, created_at, state, author)"
            " VALUES (?, ?, 'o', 't', 'normal', 'test')",
            ((m, labels[m % 4 == 1]) for m in range(1, ROWS + 1, 2)),
        )
    return project


class _PythonCalls:
    """Counts Python function calls (from C++ too) per function while active."""

    def __init__(self):
        self.calls = 0
        self.per_function: Counter = Counter()

    def __enter__(self):
        sys.setprofile(self._count)
        return self

    def __exit__(self, *exc):
        sys.setprofile(None)

    def _count(self, frame, event, arg):
        if event == "call":
            self.calls += 1
            self.per_function[frame.f_code.co_qualname] += 1


def test_filter_switches_at_50000_rows_run_python_only_for_the_rows_shown(tmp_path, qtbot):
    project = _bulk_project(tmp_path / "p")
    session = ProjectSession(project)
    dock = MediaBrowserDock(load_thumbnails=False)
    qtbot.addWidget(dock)
    dock.resize(300, 600)
    dock.set_session(session)
    dock.show()
    qtbot.waitExposed(dock)
    assert dock.model.rowCount() == ROWS
    label_2 = project.labels.list()[1].id
    switches = [
        ("annotated", {}),
        ("all", {}),
        ("unannotated", {}),
        ("all", {"label_id": label_2}),
        ("all", {"status": MediaStatus.DONE}),
        ("flagged", {}),
        ("all", {}),
    ]
    for name, extra in switches:
        with _PythonCalls() as counted:
            dock.set_filter(name, **extra)
            qtbot.wait(1)  # events processed
            dock.view.viewport().repaint()
        # The store's query and a page of rows read for the screen (256 records, a few
        # thousand calls in all); nothing called once per listed row (25,000-50,000).
        busiest, most = counted.per_function.most_common(1)[0]
        assert most <= 2_500, (name, extra, busiest, most)
        assert counted.calls < 15_000, (name, extra, counted.per_function.most_common(8))
        records = project.media.list(name, extra.get("label_id"), extra.get("status"))
        assert dock.visible_ids() == [m.id for m in records]
        assert dock.model.rowCount() == len(records)
    # Rows on screen read as the filter's media; the view's rows match the model's.
    top = dock.view.indexAt(dock.view.viewport().rect().topLeft())
    assert top.data(MediaIdRole) == 1
    dock.set_filter("unannotated")
    assert dock.view.model().index(3, 0).data(MediaIdRole) == 8
    dock.set_session(None)
    session.deleteLater()
    project.close()


def test_mask_changes_do_not_recount_media_per_label(tmp_path, qtbot, monkeypatch):
    """The filter menu's per-label counts read every object (200-350 ms at a million): after a
    mask change they are kept; after an object change they are read again."""
    project = _bulk_project(tmp_path / "p")
    session = ProjectSession(project)
    dock = MediaBrowserDock(load_thumbnails=False)
    qtbot.addWidget(dock)
    dock.set_session(session)
    calls = []
    real = project.media.label_counts
    monkeypatch.setattr(project.media, "label_counts", lambda: calls.append(1) or real())
    session.events.masksChanged.emit((1,))
    qtbot.wait(400)  # the counts' 150 ms timer
    assert calls == []
    label = project.labels.list()[0]
    project.objects.add(2, label.id, name="new")  # media 2 had no object
    qtbot.waitUntil(lambda: calls != [], timeout=3000)
    car = dock.filter_combo.findData(f"label:{label.id}")
    assert dock.filter_combo.itemText(car) == f"Label: car ({ROWS // 4 + 1})"
    dock.set_session(None)
    session.deleteLater()
    project.close()
