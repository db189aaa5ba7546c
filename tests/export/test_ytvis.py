import json

import numpy as np
from PIL import Image

from tests.export.conftest import VIDEO_FRAMES, blob_mask, track_mask
from videoseg_desktop.core.masks import decode_rle, rle_area, rle_bbox
from videoseg_desktop.export import export_ytvis

NUMBER = (int, float)


def _check_schema(data: dict) -> None:
    """The published YouTube-VIS layout: keys and their types."""
    assert set(data) >= {"info", "videos", "annotations", "categories"}
    assert isinstance(data["info"], dict)
    for key, kind in {"description": str, "version": str, "year": int}.items():
        assert isinstance(data["info"][key], kind)
    for video in data["videos"]:
        for key, kind in {
            "id": int,
            "width": int,
            "height": int,
            "length": int,
            "file_names": list,
        }.items():
            assert isinstance(video[key], kind), key
        assert len(video["file_names"]) == video["length"]
        assert all(isinstance(f, str) for f in video["file_names"])
    video_ids = {v["id"]: v for v in data["videos"]}
    category_ids = set()
    for cat in data["categories"]:
        assert isinstance(cat["id"], int) and isinstance(cat["name"], str)
        assert isinstance(cat["supercategory"], str)
        category_ids.add(cat["id"])
    ann_ids = set()
    for ann in data["annotations"]:
        for key, kind in {
            "id": int, "video_id": int, "category_id": int, "iscrowd": int,
            "segmentations": list, "areas": list, "bboxes": list,
        }.items():  # fmt: skip
            assert isinstance(ann[key], kind), key
        assert ann["id"] not in ann_ids
        ann_ids.add(ann["id"])
        assert ann["category_id"] in category_ids
        video = video_ids[ann["video_id"]]
        assert (
            len(ann["segmentations"]) == len(ann["areas"]) == len(ann["bboxes"]) == video["length"]
        )
        for seg, area, bbox in zip(ann["segmentations"], ann["areas"], ann["bboxes"], strict=True):
            assert (seg is None) == (area is None) == (bbox is None)
            if seg is not None:
                assert seg["size"] == [video["height"], video["width"]]
                assert isinstance(seg["counts"], str)
                assert isinstance(area, int) and len(bbox) == 4
                assert all(isinstance(v, NUMBER) for v in bbox)


def test_ytvis_export_follows_the_schema_and_keeps_masks_exactly(video_project):
    summary = export_ytvis(video_project)
    data = json.loads((summary.path / "annotations.json").read_text())
    _check_schema(data)
    (video,) = data["videos"]
    assert video["length"] == VIDEO_FRAMES and (video["width"], video["height"]) == (320, 240)
    assert video["file_names"][3] == "clip/00003.jpg"
    for name in video["file_names"]:
        with Image.open(summary.path / "JPEGImages" / name) as img:
            assert img.format == "JPEG" and img.size == (320, 240)
    cats = {c["id"]: c["name"] for c in data["categories"]}
    tracks = {cats[a["category_id"]]: a for a in data["annotations"]}
    car, person = tracks["car"], tracks["person"]
    for f in range(VIDEO_FRAMES):
        if f < 8:
            mask = decode_rle(car["segmentations"][f])
            assert np.array_equal(mask, track_mask(f))  # hole and second part survive
            assert car["areas"][f] == rle_area(car["segmentations"][f])
            assert car["bboxes"][f] == list(rle_bbox(car["segmentations"][f]))
        else:
            assert car["segmentations"][f] is None and car["areas"][f] is None
    assert [s is not None for s in person["segmentations"]] == [3 <= f <= 5 for f in range(10)]
    assert np.array_equal(decode_rle(person["segmentations"][4]), blob_mask(250, 150, 20, 240, 320))
    assert summary.videos == 1 and summary.objects == 2 and summary.masks == 11
    assert summary.files == VIDEO_FRAMES + 1


def test_ytvis_label_filter(video_project):
    summary = export_ytvis(video_project, labels=["person"])
    data = json.loads((summary.path / "annotations.json").read_text())
    assert [c["name"] for c in data["categories"]] == ["person"]
    assert len(data["annotations"]) == 1


def test_unannotated_videos_are_left_out_unless_asked(video_project, tmp_path):
    from tests.helpers.video import moving_square_frames, write_video

    other = write_video(moving_square_frames(4, 64, 48), tmp_path / "empty.mp4")
    item = video_project.import_media([other]).added[0]
    assert export_ytvis(video_project).videos == 1
    summary = export_ytvis(video_project, media_ids=[item.id])
    data = json.loads((summary.path / "annotations.json").read_text())
    assert [v["length"] for v in data["videos"]] == [4] and data["annotations"] == []
