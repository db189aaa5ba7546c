"""The DAVIS region (J) and boundary (F) measures and their per-sequence statistics.

F follows the DAVIS benchmark's definition: one-pixel boundary maps by the seg2bmap thinning,
each dilated by a disk whose radius is ceil(0.008 x image diagonal), then boundary precision
(predicted boundary pixels near a true one) and recall (true boundary pixels near a predicted
one) combined as their harmonic mean.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

BOUND_TH = 0.008


def region_similarity(pred: np.ndarray, gt: np.ndarray) -> float:
    """J: intersection over union; both empty counts 1.0."""
    union = np.count_nonzero(pred | gt)
    if union == 0:
        return 1.0
    return np.count_nonzero(pred & gt) / union


def seg2bmap(seg: np.ndarray) -> np.ndarray:
    """One-pixel-wide boundary of a binary mask (same size as the mask).

    A pixel is on the boundary when it differs from its right, lower or lower-right neighbour;
    the last row compares only to the right, the last column only downwards, and the
    bottom-right pixel never counts (as in the DAVIS reference code).
    """
    seg = seg.astype(bool)
    east = np.zeros_like(seg)
    south = np.zeros_like(seg)
    south_east = np.zeros_like(seg)
    east[:, :-1] = seg[:, 1:]
    south[:-1, :] = seg[1:, :]
    south_east[:-1, :-1] = seg[1:, 1:]
    bmap = (seg ^ east) | (seg ^ south) | (seg ^ south_east)
    bmap[-1, :] = seg[-1, :] ^ east[-1, :]
    bmap[:, -1] = seg[:, -1] ^ south[:, -1]
    bmap[-1, -1] = False
    return bmap


def disk(radius: int) -> np.ndarray:
    """A filled disk structuring element: the offsets with x^2 + y^2 <= radius^2."""
    r = int(radius)
    y, x = np.ogrid[-r : r + 1, -r : r + 1]
    return (x * x + y * y <= r * r).astype(np.uint8)


def boundary_tolerance(shape: tuple[int, int], bound_th: float = BOUND_TH) -> int:
    """The disk radius in pixels: a fraction of the diagonal, or pixels when >= 1."""
    if bound_th >= 1:
        return int(bound_th)
    return int(math.ceil(bound_th * math.hypot(shape[0], shape[1])))


def _crop_to_masks(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both masks cut to their joint bounding box plus a 2-pixel margin (within the image).

    Exact, and several times faster for objects smaller than the frame: the margin holds every
    boundary pixel (seg2bmap marks at most one pixel above or left of a mask), an empty margin
    row or column yields the same boundary as the image edge rules, and a dilated boundary is
    only ever read at boundary pixels, which all lie inside.
    """
    rows = np.flatnonzero(pred.any(axis=1) | gt.any(axis=1))
    cols = np.flatnonzero(pred.any(axis=0) | gt.any(axis=0))
    if rows.size == 0:
        return pred, gt
    y0, y1 = max(rows[0] - 2, 0), min(rows[-1] + 3, pred.shape[0])
    x0, x1 = max(cols[0] - 2, 0), min(cols[-1] + 3, pred.shape[1])
    return pred[y0:y1, x0:x1], gt[y0:y1, x0:x1]


def boundary_f_measure(
    pred: np.ndarray, gt: np.ndarray, bound_th: float = BOUND_TH, kernel: np.ndarray | None = None
) -> float:
    """F: boundary precision/recall within the tolerance. Both empty 1.0; one empty 0.0."""
    if kernel is None:
        kernel = disk(boundary_tolerance(pred.shape, bound_th))
    pred, gt = _crop_to_masks(pred, gt)
    pred_b = seg2bmap(pred)
    gt_b = seg2bmap(gt)
    n_pred = np.count_nonzero(pred_b)
    n_gt = np.count_nonzero(gt_b)
    if n_pred == 0 and n_gt == 0:
        return 1.0
    if n_pred == 0 or n_gt == 0:
        return 0.0  # precision 1 and recall 0, or the reverse
    pred_dil = cv2.dilate(pred_b.view(np.uint8), kernel).astype(bool)
    gt_dil = cv2.dilate(gt_b.view(np.uint8), kernel).astype(bool)
    precision = np.count_nonzero(pred_b & gt_dil) / n_pred
    recall = np.count_nonzero(gt_b & pred_dil) / n_gt
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def sequence_statistics(values) -> dict[str, float]:
    """Mean, recall (fraction of frames above 0.5) and decay of one object's per-frame scores.

    Decay is the DAVIS 4-bin definition: the frames are cut into four quarters at
    round(linspace(1, n, 5)) and decay = mean(first quarter) - mean(last quarter).
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return {"mean": float("nan"), "recall": float("nan"), "decay": float("nan")}
    edges = (np.round(np.linspace(1, len(values), 5) + 1e-10) - 1).astype(int)
    bins = [values[edges[i] : edges[i + 1] + 1] for i in range(4)]
    return {
        "mean": float(np.mean(values)),
        "recall": float(np.mean(values > 0.5)),
        "decay": float(np.mean(bins[0]) - np.mean(bins[3])),
    }
