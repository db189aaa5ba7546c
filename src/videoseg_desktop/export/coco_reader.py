"""Reading COCO instance segmentation files (RLE, uncompressed RLE and polygons)."""

from __future__ import annotations

from pathlib import Path

from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.export.attribute_reader import (
    read_attribute_specs,
    read_attributes,
    read_score,
)
from videoseg_desktop.export.dataset import (
    AnnotationSet,
    ImageAnnotations,
    Instance,
    normalise_segmentation,
    positive_size,
    require,
)
from videoseg_desktop.export.validation import AnnotationBudget, check_text
from videoseg_desktop.export.writer import check_relative_name, read_json


def read_categories(data: dict, source: Path) -> dict[int, str]:
    categories = require(data, "categories", list, str(source))
    names: dict[int, str] = {}
    for n, cat in enumerate(categories):
        where = f"{source.name}: category #{n + 1}"
        cat_id = require(cat, "id", int, where)
        name = check_text(require(cat, "name", str, where).strip(), where, "category name")
        if not name:
            raise ExportError(f"{where}: empty name")
        if cat_id in names:
            raise ExportError(f"{where}: category id {cat_id} appears twice")
        names[cat_id] = name
    return names


def category_of(names: dict[int, str], ann: dict, where: str) -> str:
    cat_id = require(ann, "category_id", int, where)
    if cat_id not in names:
        raise ExportError(f"{where}: unknown category id {cat_id} (not in 'categories')")
    return names[cat_id]


def annotations_file(path: Path) -> Path:
    """A JSON file given directly, or the ``annotations.json`` inside an export folder."""
    path = Path(path)
    if path.is_dir():
        candidates = [path / "annotations.json", *sorted(path.glob("*.json"))]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        raise ExportError(f"{path} holds no annotations JSON file")
    return path


def read_coco(path: Path) -> AnnotationSet:
    source = annotations_file(path)
    data = read_json(source, "COCO")
    if not isinstance(data, dict) or "images" not in data or "annotations" not in data:
        raise ExportError(f"{source} is not a COCO file (no 'images' and 'annotations')")
    names = read_categories(data, source)
    images: dict[int, ImageAnnotations] = {}
    for n, entry in enumerate(require(data, "images", list, source.name)):
        where = f"{source.name}: image #{n + 1}"
        image_id = require(entry, "id", int, where)
        if image_id in images:
            raise ExportError(f"{where}: image id {image_id} appears twice")
        file_name = check_relative_name(require(entry, "file_name", str, where), where)
        height, width = positive_size(entry, where)
        images[image_id] = ImageAnnotations(file_name, height, width)
    budget = AnnotationBudget(source)
    for n, ann in enumerate(require(data, "annotations", list, source.name)):
        where = f"{source.name}: annotation #{n + 1}"
        budget.add()
        image_id = require(ann, "image_id", int, where)
        if image_id not in images:
            raise ExportError(f"{where}: image id {image_id} is not in 'images'")
        image = images[image_id]
        category = category_of(names, ann, where)
        rle = normalise_segmentation(
            require(ann, "segmentation", (dict, list), where), image.height, image.width, where
        )
        if rle is not None:
            score, attributes = read_score(ann, where), read_attributes(ann, where)
            image.instances.append(Instance(rle, category, score=score, attributes=attributes))
    dataset = AnnotationSet("coco", source, images=list(images.values()))
    dataset.attribute_specs = read_attribute_specs(data, names, source)
    return dataset
