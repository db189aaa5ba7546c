"""One polygon per object, for formats with one polygon per instance (YOLO-seg).

An object in several parts, or with holes, becomes one closed path: every boundary ring (the
outline of each part and of each hole) is visited once, and rings are linked by zero-width
bridges, each walked there and straight back. This is how Ultralytics' own COCO converter joins
the parts of a COCO object (its ``merge_multi_segment`` links each part to the next at their
closest points); here the links form a minimum spanning tree over all rings, so the total bridge
length, the only thing a rasteriser may draw that is not in the mask, is as short as it can be.

Drawn with an even-odd fill, as OpenCV's ``fillPoly`` (and thus Ultralytics) does, the bridges
cancel out and the holes stay holes; the fill only draws the bridge lines themselves, one pixel
wide, where they cross the background. ``split_joined`` undoes the joining on import, so a
polygon read back gets neither the bridge lines nor extra objects.
"""

from __future__ import annotations

import cv2
import numpy as np

from videoseg_desktop.export.polygons import Polygon

_BLOCK = 1 << 22  # distance-matrix elements computed at once
_SLIVER = 0.25  # pixels: the width given to rings that have no inside


def mask_rings(mask: np.ndarray) -> tuple[list[np.ndarray], bool]:
    """Every boundary ring of the mask, parts and holes, as (N, 2) arrays through pixel centres;
    and whether it had holes. A dot or a straight one-pixel line (a contour of one or two
    points) becomes a thin sliver over its pixels, so every ring has three vertices or more."""
    contours, hierarchy = cv2.findContours(
        np.ascontiguousarray(mask, dtype=np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
    )
    if hierarchy is None:
        return [], False
    parents = hierarchy[0][:, 3]
    rings = []
    for contour, parent in zip(contours, parents, strict=True):
        points = contour.reshape(-1, 2).astype(float)
        if len(points) < 3:
            if parent != -1:
                continue
            points = _sliver(points)
        elif parent == -1 and not _has_entry(points):
            points = _thicken(points)
        rings.append(points)
    return rings, bool((parents != -1).any())


def _sliver(points: np.ndarray) -> np.ndarray:
    """A dot or a straight one-pixel line as a ring a quarter pixel wide, offset right (or down
    for a horizontal line): filled, it covers just those pixels, and readers that truncate
    coordinates to whole pixels draw the same pixels."""
    a, b = points[0], points[-1]
    if len(points) == 1:
        return np.array([a, a + [_SLIVER, 0], a + [_SLIVER, _SLIVER], a + [0, _SLIVER]])
    offset = np.array([0, _SLIVER]) if a[1] == b[1] else np.array([_SLIVER, 0])
    return np.array([a, b, b + offset, a + offset])


def _thicken(points: np.ndarray) -> np.ndarray:
    """A part that is all one-pixel lines (its contour walks every line there and back) as a ring
    a fraction of a pixel wide: each vertex met again on the way back is shifted a little, so the
    ring has an inside and a bridge to it cannot be mistaken for one of its lines on import. The
    shift is parallel to none of the four directions a contour step can take."""
    seen: set[tuple] = set()
    out = points.copy()
    for i, p in enumerate(points.tolist()):
        key = tuple(p)
        if key in seen:
            out[i] += (_SLIVER, _SLIVER / 2)
        seen.add(key)
    return out


def _has_entry(ring: np.ndarray) -> bool:
    keys = [tuple(p) for p in ring.tolist()]
    n = len(keys)
    return any(
        keys.count(key) == 1 and keys[i - 1] != keys[(i + 1) % n] for i, key in enumerate(keys)
    )


def _entry_vertices(ring: np.ndarray) -> np.ndarray:
    """Indices of the vertices a walk round the ring may start and end at: each met once, between
    two different neighbours. Not the tip of a thin tail (walked there and back) nor a pinch
    point (met twice): a path entering there would read back as a bridge (``split_joined``).
    All vertices when none qualifies (a contour that is all thin lines)."""
    keys = [tuple(p) for p in ring.tolist()]
    counts: dict[tuple, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    n = len(keys)
    good = [
        i for i, key in enumerate(keys) if counts[key] == 1 and keys[i - 1] != keys[(i + 1) % n]
    ]
    return np.array(good) if good else np.arange(n)


def _closest_pairs(rings: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Squared distance between the closest entry vertices of every two rings, and their indices
    (``at[i, j]`` is the index in ring i of its vertex closest to ring j)."""
    n = len(rings)
    dist = np.full((n, n), np.inf)
    at = np.zeros((n, n), int)
    entries = [_entry_vertices(r) for r in rings]
    points = [r[e] for r, e in zip(rings, entries, strict=True)]
    for i in range(n - 1):
        others = np.concatenate(points[i + 1 :])
        starts = np.cumsum([0] + [len(p) for p in points[i + 1 : -1]])
        best = np.full(len(others), np.inf)
        best_row = np.zeros(len(others), int)
        step = max(1, _BLOCK // len(others))
        others_sq = (others**2).sum(1)
        for r0 in range(0, len(points[i]), step):
            block = points[i][r0 : r0 + step]
            # |a - b|^2 = |a|^2 + |b|^2 - 2 a.b: one matrix product (exact: coordinates are small)
            d = (block**2).sum(1)[:, None] + others_sq[None, :] - 2.0 * (block @ others.T)
            rows = d.argmin(axis=0)
            values = d[rows, np.arange(len(others))]
            better = values < best
            best[better] = values[better]
            best_row[better] = rows[better] + r0
        for k, j in enumerate(range(i + 1, n)):
            lo = starts[k]
            hi = lo + len(points[j])
            m = lo + int(best[lo:hi].argmin())
            dist[i, j] = dist[j, i] = best[m]
            at[i, j], at[j, i] = entries[i][best_row[m]], entries[j][m - lo]
    return dist, at


def join_rings(rings: list[np.ndarray]) -> Polygon:
    """The rings as one closed path (flat [x0, y0, ...]); a single ring comes back as it is, only
    started elsewhere when its first vertex is the tip of a thin tail."""
    if not rings:
        return []
    if len(rings) == 1:
        ring = np.roll(rings[0], -int(_entry_vertices(rings[0])[0]), axis=0)
        return [float(v) for v in ring.reshape(-1)]
    dist, at = _closest_pairs(rings)
    # Prim's minimum spanning tree from ring 0; links[r] lists (vertex of r, child, child's vertex)
    links: dict[int, list[tuple[int, int, int]]] = {r: [] for r in range(len(rings))}
    in_tree = np.zeros(len(rings), bool)
    in_tree[0] = True
    best = dist[0].copy()
    parent = np.zeros(len(rings), int)
    for _ in range(len(rings) - 1):
        best[in_tree] = np.inf
        child = int(best.argmin())
        p = int(parent[child])
        links[p].append((int(at[p, child]), child, int(at[child, p])))
        in_tree[child] = True
        closer = dist[child] < best
        best[closer] = dist[child][closer]
        parent[closer] = child

    path: list[np.ndarray] = []

    def walk(ring: int, entry: int) -> None:
        points = rings[ring]
        children: dict[int, list[tuple[int, int]]] = {}
        for vertex, child, child_entry in links[ring]:
            children.setdefault(vertex, []).append((child, child_entry))
        n = len(points)
        for step in range(n + 1):  # all the way round, back to the entry vertex
            vertex = (entry + step) % n
            path.append(points[vertex])
            if step == n:
                break
            for child, child_entry in children.get(vertex, []):
                walk(child, child_entry)  # there, round the child, and back to this vertex
                path.append(points[vertex])

    walk(0, int(_entry_vertices(rings[0])[0]))
    return [float(v) for v in np.asarray(path[:-1]).reshape(-1)]  # the path closes by itself


def mask_to_joined_polygon(mask: np.ndarray) -> tuple[Polygon, bool]:
    """(one polygon for the whole mask, whether the mask has holes)."""
    rings, has_holes = mask_rings(mask)
    return join_rings(rings), has_holes


def split_joined(points: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A joined polygon (integer vertices, (N, 2)) back into its rings, without the bridges.

    The path is cut into loops wherever it comes back to a vertex it passed; a loop of three or
    more vertices is a ring. A two-vertex loop is a stretch walked there and back: a bridge when
    a ring closed at its far end (it led to that ring), else a one-pixel-wide strand of the mask
    (a thin tail), returned so it can still be drawn. Two cases read wrongly, each costing a
    one-pixel line: a one-pixel neck between two lobes of one part looks exactly like a bridge,
    and a path that enters a ring at the tip of a thin tail loses the tail (``join_rings`` never
    enters a ring there).
    """
    path = [tuple(p) for p in np.asarray(points).tolist()]
    if not path:
        return [], []
    if path[0] != path[-1]:
        path.append(path[0])
    stack: list[tuple] = []
    closed: list[bool] = []  # a ring closed at this stack position
    where: dict[tuple, int] = {}
    rings, strands = [], []
    for point in path:
        k = where.get(point)
        if k is None:
            where[point] = len(stack)
            stack.append(point)
            closed.append(False)
            continue
        loop = stack[k:]
        if len(loop) >= 3:
            rings.append(np.array(loop))
            closed[k] = True
        elif len(loop) == 2 and not closed[k + 1]:
            strands.append(np.array(loop))
        for q in stack[k + 1 :]:
            del where[q]
        del stack[k + 1 :], closed[k + 1 :]
    return rings, strands


def joined_polygon_to_mask(polygon: Polygon, height: int, width: int) -> np.ndarray:
    """Rasterise one joined polygon (pixel coordinates through pixel centres) without its bridges:
    the rings filled together by the even-odd rule, as the whole path would be, plus strands."""
    pts = np.round(np.asarray(polygon, float).reshape(-1, 2) * 16).astype(np.int64)
    rings, strands = split_joined(pts)
    canvas = np.zeros((height, width), np.uint8)
    if rings:
        cv2.fillPoly(canvas, [r.astype(np.int32) for r in rings], 1, cv2.LINE_8, shift=4)
    if strands:
        cv2.polylines(
            canvas, [s.astype(np.int32) for s in strands], False, 1, 1, cv2.LINE_8, shift=4
        )
    return canvas.astype(bool)
