"""Checks every annotation reader applies before a value reaches pycocotools, OpenCV or the
database: sizes, polygons, counts and names within the limits of ``core.limits``.

Each raises ExportError naming the file and the item (``where``), so a crafted or broken file
ends in one clear line, in bounded time and memory, and nothing is imported.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.limits import (
    MAX_ANNOTATIONS_PER_FILE,
    MAX_IMAGE_PIXELS,
    MAX_IMAGE_SIDE,
    MAX_LABEL_LENGTH,
    MAX_POLYGON_LENGTH,
    MAX_POLYGON_VERTICES,
)
from videoseg_desktop.core.text import plural


def check_image_size(height: int, width: int, where: str) -> tuple[int, int]:
    """A declared image size that a mask of it can be allocated for."""
    if height <= 0 or width <= 0:
        raise ExportError(f"{where}: width and height must be positive")
    if height > MAX_IMAGE_SIDE or width > MAX_IMAGE_SIDE or height * width > MAX_IMAGE_PIXELS:
        raise ExportError(
            f"{where}: {width}x{height} is larger than the limit "
            f"({MAX_IMAGE_PIXELS // 1_000_000} megapixels, {MAX_IMAGE_SIDE} pixels a side)"
        )
    return height, width


def check_polygons(polygons: Sequence[Sequence[float]], height: int, width: int, where: str):
    """Polygons in pixels (flat x, y lists) that can be rasterised cheaply: finite, near the
    image, at most MAX_POLYGON_VERTICES each and MAX_POLYGON_LENGTH of outline in all."""
    total = 0.0
    for poly in polygons:
        n = len(poly) // 2
        if n > MAX_POLYGON_VERTICES:
            raise ExportError(
                f"{where}: a polygon of {plural(n, 'vertex', 'vertices')} (the limit is {MAX_POLYGON_VERTICES})"
            )
        xs, ys = poly[0::2], poly[1::2]
        if not all(map(math.isfinite, poly)):
            raise ExportError(f"{where}: polygon coordinates must be finite numbers")
        if min(xs) < -width or max(xs) > 2 * width or min(ys) < -height or max(ys) > 2 * height:
            raise ExportError(
                f"{where}: polygon coordinates lie far outside the {width}x{height} image"
            )
        # each edge's longer side, the closing edge included (C-level maps: this runs per vertex)
        dx = map(abs, map(operator.sub, xs, xs[-1:] + xs[:-1]))
        dy = map(abs, map(operator.sub, ys, ys[-1:] + ys[:-1]))
        total += sum(map(max, dx, dy))
        if total > MAX_POLYGON_LENGTH:
            raise ExportError(
                f"{where}: the polygons' outline is over {MAX_POLYGON_LENGTH:,} pixels long "
                "(a zig-zag across the image?); refused"
            )


class AnnotationBudget:
    """Counts masks read from one file or folder; ExportError past MAX_ANNOTATIONS_PER_FILE."""

    def __init__(self, source) -> None:
        self.source, self.count = source, 0

    def add(self, n: int = 1) -> None:
        self.count += n
        if self.count > MAX_ANNOTATIONS_PER_FILE:
            raise ExportError(
                f"{self.source} holds more than {MAX_ANNOTATIONS_PER_FILE:,} annotations "
                "(the limit for one file); split it"
            )


def check_text(value: str, where: str, what: str, max_length: int = MAX_LABEL_LENGTH) -> str:
    """A name that can be stored, shown and exported: printable, valid text, not too long."""
    if (
        len(value) > max_length
        or not value.isprintable()
        or any("\ud800" <= c <= "\udfff" for c in value)
    ):
        shown = value[:40].encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
        raise ExportError(
            f"{where}: the {what} {shown!r}... must be at most {max_length} printable characters"
        )
    return value
