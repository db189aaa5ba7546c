"""Hand edits of binary masks: brush strokes, polygons and clean-up operations. No Qt here.

Coordinates are image coordinates as the canvas uses them: pixel (row i, column j) covers
[j, j+1] x [i, i+1], so its centre is (j + 0.5, i + 0.5). A shape covers a pixel when it covers
the pixel's centre; that one rule makes every raster here exact and testable.

Brush strokes are capsules (a segment swept by a disc) between consecutive mouse positions, so a
stroke has no gaps however far apart the events are (fast moves, zoomed out). Painting works in
place on the smallest window that holds the capsule and returns that window, so a caller can
refresh only the dirty rectangle of its overlay.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

# A brush thinner than this still marks every pixel its centre line crosses: a pixel's centre is
# at most sqrt(1/2) from any point inside the pixel.
MIN_RADIUS = 0.5**0.5

Rect = tuple[int, int, int, int]  # (x0, y0, x1, y1), half-open, in pixels
PointLike = tuple[float, float]


# -- geometry helpers ------------------------------------------------------------------------
def _check_mask(mask: np.ndarray) -> np.ndarray:
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D, got shape {mask.shape}")
    return mask


def capsule_rect(
    shape: tuple[int, int], p0: PointLike, p1: PointLike, radius: float
) -> Rect | None:
    """The pixels a capsule can touch, clipped to the image; None when it misses the image."""
    h, w = shape
    r = max(float(radius), MIN_RADIUS)
    x0 = max(int(np.floor(min(p0[0], p1[0]) - r - 0.5)), 0)
    y0 = max(int(np.floor(min(p0[1], p1[1]) - r - 0.5)), 0)
    x1 = min(int(np.ceil(max(p0[0], p1[0]) + r + 0.5)), w)
    y1 = min(int(np.ceil(max(p0[1], p1[1]) + r + 0.5)), h)
    if x0 >= x1 or y0 >= y1:
        return None
    return (x0, y0, x1, y1)


def capsule_coverage(rect: Rect, p0: PointLike, p1: PointLike, radius: float) -> np.ndarray:
    """Which pixels of ``rect`` have their centre within ``radius`` of the segment p0-p1."""
    x0, y0, x1, y1 = rect
    r = max(float(radius), MIN_RADIUS)
    ax, ay = float(p0[0]), float(p0[1])
    dx, dy = float(p1[0]) - ax, float(p1[1]) - ay
    # Offsets from p0 are computed in float64 and are small, so float32 keeps them exact enough.
    px = (np.arange(x0, x1, dtype=np.float64) + 0.5 - ax).astype(np.float32)[None, :]
    py = (np.arange(y0, y1, dtype=np.float64) + 0.5 - ay).astype(np.float32)[:, None]
    length2 = dx * dx + dy * dy
    if length2 == 0.0:
        return px * px + py * py <= np.float32(r * r)
    t = np.clip((px * np.float32(dx) + py * np.float32(dy)) / np.float32(length2), 0.0, 1.0)
    ex = px - t * np.float32(dx)
    ey = py - t * np.float32(dy)
    return ex * ex + ey * ey <= np.float32(r * r)


def paint_capsule(
    mask: np.ndarray, p0: PointLike, p1: PointLike, radius: float, value: bool = True
) -> Rect | None:
    """Set (or, with ``value`` False, clear) the capsule's pixels in ``mask`` in place.

    Returns the dirty rectangle, or None when the capsule lies outside the image.
    """
    _check_mask(mask)
    rect = capsule_rect(mask.shape, p0, p1, radius)
    if rect is None:
        return None
    x0, y0, x1, y1 = rect
    cover = capsule_coverage(rect, p0, p1, radius)
    window = mask[y0:y1, x0:x1]
    if value:
        window |= cover
    else:
        window &= ~cover
    return rect


def stroke_mask(shape: tuple[int, int], points: Sequence[PointLike], radius: float) -> np.ndarray:
    """The pixels a brush stroke through ``points`` covers (one point: a disc)."""
    out = np.zeros(shape, dtype=bool)
    if len(points) == 0:
        return out
    if len(points) == 1:
        paint_capsule(out, points[0], points[0], radius)
    for a, b in zip(points[:-1], points[1:], strict=True):
        paint_capsule(out, a, b, radius)
    return out


def apply_stroke(
    mask: np.ndarray, points: Sequence[PointLike], radius: float, erase: bool = False
) -> np.ndarray:
    """A new mask: ``mask`` with a brush (or eraser) stroke through ``points``."""
    stroke = stroke_mask(_check_mask(mask).shape, points, radius)
    return (mask & ~stroke) if erase else (mask | stroke)


def union_rect(a: Rect | None, b: Rect | None) -> Rect | None:
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


# -- polygons --------------------------------------------------------------------------------
def polygon_mask(shape: tuple[int, int], vertices: Sequence[PointLike]) -> np.ndarray:
    """Pixels whose centre lies inside the polygon (even-odd rule; closed automatically).

    A scanline fill: for every pixel row the polygon's edges are crossed at the row's centre
    line, and the spans between pairs of crossings are filled. Fewer than 3 vertices cover
    nothing.
    """
    h, w = shape
    out = np.zeros((h, w), dtype=bool)
    pts = np.asarray(vertices, dtype=np.float64).reshape(-1, 2)
    if len(pts) < 3 or h == 0 or w == 0:
        return out
    ys_min = max(int(np.floor(pts[:, 1].min() - 0.5)), 0)
    ys_max = min(int(np.ceil(pts[:, 1].max() + 0.5)), h)
    if ys_min >= ys_max:
        return out
    rows = np.arange(ys_min, ys_max)
    cy = rows.astype(np.float64)[:, None] + 0.5
    ax, ay = pts[:, 0][None, :], pts[:, 1][None, :]
    bx, by = np.roll(pts[:, 0], -1)[None, :], np.roll(pts[:, 1], -1)[None, :]
    # Half-open rule (ay <= y < by or by <= y < ay) counts a vertex on the line exactly once.
    crosses = (ay <= cy) != (by <= cy)
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = ax + (cy - ay) * (bx - ax) / (by - ay)
    xs = np.where(crosses, xs, np.inf)
    xs.sort(axis=1)
    count = crosses.sum(axis=1)  # always even for a closed polygon
    pairs = xs.shape[1] // 2
    starts, stops = xs[:, 0 : 2 * pairs : 2], xs[:, 1 : 2 * pairs : 2]
    valid = np.arange(pairs)[None, :] < (count[:, None] // 2)
    # Pixel j is inside a span [xl, xr) when its centre j + 0.5 is.
    first = np.clip(np.ceil(starts - 0.5), 0, w).astype(np.int64)
    last = np.clip(np.ceil(stops - 0.5), 0, w).astype(np.int64)
    diff = np.zeros((len(rows), w + 1), dtype=np.int32)
    r_idx = np.broadcast_to(np.arange(len(rows))[:, None], valid.shape)
    np.add.at(diff, (r_idx[valid], first[valid]), 1)
    np.add.at(diff, (r_idx[valid], last[valid]), -1)
    out[ys_min:ys_max] = np.cumsum(diff[:, :w], axis=1) > 0
    return out


def apply_polygon(mask: np.ndarray, vertices: Sequence[PointLike], cut: bool = False) -> np.ndarray:
    """A new mask with the polygon added to ``mask`` (or cut out of it)."""
    region = polygon_mask(_check_mask(mask).shape, vertices)
    return (mask & ~region) if cut else (mask | region)


# -- clean-up --------------------------------------------------------------------------------
def _on_crop(mask: np.ndarray, margin: int, op: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Run ``op`` on the mask's bounding box grown by ``margin``: 4K masks stay cheap."""
    mask = np.asarray(_check_mask(mask), dtype=bool)
    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows) == 0:
        return mask.copy()
    cols = np.flatnonzero(mask.any(axis=0))
    h, w = mask.shape
    y0, y1 = max(rows[0] - margin, 0), min(rows[-1] + 1 + margin, h)
    x0, x1 = max(cols[0] - margin, 0), min(cols[-1] + 1 + margin, w)
    out = np.zeros_like(mask)
    out[y0:y1, x0:x1] = op(mask[y0:y1, x0:x1])
    return out


def fill_holes(mask: np.ndarray, max_area: int | None = None) -> np.ndarray:
    """Fill holes (enclosed 4-connected background) smaller than ``max_area``; None: all holes.

    Background touching the image border is never a hole.
    """

    def op(crop: np.ndarray) -> np.ndarray:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            (~crop).astype(np.uint8), connectivity=4
        )
        fill = np.ones(count, dtype=bool)
        fill[0] = False  # label 0: the foreground
        border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
        fill[np.unique(border)] = False
        if max_area is not None:
            fill &= stats[:, cv2.CC_STAT_AREA] < max_area
        return crop | fill[labels]

    # One pixel of margin puts the background ring around the mask inside the crop, so
    # "touches the crop border" means "connected to the image border".
    return _on_crop(mask, 1, op)


def remove_islands(mask: np.ndarray, min_area: int) -> np.ndarray:
    """Remove foreground regions (8-connected) with fewer than ``min_area`` pixels.

    Literal, like the action's name: a mask made only of small islands becomes empty.
    """
    if min_area <= 1:
        return np.asarray(mask, dtype=bool).copy()

    def op(crop: np.ndarray) -> np.ndarray:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            crop.astype(np.uint8), connectivity=8
        )
        keep = stats[:, cv2.CC_STAT_AREA] >= min_area
        keep[0] = False
        return keep[labels]

    return _on_crop(mask, 0, op)


def smooth_edges(mask: np.ndarray, radius: float) -> np.ndarray:
    """Round off jagged edges: Gaussian blur (sigma = ``radius`` pixels) thresholded at 1/2.

    Straight edges stay where they are; corners round and one-pixel noise disappears.
    """
    if radius <= 0:
        return np.asarray(mask, dtype=bool).copy()
    margin = int(np.ceil(3 * radius)) + 1

    def op(crop: np.ndarray) -> np.ndarray:
        blurred = cv2.GaussianBlur(
            crop.astype(np.float32), (0, 0), sigmaX=float(radius), borderType=cv2.BORDER_REPLICATE
        )
        return blurred >= 0.5

    return _on_crop(mask, margin, op)


def grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Add every pixel whose centre is within ``pixels`` of the mask (Euclidean); <0 shrinks."""
    if pixels < 0:
        return shrink(mask, -pixels)
    if pixels == 0:
        return np.asarray(mask, dtype=bool).copy()

    def op(crop: np.ndarray) -> np.ndarray:
        dist = cv2.distanceTransform((~crop).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        return dist <= pixels + 1e-3

    return _on_crop(mask, int(pixels) + 1, op)


def shrink(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Remove every pixel within ``pixels`` of the background (Euclidean); <0 grows.

    The image border is not background: a mask cut off by the frame keeps its cut edge.
    """
    if pixels < 0:
        return grow(mask, -pixels)
    if pixels == 0:
        return np.asarray(mask, dtype=bool).copy()
    mask = np.asarray(_check_mask(mask), dtype=bool)
    if mask.all():
        return mask.copy()

    def op(crop: np.ndarray) -> np.ndarray:
        dist = cv2.distanceTransform(crop.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        return dist > pixels + 1e-3

    return _on_crop(mask, 1, op)
