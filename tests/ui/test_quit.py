"""Issue #12 item 6: Quit ends the application (all its windows), asking first while tracking or
an export runs; Close Window closes one window."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from videoseg_desktop.ui import quit_flow
from videoseg_desktop.ui.dialogs import export_dialog


@pytest.fixture
def two_windows(video_driver, qtbot, monkeypatch):
    from videoseg_desktop.ui.main_window import MainWindow

    first = video_driver.window
    second = MainWindow(first.context, load_thumbnails=False)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    first.context.windows[:] = [first, second]
    exits = []
    monkeypatch.setattr(quit_flow, "exit_application", lambda: exits.append(True))
    return first, second, exits


def _answer(monkeypatch, button) -> list:
    asked = []

    def question(parent, title, text, *args):
        asked.append(text)
        return button

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def test_close_window_closes_one_quit_closes_all(two_windows, monkeypatch):
    first, second, exits = two_windows
    asked = _answer(monkeypatch, QMessageBox.StandardButton.No)
    assert first.actions.close_window.shortcuts()
    second.actions.close_window.trigger()
    assert not second.isVisible() and first.isVisible() and exits == []
    assert first.context.windows == [first]
    first.context.windows.append(second)
    second.show()
    first.actions.quit.trigger()
    assert asked == []  # nothing running: no question
    assert not first.isVisible() and not second.isVisible()
    assert exits == [True]


def test_quit_asks_while_tracking_runs(two_windows, monkeypatch):
    first, second, exits = two_windows
    monkeypatch.setattr(type(first), "is_tracking", lambda w: w is first)
    asked = _answer(monkeypatch, QMessageBox.StandardButton.No)
    second.actions.quit.trigger()  # from the other window: tracking is the app's concern
    assert asked and "tracking in 1 window" in asked[0]
    assert first.isVisible() and second.isVisible() and exits == []
    _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    second.actions.quit.trigger()
    assert not first.isVisible() and not second.isVisible() and exits == [True]


def test_quit_cancels_a_running_export_before_closing(two_windows, monkeypatch, qtbot):
    first, second, exits = two_windows
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    seen = {}

    def slow_export(project, progress=None, **kwargs):
        for step in range(10_000):  # stands in for a long export; stops when cancelled
            progress(step, 10_000)
            if step == 3:
                second.actions.quit.trigger()
            qtbot.wait(1)
        seen["finished"] = True

    monkeypatch.setitem(export_dialog.EXPORTERS, "coco", slow_export)
    assert export_dialog.run_export(first.session.project, "coco", {}, first) is None
    assert "1 export" in asked[0] and "finished" not in seen
    assert export_dialog.running_exports() == 0
    qtbot.waitUntil(lambda: exits == [True], timeout=5000)
    assert not first.isVisible() and not second.isVisible()
