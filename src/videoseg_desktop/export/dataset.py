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
from videoseg_desktop.core.masks import Rle, encode_rle, rle_string_runs
from videoseg_desktop.export.validation import check_image_size, check_polygons


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
                not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts)
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
            type(p) is list and len(p) >= 6 and len(p) % 2 == 0 and set(map(type, p)) <= _NUMBER
            for p in polygons
        ):
            raise ExportError(f"{where}: polygons must be lists of at least 3 x, y pairs")
        try:
            polygons = [list(map(float, p)) for p in polygons]
        except OverflowError:
            raise ExportError(f"{where}: a polygon coordinate is out of range") from None
        check_polygons(polygons, height, width, where)  # before pycocotools sees them
        rles = mask_utils.frPyObjects(polygons, height, width)
        rle = rles[0] if len(rles) == 1 else mask_utils.merge(rles)
        if int(mask_utils.area(rle)) == 0:
            return None
        return {"size": [height, width], "counts": rle["counts"].decode("ascii")}
    raise ExportError(f"{where}: segmentation must be RLE or a list of polygons")


_NUMBER = {int, float}  # exact types: JSON gives no subclasses, and bool is refused


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
    return check_image_size(height, width, where)
