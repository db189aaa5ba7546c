"""A small source project for the work-package tests, and what they compare before and after."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.store import Project

H, W = 24, 32


def rle(x: int, h: int = H, w: int = W):
    """A 8x6 block at column ``x``: masks that differ by where they are."""
    mask = np.zeros((h, w), bool)
    mask[4:12, x : x + 6] = True
    return encode_rle(mask)


def png(path: Path, value: int) -> Path:
    Image.fromarray(np.full((H, W, 3), value, np.uint8)).save(path)
    return path


def make_source(folder: Path, images: int) -> Project:
    """Project "Streets": ``images`` flat pictures, label car, one clicked car on each (by lead:
    set VIDEOSEG_USER first)."""
    project = Project.create(folder / "src", name="Streets")
    project.import_media([png(folder / f"img{i}.png", i * 40) for i in range(images)])
    car = project.labels.add("car")
    for media in project.media.list():
        obj = project.objects.add(media.id, car.id)
        project.masks.put(obj.id, 0, rle(2), MaskSource.CLICKED, "tiny", score=0.9)
    return project


def edit_and_add(pkg, new_on_media: int):
    """An annotator's everyday work in a package: the first object's mask on media 1 edited, and
    a new car with a mask and a click on ``new_on_media``. Returns (car label id, first, new)."""
    car = pkg.labels.get("car").id
    first = pkg.objects.list(1)[0]
    pkg.masks.put(first.id, 0, rle(10), MaskSource.EDITED)
    new = pkg.objects.add(new_on_media, car)
    pkg.masks.put(new.id, 0, rle(20), MaskSource.CLICKED, "tiny", score=0.8)
    pkg.prompts.add(new.id, 0, "point", (5, 5))
    return car, first, new


def every_table(project) -> dict:
    conn = project.db.conn
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {n: conn.execute(f"SELECT * FROM {n} ORDER BY 1, 2").fetchall() for n in names}
