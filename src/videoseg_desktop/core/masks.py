"""Binary masks and their COCO run-length encoding.

Masks are stored as compressed COCO RLE so that holes and disjoint parts survive exactly;
``counts`` is kept as a UTF-8 string so the RLE is JSON-ready.
"""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils

Rle = dict  # {"size": [height, width], "counts": str}


def encode_rle(mask: np.ndarray) -> Rle:
    """Encode a 2-D boolean mask as compressed COCO RLE with string counts."""
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D, got shape {mask.shape}")
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {
        "size": [int(rle["size"][0]), int(rle["size"][1])],
        "counts": rle["counts"].decode("ascii"),
    }


def _coco(rle: Rle) -> dict:
    counts = rle["counts"]
    if isinstance(counts, list):  # uncompressed RLE, as some datasets ship it
        return mask_utils.frPyObjects(rle, *rle["size"])
    return {
        "size": list(rle["size"]),
        "counts": counts.encode("ascii") if isinstance(counts, str) else counts,
    }


def decode_rle(rle: Rle) -> np.ndarray:
    """Decode COCO RLE (compressed or uncompressed) to a 2-D boolean mask."""
    return mask_utils.decode(_coco(rle)).astype(bool)


def rle_area(rle: Rle) -> int:
    return int(mask_utils.area(_coco(rle)))


def rle_bbox(rle: Rle) -> tuple[float, float, float, float]:
    """COCO bbox (x, y, width, height) of the mask; all zeros when empty."""
    x, y, w, h = mask_utils.toBbox(_coco(rle)).tolist()
    return (float(x), float(y), float(w), float(h))


def mask_bbox(mask: np.ndarray) -> tuple[float, float, float, float]:
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return (0.0, 0.0, 0.0, 0.0)
    return (
        float(xs.min()),
        float(ys.min()),
        float(xs.max() - xs.min() + 1),
        float(ys.max() - ys.min() + 1),
    )


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union; two empty masks agree perfectly (1.0)."""
    union = np.logical_or(a, b).sum()
    if union == 0:
        return 1.0
    return float(np.logical_and(a, b).sum() / union)


def rle_ious(rles: list[Rle], others: list[Rle]) -> np.ndarray:
    """Intersection over union of every RLE in ``rles`` with every one in ``others`` (len x len).

    Computed on the run-length encodings (pycocotools), without decoding the masks.
    """
    if not rles or not others:
        return np.zeros((len(rles), len(others)))
    a = [_coco(r) for r in rles]
    b = [_coco(r) for r in others]
    return np.asarray(mask_utils.iou(a, b, [0] * len(b)), dtype=float).reshape(len(a), len(b))
