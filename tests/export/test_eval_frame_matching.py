"""`eval` pairs predicted and ground-truth frames by frame number, in every layout it reads.

The ground truth is a 10-frame DAVIS sequence whose two objects move 8 and 5 px a frame, so a prediction
shifted by one frame scores visibly less than a perfect one. The prediction is the ground truth
itself with frames left out: each frame present scores 1, each one missing counts as empty (0).
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.export import evaluate
from videoseg_desktop.export.davis import write_index_png

H, W, N = 70, 120, 10
SEQ = "walk"
GAPS = {"start": {0}, "middle": {4, 5}, "end": {9}, "all three": {0, 5, 9}}


def _ids(frame: int) -> np.ndarray:
    """Object 1: a square moving right; object 2: a bar moving down."""
    ids = np.zeros((H, W), np.uint8)
    ids[10:30, 4 + 8 * frame : 24 + 8 * frame] = 1
    ids[5 + 5 * frame : 15 + 5 * frame, 100:115] = 2
    return ids


def _write_davis(folder: Path, frames, with_jpegs: bool = False) -> Path:
    """``folder/Annotations/480p/walk/NNNNN.png`` for ``frames`` (and every JPEG frame if asked)."""
    masks = folder / "Annotations" / "480p" / SEQ
    masks.mkdir(parents=True)
    for f in frames:
        write_index_png(masks / f"{f:05d}.png", _ids(f))
    if with_jpegs:
        jpegs = folder / "JPEGImages" / "480p" / SEQ
        jpegs.mkdir(parents=True)
        for f in range(N):
            Image.new("RGB", (W, H)).save(jpegs / f"{f:05d}.jpg")
    return folder


def _rle_json(mask: np.ndarray) -> dict:
    return encode_rle(mask)


def _write_ytvis(path: Path, frames) -> Path:
    frames = sorted(frames)
    data = {
        "videos": [
            {
                "id": 1,
                "width": W,
                "height": H,
                "length": len(frames),
                "file_names": [f"{SEQ}/{f:05d}.jpg" for f in frames],
            }
        ],
        "categories": [{"id": 1, "name": "thing"}],
        "annotations": [
            {
                "id": obj,
                "video_id": 1,
                "category_id": 1,
                "segmentations": [_rle_json(_ids(f) == obj) for f in frames],
            }
            for obj in (1, 2)
        ],
    }
    path.write_text(json.dumps(data))
    return path


def _write_coco(path: Path, frames) -> Path:
    frames = sorted(frames)
    data = {
        "images": [
            {"id": n, "file_name": f"{SEQ}/{f:05d}.jpg", "width": W, "height": H}
            for n, f in enumerate(frames, 1)
        ],
        "categories": [{"id": 1, "name": "thing"}],
        "annotations": [
            {
                "id": 10 * n + obj,
                "image_id": n,
                "category_id": 1,
                "segmentation": _rle_json(_ids(f) == obj),
            }
            for n, f in enumerate(frames, 1)
            for obj in (1, 2)
        ],
    }
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def gt(tmp_path) -> Path:
    return _write_davis(tmp_path / "gt", range(N))


def _prediction(tmp_path: Path, layout: str, frames) -> Path:
    """The prediction for ``frames``, written in ``layout``; returns the path handed to eval."""
    root = tmp_path / "pred"
    if layout == "ytvis file":
        root.mkdir()
        return _write_ytvis(root / "results.json", frames)
    if layout == "ytvis folder":
        root.mkdir()
        _write_ytvis(root / "annotations.json", frames)
        return root
    _write_davis(root, frames, with_jpegs=layout == "davis root with JPEGImages")
    return {
        "davis root": root,
        "davis root with JPEGImages": root,
        "Annotations folder": root / "Annotations",
        "folder of sequences": root / "Annotations" / "480p",
        "sequence folder": root / "Annotations" / "480p" / SEQ,
    }[layout]


LAYOUTS = [
    "sequence folder",
    "folder of sequences",
    "Annotations folder",
    "davis root",
    "davis root with JPEGImages",
    "ytvis file",
    "ytvis folder",
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("gap", list(GAPS))
def test_missing_prediction_frames_count_as_empty_and_shift_nothing(tmp_path, gt, layout, gap):
    missing = GAPS[gap]
    pred = _prediction(tmp_path, layout, [f for f in range(N) if f not in missing])
    report = evaluate(pred, gt)
    assert report.mode == "videos" and len(report.objects) == 2
    expected = (N - len(missing)) / N  # 1 on every frame present, 0 on every frame missing
    for obj in report.objects:
        assert obj.frames == N
        assert obj.J["mean"] == pytest.approx(expected), (layout, gap, obj.object_id)
        assert obj.F["mean"] == pytest.approx(expected), (layout, gap, obj.object_id)
    if layout != "davis root with JPEGImages":  # there the JPEG frames already number the PNGs
        warning = next(w for w in report.warnings if "no prediction" in w)
        assert f"{len(missing)} of the {N} ground-truth frames" in warning
        assert all(f"{f:05d}" in warning for f in missing)


@pytest.mark.parametrize("gt_layout", ["davis root", "ytvis file"])
def test_gaps_in_the_ground_truth_leave_extra_predictions_out(tmp_path, gt_layout):
    """Ground truth annotated on some frames only: predictions for the others are not scored."""
    gt_frames = [0, 3, 6, 9]
    if gt_layout == "davis root":
        gt = _write_davis(tmp_path / "gt", gt_frames)
    else:
        (tmp_path / "gt").mkdir()
        gt = _write_ytvis(tmp_path / "gt" / "gt.json", gt_frames)
    pred = _prediction(tmp_path, "sequence folder", range(N))
    report = evaluate(pred, gt)
    assert report.summary["J"]["mean"] == 1.0 and report.summary["F"]["mean"] == 1.0
    assert all(o.frames == len(gt_frames) for o in report.objects)
    assert any("6 predicted frames are not in the ground truth" in w for w in report.warnings)


def test_images_mode_matches_frames_by_name_too(tmp_path, gt):
    """COCO predictions against a DAVIS ground truth: each frame an image, matched by name."""
    (tmp_path / "pred").mkdir()
    pred = _write_coco(tmp_path / "pred" / "coco.json", [f for f in range(N) if f not in {0, 9}])
    report = evaluate(pred, gt)
    assert report.mode == "images"
    s = report.summary
    assert s["matched"] == 2 * (N - 2) and s["missed"] == 4 and s["extra"] == 0
    matched = [i.iou for i in report.instances if i.status == "matched"]
    assert matched and all(iou == 1.0 for iou in matched)


def test_frame_numbers_match_across_naming_styles(tmp_path, gt):
    """``3.png`` is frame ``00003``; unnumbered names fall back to the whole name."""
    pred = _prediction(tmp_path, "sequence folder", [1, 2, 3])
    for png in pred.glob("*.png"):
        png.rename(pred / f"frame_{int(png.stem)}.png")
    report = evaluate(pred, gt)
    assert report.objects[0].J["mean"] == pytest.approx(3 / N)


def test_unrelated_frame_names_are_refused_unless_counts_agree(tmp_path, gt):
    pred = _prediction(tmp_path, "ytvis file", range(N))
    data = json.loads(pred.read_text())
    data["videos"][0]["file_names"] = [f"{SEQ}/img_{c}.jpg" for c in "abcdefghij"]
    pred.write_text(json.dumps(data))
    report = evaluate(pred, gt)  # same count: compared in order, with a warning
    assert report.summary["J"]["mean"] == 1.0
    assert any("compared in order" in w for w in report.warnings)
    data["videos"][0]["file_names"] = data["videos"][0]["file_names"][:9]
    data["videos"][0]["length"] = 9
    for ann in data["annotations"]:
        ann["segmentations"] = ann["segmentations"][:9]
    pred.write_text(json.dumps(data))
    with pytest.raises(ExportError, match="cannot tell which frames correspond"):
        evaluate(pred, gt)


def test_real_davis_sequence_with_gaps(davis_root, tmp_path):
    """A real DAVIS ground-truth sequence copied with frames left out scores exactly its share."""
    seq = "blackswan"
    source = davis_root / "Annotations" / "480p" / seq
    pngs = sorted(source.glob("*.png"))
    dropped = {pngs[0].name, pngs[len(pngs) // 2].name, pngs[-1].name}
    pred = tmp_path / seq
    pred.mkdir()
    for png in pngs:
        if png.name not in dropped:
            shutil.copy(png, pred / png.name)
    gt = tmp_path / "gt" / "Annotations" / "480p" / seq
    shutil.copytree(source, gt)
    report = evaluate(pred, tmp_path / "gt")
    (obj,) = report.objects
    assert obj.frames == len(pngs)
    assert obj.J["mean"] == pytest.approx((len(pngs) - 3) / len(pngs))
