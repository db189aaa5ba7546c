"""Reading detector boxes (COCO, YOLO, MOT): bad items are one line each, bad files one error."""

from __future__ import annotations

import json

import pytest

from videoseg_desktop.core.box_prompts import BoxTrack, DetectedBox
from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.prompts import Box
from videoseg_desktop.core.records import MediaItem, MediaKind
from videoseg_desktop.export import box_readers
from videoseg_desktop.export.box_matching import match_boxes
from videoseg_desktop.export.box_readers import read_boxes


def _item(id_: int, name: str, kind=MediaKind.IMAGE, frames: int = 1) -> MediaItem:
    fields = dict.fromkeys(MediaItem.__dataclass_fields__)
    fields.update(
        id=id_,
        kind=kind,
        path=f"media/{name}",
        original_name=name,
        width=100,
        height=50,
        frame_count=frames,
    )
    return MediaItem(**fields)


def test_yolo_boxes_are_pixels_clipped_to_the_image(tmp_path):
    (tmp_path / "data.yaml").write_text("names: [cat, dog]\n")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "p.txt").write_text("1 0.5 0.5 0.2 0.4 0.75\n0 0.99 0.5 0.2 0.2\n")
    boxes = read_boxes(tmp_path, "yolo")
    assert boxes.problems == [] and boxes.boxes == 2 and boxes.digest.startswith("labels#")
    plan = match_boxes([_item(1, "p.jpg")], boxes, None)
    ((item, found),) = plan.images
    assert item.id == 1
    assert found[0] == DetectedBox("dog", Box(40.0, 15.0, 60.0, 35.0), 0.75)
    assert found[1].box.x1 == 100.0  # clipped at the right edge
    assert match_boxes([_item(1, "p.jpg")], boxes, 0.8).below_score == 1


def test_mot_challenge_layout_names_the_sequence_and_takes_class_names(tmp_path):
    gt = tmp_path / "walk" / "gt"
    gt.mkdir(parents=True)
    (gt / "gt.txt").write_text("1,3,10,10,20,20,1,person\n2,3,12,10,20,20,1,person\n")
    boxes = read_boxes(tmp_path, "mot")
    assert list(boxes.videos) == ["walk"]
    plan = match_boxes([_item(4, "walk.mp4", MediaKind.VIDEO, frames=5)], boxes, None)
    ((item, tracks),) = plan.videos
    assert [t.track_id for t in tracks] == [3] and tracks[0].label == "person"
    assert [b.frame for b in tracks[0].boxes] == [0, 1]


def test_key_boxes_take_the_first_the_last_and_every_nth():
    track = BoxTrack(
        1, "x", tuple(DetectedBox("x", Box(0, 0, 5, 5), None, f) for f in range(3, 15))
    )
    assert [b.frame for b in track.key_boxes(5)] == [3, 8, 13, 14]
    assert [b.frame for b in track.key_boxes(100)] == [3, 14]


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(box_readers, "MAX_ANNOTATION_FILE_BYTES", 10)
    (tmp_path / "clip.txt").write_text("1,1,1,1,5,5,1,1\n" * 3)
    with pytest.raises(ExportError, match="larger than"):
        read_boxes(tmp_path / "clip.txt", "mot")


def test_coco_without_categories_is_one_error(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"images": [], "annotations": []}))
    with pytest.raises(ExportError, match="categories"):
        read_boxes(tmp_path / "a.json", "coco")


def test_many_bad_lines_are_counted_not_all_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(box_readers, "MAX_PROBLEMS_KEPT", 3)
    (tmp_path / "classes.txt").write_text("a\n")
    (tmp_path / "p.txt").write_text("9 0.5 0.5 0.1 0.1\n" * 10)
    boxes = read_boxes(tmp_path, "yolo")
    assert len(boxes.problems) == 3 and boxes.more_problems == 7 and boxes.boxes == 0
