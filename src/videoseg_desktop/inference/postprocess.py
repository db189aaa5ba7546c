"""Mask clean-up with OpenCV, so that masks are the same on every machine.

sam2 does this on its low-resolution logits with its CUDA extension and silently skips it when the
extension is missing. We do it on the final full-resolution mask, on every machine:

- a *hole* is a background region, 4-connected, that does not touch the image border; holes
  smaller than ``fill_holes_below`` pixels are filled (``core.mask_ops.fill_holes``, the same
  operation the editor's "fill holes" uses);
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

from videoseg_desktop.core.mask_ops import fill_holes


@dataclass(frozen=True)
class PostProcessing:
    fill_holes_below: int = 32  # pixels of the full-resolution mask; 0 keeps every hole
    remove_islands_below: int = 32  # 0 keeps every island

    def apply(self, mask: np.ndarray) -> np.ndarray:
        return clean_mask(mask, self.fill_holes_below, self.remove_islands_below)


def clean_mask(mask: np.ndarray, fill_holes_below: int, remove_islands_below: int) -> np.ndarray:
    """Fill small holes then remove small islands; returns a new boolean mask."""
    out = np.array(mask, dtype=bool)  # a copy: callers may keep the raw mask
    if fill_holes_below > 0:
        out = fill_holes(out, fill_holes_below)
    if remove_islands_below > 0:
        out = remove_small_islands(out, remove_islands_below)
    return out


def remove_small_islands(mask: np.ndarray, max_area_exclusive: int) -> np.ndarray:
    """Drop foreground regions with fewer than ``max_area_exclusive`` pixels (keeps the largest)."""
    mask = np.asarray(mask, dtype=bool)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        mask.astype(np.uint8), connectivity=8
    )
    if count <= 2:  # empty, or a single region: nothing to drop
        return mask.copy()
    areas = stats[:, cv2.CC_STAT_AREA]
    small = areas < max_area_exclusive
    small[0] = False  # background
    small[1 + int(np.argmax(areas[1:]))] = False
    if not small.any():
        return mask.copy()
    return mask & ~small[labels]
