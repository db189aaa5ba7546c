"""Pre-labelling a media-browser selection in the worker: boxes from a COCO file (SAM 2.1) and a
SAM 3 concept; progress with Cancel, results stored as suggestions, a new start resumes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from videoseg_desktop.core.concepts import ConceptPrompt
from videoseg_desktop.core.records import ObjectState
from videoseg_desktop.ui.prelabel.batch_jobs import BatchDone, BatchPart

TIMEOUT_MS = 120_000


@pytest.fixture
def project_path(tmp_path) -> Path:
    """Label car; images a.png, b.png, c.png (160x120), each with a red block."""
    from videoseg_desktop.store import Project

    paths = []
    for n, name in enumerate(("a.png", "b.png", "c.png")):
        im = np.full((120, 160, 3), 40, np.uint8)
        im[20 + 10 * n : 70 + 10 * n, 30:90] = (220, 60, 60)
        paths.append(tmp_path / name)
        Image.fromarray(im).save(paths[-1])
    root = tmp_path / "project"
    with Project.create(root, name="test") as project:
        project.labels.add("car", "#E69F00")
        project.import_media(paths)
    return root


@pytest.fixture
def coco(tmp_path) -> Path:
    images = [
        {"id": n + 1, "file_name": name} for n, name in enumerate(("a.png", "b.png", "c.png"))
    ]
    anns = [
        {"image_id": i["id"], "category_id": 1, "bbox": [30, 20 + 10 * n, 60, 50], "score": 0.9}
        for n, i in enumerate(images)
    ]
    anns.append({"image_id": 1, "category_id": 1, "bbox": [1, 1, -4, 4]})  # a bad item
    data = {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "truck"}]}
    path = tmp_path / "dets.json"
    path.write_text(json.dumps(data))
    return path


def _wait(driver, runner) -> BatchDone:
    got = []
    runner.finished.connect(got.append)
    driver.qtbot.waitUntil(lambda: bool(got), timeout=TIMEOUT_MS)
    assert got[0] is not None, driver.window.last_error
    return got[0]


def _suggested(project, media_id):
    return [o for o in project.objects.list(media_id) if o.state == ObjectState.SUGGESTED]


def test_boxes_from_a_file_on_the_selection_become_suggestions(driver, coco, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: shown.append(a[2]))
    runner, project = driver.window.prelabel.runner, driver.project
    runner.start_boxes(driver.session, [1, 2], str(coco), "coco", None)
    assert runner.running and runner.progress.isVisible()
    done = _wait(driver, runner)
    assert not done.cancelled and done.items == 2 and runner.progress is None
    truck = project.labels.get("truck")
    for media_id in (1, 2):
        objects = _suggested(project, media_id)
        assert len(objects) <= 1 and all(o.label_id == truck.id for o in objects)
    assert _suggested(project, 3) == []  # not selected
    assert "annotation #4" in shown[0]  # the bad item, one line
    runner.start_boxes(driver.session, [1, 2, 3], str(coco), "coco", None)
    assert _wait(driver, runner).items == 1  # only the item not done yet


def test_cancel_stops_after_the_item_in_hand_and_a_new_start_resumes(driver, coco, monkeypatch):
    from PySide6.QtWidgets import QMessageBox, QPushButton

    monkeypatch.setattr(QMessageBox, "information", lambda *a: None)
    runner, client = driver.window.prelabel.runner, driver.window.client

    def cancel_after_first(answer) -> None:
        if isinstance(answer, BatchPart) and runner.progress is not None:
            runner.progress.findChild(QPushButton).click()  # the dialog's Cancel button

    from videoseg_desktop.inference import box_masks

    real, calls = box_masks.masks_for_image, []

    def slow(engine, image, boxes, key=None):
        calls.append(1)
        if len(calls) > 1:  # hold the worker until the Cancel click reached it
            deadline = time.monotonic() + 10
            while not client.worker.cancel_requested() and time.monotonic() < deadline:
                time.sleep(0.01)
        return real(engine, image, boxes, key)

    monkeypatch.setattr(box_masks, "masks_for_image", slow)
    client.answered.connect(cancel_after_first)
    try:
        runner.start_boxes(driver.session, [1, 2, 3], str(coco), "coco", None)
        done = _wait(driver, runner)
    finally:
        client.answered.disconnect(cancel_after_first)
    assert done.cancelled and done.items == 2
    monkeypatch.setattr(box_masks, "masks_for_image", real)
    runner.start_boxes(driver.session, [1, 2, 3], str(coco), "coco", None)
    again = _wait(driver, runner)
    assert not again.cancelled and again.items == 3 - done.items
    assert all(r.state == "done" for r in driver.project.prelabels.list())


def test_a_concept_on_the_selection_with_sam3(driver, sam3_models_dir):
    runner = driver.window.prelabel.runner
    concept = ConceptPrompt("red block", "car")
    runner.start_concept(driver.session, [1, 3], concept, 0.05, "tiny3")
    done = _wait(driver, runner)
    assert done.items == 2
    runs = driver.project.prelabels.list()
    assert {r.media_id for r in runs} == {1, 3} and all(r.state == "done" for r in runs)
    runner.start_concept(driver.session, [1, 3], concept, 0.05, "tiny3")
    assert _wait(driver, runner).items == 0


def test_a_concept_on_a_video_tracks_from_the_chosen_frame_and_direction(
    driver, sam3_models_dir, tmp_path
):
    from tests.helpers.video import moving_square_frames, write_video
    from videoseg_desktop.ui.prelabel.batch_runner import PrelabelDialog

    dialog = PrelabelDialog(driver.window, 1, "car", frame=5)
    assert dialog.start_frame.value() == 5 and dialog.direction.currentData() == "forward"
    assert dialog.windowTitle() == "Pre-label 1 item"
    dialog.deleteLater()

    clip = tmp_path / "clip.mp4"
    write_video(moving_square_frames(8), clip, gop=4)
    video = driver.project.import_media([clip]).added[0]
    runner = driver.window.prelabel.runner
    runner.start_concept(
        driver.session, [video.id], ConceptPrompt("red block", "car"), 0.05, "tiny3", "backward", 5
    )
    done = _wait(driver, runner)
    assert done.items == 1
    frames = {
        frame
        for obj in driver.project.objects.list(video.id)
        for frame, _source in driver.project.masks.frames_of(obj.id)
    }
    assert frames, "the tiny SAM 3 finds the block"
    assert max(frames) == 5 and min(frames) == 0  # from frame 5 back to the first, not after
