"""The YOLO-seg export loaded by Ultralytics' own dataset code, from another working directory.

Ultralytics is a test-only dependency, installed without its dependency list
(packaging/requirements-consumers.txt): its data loaders need only numpy, OpenCV, PyYAML, PIL
and torch, all here. Its ``check_font`` (a plotting-font download that needs matplotlib and the
network) is switched off; everything else is Ultralytics' code as shipped.
"""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from tests.export.conftest import H, W
from videoseg_desktop.export import export_yolo


@pytest.fixture(scope="module")
def ultralytics_data(tmp_path_factory):
    """Ultralytics' data utilities, imported offline with its settings kept in a temporary folder.

    Importing Ultralytics replaces ``PIL.Image.open``, ``torch.save`` and ``cv2.imread`` /
    ``imwrite`` / ``imshow`` process-wide (its open even tries to pip-install a HEIF plugin on an
    unreadable image): they are put back after this module, so no other test runs on them."""
    import PIL.Image
    import torch

    patched = [
        (PIL.Image, "open"),
        (torch, "save"),
        (cv2, "imread"),
        (cv2, "imwrite"),
        (cv2, "imshow"),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name in patched]
    try:
        yield from _import_ultralytics(tmp_path_factory)
    finally:
        for owner, name, value in originals:
            setattr(owner, name, value)


def _import_ultralytics(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("YOLO_OFFLINE", "1")
        mp.setenv("YOLO_CONFIG_DIR", str(tmp_path_factory.mktemp("ultralytics-settings")))
        utils = pytest.importorskip("ultralytics.data.utils")
        dataset = pytest.importorskip("ultralytics.data.dataset")
        mp.setattr(utils, "check_font", lambda *args, **kwargs: None)
        yield utils, dataset.YOLODataset


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """A working directory that is not the export's."""
    folder = tmp_path / "somewhere" / "else"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    return folder


def test_data_yaml_resolves_from_any_working_directory(
    image_project, ultralytics_data, elsewhere, tmp_path
):
    utils, _ = ultralytics_data
    summary = export_yolo(image_project, out_dir=tmp_path / "export")
    images = str((summary.path / "images").resolve())
    relative = os.path.relpath(summary.path / "data.yaml", elsewhere)
    for given in (relative, str(summary.path / "data.yaml"), str(summary.path)):
        data = utils.check_det_dataset(given)
        assert data["train"] == data["val"] == images, given
        assert data["names"] == {0: "cat", 1: "dog"} and data["nc"] == 2


def test_the_old_path_dot_failed_outside_the_export_folder(
    image_project, ultralytics_data, elsewhere, tmp_path
):
    """What the export used to write: `path: .` is the working directory to Ultralytics."""
    utils, _ = ultralytics_data
    summary = export_yolo(image_project, out_dir=tmp_path / "export")
    old = summary.path / "old.yaml"
    old.write_text("path: .\n" + (summary.path / "data.yaml").read_text())
    with pytest.raises(FileNotFoundError, match="images not found"):
        utils.check_det_dataset(str(old))


def test_ultralytics_reads_one_instance_per_object_with_parts_and_holes(
    image_project, ultralytics_data, elsewhere, tmp_path
):
    utils, yolo_dataset = ultralytics_data
    summary = export_yolo(image_project, out_dir=tmp_path / "export")
    data = utils.check_det_dataset(str(summary.path / "data.yaml"))
    dataset = yolo_dataset(
        img_path=data["train"], data=data, task="segment", augment=False, imgsz=64
    )
    labels = {os.path.basename(lb["im_file"]): lb for lb in dataset.labels}
    assert sorted(labels) == ["img0.png", "img1.png", "img2.png"]
    names = data["names"]
    for name, label in labels.items():
        expected = {key[1]: mask for key, mask in image_project.expected.items() if key[0] == name}
        classes = [names[int(c)] for c in label["cls"].reshape(-1)]
        assert sorted(classes) == sorted(expected)  # one instance per labelled object
        for cls_name, segment in zip(classes, label["segments"], strict=True):
            drawn = utils.polygon2mask((H, W), [(segment * [W, H]).reshape(-1)])
            mask = expected[cls_name]
            assert not (mask & (drawn == 0)).any(), (name, cls_name)  # nothing lost
            iou = (mask & (drawn > 0)).sum() / (mask | (drawn > 0)).sum()
            assert iou > 0.98, (name, cls_name, iou)  # holes kept (filled they would give 0.91)
            assert not drawn[14:20, 12:22].any() or cls_name != "cat"  # inside the cat's hole
    sample = dataset[0]  # its own transform pipeline turns the polygons into training masks
    instances = len(labels[os.path.basename(sample["im_file"])]["cls"])
    assert len(sample["cls"]) == instances and sample["masks"].max() == instances


def test_ultralytics_converter_joins_parts_the_same_way(ultralytics_data):
    """Our joined polygon and the converter's merge of the same parts draw the same mask."""
    from ultralytics.data.converter import merge_multi_segment

    from videoseg_desktop.export.polygon_join import mask_to_joined_polygon

    m = np.zeros((H, W), np.uint8)
    m[5:15, 5:15] = m[25:40, 30:45] = m[5:12, 50:60] = 1
    contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    theirs = np.concatenate(merge_multi_segment([c.reshape(-1) for c in contours]))
    ours = np.asarray(mask_to_joined_polygon(m.astype(bool))[0]).reshape(-1, 2)
    utils, _ = ultralytics_data
    drawn_theirs = utils.polygon2mask((H, W), [theirs.reshape(-1)]) > 0
    drawn_ours = utils.polygon2mask((H, W), [ours.reshape(-1)]) > 0
    assert (drawn_theirs & ~m.astype(bool)).sum() >= (drawn_ours & ~m.astype(bool)).sum()
    assert (drawn_ours[m > 0]).all() and (drawn_theirs[m > 0]).all()


def test_video_frames_in_subfolders_find_their_labels(
    video_project, ultralytics_data, elsewhere, tmp_path
):
    """--frames-as-images writes images/clip/00003.jpg; Ultralytics maps it to labels/clip/."""
    utils, yolo_dataset = ultralytics_data
    summary = export_yolo(video_project, out_dir=tmp_path / "frames", frames_as_images=True)
    data = utils.check_det_dataset(str(summary.path / "data.yaml"))
    dataset = yolo_dataset(
        img_path=data["train"], data=data, task="segment", augment=False, imgsz=320
    )
    per_frame = {
        os.path.basename(lb["im_file"]): sorted(data["names"][int(c)] for c in lb["cls"].ravel())
        for lb in dataset.labels
    }
    expected = {
        f"{f:05d}.jpg": sorted(["car"] * (f < 8) + ["person"] * (3 <= f < 6)) for f in range(8)
    }
    assert per_frame == expected


def test_our_importer_reads_polygons_joined_by_ultralytics_converter(ultralytics_data):
    """Ultralytics' own merge_multi_segment output (COCO converter) reads back without bridges."""
    from ultralytics.data import converter

    from videoseg_desktop.export.polygon_join import joined_polygon_to_mask

    m = np.zeros((H, W), bool)
    m[5:20, 5:20] = m[25:35, 40:55] = m[30:38, 3:12] = m[38:46, 50:62] = True
    contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    merged = np.concatenate(converter.merge_multi_segment([c.reshape(-1) for c in contours]))
    polygon = merged.reshape(-1).astype(float).tolist()
    assert (
        _fill_like_ultralytics(polygon, ultralytics_data[0]) & ~m
    ).any()  # filled as is, bridges show
    assert (joined_polygon_to_mask(polygon, H, W) == m).all()


def _fill_like_ultralytics(polygon, utils) -> np.ndarray:
    return utils.polygon2mask((H, W), [np.asarray(polygon, float)]) > 0
