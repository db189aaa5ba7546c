"""Fixtures for driving the real window offscreen with a random-weights model at 256 px.

One inference client (worker thread + model) serves the whole UI test session, so the model
loads once; each test gets its own project, preferences folder and window.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ui.driver import WindowDriver
from tests.ui.video_window import square_mp4, video_driver, video_project  # noqa: F401

DAVIS_FRAMES = ("blackswan", "car-shadow", "dog")


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    old = os.environ.get("VIDEOSEG_MODELS_DIR")
    os.environ["VIDEOSEG_MODELS_DIR"] = str(folder)  # no real checkpoint is ever found
    yield folder
    if old is None:
        os.environ.pop("VIDEOSEG_MODELS_DIR", None)
    else:
        os.environ["VIDEOSEG_MODELS_DIR"] = old


@pytest.fixture(scope="session")
def model_config(random_checkpoint, models_dir):
    from videoseg_desktop.ui.inference.inference_jobs import ModelConfig

    return ModelConfig(
        model="tiny", checkpoint=str(random_checkpoint), image_size=256, device="cpu"
    )


@pytest.fixture(scope="session")
def shared_client(qapp, model_config):
    from videoseg_desktop.ui.inference.inference_client import InferenceClient

    client = InferenceClient(model_config)
    yield client
    client.shutdown()


@pytest.fixture
def client(shared_client, model_config):
    """The shared client, put back to the test model if a test changed it."""
    if shared_client.config != model_config:
        shared_client.configure(model_config)
    return shared_client


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("VIDEOSEG_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def image_files(davis_root) -> list[Path]:
    return [davis_root / "JPEGImages" / "480p" / seq / "00000.jpg" for seq in DAVIS_FRAMES]


@pytest.fixture
def project_path(tmp_path, image_files) -> Path:
    """A closed project with labels car and animal and three 854x480 images."""
    from videoseg_desktop.store import Project

    root = tmp_path / "project"
    with Project.create(root, name="test") as project:
        project.labels.add("car", "#E69F00")
        project.labels.add("animal", "#56B4E9")
        project.import_media(image_files)
    return root


@pytest.fixture
def driver(qtbot, client, project_path) -> WindowDriver:
    from videoseg_desktop.ui.app_context import AppContext
    from videoseg_desktop.ui.main_window import MainWindow
    from videoseg_desktop.ui.project.preferences import Preferences

    context = AppContext(preferences=Preferences(), client=client)
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.open_project(project_path)
    driver = WindowDriver(qtbot, window)
    driver.activate()
    yield driver
    window.close()
