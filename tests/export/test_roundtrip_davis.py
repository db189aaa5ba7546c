"""Real data end to end: DAVIS ground truth in, three formats out, evaluated against the ground truth."""

import numpy as np
import pytest
from PIL import Image
from pycocotools.coco import COCO

from videoseg_desktop.core.masks import decode_rle
from videoseg_desktop.export import (
    evaluate,
    export_coco,
    export_davis,
    export_ytvis,
    import_annotations,
)
from videoseg_desktop.store import Project

SEQ = "car-shadow"


@pytest.fixture(scope="module")
def davis_project(tmp_path_factory, davis_mp4, davis_root):
    project = Project.create(tmp_path_factory.mktemp("roundtrip") / "proj")
    (item,) = project.import_media([davis_mp4]).added
    assert (item.frame_count, item.width, item.height) == (40, 854, 480)
    result = import_annotations(project, "davis", davis_root)  # all four sequences offered
    assert result.videos == 1 and result.objects == 1 and result.masks == 40
    assert result.labels_created == ["object"]
    assert sorted(result.unmatched) == ["blackswan", "dog", "libby"]
    yield project
    project.close()


@pytest.fixture(scope="module")
def gt_sequence(davis_root):
    return davis_root / "Annotations" / "480p" / SEQ


def test_imported_masks_are_the_ground_truth_pixels(davis_project, gt_sequence):
    item = davis_project.media.list()[0]
    (obj,) = davis_project.objects.list(item.id)
    for frame in (0, 17, 39):
        gt = np.asarray(Image.open(gt_sequence / f"{frame:05d}.png")) == 255
        assert np.array_equal(decode_rle(davis_project.masks.get(obj.id, frame).rle), gt)


def test_davis_export_scores_exactly_one(davis_project, gt_sequence):
    summary = export_davis(davis_project)
    assert (summary.path / "JPEGImages/480p/car-shadow/00039.jpg").is_file()
    with Image.open(summary.path / "Annotations/480p/car-shadow/00000.png") as img:
        assert img.mode == "P" and img.size == (854, 480)
    report = evaluate(summary.path, gt_sequence)
    assert report.mode == "videos" and len(report.objects) == 1
    assert report.summary["J"]["mean"] == 1.0 and report.summary["F"]["mean"] == 1.0
    assert report.summary["J&F"] == 1.0 and report.objects[0].frames == 40


def test_ytvis_export_scores_exactly_one(davis_project, gt_sequence):
    summary = export_ytvis(davis_project)
    report = evaluate(summary.path, gt_sequence)
    assert (report.pred_format, report.mode) == ("ytvis", "videos")
    assert report.summary["J"] == {"mean": 1.0, "recall": 1.0, "decay": 0.0}
    assert report.summary["F"] == {"mean": 1.0, "recall": 1.0, "decay": 0.0}


def test_coco_frames_export_scores_exactly_one(davis_project, gt_sequence):
    summary = export_coco(davis_project, frames_as_images=True)
    assert summary.images == 40
    coco = COCO(str(summary.path / "annotations.json"))
    first = coco.dataset["annotations"][0]
    gt0 = np.asarray(Image.open(gt_sequence / "00000.png")) == 255
    assert np.array_equal(coco.annToMask(first).astype(bool), gt0)
    report = evaluate(summary.path, gt_sequence)
    assert report.mode == "images" and report.images == 40
    assert report.summary["matched"] == 40 and report.summary["missed"] == 0
    assert report.summary["mean_iou"] == 1.0 and report.summary["mean_dice"] == 1.0
