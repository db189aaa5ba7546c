"""The window and read-only projects: the locked project's dialog offers Open Read-Only (and it
works), a read-only project says so in the title and the status bar with editing off, an I/O
error is a dialog that stays up, and a crafted window state cannot stop a project opening."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QAbstractButton, QMessageBox

from tests.helpers.filesystems import remount_read_only, small_tmpfs
from tests.helpers.windows import shown_window
from videoseg_desktop.core.prompts import Point
from videoseg_desktop.store import DB_NAME, Project


@pytest.fixture
def window(qtbot, client):
    window = shown_window(qtbot, client)
    yield window
    window.close()


def make_project(root, square_mp4, tmp_path):
    Image.fromarray(np.full((48, 64, 3), 80, np.uint8)).save(tmp_path / "pic.png")
    with Project.create(root, name="shared") as p:
        p.labels.add("car")
        p.import_media([square_mp4, tmp_path / "pic.png"])
    return root


def editing_actions(window) -> list:
    a, v, tools = window.actions, window.video.actions, window.editing.tool_actions
    return [
        a.import_media, a.new_object, a.delete_object, a.undo, tools["brush"], tools["polygon"],
        v.track_forward, v.track_both, *window.editing.cleanup_actions,
    ]  # fmt: skip


def test_a_locked_project_offers_open_read_only(window, qtbot, tmp_path, square_mp4):
    root = make_project(tmp_path / "p", square_mp4, tmp_path)
    with Project.open(root):  # another process has it open for writing
        assert not window.open_project(root)
        box = window.lock_dialog
        assert box is not None and box.isVisible()
        assert "already open for writing" in box.text()
        button = box.property("open_read_only_button")
        assert button.text() == "Open Read-Only"
        button.click()
        qtbot.waitUntil(lambda: window.session is not None)
        project = window.session.project
        assert project.read_only and project.read_only_reason == "opened read-only"
        assert "[read-only]" in window.windowTitle()
        assert window.read_only_label.isVisible()
        assert "Read-only" in window.read_only_label.text()
        for action in editing_actions(window):
            assert not action.isEnabled(), action.text()
        for panel in (window.label_panel, window.object_panel):
            assert not any(b.isEnabled() for b in panel.findChildren(QAbstractButton))
        window.session.set_media(1)  # the video: tracking would enable itself; not here
        window.session.set_media(2)
        window.session.set_media(1)
        assert not window.video.actions.track_forward.isEnabled()
        assert window.actions.export.isEnabled() and window.actions.next_media.isEnabled()
        window.controller.add_point(Point(10, 10, True))  # a click on the canvas: refused
        assert project.objects.list(1) == [] and window.session.undo_stack.count() == 0
        assert "read-only" in window.statusBar().currentMessage()
    window.close_project()
    assert window.open_project(root)  # writable again: editing comes back
    assert "[read-only]" not in window.windowTitle() and not window.read_only_label.isVisible()
    assert all(a.isEnabled() for a in editing_actions(window)[:3])
    assert window.editing.tool_actions["brush"].isEnabled()


def test_a_lock_that_cannot_be_taken_offers_open_read_only(
    window, qtbot, tmp_path, square_mp4, monkeypatch
):
    """Issue #12 item 7: every "open it read-only" message comes with the button that does it."""
    from videoseg_desktop.store import lock

    root = make_project(tmp_path / "p", square_mp4, tmp_path)

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(lock, "open", refuse, raising=False)
    assert not window.open_project(root)
    box = window.lock_dialog
    assert box is not None and "open it read-only" in box.text()
    assert [b.text() for b in box.buttons() if b.text() != "Cancel"] == ["Open Read-Only"]
    monkeypatch.undo()
    box.property("open_read_only_button").click()
    qtbot.waitUntil(lambda: window.session is not None)
    assert window.session.project.read_only


def test_a_project_on_a_read_only_disk_opens_read_only(window, tmp_path, square_mp4):
    with small_tmpfs(tmp_path / "disk", 4096) as disk:
        root = make_project(disk / "p", square_mp4, tmp_path)
        remount_read_only(disk)
        assert window.open_project(root)
        assert window.session.project.read_only
        assert "folder cannot be written" in window.read_only_label.text()
        assert window.session.image() is not None  # frames decode (index cache: elsewhere)
        window.close_project()


def test_a_full_disk_is_a_dialog_that_stays(window, qtbot, tmp_path, square_mp4):
    root = make_project(tmp_path / "p", square_mp4, tmp_path)
    conn = sqlite3.connect(root / DB_NAME, isolation_level=None)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    assert window.open_project(root)
    project = window.session.project
    project.db.conn.execute(f"PRAGMA max_page_count = {pages}")
    window.label_panel.add_label("x" * 99 + "\u00e9")  # a label row that needs a new page...
    for n in range(300):  # ...sooner or later
        if window.last_error:
            break
        window.label_panel.add_label(f"label {n} " + "y" * 80)
    assert "is full" in window.last_error and "nothing was saved" in window.last_error
    boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert boxes and "is full" in boxes[-1].text()
    qtbot.wait(300)
    assert boxes[-1].isVisible()  # it stays until the user closes it
    assert project.db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    window.close_project()


def test_a_crafted_window_state_cannot_stop_the_project_opening(window, tmp_path, square_mp4):
    root = make_project(tmp_path / "p", square_mp4, tmp_path)
    conn = sqlite3.connect(root / DB_NAME)
    for key, value in (
        ("hidden_objects", "[" * 100_000 + "]" * 100_000),
        ("media_id", "9" * 5000),
        ("frame", "nan"),
        ("label_id", "[1]"),
    ):
        conn.execute("INSERT OR REPLACE INTO ui_state VALUES (?, ?)", (key, value))
    conn.execute("UPDATE settings SET value = ? WHERE key = 'name'", ("\x1b[31m" + "x" * 999,))
    conn.commit()
    conn.close()
    assert window.open_project(root)
    assert window.session.media_id == 1 and window.session.hidden == set()
    assert window.windowTitle().startswith("p ")  # the bad name falls back to the folder's


def test_file_open_read_only(window, tmp_path, square_mp4, monkeypatch):
    root = make_project(tmp_path / "p", square_mp4, tmp_path)
    monkeypatch.setattr(
        "videoseg_desktop.ui.project.project_actions.QFileDialog.getOpenFileName",
        lambda *args, **kwargs: (str(root / DB_NAME), ""),
    )
    window.actions.open_read_only.trigger()
    assert window.session.project.read_only and "[read-only]" in window.windowTitle()
    with Project.open(root):  # no lock taken: another process may open it for writing
        pass


def test_review_in_a_read_only_project_walks_the_queue_but_decides_nothing(
    window, tmp_path, square_mp4
):
    from videoseg_desktop.core.masks import encode_rle
    from videoseg_desktop.core.records import MaskSource
    from videoseg_desktop.store import MaskWrite

    root = make_project(tmp_path / "p", square_mp4, tmp_path)
    mask = np.zeros((240, 320), bool)
    mask[80:120, 30:70] = True
    with Project.open(root) as project:
        media = project.media.ids()[0]
        obj = project.objects.add(media, name="pre")
        project.masks.put_many(
            MaskWrite(obj.id, f, encode_rle(mask), MaskSource.AUTO, "sam3", 0.5) for f in (2, 3)
        )
    assert window.open_project(root, read_only=True)
    review = window.review
    review.refresh()
    assert not review.actions["accept"].isEnabled() and review.actions["next_flagged"].isEnabled()
    assert not review.dock.buttons["accept"].isEnabled() and review.dock.buttons["next"].isEnabled()
    item = review.go(1)
    assert (item.object_id, item.frame_text) == (obj.id, "2-3")
    assert (window.session.media_id, window.session.frame) == (media, 2)
