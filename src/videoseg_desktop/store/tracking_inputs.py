"""What an object is tracked from, read from the store: shared by ``videoseg track`` and the GUI.

A frame whose stored mask was clicked, edited or imported is tracked from that very mask (and
tracking never overwrites it); a frame with prompts and no such mask is tracked from its prompts.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from videoseg_desktop.core.masks import Rle
from videoseg_desktop.core.prompts import Box, Point
from videoseg_desktop.core.records import MaskSource

KEPT_SOURCES = frozenset({MaskSource.CLICKED, MaskSource.EDITED, MaskSource.IMPORTED})


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
    cond: dict[int, Conditioning] = {
        frame: Conditioning(frame, mask=project.masks.get(object_id, frame).rle)
        for frame, source in project.masks.frames_of(object_id)
        if source in KEPT_SOURCES
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
