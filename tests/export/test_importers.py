import json
import shutil

import numpy as np
import pytest
from PIL import Image

from tests.export.conftest import VIDEO_FRAMES, files_under, project_state, track_mask
from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.masks import decode_rle, encode_rle
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.export import export_coco, export_davis, export_ytvis, import_annotations
from videoseg_desktop.export.davis import write_index_png
from videoseg_desktop.store import Project


def _fresh_copy(project, tmp_path, name="fresh"):
    """A new project with the same media files and no annotations."""
    fresh = Project.create(tmp_path / name)
    fresh.import_media([project.media_path(m) for m in project.media.list()])
    return fresh


def _masks_by_media_and_label(project) -> dict:
    labels = {lb.id: lb.name for lb in project.labels.list()}
    out: dict = {}
    for item in project.media.list():
        for obj in project.objects.list(item.id):
            frames = {r.frame: decode_rle(r.rle) for r in project.masks.for_object(obj.id)}
            out.setdefault((item.original_name, labels.get(obj.label_id)), []).append(frames)
    return out


def _same(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for key in a:
        for fa, fb in zip(a[key], b[key], strict=True):
            if fa.keys() != fb.keys() or not all(np.array_equal(fa[k], fb[k]) for k in fa):
                return False
    return True


def test_coco_rle_import_restores_masks_exactly(image_project, tmp_path):
    summary = export_coco(image_project)
    fresh = _fresh_copy(image_project, tmp_path)
    result = import_annotations(fresh, "coco", summary.path)
    assert result.images == 3 and result.objects == 4 and result.masks == 4
    assert sorted(result.labels_created) == ["cat", "dog"]
    expected = {k: v for k, v in _masks_by_media_and_label(image_project).items() if k[1]}
    assert _same(expected, _masks_by_media_and_label(fresh))
    sources = {
        r.source
        for item in fresh.media.list()
        for obj in fresh.objects.list(item.id)
        for r in fresh.masks.for_object(obj.id)
    }
    assert sources == {MaskSource.IMPORTED}
    assert all(item.annotated for item in fresh.media.list())
    fresh.close()


def test_coco_polygons_and_uncompressed_rle(image_project, tmp_path):
    item = image_project.media.list()[0]
    mask = np.zeros((48, 64), bool)
    mask[10:20, 30:40] = True
    rle = {"size": [48, 64], "counts": _uncompressed(mask)}
    data = {
        "images": [
            {"id": 7, "file_name": "somewhere/" + item.original_name, "width": 64, "height": 48}
        ],
        "categories": [{"id": 3, "name": "box"}, {"id": 4, "name": "tri"}],
        "annotations": [
            {"id": 1, "image_id": 7, "category_id": 3, "segmentation": rle, "iscrowd": 1},
            {
                "id": 2,
                "image_id": 7,
                "category_id": 4,
                "segmentation": [[0, 0, 20, 0, 0, 20]],
                "iscrowd": 0,
            },
        ],
    }
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(data))
    result = import_annotations(image_project, "coco", path)
    assert result.objects == 2 and result.labels_created == ["box", "tri"]
    objs = image_project.objects.list(item.id)[-2:]
    assert np.array_equal(decode_rle(image_project.masks.get(objs[0].id, 0).rle), mask)
    tri = decode_rle(image_project.masks.get(objs[1].id, 0).rle)
    assert tri[2, 2] and not tri[18, 18] and 150 < tri.sum() < 260


def _uncompressed(mask: np.ndarray) -> list[int]:
    """COCO's uncompressed RLE: run lengths in column-major order, starting with background."""
    counts, current, run = [], False, 0
    for value in mask.T.reshape(-1):
        if value == current:
            run += 1
        else:
            counts.append(run)
            current, run = value, 1
    return counts + [run]


def test_ytvis_import_restores_tracks_exactly(video_project, tmp_path):
    summary = export_ytvis(video_project)
    fresh = _fresh_copy(video_project, tmp_path)
    result = import_annotations(fresh, "ytvis", summary.path / "annotations.json")
    assert result.videos == 1 and result.objects == 2 and result.masks == 11
    assert _same(_masks_by_media_and_label(video_project), _masks_by_media_and_label(fresh))
    fresh.close()


def test_davis_import_restores_tracks_exactly(video_project, tmp_path):
    summary = export_davis(video_project)
    fresh = _fresh_copy(video_project, tmp_path)
    result = import_annotations(fresh, "davis", summary.path, label="thing")
    assert result.videos == 1 and result.objects == 2 and result.labels_created == ["thing"]
    item = fresh.media.list()[0]
    car, person = fresh.objects.list(item.id)
    for f in range(VIDEO_FRAMES):
        got = fresh.masks.get(car.id, f)
        assert (got is None) == (f >= 8)
        if got:
            assert np.array_equal(decode_rle(got.rle), track_mask(f))
    assert [r.frame for r in fresh.masks.for_object(person.id)] == [3, 4, 5]
    fresh.close()


def test_videos_match_by_frame_count_when_names_differ(video_project, tmp_path):
    summary = export_davis(video_project)
    renamed = tmp_path / "renamed"
    shutil.copytree(summary.path, renamed)
    for sub in ("Annotations/480p", "JPEGImages/480p"):
        (renamed / sub / "clip").rename(renamed / sub / "other-name")
    fresh = _fresh_copy(video_project, tmp_path)
    result = import_annotations(fresh, "davis", renamed)
    assert result.videos == 1 and any("frame count" in w for w in result.warnings)
    fresh.close()


def _coco_file(tmp_path, item, **changes):
    mask = np.zeros((item.height, item.width), bool)
    mask[5:10, 5:10] = True
    data = {
        "images": [
            {"id": 1, "file_name": item.original_name, "width": item.width, "height": item.height}
        ],
        "categories": [{"id": 1, "name": "fresh-label"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "segmentation": encode_rle(mask),
                "iscrowd": 0,
            },
        ],
    }
    for key, value in changes.items():
        section, field = key.split("__")
        data[section][0][field] = value
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    return path


BAD_COCO = {
    "unknown category": ({"annotations__category_id": 9}, "unknown category id 9"),
    "unknown image": ({"annotations__image_id": 5}, "image id 5"),
    "rle size mismatch": (
        {"annotations__segmentation": {"size": [10, 10], "counts": "0"}},
        "mask size mismatch",
    ),
    "corrupt rle": (
        {"annotations__segmentation": {"size": [48, 64], "counts": "PPPPPP"}},
        "corrupt RLE",
    ),
    "parent path": ({"images__file_name": "../../etc/img0.png"}, "outside its folder"),
    "absolute path": ({"images__file_name": "/tmp/img0.png"}, "absolute path"),
    "windows path": ({"images__file_name": "C:\\data\\img0.png"}, "absolute path"),
    "bad polygon": ({"annotations__segmentation": [[1, 2, 3]]}, "at least 3"),
}


@pytest.mark.parametrize("case", sorted(BAD_COCO))
def test_bad_coco_changes_nothing(image_project, tmp_path, case):
    changes, message = BAD_COCO[case]
    item = image_project.media.list()[0]
    path = _coco_file(tmp_path, item, **changes)
    before, files = project_state(image_project), files_under(tmp_path)
    with pytest.raises(ExportError, match=message):
        import_annotations(image_project, "coco", path)
    assert project_state(image_project) == before
    assert files_under(tmp_path) == files
    assert image_project.labels.get("fresh-label") is None


def test_image_size_mismatch_with_the_project(image_project, tmp_path):
    item = image_project.media.list()[0]
    mask = encode_rle(np.ones((10, 10), bool))
    path = _coco_file(
        tmp_path, item, images__width=10, images__height=10, annotations__segmentation=mask
    )
    before = project_state(image_project)
    with pytest.raises(ExportError, match="mask size mismatch"):
        import_annotations(image_project, "coco", path)
    assert project_state(image_project) == before


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not valid JSON"),
        ('{"images": [], "annotations": []}', "missing 'categories'"),
        ("[]", "not a COCO"),
    ],
)
def test_malformed_json(image_project, tmp_path, text, message):
    path = tmp_path / "x.json"
    path.write_text(text)
    before = project_state(image_project)
    with pytest.raises(ExportError, match=message):
        import_annotations(image_project, "coco", path)
    assert project_state(image_project) == before


def test_nothing_matching_is_an_error(image_project, tmp_path):
    item = image_project.media.list()[0]
    path = _coco_file(tmp_path, item, images__file_name="unknown.png")
    with pytest.raises(ExportError, match="match the project's media"):
        import_annotations(image_project, "coco", path)


def test_a_failure_half_way_rolls_everything_back(image_project, tmp_path, monkeypatch):
    summary = export_coco(image_project)
    fresh = _fresh_copy(image_project, tmp_path)
    before = project_state(fresh)
    calls = {"n": 0}
    original = fresh.masks.put_many

    def failing_put_many(writes):
        calls["n"] += 1
        if calls["n"] == 3:
            raise ExportError("disk full (simulated)")
        return original(writes)

    monkeypatch.setattr(fresh.masks, "put_many", failing_put_many)
    with pytest.raises(ExportError, match="simulated"):
        import_annotations(fresh, "coco", summary.path)
    assert calls["n"] == 3
    assert project_state(fresh) == before
    fresh.close()


def test_ytvis_errors(video_project, tmp_path):
    summary = export_ytvis(video_project)
    data = json.loads((summary.path / "annotations.json").read_text())
    before = project_state(video_project)
    short = json.loads(json.dumps(data))
    short["annotations"][0]["segmentations"] = short["annotations"][0]["segmentations"][:3]
    (tmp_path / "short.json").write_text(json.dumps(short))
    with pytest.raises(ExportError, match="3 segmentations for a video of 10 frames"):
        import_annotations(video_project, "ytvis", tmp_path / "short.json")
    longer = json.loads(json.dumps(data))
    longer["videos"][0]["file_names"].append("clip/00010.jpg")
    longer["videos"][0]["length"] = 11
    for ann in longer["annotations"]:
        for key in ("segmentations", "areas", "bboxes"):
            ann[key].append(None)
    (tmp_path / "long.json").write_text(json.dumps(longer))
    with pytest.raises(ExportError, match="11 frames in the annotations, 10 in the project"):
        import_annotations(video_project, "ytvis", tmp_path / "long.json")
    assert project_state(video_project) == before


def test_davis_errors(video_project, tmp_path):
    seq = tmp_path / "masks" / "clip"
    seq.mkdir(parents=True)
    for f in range(VIDEO_FRAMES):
        write_index_png(seq / f"{f:05d}.png", np.zeros((240, 320), np.uint8))
    write_index_png(seq / "00003.png", np.zeros((100, 100), np.uint8))
    before = project_state(video_project)
    with pytest.raises(ExportError, match="mask size mismatch"):
        import_annotations(video_project, "davis", tmp_path / "masks")
    Image.new("RGB", (320, 240)).save(seq / "00003.png")
    with pytest.raises(ExportError, match="indexed"):
        import_annotations(video_project, "davis", tmp_path / "masks")
    assert project_state(video_project) == before


def test_binary_davis_masks_are_object_one(video_project, tmp_path):
    seq = tmp_path / "Annotations" / "480p" / "clip"
    seq.mkdir(parents=True)
    for f in range(VIDEO_FRAMES):
        Image.fromarray(track_mask(f).astype(np.uint8) * 255, mode=None).convert("L").save(
            seq / f"{f:05d}.png"
        )
    result = import_annotations(video_project, "davis", tmp_path)
    assert result.objects == 1 and result.masks == VIDEO_FRAMES
    obj = video_project.objects.list(video_project.video_item.id)[-1]
    assert np.array_equal(decode_rle(video_project.masks.get(obj.id, 9).rle), track_mask(9))
