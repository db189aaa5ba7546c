"""The window's writes carry the user-name preference (VIDEOSEG_USER wins), and the activity
monitor turns input events into active time per media item (a fake clock, idle gaps dropped)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MaskSource, MediaStatus
from videoseg_desktop.ui.review.user_name import PREFERENCE, resolve_user, set_user_name


@pytest.fixture
def named_window(qtbot, client, video_project, monkeypatch):
    """The video window with the preference 'rita' and no VIDEOSEG_USER."""
    from tests.ui.driver import WindowDriver
    from videoseg_desktop.ui.app_context import AppContext
    from videoseg_desktop.ui.main_window import MainWindow
    from videoseg_desktop.ui.project.preferences import Preferences

    monkeypatch.delenv("VIDEOSEG_USER", raising=False)
    preferences = Preferences()
    preferences.set(PREFERENCE, "rita")
    window = MainWindow(AppContext(preferences=preferences, client=client))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.open_project(video_project)
    driver = WindowDriver(qtbot, window)
    driver.activate()
    yield driver
    window.close()


def test_gui_writes_carry_the_preferred_user_name(named_window):
    from tests.ui.test_review_mode import box

    d = named_window
    project, media = d.project, d.session.media_id
    d.key(Qt.Key.Key_B)  # a brush stroke makes an object and its mask
    d.drag(60, 60, 120, 100)
    (obj,) = d.objects()
    assert obj.author == "rita"
    assert d.project.masks.get(obj.id, 0).author == "rita"
    project.masks.put(obj.id, 3, box(40), MaskSource.AUTO, "sam3", 0.5)
    d.session.set_object(obj.id)
    d.session.set_frame(3)
    d.key(Qt.Key.Key_A)
    d.key(Qt.Key.Key_D)
    assert [x.author for x in project.review.decisions(media)] == ["rita"]
    assert project.media.get(media).status_by == "rita"
    assert project.masks.get(obj.id, 3).accepted_by == "rita"
    assert "rita" in d.window.review.dock.user_label.text()


def test_needs_changes_records_the_renamed_user(named_window):
    d = named_window
    set_user_name(d.window.context.preferences, "sam", d.project)
    d.window.review.ask_comment = lambda *_: "redo frame 3"
    d.key(Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    item = d.project.media.get(d.session.media_id)
    assert (item.status, item.status_by) == (MediaStatus.NEEDS_CHANGES, "sam")


def test_videoseg_user_wins_and_bad_names_are_refused(monkeypatch, tmp_path):
    from videoseg_desktop.ui.project.preferences import Preferences

    preferences = Preferences(tmp_path / "prefs.json")
    preferences.set(PREFERENCE, "rita")
    monkeypatch.setenv("VIDEOSEG_USER", "ci-bot")
    assert resolve_user(preferences) == "ci-bot"
    monkeypatch.delenv("VIDEOSEG_USER")
    assert resolve_user(preferences) == "rita"
    with pytest.raises(VideoSegError):
        set_user_name(preferences, "x" * 200)
    preferences.set(PREFERENCE, "\x00bad")  # a hand-edited file: the login name instead
    assert resolve_user(preferences) not in ("", "\x00bad")


def test_active_time_follows_input_events_with_idle_gaps_dropped(named_window):
    d = named_window
    now = [1000.0]
    d.window.activity.clock = lambda: now[0]
    effort, media = d.project.effort, d.session.media_id

    def key_after(seconds: float) -> None:
        now[0] += seconds
        QTest.keyClick(d.canvas, Qt.Key.Key_F12)  # no shortcut: input, nothing else

    key_after(0)
    key_after(5)
    key_after(7)  # 12 s of work
    key_after(600)  # back from a break: the 600 s are not counted
    key_after(3)  # 15 s
    d.window.activity.flush()
    assert effort.active_seconds(media, "rita") == pytest.approx(15.0)
    (record,) = effort.for_media(media)
    assert record.events == 5
    d.window.close_project()  # pending time is written on close


def test_statistics_window_shows_the_tables_and_exports_csv(named_window, tmp_path):
    import csv

    from tests.ui.test_review_mode import box

    d = named_window
    project, media = d.project, d.session.media_id
    obj = project.objects.add(media, name="car")
    project.masks.put_many(
        [(obj.id, f, box(20 + f), MaskSource.PROPAGATED, "tiny", 0.9) for f in range(4)]
    )
    project.review.accept(media, obj.id, (0, 1))
    project.effort.add(media, 90.0, 12)
    dialog = d.window.review.show_statistics()
    overview = {
        dialog.overview.item(r, 0).text(): dialog.overview.item(r, 1).text()
        for r in range(dialog.overview.rowCount())
    }
    assert overview["Masks"] == "4" and overview["Source: propagated"] == "4"
    headings = [
        dialog.annotators.horizontalHeaderItem(c).text()
        for c in range(dialog.annotators.columnCount())
    ]
    row = {
        headings[c]: dialog.annotators.item(0, c).text()
        for c in range(dialog.annotators.columnCount())
    }
    assert row["Annotator"] == "rita" and row["Active time"] == "0:01:30"
    assert dialog.review.item(0, 2).text() == "2"  # accepted masks of the propagated source
    out = dialog.export_csv(tmp_path / "stats.csv")
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["section", "name", "metric", "value"]
    assert ["annotator", "rita", "active_s", "90.0"] in rows
    assert ["source", "propagated", "count", "4"] in rows

    # not modal, and live: new masks show up a moment after they are stored
    assert not dialog.isModal() and d.window.review.show_statistics() is dialog
    project.masks.put_many(
        [(obj.id, f, box(20 + f), MaskSource.PROPAGATED, "tiny", 0.9) for f in range(4, 7)]
    )
    d.qtbot.waitUntil(lambda: dialog.stats.masks == 7, timeout=5000)
    overview = {
        dialog.overview.item(r, 0).text(): dialog.overview.item(r, 1).text()
        for r in range(dialog.overview.rowCount())
    }
    assert overview["Masks"] == "7"
    d.window.close_project()  # another project (or none): the window closes with it
    d.qtbot.waitUntil(lambda: d.window.review.stats_dialog is None, timeout=5000)
