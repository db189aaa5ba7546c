"""Reading DAVIS mask folders: one PNG per frame whose pixel values are object ids.

Accepted paths: a DAVIS root (``Annotations/480p/<seq>/``, or ``Annotations/<seq>/``), an
``Annotations`` folder, a folder of sequence folders, or one sequence folder of PNGs. Indexed
(palette) and grayscale PNGs are read as ids, 0 being background; a sequence whose PNGs hold only
0 and 255 is a binary mask (DAVIS 2016) and 255 becomes object 1. When the matching
``JPEGImages`` folder is there, its frames set the video's length and frame numbering (a
sequence annotated on some frames only is thus placed correctly).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from videoseg_desktop.core.errors import ExportError, MediaError
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.export.dataset import AnnotationSet, Track, VideoAnnotations
from videoseg_desktop.export.validation import AnnotationBudget, check_image_size
from videoseg_desktop.media.formats import check_pixel_limit, pixel_limit_text

RESOLUTIONS = ("480p", "Full-Resolution", "1080p")
FRAME_SUFFIXES = (".jpg", ".jpeg", ".png")


def _annotation_root(path: Path) -> Path:
    if (path / "Annotations").is_dir():
        path = path / "Annotations"
    for res in RESOLUTIONS:
        if (path / res).is_dir():
            return path / res
    return path


def sequence_folders(path: Path) -> list[Path]:
    path = Path(path)
    if not path.is_dir():
        raise ExportError(f"{path} is not a folder of DAVIS masks")
    root = _annotation_root(path)
    if any(root.glob("*.png")):
        return [root]
    sequences = sorted(p for p in root.iterdir() if p.is_dir() and any(p.glob("*.png")))
    if not sequences:
        raise ExportError(
            f"{path} holds no DAVIS mask PNGs (expected Annotations/480p/<name>/*.png)"
        )
    return sequences


def _frames_folder(masks_dir: Path) -> Path | None:
    """``.../Annotations/480p/<seq>`` -> ``.../JPEGImages/480p/<seq>`` when it exists."""
    parts = masks_dir.parts
    if "Annotations" not in parts:
        return None
    i = len(parts) - 1 - parts[::-1].index("Annotations")
    frames = Path(*parts[:i], "JPEGImages", *parts[i + 1 :])
    return frames if frames.is_dir() else None


def read_id_png(path: Path) -> np.ndarray:
    """A mask PNG as a 2-D uint8 array of ids; its declared size is checked before decoding."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
        with img:
            if img.format != "PNG":
                raise ExportError(f"{path.name} is not a PNG file")
            try:
                check_pixel_limit(path, *img.size)
            except MediaError as exc:
                raise ExportError(str(exc)) from None
            if img.mode in ("P", "L"):
                return np.asarray(img, np.uint8)
            if img.mode == "1":
                return np.asarray(img, np.uint8) * 255
            raise ExportError(
                f"{path.name} is a {img.mode} PNG; DAVIS masks must be indexed (palette) or "
                "grayscale PNGs of object ids"
            )
    except Image.DecompressionBombError:
        raise ExportError(
            f"{path.name} declares a size over the limit ({pixel_limit_text()}): refused as a "
            "possible decompression bomb"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ExportError(f"{path} is not a readable PNG: {exc}") from None


def read_davis_sequence(
    masks_dir: Path, budget: AnnotationBudget | None = None
) -> VideoAnnotations:
    name = masks_dir.name
    pngs = sorted(masks_dir.glob("*.png"))
    frames_dir = _frames_folder(masks_dir)
    stems = (
        sorted(p.stem for p in frames_dir.iterdir() if p.suffix.lower() in FRAME_SUFFIXES)
        if frames_dir
        else []
    )
    if not stems:
        stems = [p.stem for p in pngs]
    index_of = {stem: i for i, stem in enumerate(stems)}
    per_value: dict[int, dict[int, dict]] = {}
    size = None
    for png in pngs:
        if png.stem not in index_of:
            raise ExportError(f"{png} has no matching frame in {frames_dir}")
        ids = read_id_png(png)
        if size is None:
            size = ids.shape
        elif ids.shape != size:
            raise ExportError(
                f"{png}: mask size mismatch: {ids.shape[1]}x{ids.shape[0]}, the sequence's "
                f"first mask is {size[1]}x{size[0]}"
            )
        frame = index_of[png.stem]
        for value in np.unique(ids):
            if value:
                if budget is not None:
                    budget.add()
                per_value.setdefault(int(value), {})[frame] = encode_rle(ids == value)
    binary = set(per_value) == {255}
    tracks = [
        Track(1 if binary else value, None, masks) for value, masks in sorted(per_value.items())
    ]
    if size is None:
        raise ExportError(f"{masks_dir} holds no mask PNGs")
    height, width = check_image_size(*size, str(masks_dir))
    file_names = [f"{name}/{stem}.jpg" for stem in stems]
    return VideoAnnotations(name, height, width, len(stems), file_names, tracks)


def read_davis(path: Path) -> AnnotationSet:
    budget = AnnotationBudget(path)
    videos = [read_davis_sequence(folder, budget) for folder in sequence_folders(path)]
    names = [v.name for v in videos]
    if len(set(names)) != len(names):
        raise ExportError(f"{path}: two sequences share a name")
    return AnnotationSet("davis", Path(path), videos=videos, has_categories=False)
