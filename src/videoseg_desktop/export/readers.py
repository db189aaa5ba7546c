"""Reading any supported annotation format, named or recognised from the path."""

from __future__ import annotations

from pathlib import Path

from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.export.coco_reader import annotations_file, read_coco
from videoseg_desktop.export.dataset import AnnotationSet
from videoseg_desktop.export.davis_reader import read_davis
from videoseg_desktop.export.writer import read_json
from videoseg_desktop.export.ytvis_reader import read_ytvis

READERS = {"coco": read_coco, "ytvis": read_ytvis, "davis": read_davis}


def detect_format(path: Path) -> str:
    """ "davis" for a folder of PNG masks, else "ytvis" or "coco" from the JSON's top-level keys."""
    path = Path(path)
    if not path.exists():
        raise ExportError(f"{path} does not exist")
    if path.is_dir() and not any(path.glob("*.json")):
        return "davis"
    source = annotations_file(path)
    data = read_json(source, "annotations")
    if isinstance(data, dict) and "videos" in data:
        return "ytvis"
    if isinstance(data, dict) and "images" in data:
        return "coco"
    raise ExportError(f"cannot tell the format of {source}; name it with --format / --*-format")


def read_annotations(path: Path, fmt: str | None = None) -> AnnotationSet:
    fmt = fmt or detect_format(path)
    if fmt not in READERS:
        raise ExportError(f"unknown annotation format {fmt!r}; use one of {', '.join(READERS)}")
    return READERS[fmt](Path(path))
