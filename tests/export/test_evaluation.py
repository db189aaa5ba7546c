import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.export.conftest import VIDEO_FRAMES, track_mask
from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.export import evaluate, evaluate_sets, export_davis, export_ytvis
from videoseg_desktop.export.dataset import (
    AnnotationSet,
    ImageAnnotations,
    Instance,
    Track,
    VideoAnnotations,
)


def _square(x0, y0, size, h=40, w=40):
    m = np.zeros((h, w), bool)
    m[y0 : y0 + size, x0 : x0 + size] = True
    return m


def _images(fmt, *entries):
    images = []
    for name, instances in entries:
        img = ImageAnnotations(name, 40, 40)
        img.instances = [Instance(encode_rle(m), cat) for cat, m in instances]
        images.append(img)
    return AnnotationSet(fmt, Path("."), images=images)


def test_iou_and_dice_per_instance_class_and_mean():
    gt = _images(
        "coco",
        ("a.jpg", [("cat", _square(0, 0, 10)), ("dog", _square(20, 20, 10))]),
        ("b.jpg", [("cat", _square(5, 5, 10))]),
    )
    pred = _images(
        "coco",
        ("a.png", [("dog", _square(25, 20, 10)), ("cat", _square(0, 0, 10))]),  # same key as a.jpg
        ("b.jpg", []),
        ("c.jpg", [("cat", _square(0, 0, 4))]),  # an image without ground truth
    )
    report = evaluate_sets(pred, gt)
    assert report.mode == "images"
    scores = {(i.image, i.category, i.status): i for i in report.instances}
    assert scores[("a", "cat", "matched")].iou == 1.0
    dog = scores[("a", "dog", "matched")]
    assert dog.iou == pytest.approx(50 / 150) and dog.dice == pytest.approx(100 / 200)
    assert scores[("b", "cat", "missed")].iou == 0.0
    assert scores[("c", "cat", "extra")].iou == 0.0
    s = report.summary
    assert s["matched"] == 2 and s["missed"] == 1 and s["extra"] == 1
    assert s["per_class"]["cat"]["iou"] == pytest.approx(1 / 3)
    assert s["per_class"]["dog"]["dice"] == pytest.approx(0.5)
    assert s["mean_iou"] == pytest.approx((1 + 1 / 3) / 4)
    assert "dog" in report.text() and json.dumps(report.to_dict())


def test_instances_pair_by_best_iou_within_a_class():
    gt = _images("coco", ("a.jpg", [("cat", _square(0, 0, 10)), ("cat", _square(20, 20, 10))]))
    pred = _images("coco", ("a.jpg", [("cat", _square(21, 20, 10)), ("cat", _square(0, 1, 10))]))
    report = evaluate_sets(pred, gt)
    assert all(i.status == "matched" and i.iou > 0.8 for i in report.instances)
    wrong_class = _images("coco", ("a.jpg", [("dog", _square(0, 0, 10))]))
    report = evaluate_sets(wrong_class, gt)
    assert report.summary["matched"] == 0 and report.summary["extra"] == 1


def _video(fmt, name, tracks, length=6, h=40, w=40, categories=True):
    video = VideoAnnotations(name, h, w, length, [f"{name}/{i:05d}.jpg" for i in range(length)])
    for track_id, (cat, frames) in tracks.items():
        video.tracks.append(
            Track(
                track_id, cat if categories else None, {f: encode_rle(m) for f, m in frames.items()}
            )
        )
    return AnnotationSet(fmt, Path("."), videos=[video], has_categories=categories)


def test_video_measures_and_empty_frame_rules():
    gt_frames = {f: _square(5 + f, 5, 12) for f in range(4)}  # absent on frames 4, 5
    gt = _video("davis", "v", {1: (None, gt_frames)}, categories=False)
    same = _video("davis", "v", {1: (None, dict(gt_frames))}, categories=False)
    report = evaluate_sets(same, gt)
    assert report.mode == "videos"
    (obj,) = report.objects
    assert obj.J == {"mean": 1.0, "recall": 1.0, "decay": 0.0} and obj.F["mean"] == 1.0
    assert report.summary["J&F"] == 1.0
    # a mask where the object is absent, and none where it is present: both score 0 there
    wrong = dict(gt_frames)
    wrong[5] = _square(0, 0, 5)
    del wrong[0]
    report = evaluate_sets(_video("davis", "v", {1: (None, wrong)}, categories=False), gt)
    (obj,) = report.objects
    assert obj.J["mean"] == pytest.approx(4 / 6) and obj.F["mean"] == pytest.approx(4 / 6)
    assert obj.J["recall"] == pytest.approx(4 / 6)
    skipped = evaluate_sets(
        _video("davis", "v", {1: (None, wrong)}, categories=False), gt, skip_first_last=True
    )
    assert skipped.objects[0].J["mean"] == 1.0 and skipped.objects[0].frames == 4


def test_davis_matches_objects_by_id_other_formats_by_overlap():
    a = {f: _square(2, 2, 10) for f in range(6)}
    b = {f: _square(25, 25, 10) for f in range(6)}
    gt = _video("davis", "v", {1: (None, a), 2: (None, b)}, categories=False)
    swapped = _video("davis", "v", {1: (None, b), 2: (None, a)}, categories=False)
    assert evaluate_sets(swapped, gt).summary["J"]["mean"] == 0.0
    as_ytvis = _video("ytvis", "v", {10: ("x", b), 11: ("x", a)})
    report = evaluate_sets(as_ytvis, gt)
    assert report.summary["J"]["mean"] == 1.0 and report.summary["F"]["mean"] == 1.0


def test_eroded_prediction_scores_below_one(video_project):
    gt_path = export_davis(video_project).path
    kernel = np.ones((13, 13), np.uint8)  # 6 px: beyond the 4 px boundary tolerance at 320x240
    for f in range(8):
        eroded = cv2.erode(track_mask(f).astype(np.uint8), kernel).astype(bool)
        video_project.masks.put(video_project.car.id, f, encode_rle(eroded), "edited")
    pred_path = export_ytvis(video_project).path
    report = evaluate(pred_path, gt_path)
    assert report.pred_format == "ytvis" and report.gt_format == "davis"
    car = next(o for o in report.objects if o.object_id == 1)
    assert 0.2 < car.J["mean"] < 0.9 and 0.0 < car.F["mean"] < 0.9
    person = next(o for o in report.objects if o.object_id == 2)
    assert person.J["mean"] == person.F["mean"] == 1.0
    assert car.frames == VIDEO_FRAMES


def test_size_mismatch_and_mode_errors():
    gt = _video("davis", "v", {1: (None, {0: _square(0, 0, 5)})}, categories=False)
    big = _video("davis", "v", {1: (None, {0: _square(0, 0, 5, 50, 50)})}, h=50, w=50)
    with pytest.raises(ExportError, match="mask size mismatch"):
        evaluate_sets(big, gt)
    coco = _images("coco", ("v/00000.jpg", [("x", _square(0, 0, 5))]))
    with pytest.raises(ExportError, match="need videos on both sides"):
        evaluate_sets(coco, gt, mode="videos")
    report = evaluate_sets(coco, gt)  # a video compared frame by frame as images
    assert report.mode == "images" and report.summary["mean_iou"] == 1.0


def test_evaluate_reads_and_detects_formats(video_project, tmp_path):
    davis = export_davis(video_project).path
    ytvis = export_ytvis(video_project).path
    assert evaluate(ytvis / "annotations.json", davis).summary["J&F"] == 1.0
    with pytest.raises(ExportError, match="does not exist"):
        evaluate(tmp_path / "missing", davis)
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ExportError, match="not valid JSON"):
        evaluate(tmp_path / "bad.json", davis)
