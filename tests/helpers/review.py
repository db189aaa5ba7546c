"""Projects with constructed tracks for the review tests (no media files needed)."""

from __future__ import annotations

import numpy as np

from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.records import MaskSource, MediaItem, MediaKind
from videoseg_desktop.store import MaskWrite

W, H = 64, 48


def add_media(project, name: str, kind=MediaKind.VIDEO, frames: int = 30):
    item = MediaItem(
        0, kind, f"media/{name}", name, 10, f"sha-{name}", W, H, frames, 30.0, None, "t", False
    )
    return project.media.insert(item)


def box_rle(x: int, y: int = 10, w: int = 12, h: int = 10):
    mask = np.zeros((H, W), bool)
    mask[y : y + h, x : x + w] = True
    return encode_rle(mask)


def put_track(project, object_id, frames, source=MaskSource.PROPAGATED, score=0.95, x=None):
    """Masks on ``frames``: a steady box, moved to ``x(frame)`` when given."""
    project.masks.put_many(
        MaskWrite(object_id, f, box_rle(x(f) if x else 10), source, "tiny", score) for f in frames
    )
