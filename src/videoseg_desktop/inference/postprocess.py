"""Mask clean-up with OpenCV, so that masks are the same on every machine.

sam2 does this on its low-resolution logits with its CUDA extension and silently skips it when the
extension is missing. We do it on the final full-resolution mask, on every machine:

- a *hole* is a background region, 4-connected, that does not touch the image border; holes
  smaller than ``fill_holes_below`` pixels are filled (what ``core.mask_ops.fill_holes``, the
  editor's action, does too);
- an *island* is a foreground region, 8-connected; islands smaller than
  ``remove_islands_below`` pixels are removed, except the largest one, so that a small object
  never disappears entirely.

(4-connected background with 8-connected foreground is the pair of connectivities that keeps the
two notions consistent: a diagonal gap between two foreground pixels does not make a hole leak.)
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Beyond this many possibly-small regions, one labelling of the whole frame is cheaper than
# one small labelling per region (noisy masks, e.g. from untrained weights).
MAX_CROPS = 1000  # measured crossover on 2 MP masks: ~2000-3000 regions


@dataclass(frozen=True)
class PostProcessing:
    fill_holes_below: int = 32  # pixels of the full-resolution mask; 0 keeps every hole
    remove_islands_below: int = 32  # 0 keeps every island

    def apply(self, mask: np.ndarray) -> np.ndarray:
        return clean_mask(mask, self.fill_holes_below, self.remove_islands_below)


def clean_mask(mask: np.ndarray, fill_holes_below: int, remove_islands_below: int) -> np.ndarray:
    """Fill small holes then remove small islands; returns a new boolean mask.

    Exactly what connected-component labelling of the whole frame gives (the tests check it
    against that), but only regions that *can* be small are labelled: a region spanning k rows
    or columns has at least k pixels, so contour bounding boxes rule out most regions and the
    rest is labelled on small crops. Two full-frame labellings cost ~10 ms per megapixel.
    """
    out = np.array(mask, dtype=bool)  # a copy: callers may keep the raw mask
    if out.ndim != 2:
        raise ValueError(f"mask must be 2-D, got shape {out.shape}")
    if fill_holes_below > 0:
        _fill_small_holes(out, fill_holes_below)
    if remove_islands_below > 0:
        _remove_small_islands(out, remove_islands_below)
    return out


def remove_small_islands(mask: np.ndarray, max_area_exclusive: int) -> np.ndarray:
    """Drop foreground regions with fewer than ``max_area_exclusive`` pixels (keeps the largest)."""
    return clean_mask(mask, 0, max_area_exclusive)


def _contours(mask: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Outer borders of 8-connected regions and borders of 4-connected holes (RETR_CCOMP)."""
    contours, hierarchy = cv2.findContours(
        mask.view(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
    )
    if hierarchy is None:
        return [], np.empty(0, dtype=int)
    return list(contours), hierarchy[0][:, 3]


def _fill_small_holes(out: np.ndarray, limit: int) -> None:
    contours, parents = _contours(out)
    boxes = []
    for contour, parent in zip(contours, parents, strict=True):
        if parent < 0:
            continue  # an outer border, not a hole
        x, y, w, h = cv2.boundingRect(contour)
        # The hole lies strictly inside its border's box: w - 2 columns, h - 2 rows at most.
        if w - 2 < limit and h - 2 < limit:
            boxes.append((x, y, w, h))
    if len(boxes) > MAX_CROPS:
        _fill_enclosed(out, limit)
        return
    for x, y, w, h in boxes:
        _fill_enclosed(out[y : y + h, x : x + w], limit)  # a view: filling it fills ``out``


def _fill_enclosed(region: np.ndarray, limit: int) -> None:
    """Fill, in place, background regions under ``limit`` px that do not reach the edge."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (~region).astype(np.uint8), connectivity=4
    )
    fill = stats[:, cv2.CC_STAT_AREA] < limit
    fill[0] = False  # label 0: the foreground
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    fill[np.unique(edge)] = False
    if fill.any():
        region |= fill[labels]


def _remove_small_islands(out: np.ndarray, limit: int) -> None:
    contours, parents = _contours(out)
    outer = [c for c, parent in zip(contours, parents, strict=True) if parent < 0]
    if len(outer) <= 1:
        return
    candidates = []
    for contour in outer:
        x, y, w, h = cv2.boundingRect(contour)
        if w < limit and h < limit:  # spanning fewer rows and columns than the limit
            candidates.append((contour, x, y, w, h))
    if len(candidates) > MAX_CROPS:
        _remove_islands_whole_frame(out, limit)
        return
    small = []  # (area, x, y, region) of the regions that may be under the limit
    for contour, x, y, w, h in candidates:
        padded = np.zeros((h + 2, w + 2), np.uint8)
        padded[1:-1, 1:-1] = out[y : y + h, x : x + w]
        _, labels, stats, _ = cv2.connectedComponentsWithStats(padded, connectivity=8)
        px, py = contour[0][0]  # a pixel of this very region
        label = labels[py - y + 1, px - x + 1]
        small.append((int(stats[label, cv2.CC_STAT_AREA]), x, y, labels[1:-1, 1:-1] == label))
    if len(small) == len(outer):  # every region is small: the largest one stays
        small.pop(max(range(len(small)), key=lambda i: small[i][0]))
    for area, x, y, region in small:
        if area < limit:
            h, w = region.shape
            out[y : y + h, x : x + w][region] = False


def _remove_islands_whole_frame(out: np.ndarray, limit: int) -> None:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(out.view(np.uint8), connectivity=8)
    areas = stats[:, cv2.CC_STAT_AREA]
    small = areas < limit
    small[0] = False  # background
    if count > 1 and small[1:].all():
        small[1 + int(np.argmax(areas[1:]))] = False
    out &= ~small[labels]
