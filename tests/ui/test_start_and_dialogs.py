"""Start page, File menu actions, the shortcut sheet, the model setup flow and export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from videoseg_desktop.ui.app_context import AppContext, AppOptions, initial_config
from videoseg_desktop.ui.dialogs.export_dialog import ExportDialog, run_export
from videoseg_desktop.ui.dialogs.model_setup import ModelSetupFlow, plain_download_error
from videoseg_desktop.ui.inference.inference_client import InferenceClient
from videoseg_desktop.ui.inference.inference_jobs import ModelConfig
from videoseg_desktop.ui.main_window import MainWindow
from videoseg_desktop.ui.project import project_actions
from videoseg_desktop.ui.project.preferences import Preferences


@pytest.fixture
def empty_window(qtbot, client):
    window = MainWindow(AppContext(preferences=Preferences(), client=client))
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()


def test_start_page_then_new_project_then_close_then_recent(empty_window, tmp_path):
    window = empty_window
    assert window.stack.currentWidget() is window.start_page
    assert not window.actions.export.isEnabled()
    assert project_actions.new_project(window, tmp_path / "birds", "Birds")
    assert window.session.project.name == "Birds"
    assert window.stack.currentWidget() is window.canvas
    assert window.windowTitle().startswith("Birds")
    assert window.actions.import_media.isEnabled()
    window.close_project()
    assert window.session is None and window.stack.currentWidget() is window.start_page
    item = window.start_page.recent.item(0)
    assert item.data(Qt.ItemDataRole.UserRole) == str(tmp_path / "birds")
    window.start_page.recentChosen.emit(item.data(Qt.ItemDataRole.UserRole))
    assert window.session is not None and window.session.project.name == "Birds"


def test_new_project_where_one_exists_says_so(empty_window, project_path):
    assert not project_actions.new_project(empty_window, project_path)
    assert "already holds a project" in empty_window.last_error


def test_open_demo_creates_and_opens_the_demo_project(empty_window, tmp_path):
    assert project_actions.open_demo(empty_window, tmp_path / "demo")
    project = empty_window.session.project
    assert [lb.name for lb in project.labels.list()] == ["ball", "ring"]
    counts = project.media.counts()
    assert counts["videos"] == 1 and counts["images"] >= 1
    assert empty_window.canvas.has_image()


def test_shortcut_sheet_lists_every_shortcut_and_gesture(driver):
    from PySide6.QtTest import QTest

    QTest.keyClick(driver.window, Qt.Key.Key_F1)
    dialogs = [w for w in driver.window.findChildren(type(driver.window.show_shortcuts()))]
    rows = dict((action, keys) for keys, action in dialogs[-1].rows())
    for action in ("New Object", "Undo", "Redo", "Next Media", "Next Unannotated",
                   "Delete Object", "Next Object", "Use label 1 to 9 for new objects",
                   "Keyboard Shortcuts"):  # fmt: skip
        assert action in rows, action
    assert "Ctrl+Y" in rows["Redo"] and "Ctrl+Shift+Z" in rows["Redo"]
    assert "?" in rows["Keyboard Shortcuts"]
    assert rows["Quit"] == "Ctrl+Q"  # listed once though given twice
    assert "Right click" in dict((k, a) for k, a in dialogs[-1].rows())


def test_missing_model_offers_download_or_a_file(
    qtbot, empty_window, random_checkpoint, models_dir
):
    client = InferenceClient(ModelConfig(model="tiny", image_size=256, device="cpu"))
    try:
        flow = ModelSetupFlow(client, empty_window)
        with qtbot.waitSignal(client.modelMissing, timeout=60000):
            client.load_model()
        qtbot.waitUntil(lambda: flow.missing_box is not None, timeout=5000)
        buttons = [b.text() for b in flow.missing_box.buttons()]
        assert any(t.startswith("Download (148.8 MiB)") for t in buttons)  # as the CLI says
        assert "Choose file…" in buttons and "Import…" in buttons
        flow.missing_box.reject()
        with qtbot.waitSignal(client.modelLoaded, timeout=120000):
            flow.choose_file(str(random_checkpoint))
        assert client.is_ready() and client.config.checkpoint == str(random_checkpoint)
    finally:
        client.shutdown()


def test_offline_download_errors_say_so_plainly():
    message = "could not download sam2.1_hiera_tiny.pt (<urlopen error [Errno -3] Temporary failure in name resolution>)."
    assert plain_download_error(message).startswith("This computer seems to be offline")
    assert (
        plain_download_error("the server answered 404 Not Found")
        == "the server answered 404 Not Found"
    )


def test_export_dialog_runs_coco_with_the_chosen_options(driver, tmp_path):
    driver.drag(100, 100, 700, 400)
    driver.wait_masks()
    dialog = ExportDialog(driver.project, [driver.session.media_id], driver.window)
    dialog.set_format("coco")
    dialog.selected_media.setChecked(True)
    dialog.out_edit.setText(str(tmp_path / "out"))
    kwargs = dialog.export_kwargs()
    assert kwargs["media_ids"] == [driver.session.media_id] and kwargs["labels"] is None
    assert set(kwargs) >= {"polygons", "frames_as_images", "copy_images", "zip_output"}
    summary = run_export(driver.project, "coco", kwargs, driver.window)
    data = json.loads((tmp_path / "out" / "annotations.json").read_text())
    assert summary.images == 1 and len(data["images"]) == 1
    dialog.set_format("ytvis")
    assert "polygons" not in dialog.export_kwargs()


def test_initial_model_config_prefers_command_line_then_saved_choice(tmp_path):
    prefs = Preferences(tmp_path / "p.json")
    assert initial_config(AppOptions(), prefs) == ModelConfig("tiny", None, "auto", None)
    prefs.set("model", {"model": "small", "image_size": 512, "device": "cpu"})
    assert initial_config(AppOptions(), prefs) == ModelConfig("small", None, 512, "cpu")
    options = AppOptions(checkpoint="/x.pt", image_size=256)
    assert initial_config(options, prefs) == ModelConfig("small", "/x.pt", 256, "cpu")
    prefs.set("model", {"model": "small", "precision": "int8"})
    assert initial_config(AppOptions(), prefs).precision == "int8"
    prefs.set("model", {"model": "small", "precision": "fp64; import os"})  # a hand-edited file
    assert initial_config(AppOptions(), prefs).precision == "auto"
    prefs.set("model", {"model": "small", "image_size": 512, "device": "cpu"})
    os.environ["VIDEOSEG_IMAGE_SIZE"] = "256"
    try:
        assert AppOptions.from_env().image_size == 256
    finally:
        del os.environ["VIDEOSEG_IMAGE_SIZE"]


def test_preferences_survive_a_damaged_file(tmp_path):
    path = tmp_path / "preferences.json"
    path.write_text("{not json")
    prefs = Preferences(path)
    assert prefs.recent_projects() == []
    for n in range(12):
        prefs.add_recent(tmp_path / f"p{n}")
    assert len(Preferences(path).recent_projects()) == 10
    assert Preferences(path).recent_projects()[0] == str(tmp_path / "p11")


def test_errors_show_as_messages_without_blocking(driver, qtbot):
    driver.window.show_error("something went wrong")
    boxes = [b for b in driver.window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and boxes[-1].text() == "something went wrong"
    assert driver.window.statusBar().currentMessage() == "something went wrong"
    boxes[-1].close()


def _run(code: str, env_extra: dict) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **env_extra}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300, cwd=Path(__file__).resolve().parents[2])  # fmt: skip


def test_torch_is_imported_only_on_the_worker_after_the_window_is_up(tmp_path, project_path):
    code = f"""
import sys, threading, time
from PySide6.QtWidgets import QApplication
app = QApplication([])
import builtins
seen = {{}}
real_import = builtins.__import__
def spy(name, *a, **k):
    if name == "torch" and "torch" not in sys.modules and "thread" not in seen:
        seen["thread"] = threading.current_thread().name
    return real_import(name, *a, **k)
builtins.__import__ = spy
from videoseg_desktop.app import open_window
from videoseg_desktop.ui.app_context import AppContext
context = AppContext()
window = open_window(context, {str(project_path)!r})
print("torch before show:", "torch" in sys.modules)
deadline = time.time() + 120
while "torch" not in sys.modules and time.time() < deadline:
    app.processEvents(); time.sleep(0.01)
print("torch thread:", seen.get("thread"))
window.close(); context.shutdown()
"""
    result = _run(code, {"VIDEOSEG_CONFIG_DIR": str(tmp_path / "cfg")})
    assert "torch before show: False" in result.stdout, result.stdout + result.stderr
    assert "torch thread: MainThread" not in result.stdout
    assert "torch thread: None" not in result.stdout, result.stdout + result.stderr


def test_videoseg_desktop_command_line(tmp_path):
    result = _run("from videoseg_desktop.app import main; main(['--version'])", {})
    assert "videoseg-desktop" in result.stdout
    from videoseg_desktop.app import build_parser

    args = build_parser().parse_args(
        ["/p/project.vseg", "--checkpoint", "c.pt", "--image-size", "256"]
    )
    assert args.path == "/p/project.vseg" and args.image_size == 256 and args.checkpoint == "c.pt"


def test_window_layout_is_remembered(qtbot, driver, client):
    window = driver.window
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.labels_dock)
    window.close()
    saved = window.context.preferences.get("window_layout")
    assert saved["geometry"] and saved["state"]
    again = MainWindow(AppContext(preferences=Preferences(), client=client))
    qtbot.addWidget(again)
    left = Qt.DockWidgetArea.LeftDockWidgetArea
    assert again.dockWidgetArea(again.labels_dock) != left
    again.restore_layout()
    assert again.dockWidgetArea(again.labels_dock) == left
    again.close()
