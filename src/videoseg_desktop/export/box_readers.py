"""Reading detector boxes for ``videoseg boxes-to-masks``: COCO, YOLO txt and MOT CSV.

Every file is untrusted: it is read within the importer's limits (core.limits, the JSON and
name checks of export/) before any number reaches a model or the database. A file that cannot
be read at all is one ExportError; a bad item inside it (a box with no area, an unknown class,
a line that is not numbers) is left out with one line in ``BoxFile.problems`` and the rest is
used. Coordinates stay as the file gives them until ``box_matching`` knows each image's size.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.limits import (
    MAX_ANNOTATION_FILE_BYTES,
    MAX_YAML_BYTES,
    MAX_YOLO_LABEL_FILE_BYTES,
)
from videoseg_desktop.core.text import size_text
from videoseg_desktop.export.coco_reader import annotations_file, read_categories
from videoseg_desktop.export.dataset import require
from videoseg_desktop.export.validation import AnnotationBudget, check_text
from videoseg_desktop.export.writer import check_relative_name, read_json
from videoseg_desktop.export.yolo_reader import read_class_names

BOX_FORMATS = ("coco", "yolo", "mot")
MAX_PROBLEMS_KEPT = 1000  # lines kept for the report; the rest are counted


@dataclass(frozen=True)
class RawBox:
    """A box as the file gives it: pixels (x, y, w, h) or normalised (cx, cy, w, h)."""

    label: str
    values: tuple[float, float, float, float]
    score: float | None
    frame: int = 0
    track_id: int | None = None
    where: str = ""  # the item in the file, for messages


@dataclass
class BoxFile:
    format: str
    path: Path
    normalised: bool  # YOLO: centre and size as fractions of the image
    digest: str = ""  # names the file's content in run records
    images: dict[str, list[RawBox]] = field(default_factory=dict)  # file name -> boxes
    videos: dict[str, list[RawBox]] = field(default_factory=dict)  # video name -> MOT rows
    problems: list[str] = field(default_factory=list)
    more_problems: int = 0

    def problem(self, line: str) -> None:
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(line)
        else:
            self.more_problems += 1

    @property
    def boxes(self) -> int:
        return sum(map(len, self.images.values())) + sum(map(len, self.videos.values()))


def read_boxes(path: Path, fmt: str) -> BoxFile:
    if fmt not in BOX_FORMATS:
        raise ExportError(f"unknown box format {fmt!r}: choose {', '.join(BOX_FORMATS)}")
    path = Path(path)
    if not path.exists():
        raise ExportError(f"{path} does not exist")
    return {"coco": read_coco_boxes, "yolo": read_yolo_boxes, "mot": read_mot_boxes}[fmt](path)


def _number(value, where: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExportError(f"{where}: {what} must be a number")
    value = float(value)
    if not math.isfinite(value):
        raise ExportError(f"{where}: {what} must be a finite number")
    return value


def _box_values(values, where: str) -> tuple[float, float, float, float]:
    if not isinstance(values, list | tuple) or len(values) != 4:
        raise ExportError(f"{where}: a box is 4 numbers")
    box = tuple(_number(v, where, "a box coordinate") for v in values)
    if box[2] <= 0 or box[3] <= 0:
        raise ExportError(f"{where}: the box has no area (width {box[2]:g}, height {box[3]:g})")
    return box


def _digest(files: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.relative_to(root).as_posix().encode() if f != root else b"")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return f"{root.name}#{h.hexdigest()[:16]}"


# -- COCO ---------------------------------------------------------------------------------------


def read_coco_boxes(path: Path) -> BoxFile:
    source = annotations_file(path)
    data = read_json(source, "COCO")
    if not isinstance(data, dict) or "images" not in data or "annotations" not in data:
        raise ExportError(f"{source} is not a COCO file (no 'images' and 'annotations')")
    result = BoxFile("coco", source, normalised=False)
    names = read_categories(data, source)
    images: dict[int, str] = {}
    for n, entry in enumerate(require(data, "images", list, source.name)):
        where = f"{source.name}: image #{n + 1}"
        try:
            image_id = require(entry, "id", int, where)
            name = check_relative_name(require(entry, "file_name", str, where), where)
        except ExportError as exc:
            result.problem(str(exc))
            continue
        if image_id in images:
            result.problem(f"{where}: image id {image_id} appears twice; the first is used")
            continue
        images[image_id] = name
        result.images.setdefault(name, [])
    budget = AnnotationBudget(source)
    for n, ann in enumerate(require(data, "annotations", list, source.name)):
        where = f"{source.name}: annotation #{n + 1}"
        budget.add()
        try:
            image_id = require(ann, "image_id", int, where)
            if image_id not in images:
                raise ExportError(f"{where}: image id {image_id} is not in 'images'")
            cat = require(ann, "category_id", int, where)
            if cat not in names:
                raise ExportError(f"{where}: unknown category id {cat}")
            box = _box_values(require(ann, "bbox", list, where), where)
            score = ann.get("score")
            score = None if score is None else _number(score, where, "the score")
        except ExportError as exc:
            result.problem(str(exc))
            continue
        result.images[images[image_id]].append(RawBox(names[cat], box, score, where=where))
    result.digest = _digest([source], source)
    return result


# -- YOLO ---------------------------------------------------------------------------------------


def read_classes_txt(path: Path) -> list[str]:
    """``classes.txt``: one class name a line, class 0 first."""
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            raise ExportError(f"{path} is larger than {size_text(MAX_YAML_BYTES)}")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"cannot read {path}: {exc}") from None
    names = [line.strip() for line in text.splitlines()]
    while names and not names[-1]:
        names.pop()
    if not names or not all(names):
        raise ExportError(f"{path}: one class name a line, none empty")
    return [check_text(n, path.name, "class name") for n in names]


def yolo_class_names(root: Path) -> list[str]:
    for folder in (root, root.parent):
        if (folder / "data.yaml").is_file() or (folder / "dataset.yaml").is_file():
            return read_class_names(folder)
        if (folder / "classes.txt").is_file():
            return read_classes_txt(folder / "classes.txt")
    raise ExportError(f"{root} has no data.yaml or classes.txt naming the classes")


def read_yolo_boxes(path: Path) -> BoxFile:
    root = Path(path)
    if not root.is_dir():
        raise ExportError(f"{root} is not a folder of YOLO txt files")
    names = yolo_class_names(root)
    labels = root / "labels" if (root / "labels").is_dir() else root
    files = sorted(p for p in labels.rglob("*.txt") if p.name != "classes.txt")
    if not files:
        raise ExportError(f"{labels} holds no YOLO txt files")
    result = BoxFile("yolo", root, normalised=True)
    budget = AnnotationBudget(labels)
    for f in files:
        name = f.relative_to(labels).with_suffix("").as_posix()
        boxes = result.images.setdefault(name, [])
        for line_no, fields in _lines(f, MAX_YOLO_LABEL_FILE_BYTES, result):
            budget.add()
            where = f"{f.name} line {line_no}"
            try:
                if len(fields) not in (5, 6):
                    raise ExportError(f"{where}: expected class cx cy w h [conf]")
                cls = _int(fields[0], where, "the class")
                if not 0 <= cls < len(names):
                    raise ExportError(f"{where}: class {cls} is not in 0..{len(names) - 1}")
                values = _box_values([_float(v, where) for v in fields[1:5]], where)
                if not all(-0.01 <= v <= 1.01 for v in values):
                    raise ExportError(f"{where}: coordinates must be normalised to 0..1")
                score = _float(fields[5], where) if len(fields) == 6 else None
            except ExportError as exc:
                result.problem(str(exc))
                continue
            boxes.append(RawBox(names[cls], values, score, where=where))
    result.digest = _digest(files, labels)
    return result


# -- MOT ----------------------------------------------------------------------------------------


def mot_files(path: Path) -> dict[str, Path]:
    """Video name -> CSV: one file (``clip.txt``, ``clip/gt/gt.txt``) or a folder of them."""
    if path.is_file():
        return {_mot_name(path): path}
    found = sorted(
        p for p in path.rglob("*") if p.suffix in (".txt", ".csv") and p.name != "classes.txt"
    )
    if not found:
        raise ExportError(f"{path} holds no MOT .txt or .csv files")
    out: dict[str, Path] = {}
    for p in found:
        out.setdefault(_mot_name(p), p)
    return out


def _mot_name(path: Path) -> str:
    # MOTChallenge keeps <sequence>/gt/gt.txt and <sequence>/det/det.txt
    if path.stem in ("gt", "det") and path.parent.name in ("gt", "det"):
        return path.parent.parent.name
    return path.stem


def read_mot_boxes(path: Path) -> BoxFile:
    files = mot_files(path)
    root = path if path.is_dir() else path.parent
    classes = root / "classes.txt"
    names = read_classes_txt(classes) if classes.is_file() else None
    result = BoxFile("mot", path, normalised=False)
    budget = AnnotationBudget(path)
    for video, f in files.items():
        rows = result.videos.setdefault(video, [])
        for line_no, fields in _lines(f, MAX_ANNOTATION_FILE_BYTES, result, sep=","):
            budget.add()
            where = f"{f.name} line {line_no}"
            try:
                rows.append(_mot_row(fields, where, names))
            except ExportError as exc:
                result.problem(str(exc))
    result.digest = _digest(list(files.values()), root)
    return result


def _mot_row(fields: list[str], where: str, names: list[str] | None) -> RawBox:
    if len(fields) < 6:
        raise ExportError(f"{where}: expected frame, id, x, y, w, h[, conf, class, ...]")
    frame = _int(fields[0], where, "the frame")
    if frame < 1:
        raise ExportError(f"{where}: MOT frames count from 1, not {frame}")
    track = _int(fields[1], where, "the track id")
    values = _box_values([_float(v, where) for v in fields[2:6]], where)
    score = _float(fields[6], where) if len(fields) > 6 else -1.0
    label = "object"
    if len(fields) > 7 and fields[7].strip() not in ("", "-1"):
        label = _mot_class(fields[7].strip(), where, names)
    return RawBox(label, values, None if score < 0 else score, frame - 1, track, where)


def _mot_class(text: str, where: str, names: list[str] | None) -> str:
    try:
        number = int(float(text))
    except (ValueError, OverflowError):
        return check_text(text, where, "class name")  # a name written by a converter
    if names is None:
        return f"class {number}"
    if not 1 <= number <= len(names):
        raise ExportError(f"{where}: class {number} is not in classes.txt (1..{len(names)})")
    return names[number - 1]


# -- lines --------------------------------------------------------------------------------------


def _lines(path: Path, limit: int, result: BoxFile, sep: str | None = None):
    """(line number, fields) of a text file, read line by line within ``limit`` bytes."""
    try:
        if path.stat().st_size > limit:
            raise ExportError(f"{path} is larger than {size_text(limit)}; refused")
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if len(line) > 4096:
                    result.problem(f"{path.name} line {n}: too long for a box; skipped")
                    continue
                fields = line.split(sep) if sep and sep in line else line.split()
                fields = [f.strip() for f in fields]
                if any(fields):
                    yield n, fields
    except UnicodeDecodeError:
        raise ExportError(f"{path} is not a UTF-8 text file") from None
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror or exc}") from None


def _float(text: str, where: str) -> float:
    try:
        value = float(text)
    except (ValueError, OverflowError):
        raise ExportError(f"{where}: {text[:20]!r} is not a number") from None
    if not math.isfinite(value):
        raise ExportError(f"{where}: numbers must be finite")
    return value


def _int(text: str, where: str, what: str) -> int:
    value = _float(text, where)
    if value != int(value) or abs(value) > 2**53:
        raise ExportError(f"{where}: {what} must be a whole number")
    return int(value)
