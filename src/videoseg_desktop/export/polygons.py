"""Masks to polygons and back (COCO ``--polygons`` and YOLO-seg), with OpenCV.

Polygons follow the outer boundary through the centres of the edge pixels, one polygon per
connected part. They cannot express holes: ``mask_to_polygons`` says whether it dropped any, so
the exporter can warn that the format is lossy for that mask.
"""

from __future__ import annotations

import cv2
import numpy as np

Polygon = list[float]  # flat [x0, y0, x1, y1, ...] in pixel coordinates


def mask_to_polygons(mask: np.ndarray) -> tuple[list[Polygon], bool]:
    """(outer polygons of every part, whether the mask had holes)."""
    contours, hierarchy = cv2.findContours(
        np.ascontiguousarray(mask, dtype=np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
    )
    if hierarchy is None:
        return [], False
    parents = hierarchy[0][:, 3]
    has_holes = bool((parents != -1).any())
    polygons = []
    for contour, parent in zip(contours, parents, strict=True):
        if parent != -1:
            continue
        points = contour.reshape(-1, 2).astype(float)
        if len(points) < 3:  # a one-pixel dot or a thin line: outline its pixels instead
            x0, y0 = points.min(axis=0) - 0.5
            x1, y1 = points.max(axis=0) + 0.5
            points = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        polygons.append([float(v) for v in points.reshape(-1)])
    return polygons, has_holes


def polygons_to_mask(polygons: list[Polygon], height: int, width: int) -> np.ndarray:
    """Fill polygons (pixel coordinates through pixel centres, as written above) into a mask."""
    canvas = np.zeros((height, width), np.uint8)
    shapes = []
    for poly in polygons:
        pts = np.asarray(poly, float).reshape(-1, 2)
        if len(pts) >= 3:
            # 4 bits of sub-pixel precision: vertices between pixel centres are kept
            shapes.append(np.round(pts * 16).astype(np.int32))
    if shapes:
        cv2.fillPoly(canvas, shapes, 1, lineType=cv2.LINE_8, shift=4)
    return canvas.astype(bool)
