"""YOLO segmentation export (Ultralytics layout): ``images/``, ``labels/`` and ``data.yaml``.

Each label file has one line per object, ``<class> x1 y1 x2 y2 ...`` normalised to 0..1, as
Ultralytics reads one line as one instance. An object in several parts, or with holes, is one
polygon whose rings are joined by zero-width bridges (``polygon_join``), the way Ultralytics'
own COCO converter joins parts; an even-odd fill (OpenCV's, which Ultralytics uses) keeps the
holes, a reader that fills each polygon solid loses them, so the export warns about holes. Class
indices are 0..N-1 in the project's label order.

``data.yaml`` has no ``path``: Ultralytics then takes the folder holding data.yaml as the dataset
root, from any working directory (``path: .`` would mean the working directory, or the
datasets folder in its settings). Releases before 8.3.134 join a relative data.yaml path to
that datasets folder, so they need the file's absolute path.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from videoseg_desktop.core.masks import decode_rle
from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.core.text import noun, plural
from videoseg_desktop.export.image_plan import image_masks, plan_images, write_image_files
from videoseg_desktop.export.polygon_join import mask_to_joined_polygon
from videoseg_desktop.export.selection import select
from videoseg_desktop.export.writer import ExportSummary, ExportTarget, Progress

IMAGES_DIR = "images"
LABELS_DIR = "labels"
DATA_FILE = "data.yaml"


def data_yaml(class_names: list[str]) -> str:
    """The dataset file; names are written as JSON strings, which YAML reads as quoted scalars."""
    lines = [
        "# YOLO segmentation dataset written by VideoSeg Desktop",
        "# No 'path' key: Ultralytics (8.3.134 and later) then finds train/val in the folder",
        "# holding this file, from any working directory; older releases need data= to be",
        "# this file's absolute path.",
        "train: images",
        "val: images",
        f"nc: {len(class_names)}",
        "names:",
    ]
    lines += [f"  {i}: {json.dumps(name)}" for i, name in enumerate(class_names)]
    return "\n".join(lines) + "\n"


# A hundredth of a pixel added before normalising: the 6-decimal value times the size then lands
# just above the vertex, never just below, so readers that truncate to whole pixels (Ultralytics'
# polygon2mask) and readers that round both draw the vertex where it was.
_TRUNCATION_GUARD = 0.01


def polygon_line(class_index: int, polygon: list[float], width: int, height: int) -> str:
    coords = []
    for n, value in enumerate(polygon):
        scale = width if n % 2 == 0 else height
        coords.append(f"{min(max((value + _TRUNCATION_GUARD) / scale, 0.0), 1.0):.6f}")
    return f"{class_index} " + " ".join(coords)


def export_yolo(
    project,
    out_dir=None,
    labels: list[str] | None = None,
    media_ids: list[int] | None = None,
    frames_as_images: bool = False,
    zip_output: bool = False,
    progress: Progress | None = None,
    status: str = "any",
) -> ExportSummary:
    """Copy the images, write one label file per image (empty for an unannotated image)."""
    kinds = {MediaKind.IMAGE} | ({MediaKind.VIDEO} if frames_as_images else set())
    sel = select(project, kinds, labels, media_ids, require_label=True, status=status)
    if not frames_as_images and media_ids is None and project.media.counts()["videos"]:
        sel.warnings.append("videos are left out of YOLO; add --frames-as-images to include them")
    class_of = {label.id: n for n, label in enumerate(sel.labels)}
    images = plan_images(sel)
    summary = ExportSummary("yolo", path=None)
    holes, objects = 0, set()
    with ExportTarget(project.exports_dir, "yolo", out_dir, zip_output) as target:
        total = 2 * len(images)
        written = write_image_files(
            project,
            target,
            IMAGES_DIR,
            images,
            True,
            lambda done, _t: progress(done, total) if progress else None,
        )
        for n, image in enumerate(images, 1):
            lines = []
            for obj, rec in image_masks(sel, image):
                polygon, has_holes = mask_to_joined_polygon(decode_rle(rec.rle))
                holes += has_holes
                if polygon:
                    lines.append(
                        polygon_line(
                            class_of[obj.label_id], polygon, image.item.width, image.item.height
                        )
                    )
                objects.add(obj.id)
                summary.masks += 1
            label_name = str(PurePosixPath(image.file_name).with_suffix(".txt"))
            target.file(f"{LABELS_DIR}/{label_name}").write_text(
                "".join(line + "\n" for line in lines), encoding="utf-8"
            )
            if progress:
                progress(written + n, total)
        target.file(DATA_FILE).write_text(
            data_yaml([label.name for label in sel.labels]), encoding="utf-8"
        )
        summary.files = target.count_files()
    summary.path = target.final
    summary.images = len(images)
    summary.videos = len({img.item.id for img in images if img.is_frame})
    summary.objects = len(objects)
    if holes:
        sel.warnings.append(
            f"{plural(holes, 'mask')} {noun(holes, 'has')} holes: YOLO-seg has one polygon per object, so each hole is cut "
            "into it by a zero-width bridge; Ultralytics (even-odd fill) keeps the holes, readers "
            "that fill polygons solid get them filled"
        )
    summary.warnings = sel.finish_warnings()
    return summary
