"""Fuzzing the detector-box readers of `boxes-to-masks`: any COCO JSON, YOLO folder or MOT CSV
reads to boxes and one-line problems, or one ExportError; never another exception, never slow.

Profiles as in tests/conftest.py ("ci" with every run, VIDEOSEG_FUZZ=long on demand).
"""

from __future__ import annotations

import json
import time

from hypothesis import given
from hypothesis import strategies as st

from tests.export.test_box_readers import _item
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.export.box_matching import match_boxes
from videoseg_desktop.export.box_readers import read_boxes

SECONDS = 10
number = st.one_of(
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.none(),
    st.booleans(),
)
MEDIA = [_item(1, "a.jpg"), _item(2, "b.png"), _item(3, "clip.mp4", MediaKind.VIDEO, frames=6)]


def read_or_refuse(path, fmt: str) -> None:
    start = time.perf_counter()
    try:
        boxes = read_boxes(path, fmt)
    except VideoSegError as exc:
        assert "\n" not in str(exc).strip()
    else:
        assert all("\n" not in line for line in boxes.problems)
        match_boxes(MEDIA, boxes, 0.5)
    assert time.perf_counter() - start < SECONDS


coco = st.fixed_dictionaries(
    {
        "images": st.lists(
            st.fixed_dictionaries(
                {
                    "id": number,
                    "file_name": st.one_of(
                        st.sampled_from(["a.jpg", "../x.jpg", "/b.png"]), number
                    ),
                    "width": number,
                    "height": number,
                }
            ),
            max_size=3,
        ),
        "annotations": st.lists(
            st.fixed_dictionaries(
                {
                    "image_id": number,
                    "category_id": number,
                    "bbox": st.one_of(st.lists(number, max_size=5), number),
                    "score": number,
                }
            ),
            max_size=5,
        ),
        "categories": st.lists(
            st.fixed_dictionaries({"id": number, "name": st.one_of(st.text(max_size=8), number)}),
            max_size=3,
        ),
    }
)


@given(data=st.one_of(coco, st.recursive(number, st.lists, max_leaves=20)))
def test_fuzz_coco_boxes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("coco") / "dets.json"
    path.write_text(json.dumps(data, allow_nan=True))
    read_or_refuse(path, "coco")


line = st.lists(st.one_of(number.map(str), st.text(max_size=6)), max_size=9)


@given(
    rows=st.lists(line, max_size=8),
    names=st.one_of(st.none(), st.text(max_size=40), st.just("names: [cat, dog]\n")),
    raw=st.binary(max_size=64),
)
def test_fuzz_yolo_and_mot_boxes(tmp_path_factory, rows, names, raw):
    folder = tmp_path_factory.mktemp("boxes")
    text = "\n".join(" ".join(r) for r in rows)
    (folder / "a.txt").write_text(text)
    (folder / "b.txt").write_bytes(raw)
    if names is not None:
        (folder / "data.yaml").write_text(names)
    read_or_refuse(folder, "yolo")
    csv = folder / "clip.txt"
    csv.write_text("\n".join(",".join(r) for r in rows))
    read_or_refuse(csv, "mot")
    read_or_refuse(folder / "b.txt", "mot")
