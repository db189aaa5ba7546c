"""Fixtures for the video studio tests: a project holding one short video, the window on it.

The clip is small (12 frames of 320x240, a red square moving right) so tracking with the
random-weights model at 256 px stays quick on a shared CPU.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.video import moving_square_frames, write_video
from tests.ui.driver import WindowDriver

VIDEO_FRAMES = 12


@pytest.fixture(scope="session")
def square_mp4(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("video") / "square.mp4"
    return write_video(moving_square_frames(VIDEO_FRAMES), out, fps=24, gop=6)


@pytest.fixture
def video_project(tmp_path, square_mp4) -> Path:
    """A closed project with labels car and animal and the 12-frame video."""
    from videoseg_desktop.store import Project

    root = tmp_path / "video-project"
    with Project.create(root, name="video") as project:
        project.labels.add("car", "#E69F00")
        project.labels.add("animal", "#56B4E9")
        project.import_media([square_mp4])
    return root


@pytest.fixture
def video_driver(qtbot, client, video_project) -> WindowDriver:
    from videoseg_desktop.ui.app_context import AppContext
    from videoseg_desktop.ui.main_window import MainWindow
    from videoseg_desktop.ui.project.preferences import Preferences

    context = AppContext(preferences=Preferences(), client=client)
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.open_project(video_project)
    driver = WindowDriver(qtbot, window)
    driver.activate()
    yield driver
    window.close()


def segment_square(driver: WindowDriver, frame: int = 0) -> int:
    """Click on the red square on ``frame``; returns the new object's id once its mask is in."""
    driver.window.video.go_to(frame)
    x = 10 + (frame * 7) % 260 + 25
    driver.click(x, 85)
    driver.wait_masks()
    return driver.session.object_id
