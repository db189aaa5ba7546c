"""COCO instance segmentation export (images; video frames with ``frames_as_images``).

Masks are written as compressed RLE by default (``counts`` a UTF-8 string), so holes and parts
survive exactly; ``polygons=True`` writes outer polygons instead and warns when that drops holes.
Annotations are streamed from the database to the JSON file one at a time, so memory stays flat
however many masks there are; RLE export never even decodes a mask.
"""

from __future__ import annotations

from videoseg_desktop.core.masks import decode_rle
from videoseg_desktop.core.records import MaskRecord, MediaKind, ObjectRecord
from videoseg_desktop.core.text import noun, plural
from videoseg_desktop.export.image_plan import (
    PlannedImage,
    image_masks,
    plan_images,
    write_image_files,
)
from videoseg_desktop.export.polygons import mask_to_polygons
from videoseg_desktop.export.selection import select
from videoseg_desktop.export.writer import (
    ExportSummary,
    ExportTarget,
    Progress,
    dataset_info,
    write_json_streaming,
)

ANNOTATIONS_FILE = "annotations.json"
IMAGES_DIR = "images"


def export_coco(
    project,
    out_dir=None,
    labels: list[str] | None = None,
    media_ids: list[int] | None = None,
    polygons: bool = False,
    frames_as_images: bool = False,
    copy_images: bool = False,
    zip_output: bool = False,
    progress: Progress | None = None,
    status: str = "any",
) -> ExportSummary:
    """Write ``annotations.json`` (and ``images/`` when images are copied or frames exported).

    Categories are the project's labels with their database ids, so ids stay the same from one
    export to the next. Every selected image is listed, annotated or not; ``file_name`` is the
    original file name (made unique). With ``frames_as_images`` each video frame holding a mask
    becomes an image ``<video stem>/00000.jpg``, written under ``images/``.
    """
    kinds = {MediaKind.IMAGE} | ({MediaKind.VIDEO} if frames_as_images else set())
    sel = select(project, kinds, labels, media_ids, require_label=True, status=status)
    if not frames_as_images and media_ids is None and project.media.counts()["videos"]:
        sel.warnings.append("videos are left out of COCO; add --frames-as-images to include them")
    images = plan_images(sel)
    summary = ExportSummary("coco", path=None)
    counts = {"masks": 0, "holes": 0, "objects": 0}
    with ExportTarget(project.exports_dir, "coco", out_dir, zip_output) as target:
        n_files = sum(img.is_frame or copy_images for img in images)
        total = n_files + len(images)

        def file_progress(done: int, _total: int) -> None:
            if progress:
                progress(done, total)

        write_image_files(project, target, IMAGES_DIR, images, copy_images, file_progress)
        with open(target.file(ANNOTATIONS_FILE), "w", encoding="utf-8") as fh:
            write_json_streaming(
                fh,
                [
                    ("info", dataset_info(project)),
                    ("licenses", []),
                    ("categories", categories(sel.labels, sel.specs_by_label())),
                    ("images", (_image_entry(img) for img in images)),
                    (
                        "annotations",
                        _annotations(sel, images, polygons, counts, progress, n_files, total),
                    ),
                ],
            )
        summary.files = target.count_files()
    summary.path = target.final
    summary.images = len(images)
    summary.videos = len({img.item.id for img in images if img.is_frame})
    summary.objects = counts["objects"]
    summary.masks = counts["masks"]
    if counts["holes"]:
        sel.warnings.append(
            f"{plural(counts['holes'], 'mask')} {noun(counts['holes'], 'has')} holes, which polygons cannot represent: they were "
            "exported filled (use RLE, the default, to keep them exactly)"
        )
    summary.warnings = sel.finish_warnings()
    return summary


def categories(labels, specs_by_label: dict | None = None) -> list[dict]:
    """Categories from labels; a label's attribute schema rides along as ``attribute_specs``
    (other readers ignore it; ours reads it back so the types survive a round trip)."""
    out = []
    for lb in labels:
        entry = {"id": lb.id, "name": lb.name, "supercategory": ""}
        specs = (specs_by_label or {}).get(lb.id)
        if specs:
            entry["attribute_specs"] = [spec.to_json() for spec in specs]
        out.append(entry)
    return out


def _image_entry(image: PlannedImage) -> dict:
    return {
        "id": image.id,
        "file_name": image.file_name,
        "width": image.item.width,
        "height": image.item.height,
    }


def _annotations(sel, images, polygons, counts, progress, done, total):
    ann_id = 0
    media_id, seen = None, set()  # objects counted per media item: frames of one video are adjacent
    for image in images:
        if image.item.id != media_id:
            media_id, seen = image.item.id, set()
        for obj, rec in image_masks(sel, image):
            ann_id += 1
            counts["masks"] += 1
            counts["objects"] += obj.id not in seen
            seen.add(obj.id)
            entry = _annotation(ann_id, image.id, obj, rec, polygons, counts)
            attributes = sel.attributes_at(obj, image.frame)
            if attributes is not None:
                entry["attributes"] = attributes  # as CVAT's COCO export writes them
            yield entry
        done += 1
        if progress:
            progress(done, total)


def _annotation(
    ann_id: int, image_id: int, obj: ObjectRecord, rec: MaskRecord, polygons: bool, counts
) -> dict:
    if polygons:
        segmentation, has_holes = mask_to_polygons(decode_rle(rec.rle))
        counts["holes"] += has_holes
    else:
        segmentation = {"size": list(rec.rle["size"]), "counts": rec.rle["counts"]}
    entry = {
        "id": ann_id,
        "image_id": image_id,
        "category_id": obj.label_id,
        "segmentation": segmentation,
        "area": int(rec.area),
        "bbox": [float(v) for v in rec.bbox],
        "iscrowd": 0,
    }
    if rec.score is not None:
        entry["score"] = rec.score  # the model's confidence (COCO results use the same key)
    return entry
