"""Small real projects for the export tests: PNG images and a short h264 video, with masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.store import MaskWrite, Project

H, W = 48, 64


def holed_two_part_mask(shift: int = 0, h: int = H, w: int = W) -> np.ndarray:
    """A ring (a square with a hole) plus a separate blob: what polygons cannot keep."""
    m = np.zeros((h, w), bool)
    m[5 + shift : 30 + shift, 5:35] = True
    m[12 + shift : 20 + shift, 12:22] = False
    m[36:44, 45 + shift : 60] = True
    return m


def blob_mask(cx: int, cy: int, r: int, h: int = H, w: int = W) -> np.ndarray:
    y, x = np.ogrid[:h, :w]
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def project_state(project: Project) -> dict:
    """Everything an import could change, to compare before and after a failed one."""
    state = {"labels": project.labels.list(), "objects": {}, "masks": {}}
    for item in project.media.list():
        for obj in project.objects.list(item.id):
            state["objects"][obj.id] = obj
            state["masks"][obj.id] = [
                (r.frame, r.rle["counts"]) for r in project.masks.for_object(obj.id)
            ]
    state["summary"] = {k: v for k, v in project.summary().items() if k != "settings"}
    return state


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


@pytest.fixture
def image_project(tmp_path):
    """Three PNG images; cat objects with holed two-part masks, a dog blob, an unlabelled object."""
    files = []
    for n in range(3):
        path = tmp_path / f"img{n}.png"
        rng = np.random.default_rng(n)
        Image.fromarray(rng.integers(0, 255, (H, W, 3), dtype=np.uint8)).save(path)
        files.append(path)
    project = Project.create(tmp_path / "proj")
    items = project.import_media(files).added
    cat, dog = project.labels.add("cat"), project.labels.add("dog")
    expected = {}
    for n, item in enumerate(items):
        obj = project.objects.add(item.id, cat.id)
        mask = holed_two_part_mask(n)
        project.masks.put(obj.id, 0, encode_rle(mask), MaskSource.CLICKED)
        expected[(item.original_name, "cat")] = mask
    dog_obj = project.objects.add(items[0].id, dog.id)
    project.masks.put(dog_obj.id, 0, encode_rle(blob_mask(50, 12, 8)), MaskSource.EDITED)
    expected[(items[0].original_name, "dog")] = blob_mask(50, 12, 8)
    loose = project.objects.add(items[1].id)  # no label
    project.masks.put(loose.id, 0, encode_rle(blob_mask(50, 12, 5)), MaskSource.CLICKED)
    project.expected = expected
    yield project
    project.close()


VIDEO_FRAMES = 10
VH, VW = 240, 320


def track_mask(frame: int) -> np.ndarray:
    m = np.zeros((VH, VW), bool)
    x = 10 + (frame * 7) % (VW - 60)
    m[60:110, x : x + 50] = True
    m[75:90, x + 15 : x + 30] = False  # a hole
    m[200:220, 10 + frame : 40 + frame] = True  # a second part
    return m


@pytest.fixture
def video_project(tmp_path):
    """A 10-frame 320x240 h264 video ``clip.mp4`` with a 'car' tracked on frames 0..7 (absent 8, 9)
    and a 'person' only on frames 3..5."""
    video = write_video(moving_square_frames(VIDEO_FRAMES, VW, VH), tmp_path / "clip.mp4", fps=10)
    project = Project.create(tmp_path / "vproj")
    item = project.import_media([video]).added[0]
    car = project.objects.add(item.id, project.labels.add("car").id)
    person = project.objects.add(item.id, project.labels.add("person").id)
    project.masks.put_many(
        MaskWrite(car.id, f, encode_rle(track_mask(f)), MaskSource.PROPAGATED) for f in range(8)
    )
    project.masks.put_many(
        MaskWrite(person.id, f, encode_rle(blob_mask(250, 150, 20, VH, VW)), MaskSource.CLICKED)
        for f in range(3, 6)
    )
    project.video_item = item
    project.car, project.person = car, person
    yield project
    project.close()
