"""What an object is tracked from, read from the store: shared by ``videoseg track`` and the GUI.

A frame whose stored mask was clicked, edited or imported is tracked from that very mask (and
tracking never overwrites it); a frame with prompts and no such mask is tracked from its prompts.

An object found by a concept search (SAM 3) has ``auto`` masks. Its first one (the *anchor*,
where its track begins) conditions SAM 2.1 tracking like an imported mask and is kept; its
other auto masks are tracking results like propagated ones, which re-tracking replaces (or
clears where SAM 2.1 no longer sees the object). So an auto track can be tracked with SAM 2.1
as it is, and a correction on any frame re-tracks from there keeping the anchor. Only one auto
frame conditions: SAM 2.1 keeps every conditioning frame in memory.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from videoseg_desktop.core.masks import Rle
from videoseg_desktop.core.prompts import Box, Point
from videoseg_desktop.core.records import MaskSource

KEPT_SOURCES = frozenset({MaskSource.CLICKED, MaskSource.EDITED, MaskSource.IMPORTED})
# Tracking results: re-tracking replaces them, and removes them where the object is gone.
TRACKED_SOURCES = frozenset({MaskSource.PROPAGATED, MaskSource.AUTO})


def auto_anchor(stored: list[tuple[int, MaskSource]]) -> int | None:
    """The first auto frame of an object, given ``masks.frames_of(object)``."""
    return next((frame for frame, source in stored if source == MaskSource.AUTO), None)


def kept_frames(stored: list[tuple[int, MaskSource]]) -> set[int]:
    """Frames tracking never overwrites, given ``masks.frames_of(object)``."""
    kept = {frame for frame, source in stored if source in KEPT_SOURCES}
    anchor = auto_anchor(stored)
    if anchor is not None:
        kept.add(anchor)
    return kept


@dataclass(frozen=True)
class Conditioning:
    """What an object is tracked from on one frame: its accepted mask, or else its prompts."""

    frame: int
    mask: Rle | None = None
    points: tuple[Point, ...] = ()
    box: Box | None = None

    def signature(self) -> Hashable:
        if self.mask is not None:
            return ("mask", self.mask["counts"])
        return ("prompts", self.points, self.box)


def track_conditioning(project, object_id: int) -> tuple[Conditioning, ...]:
    """What ``object_id`` is tracked from, frame by frame (empty: it cannot be tracked)."""
    stored = project.masks.frames_of(object_id)
    cond: dict[int, Conditioning] = {
        frame: Conditioning(frame, mask=project.masks.get(object_id, frame).rle)
        for frame in kept_frames(stored)
    }
    prompts: dict[int, tuple[list[Point], Box | None]] = {}
    for p in project.prompts.list(object_id):
        if p.frame in cond:
            continue
        points, box = prompts.setdefault(p.frame, ([], None))
        if p.kind == "point":
            points.append(Point(p.coords[0], p.coords[1], p.positive))
        else:
            prompts[p.frame] = (points, Box(*p.coords))
    for frame, (points, box) in prompts.items():
        cond[frame] = Conditioning(frame, points=tuple(points), box=box)
    return tuple(cond[f] for f in sorted(cond))
