from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from PIL import Image

from tests.export.conftest import H, W, blob_mask
from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.masks import decode_rle, encode_rle
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.export import export_yolo, import_annotations
from videoseg_desktop.store import Project


def _union_by_image_and_class(project) -> dict:
    out = {}
    names = {lb.id: lb.name for lb in project.labels.list()}
    for item in project.media.list():
        for obj in project.objects.list(item.id):
            for rec in project.masks.for_object(obj.id):
                key = (item.original_name, names.get(obj.label_id))
                mask = decode_rle(rec.rle)
                out[key] = out[key] | mask if key in out else mask
    return out


def _iou(a, b):
    return (a & b).sum() / (a | b).sum()


def _round_trip(project, tmp_path, **kwargs):
    """Export YOLO, import the exported images into a new project, import the YOLO labels."""
    summary = export_yolo(project, **kwargs)
    fresh = Project.create(tmp_path / "fresh")
    fresh.import_media(sorted((summary.path / "images").iterdir()))
    result = import_annotations(fresh, "yolo", summary.path)
    return summary, fresh, result


def _irregular_mask(seed: int, h: int = 120, w: int = 160) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), bool)
    for _ in range(4):  # a union of overlapping ellipses: a lumpy single shape
        cx, cy = rng.integers(50, 110), rng.integers(40, 80)
        rx, ry = rng.integers(10, 30), rng.integers(10, 30)
        y, x = np.ogrid[:h, :w]
        mask |= ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1
    return mask


def test_yolo_layout_and_data_yaml(image_project):
    summary = export_yolo(image_project)
    data = yaml.safe_load((summary.path / "data.yaml").read_text())
    assert data["names"] == {0: "cat", 1: "dog"} and data["nc"] == 2
    # no 'path': Ultralytics then resolves train/val against the folder holding data.yaml
    assert "path" not in data and data["train"] == data["val"] == "images"
    lines = (summary.path / "labels" / "img0.txt").read_text().splitlines()
    classes = [int(line.split()[0]) for line in lines]
    assert sorted(classes) == [0, 1]  # one line per object: the two-part holed cat is one line
    for line in lines:
        values = [float(v) for v in line.split()[1:]]
        assert len(values) >= 6 and len(values) % 2 == 0 and all(0 <= v <= 1 for v in values)
    assert any("holes" in w for w in summary.warnings)


def test_one_line_per_object_keeps_parts_and_holes(image_project, tmp_path):
    """Every image has as many lines as objects; the joined cat polygon reads back as the
    holed two-part mask, and OpenCV's even-odd fill (Ultralytics') keeps its hole too."""
    summary = export_yolo(image_project)
    for item in image_project.media.list():
        labelled = [o for o in image_project.objects.list(item.id) if o.label_id is not None]
        name = Path(item.original_name).with_suffix(".txt").name
        lines = (summary.path / "labels" / name).read_text().splitlines()
        assert len(lines) == len(labelled)
    fresh = Project.create(tmp_path / "fresh")
    fresh.import_media(sorted((summary.path / "images").iterdir()))
    result = import_annotations(fresh, "yolo", summary.path)
    assert result.objects == 4  # three cats and a dog, not one object per part
    back = _union_by_image_and_class(fresh)
    for key, mask in image_project.expected.items():
        assert (back[key] == mask).all(), key  # parts, hole and all: pixel-exact
    fresh.close()
    cat_line = next(
        line
        for line in (summary.path / "labels" / "img0.txt").read_text().splitlines()
        if line.startswith("0 ")
    )
    xy = np.array([float(v) for v in cat_line.split()[1:]]).reshape(-1, 2) * [W, H]
    drawn = np.zeros((H, W), np.uint8)
    cv2.fillPoly(drawn, [np.ascontiguousarray(xy.astype(np.int32))], 1)  # as polygon2mask does
    cat = image_project.expected[("img0.png", "cat")]
    assert not (cat & ~drawn.astype(bool)).any()  # nothing of the mask lost
    assert not drawn[12:20, 12:22].any()  # the hole stays open
    assert (summary.path / "images" / "img0.png").read_bytes() == image_project.media_path(
        image_project.media.list()[0]
    ).read_bytes()


def test_yolo_polygons_reimported_match_the_masks(tmp_path):
    project = Project.create(tmp_path / "p")
    files = []
    for n in range(4):
        path = tmp_path / f"shape{n}.png"
        Image.fromarray(np.full((120, 160, 3), 30 * n, np.uint8)).save(path)
        files.append(path)
    items = project.import_media(files).added
    label = project.labels.add("thing")
    for n, item in enumerate(items):
        obj = project.objects.add(item.id, label.id)
        mask = _irregular_mask(n)
        if n == 3:
            mask |= blob_mask(20, 20, 8, 120, 160)  # a second part
        project.masks.put(obj.id, 0, encode_rle(mask), MaskSource.CLICKED)
    summary, fresh, result = _round_trip(project, tmp_path)
    assert result.images == 4 and result.labels_created == ["thing"]
    original, back = _union_by_image_and_class(project), _union_by_image_and_class(fresh)
    assert original.keys() == back.keys()
    for key in original:
        assert _iou(original[key], back[key]) >= 0.95, key
    sources = {
        rec.source
        for item in fresh.media.list()
        for obj in fresh.objects.list(item.id)
        for rec in fresh.masks.for_object(obj.id)
    }
    assert sources == {MaskSource.IMPORTED}
    fresh.close()
    project.close()


def test_yolo_round_trip_on_real_davis_masks(davis_root, tmp_path):
    project = Project.create(tmp_path / "p")
    seq = "blackswan"
    frames = [davis_root / "JPEGImages/480p" / seq / f"{i:05d}.jpg" for i in (0, 20, 40)]
    items = project.import_media(frames).added
    label = project.labels.add("swan")
    for item, frame in zip(items, frames, strict=True):
        gt = np.asarray(Image.open(davis_root / "Annotations/480p" / seq / f"{frame.stem}.png")) > 0
        obj = project.objects.add(item.id, label.id)
        project.masks.put(obj.id, 0, encode_rle(gt), MaskSource.IMPORTED)
    summary, fresh, _ = _round_trip(project, tmp_path)
    original, back = _union_by_image_and_class(project), _union_by_image_and_class(fresh)
    for key in original:
        assert _iou(original[key], back[key]) >= 0.95, key
    fresh.close()
    project.close()


def test_yolo_import_refuses_bad_lines(image_project, tmp_path):
    summary = export_yolo(image_project)
    (summary.path / "labels" / "img1.txt").write_text("7 0.1 0.1 0.2 0.1 0.2 0.2\n")
    before = image_project.objects.counts()
    with pytest.raises(ExportError, match="class 7"):
        import_annotations(image_project, "yolo", summary.path)
    (summary.path / "labels" / "img1.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    with pytest.raises(ExportError, match="bounding box"):
        import_annotations(image_project, "yolo", summary.path)
    assert image_project.objects.counts() == before
