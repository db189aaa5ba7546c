import json

import numpy as np
import pytest
from PIL import Image
from pycocotools.coco import COCO

from tests.export.conftest import files_under, holed_two_part_mask, track_mask
from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.records import MediaItem, MediaKind
from videoseg_desktop.export import export_coco
from videoseg_desktop.media.hashing import sha256_file


def _coco(path):
    return COCO(str(path / "annotations.json"))


def test_pycocotools_gives_back_every_mask_bit_for_bit(image_project):
    summary = export_coco(image_project)
    coco = _coco(summary.path)
    names = {img["id"]: img["file_name"] for img in coco.dataset["images"]}
    cats = {c["id"]: c["name"] for c in coco.dataset["categories"]}
    seen = {}
    for ann in coco.dataset["annotations"]:
        mask = coco.annToMask(ann).astype(bool)
        seen[(names[ann["image_id"]], cats[ann["category_id"]])] = mask
        assert isinstance(ann["segmentation"]["counts"], str)
        assert ann["area"] == int(mask.sum()) and ann["iscrowd"] == 0
        ys, xs = np.nonzero(mask)
        assert ann["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
    assert seen.keys() == image_project.expected.keys()
    for key, mask in image_project.expected.items():
        assert np.array_equal(seen[key], mask), key  # holes and both parts kept
    assert summary.images == 3 and summary.masks == 4 and summary.objects == 4
    assert summary.files == 1  # images are not copied unless asked
    assert any("without a label" in w for w in summary.warnings)


def test_categories_keep_the_label_ids(image_project):
    first = json.loads((export_coco(image_project).path / "annotations.json").read_text())
    image_project.labels.add("bird")
    image_project.labels.remove("cat")
    image_project.labels.add("cat")  # a new label with a new id
    second = json.loads((export_coco(image_project).path / "annotations.json").read_text())
    dog_first = next(c["id"] for c in first["categories"] if c["name"] == "dog")
    dog_second = next(c["id"] for c in second["categories"] if c["name"] == "dog")
    assert dog_first == dog_second
    assert [c["name"] for c in second["categories"]] == ["dog", "bird", "cat"]


def test_label_and_media_filters(image_project):
    media = image_project.media.list()
    summary = export_coco(image_project, labels=["dog"], media_ids=[media[0].id, media[1].id])
    data = json.loads((summary.path / "annotations.json").read_text())
    assert [c["name"] for c in data["categories"]] == ["dog"]
    assert len(data["images"]) == 2 and len(data["annotations"]) == 1
    with pytest.raises(ExportError, match="no label named 'horse'"):
        export_coco(image_project, labels=["horse"])
    with pytest.raises(ExportError, match="no media with id 999"):
        export_coco(image_project, media_ids=[999])


def test_copy_images_and_zip(image_project, tmp_path):
    summary = export_coco(image_project, copy_images=True)
    files = files_under(summary.path)
    assert {"images/img0.png", "images/img1.png", "images/img2.png"} <= files
    for item in image_project.media.list():
        assert (
            summary.path / "images" / item.original_name
        ).read_bytes() == image_project.media_path(item).read_bytes()
    zipped = export_coco(image_project, out_dir=tmp_path / "c.zip", zip_output=True)
    assert zipped.path == tmp_path / "c.zip" and zipped.path.is_file()


def test_polygons_warn_about_holes(image_project):
    summary = export_coco(image_project, polygons=True)
    assert any("holes" in w for w in summary.warnings)
    coco = _coco(summary.path)
    for ann in coco.dataset["annotations"]:
        assert isinstance(ann["segmentation"], list)
        assert all(len(p) >= 6 for p in ann["segmentation"])
    two_part = next(
        a
        for a in coco.dataset["annotations"]
        if a["category_id"] == image_project.labels.get("cat").id
    )
    assert len(two_part["segmentation"]) == 2  # one polygon per part
    filled = coco.annToMask(two_part).astype(bool)
    assert filled[15, 15]  # the hole is gone: polygons are lossy
    assert (filled & holed_two_part_mask(0)).sum() / (filled | holed_two_part_mask(0)).sum() > 0.8


def test_frames_as_images_writes_the_annotated_frames(video_project):
    summary = export_coco(video_project, frames_as_images=True)
    coco = _coco(summary.path)
    names = sorted(img["file_name"] for img in coco.dataset["images"])
    assert names == [f"clip/{f:05d}.jpg" for f in range(8)]  # frames 8, 9 have no mask
    for name in names:
        with Image.open(summary.path / "images" / name) as img:
            assert img.size == (320, 240)
    by_name = {img["id"]: img["file_name"] for img in coco.dataset["images"]}
    car = video_project.labels.get("car").id
    for ann in coco.dataset["annotations"]:
        if ann["category_id"] == car:
            frame = int(by_name[ann["image_id"]][5:10])
            assert np.array_equal(coco.annToMask(ann).astype(bool), track_mask(frame))
    assert summary.videos == 1 and summary.images == 8 and summary.masks == 8 + 3
    without = export_coco(video_project)
    assert without.images == 0 and any("--frames-as-images" in w for w in without.warnings)


def test_names_from_the_database_cannot_escape_the_export(image_project, tmp_path):
    linked = tmp_path / "outside.png"
    Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(linked)
    bad = MediaItem(  # a linked file as `--link` records it, with a hostile original name
        0,
        MediaKind.IMAGE,
        str(linked),
        "../../evil.png",
        linked.stat().st_size,
        sha256_file(linked),
        64,
        48,
        1,
        None,
        None,
        "t",
        False,
        True,
    )
    image_project.media.insert(bad)
    before = files_under(tmp_path)
    summary = export_coco(image_project, copy_images=True)
    prefix = summary.path.relative_to(tmp_path).as_posix()
    new = files_under(tmp_path) - before
    assert new and all(p == prefix or p.startswith(prefix + "/") for p in new)
    data = json.loads((summary.path / "annotations.json").read_text())
    assert "evil.png" in [img["file_name"] for img in data["images"]]
    assert (summary.path / "images" / "evil.png").read_bytes() == linked.read_bytes()
