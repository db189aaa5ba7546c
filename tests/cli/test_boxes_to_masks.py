"""`videoseg boxes-to-masks`, in-process, with random tiny SAM 2.1 weights at 256 px."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers.tracking import one_torch_thread
from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.cli.main import main
from videoseg_desktop.core.masks import decode_rle
from videoseg_desktop.core.prompts import Box
from videoseg_desktop.core.records import MaskSource, ObjectState
from videoseg_desktop.inference import registry
from videoseg_desktop.store import Project

FRAMES = 12


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    yield from one_torch_thread()


@pytest.fixture(autouse=True)
def models_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(tmp_path / "models"))
    return tmp_path / "models"


def _picture(shift: int) -> np.ndarray:
    im = np.full((90, 120, 3), 40, np.uint8)
    im[20 + shift : 50 + shift, 10:40] = (220, 60, 60)
    im[50:80, 70:110] = (60, 200, 90)
    return im


@pytest.fixture
def project(tmp_path) -> Path:
    """Media 1-2: pictures a.png and b.png (120x90); media 3: a 12-frame 320x240 video."""
    paths = []
    for n, name in enumerate(("a.png", "b.png")):
        paths.append(tmp_path / name)
        Image.fromarray(_picture(5 * n)).save(paths[-1])
    paths.append(write_video(moving_square_frames(FRAMES), tmp_path / "clip.mp4", gop=5))
    folder = tmp_path / "proj"
    assert main(["new", str(folder)]) == 0
    assert main(["import", str(folder), *map(str, paths)]) == 0
    return folder


def _run(project, checkpoint, source, fmt, *extra, capsys) -> tuple[int, dict, str]:
    code = main(
        ["boxes-to-masks", str(project), "--from", str(source), "--format", fmt]
        + ["--checkpoint", str(checkpoint), "--image-size", "256", "--device", "cpu", "--json"]
        + list(extra)
    )
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    return code, (json.loads(lines[-1]) if lines else {}), err


def _coco(path: Path) -> Path:
    data = {
        "images": [
            {"id": 1, "file_name": "a.png", "width": 120, "height": 90},
            {"id": 2, "file_name": "sub/b.png"},
            {"id": 3, "file_name": "missing.png"},
            {"id": 4, "file_name": "../../etc/passwd"},
        ],
        "categories": [{"id": 1, "name": "red"}, {"id": 2, "name": "green"}],
        "annotations": [
            {"image_id": 1, "category_id": 1, "bbox": [10, 20, 30, 30], "score": 0.9},
            {"image_id": 1, "category_id": 2, "bbox": [70, 50, 40, 30], "score": 0.8},
            {"image_id": 1, "category_id": 2, "bbox": [0, 0, 5, 5], "score": 0.1},  # low
            {"image_id": 2, "category_id": 1, "bbox": [10, 25, 30, 30]},
            {"image_id": 2, "category_id": 7, "bbox": [1, 1, 5, 5]},  # unknown category
            {"image_id": 2, "category_id": 1, "bbox": [1, 1, -5, 5]},  # no area
            {"image_id": 2, "category_id": 1, "bbox": "1,1,5,5"},  # not a list
            {"image_id": 1, "category_id": 1, "bbox": [500, 500, 10, 10]},  # outside
            {"image_id": 3, "category_id": 1, "bbox": [1, 1, 5, 5]},
        ],
    }
    path.write_text(json.dumps(data))
    return path


def test_coco_boxes_become_suggested_objects_and_a_rerun_resumes(
    project, random_checkpoint, tmp_path, capsys
):
    coco = _coco(tmp_path / "dets.json")
    code, out, err = _run(
        project, random_checkpoint, coco, "coco", "--min-score", "0.3", capsys=capsys
    )
    assert code == 0, err
    assert out["images"] == 2 and out["videos"] == 0 and out["below_score"] == 1
    assert out["objects"] + out["empty"] + out["skipped_overlapping"] == 3
    assert out["unmatched"] == ["missing.png"]
    # one line per bad item, each naming it
    for what in ("image #4", "annotation #5", "annotation #6", "annotation #7", "annotation #8"):
        assert sum(what in line for line in err.splitlines()) == 1, err
    with Project.open(project) as p:
        assert {lb.name for lb in p.labels.list()} >= {"red", "green"}
        objects = [o for m in (1, 2) for o in p.objects.list(m)]
        assert len(objects) == out["objects"] > 0
        assert all(o.state == ObjectState.SUGGESTED for o in objects)
        masks = [r for o in objects for r in p.masks.for_object(o.id)]
        assert all(r.source == MaskSource.AUTO and r.model == "sam2.1_tiny@256" for r in masks)
        a_scores = {round(r.score, 3) for o in p.objects.list(1) for r in p.masks.for_object(o.id)}
        assert a_scores <= {0.9, 0.8}  # the detector's scores are kept
        runs = p.prelabels.list()
        assert len(runs) == 3 and all(r.state == "done" for r in runs)  # a: red, green; b: red
    code, again, _ = _run(
        project, random_checkpoint, coco, "coco", "--min-score", "0.3", capsys=capsys
    )
    assert code == 0 and again["state"] == "nothing to do" and again["objects"] == 0


def test_batched_boxes_match_one_predict_call_per_box(random_checkpoint):
    from videoseg_desktop.inference.box_masks import predict_boxes
    from videoseg_desktop.inference.engine import SamEngine

    engine = SamEngine.load(checkpoint=random_checkpoint, image_size=256, device="cpu")
    session = engine.image_session()
    image = _picture(0)
    boxes = [Box(10, 20, 40, 50), Box(70, 50, 110, 80), Box(0, 0, 120, 90), Box(5, 5, 6, 7)]
    batched = predict_boxes(session, "img", image, boxes)
    for box, (mask, score) in zip(boxes, batched, strict=True):
        one = session.predict("img", None, box=box)
        union = np.logical_or(mask, one.mask).sum()
        iou = np.logical_and(mask, one.mask).sum() / union if union else 1.0
        assert iou >= 0.99 and abs(score - one.score) < 1e-4


def test_yolo_folder_with_classes_txt_and_accept(project, random_checkpoint, tmp_path, capsys):
    labels = tmp_path / "yolo" / "labels"
    labels.mkdir(parents=True)
    (tmp_path / "yolo" / "classes.txt").write_text("red\ngreen\n")
    (labels / "a.txt").write_text("0 0.208 0.389 0.25 0.333 0.7\n1 0.75 0.722 0.333 0.333\n")
    (labels / "b.txt").write_text("2 0.5 0.5 0.1 0.1\n0 0.5 nan 0.1 0.1\n0 1 2\n")
    code, out, err = _run(
        project, random_checkpoint, tmp_path / "yolo", "yolo", "--accept", capsys=capsys
    )
    assert code == 0, err
    assert "b.txt line 1: class 2" in err and "b.txt line 2" in err and "b.txt line 3" in err
    assert out["images"] == 1 and out["objects"] + out["empty"] + out["skipped_overlapping"] == 2
    with Project.open(project) as p:
        assert all(o.state == ObjectState.NORMAL for o in p.objects.list(1))
        assert p.objects.list(2) == []


def _square(frame: int) -> str:
    x = 10 + frame * 7
    return f"{x},60,50,50"


def test_mot_tracks_are_prompted_on_key_frames_and_tracked_between(
    project, random_checkpoint, tmp_path, capsys
):
    rows = [f"{f + 1},1,{_square(f)},0.9,1" for f in range(2, 10)]  # track 1: frames 2..9
    rows += ["3,2,200,150,40,40,-1,2", "5,2,205,150,40,40,-1,2"]  # track 2: frames 2..4
    rows += ["40,1,10,10,5,5,1,1", "3,1,1,1,5,5,1,1", "x,1,1,1,1,1"]  # beyond, twice, not a number
    (tmp_path / "clip.txt").write_text("\n".join(rows) + "\n")
    (tmp_path / "classes.txt").write_text("red square\nthing\n")
    code, out, err = _run(
        project, random_checkpoint, tmp_path / "clip.txt", "mot", "--key-every", "4", capsys=capsys
    )
    assert code == 0, err
    assert "after the last frame" in err and "two boxes on frame 3" in err and "line 13" in err
    assert out["videos"] == 1
    with Project.open(project) as p:
        names = {lb.id: lb.name for lb in p.labels.list()}
        objects = {names[o.label_id]: o for o in p.objects.list(3)}
        assert set(objects) <= {"red square", "thing"} and "red square" in objects
        frames = {r.frame: r for r in p.masks.for_object(objects["red square"].id)}
        assert set(frames) <= set(range(2, 10)) and {2, 9} <= set(frames)
        assert all(r.source == MaskSource.AUTO for r in frames.values())
        assert decode_rle(frames[2].rle).shape == (240, 320)
        if "thing" in objects:
            assert {r.frame for r in p.masks.for_object(objects["thing"].id)} <= {2, 3, 4}
        runs = p.prelabels.list(3)
        assert runs and all(r.state == "done" for r in runs)
    code, again, _ = _run(project, random_checkpoint, tmp_path / "clip.txt", "mot", capsys=capsys)
    assert code == 0 and again["state"] == "nothing to do"


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        ("{not json", "coco", "is not valid JSON"),
        ('{"images": []}', "coco", "is not a COCO file"),
        ('{"images": [], "annotations": [], "categories": [{"id": 1}]}', "coco", "missing 'name'"),
    ],
)
def test_an_unreadable_file_is_one_line_and_changes_nothing(
    project, random_checkpoint, tmp_path, capsys, content, fmt, message
):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, _, err = _run(project, random_checkpoint, bad, fmt, capsys=capsys)
    assert code == 1 and message in err and err.count("\n") == 1, err
    with Project.open(project) as p:
        assert p.prelabels.list() == [] and p.objects.list(1) == []


def test_ctrl_c_keeps_what_was_stored_and_the_next_run_resumes(
    project, random_checkpoint, tmp_path, capsys, monkeypatch
):
    from videoseg_desktop.inference import box_masks

    real = box_masks.masks_for_image
    calls = []

    def interrupted(engine, image, boxes, key=None):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(engine, image, boxes, key)

    monkeypatch.setattr(box_masks, "masks_for_image", interrupted)
    coco = _coco(tmp_path / "dets.json")
    code, out, _ = _run(project, random_checkpoint, coco, "coco", capsys=capsys)
    assert code == 130 and out["images"] == 1 and out["state"].startswith("interrupted")
    monkeypatch.setattr(box_masks, "masks_for_image", real)
    code, out, _ = _run(project, random_checkpoint, coco, "coco", capsys=capsys)
    assert code == 0 and out["images"] == 1  # only the image not done
    with Project.open(project) as p:
        assert all(r.state == "done" for r in p.prelabels.list())


def test_cluster_options_go_with_cluster(project, tmp_path, capsys):
    coco = _coco(tmp_path / "dets.json")
    code, _, err = _run(project, "x.pt", coco, "coco", "--workers", "2", capsys=capsys)
    assert code == 1 and err.strip().endswith("--workers goes with --cluster"), err
