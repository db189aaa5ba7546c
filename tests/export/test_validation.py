"""The limits every annotation reader applies, at their edges."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.limits import MAX_JSON_DEPTH, MAX_POLYGON_VERTICES
from videoseg_desktop.export import validation
from videoseg_desktop.export.coco_reader import read_coco
from videoseg_desktop.export.polygons import mask_to_polygons
from videoseg_desktop.export.writer import check_depth, read_json


def test_json_depth_at_the_limit_and_past_it(tmp_path):
    check_depth(json.loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH), "x")
    with pytest.raises(ExportError, match="nested deeper"):
        check_depth(json.loads("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)), "x")
    path = tmp_path / "deep.json"
    path.write_text("{" + '"a":{' * 300_000 + "}" * 300_001)
    with pytest.raises(ExportError, match="nested deeper"):
        read_json(path, "COCO")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_constants_that_are_not_numbers(tmp_path, constant):
    path = tmp_path / "c.json"
    path.write_text(f'{{"a": [1, {constant}]}}')
    with pytest.raises(ExportError, match=f"holds {constant}"):
        read_json(path, "COCO")


def test_a_file_over_the_size_limit_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr("videoseg_desktop.export.writer.MAX_ANNOTATION_FILE_BYTES", 100)
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"images": [0] * 100}))
    with pytest.raises(ExportError, match="limited to"):
        read_json(path, "COCO")


def test_a_legit_detailed_outline_passes_and_a_zigzag_fails_fast():
    h, w = 2160, 3840  # 4K: a noisy mask's outline, as our own exporter writes it
    rng = np.random.default_rng(0)
    mask = np.zeros((h, w), bool)
    mask[200:2000, 300:3500] = rng.random((1800, 3200)) > 0.02
    polygons, _ = mask_to_polygons(mask)
    big = max(polygons, key=len)
    assert len(big) // 2 <= MAX_POLYGON_VERTICES
    validation.check_polygons([big], h, w, "ok")
    zigzag = [float(v) for i in range(19_000) for v in ((0, 0) if i % 2 else (w - 1, h - 1))]
    start = time.perf_counter()
    with pytest.raises(ExportError, match="outline is over"):
        validation.check_polygons([zigzag], h, w, "zz")
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize(
    ("poly", "words"),
    [
        ([0.0, 0.0] * (MAX_POLYGON_VERTICES + 1), "vertices"),
        ([0, 0, float("nan"), 1, 2, 2], "finite"),
        ([0, 0, 1e12, 1, 2, 2], "far outside"),
        ([0, 0, 5, -1e6, 2, 2], "far outside"),
    ],
)
def test_bad_polygons(poly, words):
    with pytest.raises(ExportError, match=words):
        validation.check_polygons([poly], 48, 64, "where")


def test_the_annotation_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(validation, "MAX_ANNOTATIONS_PER_FILE", 3)
    data = {
        "images": [{"id": 1, "file_name": "a.png", "width": 8, "height": 8}],
        "annotations": [
            {"id": k, "image_id": 1, "category_id": 1, "segmentation": [[0, 0, 4, 0, 4, 4]]}
            for k in range(4)
        ],
        "categories": [{"id": 1, "name": "cat"}],
    }
    path = tmp_path / "many.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ExportError, match="more than 3 annotations"):
        read_coco(path)
    data["annotations"].pop()
    path.write_text(json.dumps(data))
    assert len(read_coco(path).images[0].instances) == 3


@pytest.mark.parametrize(("h", "w"), [(0, 5), (5, -1), (50_001, 5), (20_000, 20_000)])
def test_declared_sizes(h, w):
    with pytest.raises(ExportError):
        validation.check_image_size(h, w, "here")
