"""`videoseg` as a user runs it: a YOLO-seg round trip of multi-part holed objects, and `eval`
on a prediction folder with a frame missing."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from videoseg_desktop.cli.main import main
from videoseg_desktop.core.masks import decode_rle, encode_rle
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.export.davis import write_index_png
from videoseg_desktop.store import Project

H, W = 40, 60


def _holed_parts() -> np.ndarray:
    m = np.zeros((H, W), bool)
    m[4:24, 4:24] = True
    m[9:17, 9:17] = False
    m[28:36, 40:55] = True
    return m


def test_yolo_export_and_import_round_trip_one_object_per_object(tmp_path, capsys):
    image = tmp_path / "shot.png"
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(image)
    with Project.create(tmp_path / "a") as project:
        item = project.import_media([image]).added[0]
        obj = project.objects.add(item.id, project.labels.add("cat").id)
        project.masks.put(obj.id, 0, encode_rle(_holed_parts()), MaskSource.CLICKED)
    out_dir = tmp_path / "yolo"
    assert main(["export", str(tmp_path / "a"), "--format", "yolo", "--out", str(out_dir)]) == 0
    assert "holes" in capsys.readouterr().err
    assert len((out_dir / "labels" / "shot.txt").read_text().splitlines()) == 1
    assert main(["new", str(tmp_path / "b")]) == 0
    assert main(["import", str(tmp_path / "b"), str(out_dir / "images" / "shot.png")]) == 0
    argv = ["import-annotations", str(tmp_path / "b"), "--format", "yolo", str(out_dir)]
    assert main(argv) == 0
    assert "1 object," in capsys.readouterr().out
    with Project.open(tmp_path / "b") as project:
        (item,) = project.media.list()
        (obj,) = project.objects.list(item.id)
        (rec,) = project.masks.for_object(obj.id)
        assert (decode_rle(rec.rle) == _holed_parts()).all()


def test_eval_with_a_missing_prediction_frame(tmp_path, capsys):
    gt = tmp_path / "gt" / "Annotations" / "480p" / "walk"
    pred = tmp_path / "pred" / "walk"
    gt.mkdir(parents=True)
    pred.mkdir(parents=True)
    for f in range(5):
        ids = np.zeros((H, W), np.uint8)
        ids[5:20, 2 + 8 * f : 17 + 8 * f] = 1
        write_index_png(gt / f"{f:05d}.png", ids)
        if f != 1:
            write_index_png(pred / f"{f:05d}.png", ids)
    assert main(["eval", "--pred", str(pred), "--gt", str(tmp_path / "gt"), "--json"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["summary"]["J"]["mean"] == 0.8 and report["summary"]["F"]["mean"] == 0.8
    assert "1 of the 5 ground-truth frames has no prediction (00001)" in err
