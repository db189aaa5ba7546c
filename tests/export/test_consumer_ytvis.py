"""The YouTube-VIS export read by the official YouTube-VIS API (``YTVIS`` / ``YTVISeval``).

That API (youtubevos/cocoapi's ``ytvos.py`` and ``ytvoseval.py``) is what VIS codebases vendor;
mmtrack ships it on PyPI as ``mmtrack/core/evaluation/ytvis.py`` and ``ytviseval.py``, which
need only numpy and pycocotools. The tests load those two files as they are, without importing
mmtrack itself (that would need the compiled mmcv). Test-only, installed --no-deps from
packaging/requirements-consumers.txt.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.export.conftest import VIDEO_FRAMES, blob_mask, track_mask
from videoseg_desktop.export import export_ytvis

VH, VW = 240, 320


def _load_file(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ytvis_api():
    spec = importlib.util.find_spec("mmtrack")  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("mmtrack (the packaged YouTube-VIS API) is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "core" / "evaluation"
    return _load_file("ytvis_api", folder / "ytvis.py"), _load_file(
        "ytviseval_api", folder / "ytviseval.py"
    )


def _quiet(call, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return call(*args)


def _expected_masks() -> dict[str, dict[int, np.ndarray]]:
    """The masks of the ``video_project`` fixture, by label and frame."""
    return {
        "car": {f: track_mask(f) for f in range(8)},
        "person": {f: blob_mask(250, 150, 20, VH, VW) for f in range(3, 6)},
    }


def test_official_api_reads_videos_categories_and_exact_masks(video_project, ytvis_api):
    ytvis, _ = ytvis_api
    summary = export_ytvis(video_project)
    api = _quiet(ytvis.YTVIS, str(summary.path / "annotations.json"))
    (video,) = api.loadVids(api.getVidIds())
    assert video["length"] == VIDEO_FRAMES and (video["height"], video["width"]) == (VH, VW)
    for name in video["file_names"]:  # the frames are where the file says
        assert (summary.path / "JPEGImages" / name).is_file()
    names = {c["id"]: c["name"] for c in api.loadCats(api.getCatIds())}
    expected = _expected_masks()
    anns = api.loadAnns(api.getAnnIds(vidIds=[video["id"]]))
    assert sorted(names[a["category_id"]] for a in anns) == ["car", "person"]
    for ann in anns:
        masks = expected[names[ann["category_id"]]]
        for frame, seg in enumerate(ann["segmentations"]):
            if frame not in masks:
                assert seg is None
                continue
            assert (api.annToMask(ann, frame) == masks[frame]).all()  # holes and parts exact
    assert len(api.getAnnIds(iscrowd=0)) == 2


def test_official_evaluation_scores_the_export_against_itself(
    video_project, ytvis_api, monkeypatch
):
    """YTVISeval: the export as ground truth, the same tracks as results: AP 1; eroded: lower.
    (It reads each annotation's ``areas``, so the export must carry them.)"""
    ytvis, ytviseval = ytvis_api
    monkeypatch.setattr(np, "float", float, raising=False)  # its accumulate() predates NumPy 1.24
    summary = export_ytvis(video_project)
    gt = _quiet(ytvis.YTVIS, str(summary.path / "annotations.json"))
    data = json.loads((summary.path / "annotations.json").read_text())

    def results(erode: int) -> list[dict]:
        out = []
        kernel = np.ones((erode, erode), np.uint8) if erode else None
        for ann in data["annotations"]:
            segs = []
            for n, seg in enumerate(ann["segmentations"]):
                if seg is not None and kernel is not None:
                    mask = gt.annToMask(ann, n)
                    seg = _rle(cv2.erode(mask, kernel))
                segs.append(seg)
            out.append(
                {
                    "video_id": ann["video_id"],
                    "category_id": ann["category_id"],
                    "segmentations": segs,
                    "score": 0.9,
                }
            )
        return out

    def average_precision(erode: int) -> float:
        dt = _quiet(gt.loadRes, results(erode))
        evaluation = ytviseval.YTVISeval(gt, dt, "segm")
        for step in (evaluation.evaluate, evaluation.accumulate, evaluation.summarize):
            _quiet(step)
        return float(evaluation.stats[0])

    assert average_precision(0) == pytest.approx(1.0)
    assert average_precision(9) < 0.5  # 0.15: the car's IoU falls below most thresholds


def _rle(mask: np.ndarray) -> dict:
    from pycocotools import mask as mask_utils

    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": rle["size"], "counts": rle["counts"].decode("ascii")}
