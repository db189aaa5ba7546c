"""Arrow keys and U move through the media; everything is saved at once and comes back."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.driver import WindowDriver
from videoseg_desktop.ui.app_context import AppContext
from videoseg_desktop.ui.main_window import MainWindow
from videoseg_desktop.ui.project.preferences import Preferences


def test_left_right_go_to_previous_and_next_media(driver):
    ids = driver.project.media.ids()
    assert driver.session.media_id == ids[0]
    driver.key(Qt.Key.Key_Right)
    assert driver.session.media_id == ids[1]
    assert driver.canvas.has_image()
    driver.key(Qt.Key.Key_Right)
    driver.key(Qt.Key.Key_Right)  # stays on the last one
    assert driver.session.media_id == ids[2]
    driver.key(Qt.Key.Key_Left)
    assert driver.session.media_id == ids[1]
    assert driver.window.media_dock.view.currentIndex().row() == 1


def test_u_goes_to_the_next_unannotated_media(driver):
    ids = driver.project.media.ids()
    driver.key(Qt.Key.Key_Right)
    driver.drag(100, 100, 700, 400)  # a big box: a non-empty mask even with random weights
    driver.wait_masks()
    if not driver.project.media.get(ids[1]).annotated:
        return  # the random model gave an empty mask; nothing to skip
    driver.key(Qt.Key.Key_Left)
    driver.key(Qt.Key.Key_U)
    assert driver.session.media_id == ids[2]  # skips the annotated second image
    driver.key(Qt.Key.Key_U)
    assert driver.session.media_id == ids[0]  # wraps around


def test_closing_and_reopening_shows_the_same_state(qtbot, driver, client, project_path):
    labels = driver.project.labels.list()
    driver.key(Qt.Key.Key_Right)
    driver.key(Qt.Key.Key_2)
    driver.drag(120, 90, 600, 420)
    driver.click(300, 250, Qt.KeyboardModifier.ControlModifier)
    driver.wait_masks()
    media_id, object_id = driver.session.media_id, driver.session.object_id
    prompts = driver.prompts()
    mask = driver.mask()
    driver.window.object_panel.toggle_hidden()
    driver.window.close()  # no save step: everything is already in the store

    context = AppContext(preferences=Preferences(), client=client)
    again = MainWindow(context)
    qtbot.addWidget(again)
    again.show()
    assert str(project_path) in context.preferences.recent_projects()
    assert again.open_project(project_path / "project.vseg")
    reopened = WindowDriver(qtbot, again)
    assert reopened.session.media_id == media_id
    assert reopened.session.label_id == labels[1].id
    assert reopened.session.object_id == object_id
    assert reopened.prompts() == prompts
    assert reopened.mask() == mask
    assert object_id in reopened.session.hidden
    assert again.object_panel.list.item(0).checkState() == Qt.CheckState.Unchecked
    assert reopened.canvas.has_image()
    again.close()


def test_a_project_open_elsewhere_is_refused_with_a_message(qtbot, driver, client, project_path):
    context = AppContext(preferences=Preferences(), client=client)
    second = MainWindow(context)
    qtbot.addWidget(second)
    assert not second.open_project(project_path)
    assert "open" in second.last_error.lower()
    assert second.session is None
    second.close()


def test_opening_something_that_is_no_project_says_so(qtbot, driver, tmp_path):
    assert not driver.window.open_project(tmp_path / "nothing-here")
    assert "not a VideoSeg project" in driver.window.last_error
    assert driver.session is not None  # the open project stays open
