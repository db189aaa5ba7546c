"""Annotations read from a file, in one neutral form shared by the importer and the evaluation.

Readers (``coco_reader``, ``ytvis_reader``, ``davis_reader``) check everything they read and
raise ExportError with the offending entry named; masks are kept as compressed RLE with string
counts, so a large dataset is never held decoded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
from pycocotools import mask as mask_utils

from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.masks import Rle, encode_rle


@dataclass
class Instance:
    """One object's mask on one image (or video frame)."""

    rle: Rle
    category: str | None = None
    track: int | None = None  # which track it belongs to, for video frames
    score: float | None = None  # the model's confidence, when the file has one
    attributes: dict | None = None  # name -> value, checked for type (not yet for a schema)


@dataclass
class ImageAnnotations:
    file_name: str  # relative POSIX path as written in the file
    height: int
    width: int
    instances: list[Instance] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The name without its extension: ``car-shadow/00003.jpg`` and ``.png`` are one image."""
        return str(PurePosixPath(self.file_name).with_suffix(""))


@dataclass
class Track:
    """One object through a video: its non-empty masks by frame index (absent frames left out)."""

    track_id: int
    category: str | None
    masks: dict[int, Rle] = field(default_factory=dict)
    scores: dict[int, float] = field(default_factory=dict)  # per frame, when the file has them
    attributes: dict | None = None  # name -> value, or per-frame list aligned with the frames


@dataclass
class VideoAnnotations:
    name: str
    height: int
    width: int
    length: int
    file_names: list[str]  # one per frame, relative POSIX paths
    tracks: list[Track] = field(default_factory=list)

    def frame_images(self) -> list[ImageAnnotations]:
        """The video as one image per frame (for image-level evaluation)."""
        images = [ImageAnnotations(name, self.height, self.width) for name in self.file_names]
        for track in self.tracks:
            for frame, rle in track.masks.items():
                images[frame].instances.append(Instance(rle, track.category, track.track_id))
        return images


@dataclass
class AnnotationSet:
    format: str  # "coco", "ytvis" or "davis"
    path: Path
    images: list[ImageAnnotations] = field(default_factory=list)
    videos: list[VideoAnnotations] = field(default_factory=list)
    has_categories: bool = True
    # Attribute schemas per category name, as written beside our categories (checked tuples:
    # name, kind, choices, min, max, per_frame).
    attribute_specs: dict[str, list[tuple]] = field(default_factory=dict)

    def all_images(self) -> list[ImageAnnotations]:
        """Still images plus every video frame, each keyed by its file name."""
        return self.images + [img for video in self.videos for img in video.frame_images()]


def normalise_segmentation(segmentation, height: int, width: int, where: str) -> Rle | None:
    """A COCO-style segmentation (RLE, uncompressed RLE or polygons) as compressed string RLE.

    Returns None for an empty mask. Raises ExportError when malformed or of another size.
    """
    if isinstance(segmentation, dict):
        size, counts = segmentation.get("size"), segmentation.get("counts")
        if (
            not isinstance(size, list)
            or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in size)
        ):
            raise ExportError(f"{where}: RLE 'size' must be [height, width]")
        if list(size) != [height, width]:
            raise ExportError(
                f"{where}: mask size mismatch: the mask is {size[1]}x{size[0]}, the image "
                f"{width}x{height}"
            )
        if isinstance(counts, list):
            if (
                not all(isinstance(c, int) and c >= 0 for c in counts)
                or sum(counts) != height * width
            ):
                raise ExportError(f"{where}: uncompressed RLE counts do not cover the image")
            rle = mask_utils.frPyObjects({"size": size, "counts": counts}, height, width)
        elif isinstance(counts, str):
            check_rle_string(counts, height, width, where)
            rle = {"size": size, "counts": counts.encode("ascii")}
        else:
            raise ExportError(f"{where}: RLE 'counts' must be a string or a list of numbers")
        if int(mask_utils.area(rle)) == 0:
            return None
        counts = rle["counts"]
        return {
            "size": [height, width],
            "counts": counts.decode("ascii") if isinstance(counts, bytes) else counts,
        }
    if isinstance(segmentation, list):
        polygons = segmentation
        if not polygons:
            return None
        if not all(
            isinstance(p, list)
            and len(p) >= 6
            and len(p) % 2 == 0
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p)
            for p in polygons
        ):
            raise ExportError(f"{where}: polygons must be lists of at least 3 x, y pairs")
        rles = mask_utils.frPyObjects([[float(v) for v in p] for p in polygons], height, width)
        rle = mask_utils.merge(rles)
        if int(mask_utils.area(rle)) == 0:
            return None
        return {"size": [height, width], "counts": rle["counts"].decode("ascii")}
    raise ExportError(f"{where}: segmentation must be RLE or a list of polygons")


def rle_string_runs(counts: str) -> np.ndarray:
    """The run lengths of a compressed COCO RLE string (the inverse of pycocotools' rleToString).

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


def check_rle_string(counts: str, height: int, width: int, where: str) -> None:
    """Refuse a compressed RLE whose runs are negative or do not cover exactly the image:
    pycocotools would decode such a string past the end of its buffer."""
    runs = rle_string_runs(counts)
    if (runs < 0).any() or int(runs.sum()) != height * width:
        raise ExportError(
            f"{where}: corrupt RLE counts (they do not cover the {width}x{height} image)"
        )


def empty_rle(height: int, width: int) -> Rle:
    return encode_rle(np.zeros((height, width), bool))


def require(mapping: dict, key: str, kind: type | tuple, where: str):
    """``mapping[key]`` checked to be of ``kind`` (bools never count as numbers)."""
    if not isinstance(mapping, dict) or key not in mapping:
        raise ExportError(f"{where}: missing {key!r}")
    value = mapping[key]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ExportError(f"{where}: {key!r} has the wrong type")
    if not isinstance(value, kind):
        raise ExportError(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
    return value


def positive_size(entry: dict, where: str) -> tuple[int, int]:
    height = require(entry, "height", int, where)
    width = require(entry, "width", int, where)
    if height <= 0 or width <= 0:
        raise ExportError(f"{where}: width and height must be positive")
    return height, width
