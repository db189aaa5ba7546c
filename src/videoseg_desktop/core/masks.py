"""Binary masks and their COCO run-length encoding.

Masks are stored as compressed COCO RLE so that holes and disjoint parts survive exactly;
``counts`` is kept as a UTF-8 string so the RLE is JSON-ready.
"""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.limits import MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE

Rle = dict  # {"size": [height, width], "counts": str}


class MaskDataError(VideoSegError):
    """An RLE that is malformed: decoding it would read or write past the mask's pixels."""


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
    """Decode COCO RLE (compressed or uncompressed) to a 2-D boolean mask.

    The RLE is checked first (MaskDataError): it may come from a project or a file made by
    anyone, and pycocotools writes past its buffer for runs that do not add up to the size.
    """
    check_rle(rle)
    return mask_utils.decode(_coco(rle)).astype(bool)


def check_rle(rle: Rle) -> None:
    """MaskDataError unless ``rle`` has a sane size and runs that cover it exactly."""
    size = rle.get("size") if isinstance(rle, dict) else None
    if (
        not isinstance(size, (list, tuple))
        or len(size) != 2
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in size)
    ):
        raise MaskDataError("a mask's RLE has no valid [height, width] size")
    height, width = int(size[0]), int(size[1])
    if not (0 < height <= MAX_IMAGE_SIDE and 0 < width <= MAX_IMAGE_SIDE) or (
        height * width > MAX_IMAGE_PIXELS
    ):
        raise MaskDataError(f"a mask's RLE claims an impossible size {width}x{height}")
    counts = rle.get("counts")
    if isinstance(counts, bytes):
        try:
            counts = counts.decode("ascii")
        except UnicodeDecodeError:
            counts = "\x00"
    if isinstance(counts, str):
        runs = rle_string_runs(counts)
    elif isinstance(counts, list) and all(
        isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in counts
    ):
        runs = np.asarray(counts, dtype=object)
    else:
        raise MaskDataError("a mask's RLE counts are neither a string nor a list of numbers")
    if runs.size and ((runs < 0).any() or runs.max() > height * width):
        raise MaskDataError(f"a mask's RLE counts do not cover its {width}x{height} pixels")
    if int(runs.sum()) != height * width:
        raise MaskDataError(f"a mask's RLE counts do not cover its {width}x{height} pixels")


def rle_string_runs(counts: str) -> np.ndarray:
    """The run lengths of a compressed COCO RLE string (the inverse of pycocotools' rleToString);
    ``[-1]`` when the string is malformed.

    Each number is 5-bit groups offset by 48, 0x20 meaning "more follows" and 0x10 in the last
    group a sign; from the third run on, a value is the difference to the run two places back.
    """
    try:
        data = np.frombuffer(counts.encode("ascii"), np.uint8).astype(np.int64) - 48
    except UnicodeEncodeError:
        return np.array([-1])
    if data.size == 0:
        return np.zeros(0, np.int64)
    if (data < 0).any() or (data > 63).any() or data[-1] & 0x20:
        return np.array([-1])
    ends = np.flatnonzero((data & 0x20) == 0)
    starts = np.concatenate(([0], ends[:-1] + 1))
    group_of = np.repeat(np.arange(len(ends)), ends - starts + 1)
    shift = 5 * (np.arange(data.size) - starts[group_of])
    if shift.max() > 55:
        return np.array([-1])
    values = np.add.reduceat((data & 0x1F) << shift, starts)
    negative = (data[ends] & 0x10) != 0
    values[negative] -= np.left_shift(1, 5 * (ends - starts + 1))[negative]
    runs = values.copy()  # runs[m] = values[m] + runs[m - 2] for m > 2: two running sums
    runs[1::2] = np.cumsum(values[1::2])
    runs[2::2] = np.cumsum(values[2::2])
    return runs


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
