"""End to end on a real video: import DAVIS car-shadow as mp4, prompt frame 0 in the window,
track, correct a later frame, re-track from it, export YouTube-VIS and evaluate against the
DAVIS ground truth (random weights: the scores mean nothing, every step must still run)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.ui.driver import WindowDriver
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.export import evaluate, export_ytvis, import_annotations
from videoseg_desktop.store import Project
from videoseg_desktop.ui.app_context import AppContext
from videoseg_desktop.ui.inference.inference_client import InferenceClient
from videoseg_desktop.ui.inference.inference_jobs import ModelConfig
from videoseg_desktop.ui.main_window import MainWindow
from videoseg_desktop.ui.project.preferences import Preferences

pytestmark = pytest.mark.slow
TRACK_TO = 14  # frames 0..14 of 40: enough to correct and re-track, quick on a CPU


def _inside(davis_root, frame: int) -> tuple[float, float]:
    """A pixel well inside the car on ``frame`` (from the ground truth)."""
    gt = np.asarray(Image.open(davis_root / "Annotations/480p/car-shadow" / f"{frame:05d}.png"))
    ys, xs = np.nonzero(gt)
    return float(np.median(xs)) + 0.5, float(np.median(ys)) + 0.5


def _wait_tracking(ui: WindowDriver):
    tracking = ui.window.video.tracking
    ui.qtbot.waitUntil(lambda: not tracking.running, timeout=600_000)
    return tracking.last_summary


def test_prompt_track_correct_retrack_export_and_evaluate(
    qtbot, tmp_path, monkeypatch, davis_root, davis_mp4, random_checkpoint
):
    monkeypatch.setenv("VIDEOSEG_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("VIDEOSEG_MODELS_DIR", str(tmp_path / "models"))
    root = tmp_path / "project"
    with Project.create(root, name="video-e2e") as project:
        project.labels.add("car")
        project.import_media([davis_mp4])

    client = InferenceClient(
        ModelConfig(checkpoint=str(random_checkpoint), image_size=256, device="cpu")
    )
    window = MainWindow(AppContext(preferences=Preferences(), client=client))
    qtbot.addWidget(window)
    window.show()
    try:
        assert window.open_project(root)
        ui = WindowDriver(qtbot, window)
        ui.activate()
        project, video = window.session.project, window.video
        assert window.session.media.frame_count == 40 and video.dock.is_video()

        ui.click(*_inside(davis_root, 0))  # prompt frame 0
        ui.wait_masks()
        car = window.session.object_id
        video.dock.up_to_check.setChecked(True)
        video.dock.up_to_box.setValue(TRACK_TO)
        video.track("forward")
        first = _wait_tracking(ui)
        assert not first.cancelled and first.frames == TRACK_TO + 1
        tracked = dict(project.masks.frames_of(car))
        assert tracked[0] == MaskSource.CLICKED

        video.go_to(8)  # correct a later frame: that frame's mask updates at once
        ui.click(*_inside(davis_root, 8))
        ui.wait_masks()
        assert project.masks.get(car, 8).source == MaskSource.CLICKED
        before = {r.frame: r for r in project.masks.for_object(car)}
        video.track("forward")  # from the correction up to frame TRACK_TO again
        second = _wait_tracking(ui)
        assert second.frames == TRACK_TO - 8 + 1 and second.kept == 1
        after = {r.frame: r for r in project.masks.for_object(car)}
        for frame in range(0, 9):  # the rest of the track is kept exactly
            assert (frame in after) == (frame in before)
            if frame in after:
                assert after[frame].rle == before[frame].rle
        assert set(after) <= set(range(0, TRACK_TO + 1))

        summary = export_ytvis(project, out_dir=tmp_path / "ytvis")
    finally:
        window.close()
        client.shutdown()

    data = json.loads((tmp_path / "ytvis" / "annotations.json").read_text())
    (vid,) = data["videos"]
    assert vid["length"] == 40 and vid["width"] == 854 and vid["height"] == 480
    (ann,) = data["annotations"]
    assert [s is not None for s in ann["segmentations"]][: TRACK_TO + 1].count(True) == len(after)
    assert all(s is None for s in ann["segmentations"][TRACK_TO + 1 :])
    assert summary.path == tmp_path / "ytvis"

    # Evaluate against the DAVIS folder directly ...
    sequence = davis_root / "Annotations" / "480p" / "car-shadow"
    report = evaluate(tmp_path / "ytvis" / "annotations.json", sequence)
    (obj,) = report.objects
    assert obj.frames >= 39 and 0.0 <= obj.J["mean"] <= 1.0 and 0.0 <= obj.F["mean"] <= 1.0
    # ... and against the ground truth imported into a second project and exported the same way.
    with Project.create(tmp_path / "gt", name="gt") as gt_project:
        gt_project.import_media([davis_mp4])
        imported = import_annotations(gt_project, "davis", sequence, label="car")
        assert imported.videos == 1
        gt_path = export_ytvis(gt_project, out_dir=tmp_path / "gt-ytvis").path
    again = evaluate(tmp_path / "ytvis" / "annotations.json", gt_path / "annotations.json")
    assert again.summary["J"]["mean"] == pytest.approx(report.summary["J"]["mean"], abs=1e-6)
    assert evaluate(gt_path / "annotations.json", sequence).summary["J&F"] == 1.0
