"""The model panel shows the truth and the way forward; the user's wait is what it reports."""

from __future__ import annotations

import re
import shutil
import threading
import time
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
)

from videoseg_desktop.inference import registry
from videoseg_desktop.ui.app_context import AppContext, AppOptions, initial_config
from videoseg_desktop.ui.dialogs.model_setup import MISSING_BOX, ModelSetupFlow
from videoseg_desktop.ui.inference.inference_client import InferenceClient
from videoseg_desktop.ui.inference.inference_jobs import Job, ModelConfig
from videoseg_desktop.ui.main_window import MainWindow
from videoseg_desktop.ui.panels.model_panel import ModelPanel
from videoseg_desktop.ui.project.preferences import Preferences


@dataclass
class BusyJob(Job):
    """Work someone asked for that keeps the worker busy (not preemptible)."""

    needs_engine = False
    seconds: float = 0.0
    started: threading.Event | None = None

    def run(self, worker):
        self.started.set()
        time.sleep(self.seconds)


def _ms(text: str, what: str) -> float:
    return float(re.search(rf"{what}: (\d+) ms", text).group(1))


def test_the_reported_wait_is_click_to_mask_and_includes_the_queue(driver):
    panel, client = driver.window.model_panel, driver.window.client
    driver.click(200, 200)
    driver.wait_masks()
    started = threading.Event()
    client.submit(BusyJob(seconds=0.6, started=started))
    assert started.wait(10)
    clicked = time.perf_counter()
    driver.click(300, 220)
    driver.wait_masks()
    waited_ms = (time.perf_counter() - clicked) * 1000
    shown = float(panel.latency_label.text().removesuffix(" ms"))
    tip = panel.latency_label.toolTip()
    assert shown >= 500 and shown <= waited_ms + 1  # the whole wait, never the model's time alone
    assert _ms(tip, "queued behind other work") >= 400
    assert "decoding the mask" in tip and "encoding the image" in tip
    parts = sum(_ms(tip, w) for w in ("queued behind other work", "encoding the image",
                                      "decoding the mask", "storing and drawing it"))  # fmt: skip
    assert abs(parts - shown) <= 4  # the split adds up (rounding)


def test_the_input_size_follows_the_device_until_the_user_picks_one(tmp_path, qtbot):
    prefs = Preferences(tmp_path / "p.json")
    assert initial_config(AppOptions(), prefs).image_size == "auto"
    client = InferenceClient(ModelConfig(model="tiny", image_size="auto", device=None))
    try:
        panel = ModelPanel(client, prefs)
        qtbot.addWidget(panel)
        assert panel.size_combo.currentData() == "auto"
        assert "512 px on a CPU" in panel.size_note.text()  # before the device is known
        client.device = "cpu"
        panel._on_device()
        assert panel.size_combo.currentText() == "auto (512 px on cpu)"
        assert "512 px is about 3x faster than 1024 on a CPU" in panel.size_note.text()
        context = AppContext(preferences=prefs, client=client)
        panel.configChanged.connect(context.remember_model)
        index = panel.size_combo.findData(1024)
        panel.size_combo.setCurrentIndex(index)
        panel._on_user_change(index)
        assert client.config.image_size == 1024
        assert panel.size_note.text() == "Input size: your choice (auto would use 512 px here)."
        assert initial_config(AppOptions(), Preferences(tmp_path / "p.json")).image_size == 1024
    finally:
        client.shutdown()
    prefs.set("model", {"image_size": "4096; rm -rf"})  # a damaged file: back to auto
    assert initial_config(AppOptions(), prefs).image_size == "auto"


@pytest.fixture
def own_models_dir(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def missing_window(qtbot, own_models_dir):
    """A window whose model (tiny, nothing on disk) is missing; its own client."""
    client = InferenceClient(ModelConfig(model="tiny", image_size=256, device="cpu"))
    window = MainWindow(AppContext(preferences=Preferences(), client=client))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()
    client.shutdown()


def _boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if w.objectName() == MISSING_BOX
            and w.isVisible()]  # fmt: skip


def test_a_missing_model_is_said_at_once_with_the_three_ways_forward(missing_window):
    panel = missing_window.model_panel
    assert "not on this computer yet" in panel.state_label.text()
    assert panel.model_combo.currentText() == "tiny  (not downloaded)"
    assert not panel.download_button.isHidden()
    assert panel.download_button.text() == "Download (148.8 MiB)"
    assert not panel.choose_button.isHidden() and not panel.import_button.isHidden()
    requested = []
    panel.downloadRequested.disconnect(missing_window.model_setup.start_download)  # offline here
    panel.downloadRequested.connect(requested.append)
    panel.download_button.click()
    assert requested == ["tiny"]


def test_the_missing_model_question_never_stacks_and_cancel_keeps_the_buttons(
    qtbot, missing_window
):
    client, panel = missing_window.client, missing_window.model_panel
    second = ModelSetupFlow(client, missing_window)  # as a second window's flow would be
    with qtbot.waitSignal(client.modelMissing, timeout=60000):
        client.load_model()
    qtbot.waitUntil(lambda: len(_boxes()) == 1, timeout=5000)
    second.offer_download("tiny", "again")
    missing_window.model_setup.offer_download("tiny", "again")
    qtbot.wait(50)
    assert len(_boxes()) == 1  # one question, however many windows or signals
    _boxes()[0].reject()  # Cancel
    qtbot.waitUntil(lambda: not _boxes(), timeout=5000)
    missing_window.model_setup.offer_download("tiny", "a later failure to load")
    qtbot.wait(50)
    assert not _boxes()  # asked once; now the panel offers the same
    assert "not on this computer yet" in panel.state_label.text()
    buttons = (panel.download_button, panel.choose_button, panel.import_button)
    assert not any(b.isHidden() for b in buttons)


def test_a_chosen_file_loads_is_listed_and_remembered_for_that_model(
    qtbot, missing_window, random_checkpoint, monkeypatch
):
    client, panel = missing_window.client, missing_window.model_panel
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *a, **k: (str(random_checkpoint), "")
    )
    with qtbot.waitSignal(client.modelLoaded, timeout=120000):
        panel.choose_button.click()
    qtbot.wait(100)
    assert not _boxes()  # no stale second question after the file was chosen
    assert client.is_ready() and client.config.checkpoint == str(random_checkpoint)
    assert panel.model_combo.currentText() == f"tiny  (weights: {random_checkpoint.name})"
    assert "ready" in panel.state_label.text()
    assert panel.download_button.isHidden()  # the way forward was taken
    prefs = Preferences()  # a restart reads the same file
    assert prefs.checkpoint_for("tiny") == str(random_checkpoint)
    assert initial_config(AppOptions(), prefs).checkpoint == str(random_checkpoint)


def test_the_list_follows_the_models_folder(qtbot, missing_window, own_models_dir,
                                            random_checkpoint):  # fmt: skip
    panel = missing_window.model_panel
    # `videoseg models import` in a terminal: a checkpoint and its sidecar appear.
    shutil.copyfile(random_checkpoint, registry.imported_path("my-finetune"))
    registry.write_sidecar("my-finetune", registry.CONFIGS["tiny"], str(random_checkpoint))
    qtbot.waitUntil(lambda: panel.model_combo.findData("my-finetune") >= 0, timeout=5000)
    # `videoseg models download tiny`: the official file appears.
    shutil.copyfile(random_checkpoint, registry.official_path("tiny"))
    qtbot.waitUntil(lambda: panel.model_combo.currentText() == "tiny", timeout=5000)
    assert panel.download_button.isHidden()
    assert panel.model_combo.currentData() == "tiny"  # the selection stays


def test_import_puts_the_checkpoint_in_the_models_folder_and_uses_it(
    qtbot, missing_window, own_models_dir, random_checkpoint, tmp_path
):
    client, panel = missing_window.client, missing_window.model_panel
    source = tmp_path / "my_tuned.pt"
    shutil.copyfile(random_checkpoint, source)
    with qtbot.waitSignal(client.modelLoaded, timeout=120000):
        missing_window.model_setup.choose_import(str(source))
    assert (own_models_dir / "my_tuned.pt").is_file()
    assert client.config.model == "my_tuned" and panel.model_combo.currentData() == "my_tuned"
    assert Preferences().get("model")["model"] == "my_tuned"


def test_a_long_state_wraps_inside_a_narrow_dock(qtbot, client):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QLabel("canvas"))
    panel = ModelPanel(client, Preferences())
    dock = QDockWidget("Model", window)
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.resize(900, 700)
    window.show()
    qtbot.waitExposed(window)
    window.resizeDocks([dock], [260], Qt.Orientation.Horizontal)
    panel.show_state("error", "the checkpoint " + "/very/long/path" * 12 + " could not be read")
    qtbot.wait(100)
    label = panel.state_label
    assert dock.width() <= 280  # neither the text nor the buttons widen the dock
    assert panel.width() <= dock.width()
    assert label.geometry().right() <= panel.width()
    assert label.height() >= label.heightForWidth(label.width())  # every line is visible
    for button in (panel.choose_button, panel.import_button):
        assert button.isVisible() and button.geometry().right() <= panel.width()
