"""Issue #12 item 4: a number typed into a spin box counts the moment an action reads it, and a
focused field never swallows the studio's shortcuts (Enter and Escape give the keyboard back)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from videoseg_desktop.ui.theme.fields import field_value


def _type_into(driver, box, text: str) -> None:
    box.setFocus()
    driver.qtbot.waitUntil(lambda: box.hasFocus())
    box.selectAll()
    QTest.keyClicks(box, text)


def _track_calls(video, monkeypatch) -> list:
    calls = []
    monkeypatch.setattr(
        video.tracking, "propagate", lambda d, end=None, object_ids=None: calls.append((d, end))
    )
    return calls


def test_typed_up_to_frame_counts_without_leaving_the_box(video_driver, monkeypatch):
    video = video_driver.window.video
    calls = _track_calls(video, monkeypatch)
    video.dock.up_to_check.setChecked(True)
    _type_into(video_driver, video.dock.up_to_box, "4")
    assert video.dock.up_to_box.value() == 11  # Qt itself has not counted it yet
    assert video.dock.up_to_box.hasFocus()
    video.track("forward")  # what a click on the (focus-less) Forward button runs
    assert calls == [("forward", 4)]
    _type_into(video_driver, video.dock.up_to_box, "6")
    video.actions.track_backward.trigger()  # any window action commits the focused field first
    assert calls[-1] == ("backward", 6)


def test_field_value_reads_typed_text(qtbot):
    from PySide6.QtWidgets import QSpinBox

    box = QSpinBox()
    qtbot.addWidget(box)
    box.setRange(0, 100)
    box.setKeyboardTracking(False)
    box.lineEdit().setText("42")
    assert box.value() == 0 and field_value(box) == 42


def test_shortcuts_work_from_a_spin_box_and_hand_back_the_keys(video_driver, monkeypatch):
    d = video_driver
    video, session = d.window.video, d.session
    calls = _track_calls(video, monkeypatch)
    video.dock.up_to_check.setChecked(True)
    label = d.window.label_panel._current_id()
    _type_into(d, video.dock.up_to_box, "2")
    assert d.window.label_panel._current_id() == label  # digits are the field's, not "Use Label 2"
    QTest.keyClick(video.dock.up_to_box, Qt.Key.Key_Period)  # Next Frame
    assert session.frame == 1
    assert video.dock.up_to_box.value() == 2  # the typing counted
    assert d.canvas.hasFocus()  # visibly: the keyboard is the canvas's again
    _type_into(d, video.dock.up_to_box, "5")
    QTest.keyClick(video.dock.up_to_box, Qt.Key.Key_T)  # Track Forward, up to the typed frame
    assert calls == [("forward", 5)]
    _type_into(d, video.dock.up_to_box, "9")
    QTest.keyClick(video.dock.up_to_box, Qt.Key.Key_Comma)
    assert session.frame == 0 and d.canvas.hasFocus()


def test_enter_commits_and_escape_reverts_both_return_to_the_canvas(video_driver):
    d = video_driver
    video, session = d.window.video, d.session
    objects = len(d.objects())
    _type_into(d, video.dock.frame_box, "5")
    QTest.keyClick(video.dock.frame_box, Qt.Key.Key_Return)
    assert session.frame == 5
    assert d.canvas.hasFocus()
    assert len(d.objects()) == objects  # Enter was the field's, not "New Object"
    video.dock.up_to_check.setChecked(True)
    _type_into(d, video.dock.up_to_box, "3")
    QTest.keyClick(video.dock.up_to_box, Qt.Key.Key_Escape)
    assert video.dock.up_to_box.value() == 11 and video.dock.up_to_box.text() == "11"
    assert d.canvas.hasFocus()


def test_space_and_dot_work_from_a_combo_box(video_driver):
    d = video_driver
    video, session = d.window.video, d.session
    combo = d.window.media_dock.filter_combo
    combo.setFocus()
    d.qtbot.waitUntil(combo.hasFocus)
    QTest.keyClick(combo, Qt.Key.Key_Period)
    assert session.frame == 1 and d.canvas.hasFocus()
    combo.setFocus()
    d.qtbot.waitUntil(combo.hasFocus)
    QTest.keyClick(combo, Qt.Key.Key_Space)  # Play, not "open the list"
    d.qtbot.waitUntil(lambda: video.playback.playing, timeout=5000)
    video.playback.pause()
    assert not combo.view().isVisible()
