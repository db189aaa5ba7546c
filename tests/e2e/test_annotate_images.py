"""End to end: annotate three images in the real window (two objects on one) and export COCO."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from PySide6.QtCore import Qt

from tests.ui.driver import WindowDriver
from videoseg_desktop.core.masks import decode_rle
from videoseg_desktop.store import Project
from videoseg_desktop.ui.app_context import AppContext
from videoseg_desktop.ui.dialogs.export_dialog import run_export
from videoseg_desktop.ui.inference.inference_client import InferenceClient
from videoseg_desktop.ui.inference.inference_jobs import ModelConfig
from videoseg_desktop.ui.main_window import MainWindow
from videoseg_desktop.ui.project.preferences import Preferences

pytestmark = pytest.mark.slow


@pytest.fixture
def images(davis_root):
    return [
        davis_root / "JPEGImages" / "480p" / s / "00000.jpg"
        for s in ("blackswan", "car-shadow", "dog")
    ]


def test_annotate_three_images_and_export_coco(
    qtbot, tmp_path, monkeypatch, images, random_checkpoint
):
    monkeypatch.setenv("VIDEOSEG_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("VIDEOSEG_MODELS_DIR", str(tmp_path / "models"))
    root = tmp_path / "project"
    with Project.create(root, name="e2e") as project:
        project.labels.add("animal")
        project.labels.add("car")
        project.import_media(images)

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

        ui.drag(250, 120, 650, 420)  # swan: a box, refined with a click
        ui.click(450, 270)
        ui.wait_masks()
        ui.key(Qt.Key.Key_Right)
        ui.key(Qt.Key.Key_2)  # car
        ui.drag(300, 150, 700, 400)
        ui.wait_masks()
        ui.key(Qt.Key.Key_N)  # a second object on the same image
        ui.key(Qt.Key.Key_1)
        ui.drag(20, 300, 250, 470)
        ui.click(100, 400, Qt.KeyboardModifier.ControlModifier)
        ui.wait_masks()
        ui.key(Qt.Key.Key_Right)
        ui.drag(150, 100, 600, 460)  # dog
        ui.wait_masks()

        project = window.session.project
        per_media = {m: project.objects.list(m) for m in project.media.ids()}
        assert [len(v) for v in per_media.values()] == [1, 2, 1]
        labels = {lb.name: lb.id for lb in project.labels.list()}
        assert [o.label_id for o in per_media[2]] == [labels["car"], labels["animal"]]
        stored = {
            o.id: project.masks.get(o.id, 0) for objects in per_media.values() for o in objects
        }
        assert all(r is not None for r in stored.values())

        summary = run_export(project, "coco", {"out_dir": str(tmp_path / "coco")}, window)
    finally:
        window.close()
        client.shutdown()

    data = json.loads((tmp_path / "coco" / "annotations.json").read_text())
    assert summary.images == 3 and len(data["images"]) == 3
    assert {c["name"] for c in data["categories"]} == {"animal", "car"}
    non_empty = {oid: r for oid, r in stored.items() if r.area > 0}
    assert len(data["annotations"]) == len(non_empty)
    names = {img["id"]: img["file_name"] for img in data["images"]}
    assert len(set(names.values())) == 3  # the three 00000.jpg get distinct names
    for ann in data["annotations"]:
        rle = dict(ann["segmentation"])
        decoded = mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode()})
        matches = [
            oid
            for oid, r in non_empty.items()
            if np.array_equal(decode_rle(r.rle), decoded.astype(bool))
        ]
        assert matches, "every exported mask is one the window stored"
        assert ann["area"] == non_empty[matches[0]].area
